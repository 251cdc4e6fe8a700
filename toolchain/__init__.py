from toolchain.build import build_elf
from toolchain.compilers import find_compiler
from toolchain.errors import BuildFailed, CompilerNotFound, ToolchainError

__all__ = ["build_elf", "find_compiler", "BuildFailed", "CompilerNotFound", "ToolchainError"]
