from toolchain.build import build_elf
from toolchain.compilers import find_compiler, find_llvm
from toolchain.library import build_static_library, compiler_version
from toolchain.memory import MemoryReport, memory_report
from toolchain.errors import BuildFailed, CompilerNotFound, CompilerUnusable, ToolchainError
from toolchain.purity import FloatInIntegerBuild, check_integer_purity, require_integer_purity

__all__ = ["build_elf", "build_static_library", "compiler_version", "memory_report", "MemoryReport", "find_compiler",
           "find_llvm", "CompilerUnusable",
           "BuildFailed", "CompilerNotFound", "ToolchainError", "FloatInIntegerBuild", "check_integer_purity",
           "require_integer_purity"]
