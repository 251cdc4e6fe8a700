class CodegenError(Exception):
    """A graph that cannot be lowered to C; the message names the cause and the fix."""
