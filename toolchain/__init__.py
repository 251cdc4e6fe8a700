from toolchain.build import build_elf
from toolchain.compilers import find_compiler
from toolchain.library import build_static_library, compiler_version
from toolchain.memory import MemoryReport, memory_report
from toolchain.errors import BuildFailed, CompilerNotFound, ToolchainError
from toolchain.purity import FloatInIntegerBuild, check_integer_purity, require_integer_purity

__all__ = ["build_elf", "build_static_library", "compiler_version", "memory_report", "MemoryReport", "find_compiler",
           "BuildFailed", "CompilerNotFound", "ToolchainError", "FloatInIntegerBuild", "check_integer_purity",
           "require_integer_purity"]
