"""isa.qemu_discovery: the newest complete intgap QEMU build is chosen; anything missing is one clear error."""
from __future__ import annotations

import pytest

from isa.errors import EmulatorNotFound
from isa.qemu_discovery import STAMP, find_qemu, qemu_plugin_header


def _fake_build(root, version: str, *, stamp: bool = True, plugins: bool = True, header: bool = True):
    """A build tree whose qemu-aarch64 is a script answering --version / --help as QEMU does."""
    build = root / "qemu" / version
    (build / "bin").mkdir(parents=True)
    usage = "-plugin     [file=]<file>[,<argname>=<argvalue>]" if plugins else "-d item1[,...]"
    exe = build / "bin" / "qemu-aarch64"
    exe.write_text("#!/bin/sh\n"
                   f'case "$1" in --version) echo "qemu-aarch64 version {version} (Debian)";;'
                   f' --help) echo "usage: qemu-aarch64"; echo "{usage}";; esac\n')
    exe.chmod(0o755)
    if header:
        (build / "include").mkdir()
        (build / "include" / "qemu-plugin.h").write_text(f"/* {version} */\n")
    if stamp:
        (build / STAMP).write_text(f"version={version}\n")
    return build


def test_newest_complete_build_is_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))
    _fake_build(tmp_path, "9.2.0")
    newest = _fake_build(tmp_path, "10.0.13")
    _fake_build(tmp_path, "10.1.0", stamp=False)  # a build that did not finish is never used
    q = find_qemu("qemu-aarch64")
    assert (q.name, q.path, q.version, q.plugins) == ("qemu-aarch64", newest / "bin" / "qemu-aarch64", "10.0.13", True)
    assert qemu_plugin_header() == newest / "include" / "qemu-plugin.h"


def test_plugin_support_is_read_from_the_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))
    _fake_build(tmp_path, "10.0.13", plugins=False)
    assert find_qemu("qemu-aarch64").plugins is False


def test_missing_qemu_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))
    with pytest.raises(EmulatorNotFound, match=r"qemu-riscv64 not found in .*: run `make setup`"):
        find_qemu("qemu-riscv64")
    with pytest.raises(EmulatorNotFound, match=r"qemu-plugin.h not found .*run `make setup`"):
        qemu_plugin_header()
    _fake_build(tmp_path, "10.0.13", header=False)
    with pytest.raises(EmulatorNotFound, match=r"has no qemu-riscv64\): run `make setup`"):
        find_qemu("qemu-riscv64")
    with pytest.raises(EmulatorNotFound, match=r"qemu-plugin.h not found in .*10\.0\.13/include"):
        qemu_plugin_header()
