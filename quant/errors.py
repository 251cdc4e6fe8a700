"""Errors of the quant package; messages name the cause and the fix."""


class QuantError(Exception):
    pass


class UnsupportedOp(QuantError):
    pass


class GraphError(QuantError):
    """An IntGraph that is malformed, inconsistent, or needs a float at run time."""
