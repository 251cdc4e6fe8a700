class CodegenError(Exception):
    """A graph that cannot be lowered to C; the message names the cause and the fix."""


class ModelDoesNotFit(CodegenError):
    """The model (weights, code, arena) needs more memory than the target has; the message gives both amounts."""
