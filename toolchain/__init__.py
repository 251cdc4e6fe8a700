from toolchain.build import build_elf
from toolchain.compilers import find_compiler
from toolchain.errors import BuildFailed, CompilerNotFound, ToolchainError
from toolchain.purity import FloatInIntegerBuild, check_integer_purity, require_integer_purity

__all__ = ["build_elf", "find_compiler", "BuildFailed", "CompilerNotFound", "ToolchainError", "FloatInIntegerBuild",
           "check_integer_purity", "require_integer_purity"]
