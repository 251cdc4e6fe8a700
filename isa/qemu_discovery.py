"""Which QEMU intgap runs: the one `scripts/setup-qemu.sh` built with TCG plugins into <deps>/qemu/<version>/.

The distribution's QEMU is not used: Debian 13's user-mode QEMU cannot load plugins and Debian 12's is 7.2,
whose plugin API cannot read registers; one QEMU built from the same source on both releases also keeps
instruction counts the same on both (docs/platform-qemu.md)."""
from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from isa.errors import EmulatorNotFound
from isa.paths import deps_dir

STAMP = "intgap-qemu.stamp"  # written by setup-qemu.sh once a build is complete
SETUP_FIX = "run `make setup` (scripts/setup-qemu.sh builds QEMU with TCG plugins into {where})"


@dataclass(frozen=True)
class QemuBinary:
    name: str  # "qemu-aarch64", "qemu-system-arm", ...
    path: Path
    version: str  # "10.0.13"
    plugins: bool  # can load TCG plugins


def qemu_root() -> Path:
    return deps_dir() / "qemu"


def installed_versions() -> list[Path]:
    """Complete builds under qemu_root(), newest version first."""
    root = qemu_root()
    builds = [d for d in root.iterdir() if (d / STAMP).is_file()] if root.is_dir() else []
    return sorted(builds, key=lambda d: _version_key(d.name), reverse=True)


def find_qemu(name: str) -> QemuBinary:
    """The newest complete intgap QEMU build's `name` binary; EmulatorNotFound naming the fix otherwise."""
    builds = installed_versions()
    for build in builds:
        path = build / "bin" / name
        if path.is_file():
            version, plugins = _probe(str(path), path.stat().st_mtime_ns)
            return QemuBinary(name, path, version, plugins)
    have = f" (the build in {builds[0]} has no {name})" if builds else ""
    raise EmulatorNotFound(f"{name} not found in {qemu_root()}{have}: " + SETUP_FIX.format(where=qemu_root()))


def qemu_plugin_header() -> Path:
    """The qemu-plugin.h of the QEMU that find_qemu() returns (the plugin API must match the emulator)."""
    builds = installed_versions()
    if builds and (builds[0] / "include" / "qemu-plugin.h").is_file():
        return builds[0] / "include" / "qemu-plugin.h"
    where = builds[0] / "include" if builds else qemu_root()
    raise EmulatorNotFound(f"qemu-plugin.h not found in {where} (needed to build intgap's QEMU counting plugin): "
                           + SETUP_FIX.format(where=qemu_root()))


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)) or (0,)


@functools.lru_cache(maxsize=None)
def _probe(path: str, _mtime_ns: int) -> tuple[str, bool]:
    """(version, plugin support) as the binary itself reports them (`--version`, `--help` listing -plugin)."""
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        usage = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EmulatorNotFound(f"{path} does not run ({e}): " + SETUP_FIX.format(where=qemu_root())) from None
    m = re.search(r"version (\d+\.\d+\.\d+)", version)
    if m is None:
        raise EmulatorNotFound(f"{path} --version printed no version ({version.strip()[:80]!r}): "
                               + SETUP_FIX.format(where=qemu_root()))
    return m.group(1), bool(re.search(r"^-plugin\b", usage, re.M))
