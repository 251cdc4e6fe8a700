"""Builds C sources plus the target's start-up code into a static ELF."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

from isa.paths import cache_dir
from isa.targets import Target
from toolchain.compilers import Compiler, find_compiler, find_llvm
from toolchain.errors import BuildFailed

RUNTIME_C = Path(__file__).resolve().parent.parent / "runtime_c"

COMMON_CFLAGS = ("-O2", "-std=c11", "-ffreestanding", "-fno-common", "-ffunction-sections", "-fdata-sections",
                 "-fno-asynchronous-unwind-tables", "-fno-stack-protector", "-fno-pic", "-Wall")


def platform_sources(target: Target) -> list[Path]:
    pdir = RUNTIME_C / "platform" / target.platform
    files = sorted(pdir.glob("*.c")) + sorted(pdir.glob("*.S"))
    return files + sorted((RUNTIME_C / "platform" / "common").glob("*.c"))


def linker_script(target: Target) -> Path:
    return RUNTIME_C / "platform" / target.platform / target.linker_script


def _runtime_digest() -> str:
    """Content hash of every header and source of runtime_c/ (a kernel's object depends on the headers it
    includes; hashing them all keeps the key simple and safe)."""
    h = hashlib.sha256()
    for p in sorted(RUNTIME_C.rglob("*")):
        if p.is_file() and p.suffix in (".c", ".h", ".S", ".ld"):
            h.update(str(p.relative_to(RUNTIME_C)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _cached_object(src: Path, cc: Compiler, flags: list[str], target: Target, timeout: float, out: Path) -> Path:
    """The object of one of the runtime's own sources (kernels, platform layer), compiled once per compiler,
    flags and runtime content, and kept in <cache>/objects. Written to a temporary name and renamed, so a
    half-written object (a full disk, an interrupt, a concurrent build) is never taken for a finished one."""
    key = hashlib.sha256("\0".join([cc.path, cc.version, *flags, str(src.relative_to(RUNTIME_C)),
                                     _runtime_digest()]).encode()).hexdigest()[:32]
    obj = cache_dir() / "objects" / f"{src.stem}-{key}.o"
    if obj.exists():
        return obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=obj.stem, suffix=".o.tmp", dir=obj.parent)
    os.close(fd)
    try:
        proc = subprocess.run([cc.path, *flags, "-c", str(src), "-o", tmp], capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise BuildFailed(f"building {out.name} for {target.name} with {cc.kind} failed:\n{proc.stderr.strip()}")
        os.replace(tmp, obj)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"building {out.name} for {target.name} took over {timeout:.0f} s: the compiler hung") \
            from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return obj


def _renamed_copy(obj: Path, suffix: str, target: Target, out: Path, timeout: float) -> Path:
    """A copy of a cached object with every function symbol it defines renamed `<name><suffix>` and made weak, so
    that several copies link side by side and each is attributed to its own caller (codegen/sequence.py's
    layer copies). Cached beside the object."""
    copy = obj.with_name(f"{obj.stem}{suffix}.o")
    if copy.exists():
        return copy
    from elftools.elf.elffile import ELFFile
    tool = find_llvm("llvm-objcopy, needed for per-layer kernel copies").objcopy
    with open(obj, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        names = sorted({s.name for s in symtab.iter_symbols() if s.name and s["st_info"]["type"] == "STT_FUNC"
                        and s["st_shndx"] != "SHN_UNDEF"})
    fd, tmp = tempfile.mkstemp(prefix=copy.stem, suffix=".o.tmp", dir=copy.parent)
    os.close(fd)
    mapping = Path(tmp + ".map")
    try:
        mapping.write_text("".join(f"{n} {n}{suffix}\n" for n in names))
        proc = subprocess.run([tool, f"--redefine-syms={mapping}", "--weaken", str(obj), tmp], capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise BuildFailed(f"building {out.name} for {target.name}: {tool} failed:\n{proc.stderr.strip()}")
        os.replace(tmp, copy)
    finally:
        for p in (tmp, mapping):
            if os.path.exists(p):
                os.unlink(p)
    return copy


def build_elf(sources: list[Path], target: Target, out: Path, *, include_dirs: tuple[Path, ...] = (),
              extra_cflags: tuple[str, ...] = (), compiler: str | None = None, timeout: float = 300,
              symbol_copies: list[tuple[Path, str]] = ()) -> Compiler:
    """Compiles and links `sources` with the platform layer into `out`. Returns the compiler used.
    The runtime's own C files (kernels, start-up code) come from the object cache; generated sources are compiled
    every time. The link order is the order of the sources, so the ELF is the same either way.
    symbol_copies: (runtime source, suffix) pairs also linked as renamed copies (see `_renamed_copy`)."""
    cc = find_compiler(target, compiler)
    out.parent.mkdir(parents=True, exist_ok=True)
    incs = [f"-I{p}" for p in (RUNTIME_C / "include", *include_dirs)]
    flags = [*cc.target_flags, *COMMON_CFLAGS, *extra_cflags, *incs]
    inputs = []
    for src in [Path(s) for s in list(sources) + platform_sources(target)]:
        cacheable = src.suffix == ".c" and RUNTIME_C in src.resolve().parents and not include_dirs
        inputs.append(str(_cached_object(src.resolve(), cc, flags, target, timeout, out) if cacheable else src))
    for src, suffix in symbol_copies:
        obj = _cached_object(Path(src).resolve(), cc, flags, target, timeout, out)
        inputs.append(str(_renamed_copy(obj, suffix, target, out, timeout)))
    cmd = [cc.path, *flags, *inputs,
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
