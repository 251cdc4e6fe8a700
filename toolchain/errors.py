"""Errors of the toolchain package; messages name the cause and the fix."""


class ToolchainError(Exception):
    pass


class CompilerNotFound(ToolchainError):
    pass


class BuildFailed(ToolchainError):
    pass


class CompilerUnusable(ToolchainError):
    """The compiler is installed but cannot build what the target needs (e.g. no RVV intrinsics)."""
