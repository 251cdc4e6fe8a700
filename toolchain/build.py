"""Builds C sources plus the target's start-up code into a static ELF."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from isa.targets import Target
from toolchain.compilers import Compiler, find_compiler
from toolchain.errors import BuildFailed

RUNTIME_C = Path(__file__).resolve().parent.parent / "runtime_c"

COMMON_CFLAGS = ("-O2", "-std=c11", "-ffreestanding", "-fno-common", "-ffunction-sections", "-fdata-sections",
                 "-fno-asynchronous-unwind-tables", "-fno-stack-protector", "-fno-pic", "-Wall")


def platform_sources(target: Target) -> list[Path]:
    pdir = RUNTIME_C / "platform" / target.platform
    files = sorted(pdir.glob("*.c")) + sorted(pdir.glob("*.S"))
    return files + sorted((RUNTIME_C / "platform" / "common").glob("*.c"))


def linker_script(target: Target) -> Path:
    return RUNTIME_C / "platform" / target.platform / "link.ld"


def build_elf(sources: list[Path], target: Target, out: Path, *, include_dirs: tuple[Path, ...] = (),
              extra_cflags: tuple[str, ...] = (), compiler: str | None = None, timeout: float = 300) -> Compiler:
    """Compiles and links `sources` with the platform layer into `out`. Returns the compiler used."""
    cc = find_compiler(target, compiler)
    out.parent.mkdir(parents=True, exist_ok=True)
    incs = [f"-I{p}" for p in (RUNTIME_C / "include", *include_dirs)]
    cmd = [cc.path, *cc.target_flags, *COMMON_CFLAGS, *extra_cflags, *incs,
           *[str(s) for s in list(sources) + platform_sources(target)],
           *cc.link_flags, f"-T{linker_script(target)}", "-Wl,--gc-sections", "-Wl,--build-id=none",
           "-o", str(out), *cc.libs]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"building {out.name} for {target.name} took over {timeout:.0f} s: the compiler hung") from None
    if proc.returncode != 0:
        overflow = re.search(r"region [`'\"]?(\w+)'? overflowed by (\d+) bytes", proc.stderr)
        if overflow:  # the linker's words, then the cause and the fix in ours
            regions = ", ".join(f"{r.name} {r.size // 1024} KiB" for r in target.memory)
            raise BuildFailed(f"{out.name} does not fit the memory of target {target.name} ({regions}): region"
                              f" {overflow.group(1)} overflowed by {int(overflow.group(2)):,} bytes; use a smaller"
                              " model or narrower weights (w4a8), or a target with more memory")
        raise BuildFailed(f"building {out.name} for {target.name} with {cc.kind} failed:\n{proc.stderr.strip()}")
    return cc
