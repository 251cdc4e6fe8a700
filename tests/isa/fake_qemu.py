"""A stand-in intgap QEMU build (INTGAP_DEPS_DIR pointed at it) whose binary is a shell script: for the error paths
of a QEMU that is missing, refuses options, writes no counts or is killed. The real qemu-plugin.h is copied in, so
the counting plugin still builds."""
from __future__ import annotations

import shutil

from isa.qemu_discovery import STAMP, qemu_plugin_header


def fake_qemu_install(tmp_path, monkeypatch, binaries: dict[str, str], *, plugins: bool = True):
    """A build in tmp_path/deps/qemu/10.0.99 holding `binaries` (name -> shell script body run for anything but
    --version / --help); sets INTGAP_DEPS_DIR to it. Returns the build directory."""
    header = qemu_plugin_header()  # of the real build, before INTGAP_DEPS_DIR moves
    build = tmp_path / "deps" / "qemu" / "10.0.99"
    (build / "bin").mkdir(parents=True)
    (build / "include").mkdir()
    shutil.copy(header, build / "include" / "qemu-plugin.h")
    usage = "-plugin [file=]<file>[,<argname>=<argvalue>]" if plugins else "-d item1[,...]"
    for name, script in binaries.items():
        exe = build / "bin" / name
        exe.write_text("#!/bin/sh\n"
                       f'case "$1" in --version) echo "{name} version 10.0.99"; exit 0;;'
                       f' --help) echo "usage: {name}"; echo "{usage}"; exit 0;; esac\n' + script)
        exe.chmod(0o755)
    (build / STAMP).write_text("version=10.0.99\n")
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path / "deps"))
    return build
