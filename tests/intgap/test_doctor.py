"""intgap doctor: its JSON follows docs/doctor.md, a missing tool is reported with its fix, and the exit status
is 0 exactly when everything make demo needs is usable."""
from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

import intgap.doctor as doctor
from intgap.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "doctor.md"
TYPES = {"string": str, "bool": bool, "list of strings": list, "list of objects": list}


def _documented_tables() -> list[dict[str, str]]:
    """{key: type} of each table of docs/doctor.md's schema section, in order."""
    tables, current = [], None
    for line in DOC.read_text().split("## JSON schema", 1)[1].splitlines():
        m = re.match(r"^\| `(\w+)` \| ([\w ]+) \|", line)
        if m:
            if current is None:
                current = {}
                tables.append(current)
            current[m.group(1)] = m.group(2).strip()
        elif not line.startswith("|"):
            current = None
    return tables


def test_json_follows_the_documented_schema(capsys):
    rc = main(["doctor", "--json"])
    doc = json.loads(capsys.readouterr().out)
    top, check = _documented_tables()
    assert set(doc) == set(top) and doc["schema"] == doctor.SCHEMA
    for key, kind in top.items():
        assert isinstance(doc[key], TYPES[kind]), key
    assert set(check) == {f.name for f in fields(doctor.Check)} | {"status"}
    for c in doc["checks"]:
        assert set(c) == set(check)
        for key, kind in check.items():
            assert isinstance(c[key], TYPES[kind]), (c["name"], key)
        assert c["group"] in ("platform", "compiler", "emulator", "native", "python", "data")
        assert c["status"] == ("ok" if c["usable"] else "MISSING" if c["required"] else "missing")
        assert bool(c["fix"]) == (not c["usable"]) or c["group"] == "platform"
    assert doc["missing_required"] == [c["name"] for c in doc["checks"] if c["required"] and not c["usable"]]
    assert doc["ok"] == (not doc["missing_required"]) and rc == (0 if doc["ok"] else 1)
    names = {c["name"] for c in doc["checks"]}
    assert {"arm-none-eabi-gcc", "aarch64-linux-gnu-gcc", "riscv64-unknown-elf-gcc", "clang", "llvm-objcopy",
            "qemu-riscv64", "qemu-system-arm", "unicorn", "torch", "Shakespeare text"} <= names


def test_a_missing_compiler_is_reported_with_its_fix(tmp_path, monkeypatch, capsys):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    rc = main(["doctor", "--json"])
    doc = json.loads(capsys.readouterr().out)
    by_name = {c["name"]: c for c in doc["checks"]}
    gcc = by_name["arm-none-eabi-gcc"]
    assert not gcc["usable"] and gcc["required"] and gcc["status"] == "MISSING"
    assert "arm-none-eabi-gcc not found (needed for target cortex-m4)" in gcc["detail"] and gcc["fix"] == "make setup"
    clang = by_name["clang"]
    assert not clang["usable"] and "clang-N, ld.lld-N, llvm-objcopy-N, llvm-ar-N" in clang["detail"]
    assert rc == 1 and not doc["ok"] and "arm-none-eabi-gcc" in doc["missing_required"]


@pytest.mark.parametrize("required, rc", [(False, 0), (True, 1)])
def test_exit_status_is_zero_only_when_make_demo_has_everything(monkeypatch, capsys, required, rc):
    checks = [doctor.Check("numpy", "python", True, True, "2.4.6"),
              doctor.Check("qemu-aarch64", "emulator", required, False, "", "", "cortex-a53", "not found",
                           "make setup")]
    monkeypatch.setattr(doctor, "diagnose", lambda: doctor.Report(checks))
    assert main(["doctor"]) == rc
    out = capsys.readouterr().out
    assert ("missing for make demo: qemu-aarch64" in out) == required
    assert "fix: make setup" in out
