"""scripts/setup-system.sh picks the packages of the release in /etc/os-release and refuses any other system
with one message (read from a fake os-release; `--list` installs nothing)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup-system.sh"


def _run(tmp_path, os_release: str, *args):
    f = tmp_path / "os-release"
    f.write_text(os_release)
    env = dict(os.environ, INTGAP_OS_RELEASE=str(f), INTGAP_DEPS_DIR=str(tmp_path / "deps"))
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("version, llvm", [("12", "16"), ("13", "19")])
def test_each_release_gets_its_packages(tmp_path, version, llvm):
    r = _run(tmp_path, f'PRETTY_NAME="Debian GNU/Linux {version}"\nID=debian\nVERSION_ID="{version}"\n', "--list")
    assert r.returncode == 0, r.stderr
    pkgs = r.stdout.split()
    assert {f"clang-{llvm}", f"lld-{llvm}", f"llvm-{llvm}", "gcc-riscv64-unknown-elf"} <= set(pkgs)
    assert not [p for p in pkgs if p.startswith("qemu")]  # intgap builds its own QEMU (scripts/setup-qemu.sh)
    assert not [p for p in pkgs if p.startswith("clang-") and p != f"clang-{llvm}"]


@pytest.mark.parametrize("os_release", [
    'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nVERSION_ID="24.04"\n',
    'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\n',
])
def test_an_unsupported_release_gets_one_clear_message(tmp_path, os_release):
    r = _run(tmp_path, os_release)
    assert r.returncode == 3 and r.stdout == ""
    name = os_release.split('"')[1]
    assert r.stderr.startswith(f"setup: {name} is not supported: intgap sets itself up on Debian 12 (bookworm) and "
                               "Debian 13 (trixie).")
    assert "docs/platform.md" in r.stderr and "intgap doctor" in r.stderr
