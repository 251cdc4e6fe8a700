"""`intgap run prog.elf --target T`: exit status, output, exact count, labelled estimate, profile, JSON, errors."""
from __future__ import annotations

import json

import pytest

from tests.isa.elf_builds import Builds


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("run-elves"))


@pytest.mark.parametrize("target,backend", [("cortex-m4", "unicorn"), ("rv64gcv-vlen256", "qemu")])
def test_run_prints_and_writes_json(build, tmp_path, capsys, target, backend):
    from intgap.cli import main
    elf = build("tg_layers.c", target)
    out = tmp_path / "run.json"
    rc = main(["run", str(elf), "--target", target, "--backend", backend, "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == 0 and doc["backend"] == backend and doc["instructions"] > 0
    assert doc["stdout"] and doc["stdout"].strip() in text
    assert f"instructions: {doc['instructions']:,} (exact)" in text
    label = doc["cycles"]["label"]
    assert label.startswith("est. cycles (intgap ") and f"{label}: {doc['cycles']['estimated_cycles']:,}" in text
    assert "memory roofline bound (separate, not in the estimate)" in text
    assert sum(doc["profile"]["mix"].values()) == doc["instructions"]
    assert sum(f["instructions"] for f in doc["profile"]["functions"]) == doc["instructions"]
    assert [l["name"] for l in doc["profile"]["layers"]] == ["fc", "relu"]
    assert "tg_kernel_a" in text and "instruction mix:" in text


def test_run_errors_are_one_line(build, tmp_path, capsys):
    from intgap.cli import main
    elf = build("tg_count.c", "rv64gc")
    assert main(["run", str(elf), "--target", "rv64gcv", "--backend", "unicorn"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot run target rv64gcv" in err and "--backend qemu" in err
    assert main(["run", str(elf), "--target", "cortex-m4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pick the target the program was built for" in err
    assert main(["run", str(elf), "--target", "rv64gc", "--max-instructions", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "instruction budget of 100" in err


def test_foreign_elf_under_qemu_user_mode_gets_a_host_syscall_notice(tmp_path):
    from pathlib import Path

    import isa
    from intgap.run_command import host_syscall_notice
    from toolchain import build_elf
    src = tmp_path / "plain.c"
    src.write_text("int main(void) { return 0; }\n")
    t = isa.get_target("cortex-a55")
    ours = tmp_path / "ours.elf"
    build_elf([src], t, ours)
    assert host_syscall_notice(ours, t, "qemu") is None  # has the intgap platform layer
    # a foreign ELF: the same code linked without the .ig_input section and platform symbols
    foreign = tmp_path / "foreign.elf"
    import subprocess
    subprocess.run(["aarch64-linux-gnu-gcc", "-static", "-nostdlib", "-O2", "-o", str(foreign), "-x", "c", "-",
                    "-Wl,-e,main"], input="int main(void){for(;;);}", text=True, check=True)
    assert "system calls run on this host" in host_syscall_notice(foreign, t, "qemu")
    assert host_syscall_notice(foreign, t, "unicorn") is None
    # a QEMU board: semihosting file calls reach the host (host commands are sandboxed away)
    m4 = isa.get_target("cortex-m4")
    assert "semihosting file calls" in host_syscall_notice(foreign, m4, "qemu")
    assert host_syscall_notice(foreign, m4, "unicorn") is None
