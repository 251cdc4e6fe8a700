"""Code generation: graphs to C for a target (kernels, static arena, run harness)."""
from codegen.errors import CodegenError
from codegen.program import HARNESS_FUNCTIONS, Program, emit_program

__all__ = ["emit_program", "Program", "CodegenError", "HARNESS_FUNCTIONS"]
