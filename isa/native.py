"""Builds the project's small native helpers (the Unicorn block counter, the QEMU TCG plugin) with the host
C compiler, once per source version, into the cache."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from isa.errors import EmulatorNotFound
from isa.paths import cache_dir


def pkg_config_cflags(package: str) -> tuple[str, ...]:
    """`pkg-config --cflags package` (QEMU 10's qemu-plugin.h includes glib.h); EmulatorNotFound if absent."""
    try:
        proc = subprocess.run(["pkg-config", "--cflags", package], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is None or proc.returncode != 0:
        raise EmulatorNotFound(f"pkg-config cannot find {package} (its headers are needed to build intgap's QEMU"
                               " plugin): run `make setup` (installs pkg-config and libglib2.0-dev)")
    return tuple(proc.stdout.split())

NATIVE_SRC = Path(__file__).resolve().parent / "native"


def build_shared(source_name: str, include_dirs: tuple[Path, ...] = (), cflags: tuple[str, ...] = ()) -> Path:
    src = NATIVE_SRC / source_name
    # the headers it may include (ig_memsim.h; a QEMU's qemu-plugin.h in include_dirs) are part of its version
    text = src.read_bytes() + b"".join(h.read_bytes() for h in sorted(NATIVE_SRC.glob("*.h")))
    for inc in include_dirs:
        text += b"".join(h.read_bytes() for h in sorted(Path(inc).glob("*.h")))
    key = hashlib.sha256(text + repr([str(p) for p in include_dirs] + list(cflags)).encode()).hexdigest()[:16]
    out = cache_dir() / "native" / f"{src.stem}-{key}.so"
    if out.exists():
        return out
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if cc is None:
        raise EmulatorNotFound("no host C compiler to build the native counter: run `make setup` (installs build-essential)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    cmd = [cc, "-O2", "-shared", "-fPIC", "-o", str(tmp), str(src)] + [f"-I{p}" for p in include_dirs] + list(cflags)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise EmulatorNotFound(f"building {source_name} with {cc} took over 120 s: check the host compiler") from None
    if proc.returncode != 0:
        raise EmulatorNotFound(f"building {source_name} failed:\n{proc.stderr.strip()}")
    os.replace(tmp, out)  # atomic: a half-written helper is never taken as built
    return out
