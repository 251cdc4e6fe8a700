"""Static libraries (the firmware artifact's libmodel.a): each source compiled with the target's flags, then
archived with the compiler's own archiver."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from isa.targets import Target
from toolchain.build import COMMON_CFLAGS, RUNTIME_C
from toolchain.compilers import MISSING_FIX, Compiler, find_compiler, find_llvm
from toolchain.errors import BuildFailed, CompilerNotFound

def archiver(target: Target, cc: Compiler) -> str:
    if cc.kind != "gcc":
        return find_llvm(f"llvm-ar, the archiver for {target.name} with {cc.kind}").ar
    exe = f"{target.triple}-ar"
    path = shutil.which(exe)
    if path is None:
        raise CompilerNotFound(f"{exe} not found (the archiver for {target.name} with {cc.kind}): {MISSING_FIX}")
    return path


def compile_flags(target: Target, cc: Compiler, include_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The flags every object of a target is compiled with (the same as `build_elf`)."""
    return [*cc.target_flags, *COMMON_CFLAGS, *[f"-I{p}" for p in (RUNTIME_C / "include", *include_dirs)]]


def compiler_version(cc: Compiler) -> str:
    return cc.version


def build_static_library(sources: list[Path], target: Target, out: Path, *, include_dirs: tuple[Path, ...] = (),
                         compiler: str | None = None, timeout: float = 300) -> Compiler:
    """Compiles `sources` (in a temporary folder) and archives the objects into `out` (replacing it)."""
    cc = find_compiler(target, compiler)
    ar = archiver(target, cc)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ig-lib-") as tmp:
        return _build(sources, target, out, cc, ar, Path(tmp), include_dirs, timeout)


def _build(sources, target: Target, out: Path, cc: Compiler, ar: str, objdir: Path, include_dirs, timeout) -> Compiler:
    from toolchain.build import _cached_object
    objects = []
    flags = compile_flags(target, cc, include_dirs)
    for i, src in enumerate(sources):
        if not include_dirs and RUNTIME_C in Path(src).resolve().parents:  # the runtime's kernels: the object cache
            objects.append(_cached_object(Path(src).resolve(), cc, flags, target, timeout, out))
            continue
        obj = objdir / f"{i:02d}_{Path(src).stem}.o"  # two families' kernels may share a file name
        try:
            proc = subprocess.run([cc.path, *flags, "-c", str(src), "-o", str(obj)], capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BuildFailed(f"compiling {Path(src).name} for {target.name} took over {timeout:.0f} s") from None
        if proc.returncode != 0:
            raise BuildFailed(f"compiling {Path(src).name} for {target.name} with {cc.kind} failed:\n"
                              f"{proc.stderr.strip()}")
        objects.append(obj)
    out.unlink(missing_ok=True)
    try:
        proc = subprocess.run([ar, "rcs", str(out), *map(str, objects)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"archiving {out.name} with {ar} took over {timeout:.0f} s: the archiver hung") from None
    if proc.returncode != 0:
        raise BuildFailed(f"archiving {out.name} with {ar} failed:\n{proc.stderr.strip()}")
    return cc


def link_example(cc: Compiler, target: Target, sources: list[Path], library: Path, out: Path, *,
                 cflags: list[str], linker_script: Path, timeout: float = 300) -> list[str]:
    """Compiles and links an example application against `library` with its own linker script: the command of the
    example's Makefile (codegen/firmware.py), run directly. Returns the command."""
    cmd = [cc.path, *cflags, *map(str, sources), str(library), *cc.link_flags, f"-T{linker_script}",
           "-Wl,--gc-sections", "-o", str(out), *cc.libs]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"building {out.name} for {target.name} took over {timeout:.0f} s: the compiler "
                          "hung") from None
    if proc.returncode != 0:
        raise BuildFailed(f"building {out.name} for {target.name} with {cc.kind} failed:\n{proc.stderr.strip()}")
    return cmd
