"""Finds the cross compiler for a target and the flags it needs; the triple and -march come from isa.targets.
clang and its LLVM tools are found by version, not by a fixed name (docs/platform.md): the newest clang-N of
the supported range whose lld, llvm-objcopy and llvm-ar of the same N are installed (Debian 12: 16, Debian 13:
19), else the unversioned `clang` when its version is in the range."""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from isa.targets import Target
from toolchain.errors import CompilerNotFound, CompilerUnusable

# clang 16 (Debian 12) to 22 (Debian 13's newest). clang 14 / 15 have only the unprefixed RVV intrinsics.
CLANG_VERSIONS = range(22, 15, -1)
LLVM_TOOLS = ("clang", "ld.lld", "llvm-objcopy", "llvm-ar")
MISSING_FIX = "run `make setup` (`intgap doctor` lists every tool and its fix)"


@dataclass(frozen=True)
class LlvmTools:
    major: int
    clang: str
    lld: str
    objcopy: str
    ar: str


@dataclass(frozen=True)
class Compiler:
    kind: str  # "gcc" or "clang"
    path: str
    target_flags: tuple[str, ...]  # --target / -march / -mabi / -mcpu ...
    link_flags: tuple[str, ...]
    libs: tuple[str, ...]  # runtime support library (soft-float helpers, division)

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.path})"

    @property
    def version(self) -> str:
        """The first line of `--version` (e.g. `Debian clang version 19.1.7 (3+b1)`), recorded with every build."""
        return tool_version(self.path) or self.label


@functools.lru_cache(maxsize=None)
def _version_line(path: str, mtime: float) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    return lines[0] if lines else ""


def tool_version(path: str) -> str:
    """First non-empty line of `path --version` ('' when it does not run); cached per file and modification."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return ""
    return _version_line(path, mtime)


def _major(version_line: str) -> int | None:
    m = re.search(r"version (\d+)\.", version_line) or re.search(r"LLD (\d+)\.", version_line)
    return int(m.group(1)) if m else None


def find_llvm(needed_for: str = "needed for clang builds") -> LlvmTools:
    """The newest supported clang with the lld / llvm-objcopy / llvm-ar of the same version (see module doc)."""
    for n in CLANG_VERSIONS:
        paths = [shutil.which(f"{t}-{n}") for t in LLVM_TOOLS]
        if all(paths):
            return LlvmTools(n, *paths)
    paths = [shutil.which(t) for t in LLVM_TOOLS]
    if all(paths):
        majors = {_major(tool_version(paths[0])), _major(tool_version(paths[1]))}
        if len(majors) == 1 and (n := majors.pop()) in CLANG_VERSIONS:
            return LlvmTools(n, *paths)
    names = ", ".join(f"{t}-N" for t in LLVM_TOOLS)
    raise CompilerNotFound(f"clang / LLVM tools not found ({needed_for}): {MISSING_FIX}; looked for {names} of one "
                           f"version N in {CLANG_VERSIONS[-1]}..{CLANG_VERSIONS[0]} on PATH, or unversioned ones "
                           "of such a version")


# The kernels' RVV code in small: a ratified-API fixed-point intrinsic through the compatibility header.
_RVV_PROBE = """#include "ig_rvv_api.h"
vint32m2_t ig_probe(vint32m2_t a, vint32m2_t b, size_t vl) { return __riscv_vsmul_vv_i32m2(a, b, IG_RNU, vl); }
"""
RVV_API_DIR = Path(__file__).resolve().parent.parent / "runtime_c" / "kernels" / "rvv"


@functools.lru_cache(maxsize=None)
def rvv_capability(clang: str, target_flags: tuple[str, ...]) -> str:
    """'' when `clang` compiles the kernels' RVV intrinsics for these flags, else its first error line."""
    with tempfile.TemporaryDirectory(prefix="ig-rvv-probe-") as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(_RVV_PROBE)
        try:
            proc = subprocess.run([clang, *target_flags, "-O2", "-ffreestanding", f"-I{RVV_API_DIR}", "-c", str(src),
                                   "-o", str(Path(tmp) / "probe.o")], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return str(e)
    if proc.returncode == 0:
        return ""
    errors = [ln for ln in proc.stderr.splitlines() if "error" in ln]
    return (errors or proc.stderr.splitlines() or ["no output"])[0].strip()


def find_compiler(target: Target, kind: str | None = None) -> Compiler:
    kind = kind or target.compiler
    if kind == "gcc":
        exe = f"{target.triple}-gcc"
        path = shutil.which(exe)
        if path is None:
            raise CompilerNotFound(f"{exe} not found (needed for target {target.name}): {MISSING_FIX}")
        return Compiler("gcc", path, target.arch_flags, ("-nostdlib", "-static"), ("-lgcc",))
    if kind == "clang":
        llvm = find_llvm(f"needed for target {target.name}")
        flags = (f"--target={target.triple}",) + target.arch_flags
        if target.kernel_family == "rvv":
            err = rvv_capability(llvm.clang, flags)
            if err:
                raise CompilerUnusable(f"{llvm.clang} cannot compile the RVV kernels for target {target.name} "
                                       f"({err}): install clang 16 or newer (`make setup`)")
        return Compiler("clang", llvm.clang, flags, ("-nostdlib", "-static", f"--ld-path={llvm.lld}"), ())
    raise CompilerNotFound(f"unknown compiler kind {kind!r}: use gcc or clang")
