"""Reproducibility (the same graph built twice, in different directories, gives byte-identical ELFs with no
path inside; the same run gives the same counts) and resource limits (every subprocess has a timeout)."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import isa
from codegen import emit_program
from isa.elf import load_elf
from toolchain import CompilerNotFound, build_elf

from .conftest import small_int_graph

ROOT = Path(__file__).resolve().parents[2]
# one target per compiler and platform layer: Cortex-M (gcc, startup.c), Linux RISC-V and AArch64 (gcc, start.S,
# whose temporary object name leaked into the symbol table before), RVV (clang)
TARGETS = ("cortex-m4", "rv32imc", "cortex-a55", "rv64gcv")


def _build(graph, target, directory: Path) -> Path:
    prog, _ = emit_program(graph, target, directory)
    elf = directory / "program.elf"
    try:
        build_elf(prog.sources, target, elf)
    except CompilerNotFound as e:
        pytest.skip(str(e))
    return elf


@pytest.mark.parametrize("target", TARGETS)
def test_same_graph_same_elf_bytes(tmp_path, target):
    t = isa.get_target(target)
    g = small_int_graph()
    a = _build(g, t, tmp_path / "first")
    b = _build(small_int_graph(), t, tmp_path / "elsewhere" / "deeper" / "second")
    assert a.read_bytes() == b.read_bytes()
    raw = a.read_bytes()
    assert str(tmp_path).encode() not in raw and b"/tmp" not in raw and b"/work" not in raw
    # no file symbol names a temporary object (ccXXXXXX.o)
    from elftools.elf.elffile import ELFFile
    with open(a, "rb") as f:
        names = [s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                 if s["st_info"]["type"] == "STT_FILE"]
    assert not [n for n in names if n.startswith("cc") and n.endswith(".o")], names


@pytest.mark.parametrize("target,backend", [("cortex-m4", "unicorn"), ("rv64gc", "unicorn"), ("rv64gc", "qemu")])
def test_same_run_same_counts(tmp_path, target, backend):
    from quant import reference
    t = isa.get_target(target)
    g = small_int_graph()
    prog, _ = emit_program(g, t, tmp_path)
    elf = tmp_path / "program.elf"
    build_elf(prog.sources, t, elf)
    x = reference.quantize_input(g, np.random.default_rng(1).standard_normal((1, 13)).astype(np.float32))
    runs = [isa.run(elf, t, backend, inputs=prog.encode_forward(x), max_instructions=10_000_000, timeout_s=60)
            for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and runs[0].instructions == runs[1].instructions > 0
    assert np.array_equal(runs[0].blocks.count, runs[1].blocks.count)
    assert np.array_equal(prog.decode_forward(runs[0].stdout), reference.run(g, {g.inputs[0]: x})[g.outputs[0]])


def _calls_without_timeout(path: Path) -> list[str]:
    """subprocess.run / check_output / check_call / call without a timeout=, and Popen whose file never passes
    a timeout to communicate() or wait()."""
    tree = ast.parse(path.read_text())
    bad = []
    popen_lines, waits_with_timeout = [], False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        keywords = {k.arg for k in node.keywords}
        base = node.func.value
        if isinstance(base, ast.Name) and base.id == "subprocess":
            if name in ("run", "call", "check_call", "check_output") and "timeout" not in keywords:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} subprocess.{name} without timeout")
            if name == "Popen":
                popen_lines.append(node.lineno)
        if name in ("communicate", "wait") and ("timeout" in keywords or node.args):
            waits_with_timeout = True
    if popen_lines and not waits_with_timeout:
        bad += [f"{path.relative_to(ROOT)}:{n} Popen never waited on with a timeout" for n in popen_lines]
    return bad


def test_every_subprocess_has_a_timeout():
    files = [p for d in ("isa", "toolchain", "codegen", "quant", "intgap", "benchmarks", "scripts")
             for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 20
    bad = [b for p in files for b in _calls_without_timeout(p)]
    assert not bad, "\n".join(bad)


def test_every_emulator_entry_point_has_a_budget_and_a_wall_clock_limit():
    """isa.run's defaults are finite, and the backends take both limits."""
    import inspect
    from isa.qemu_backend import run_qemu
    from isa.run import DEFAULT_MAX_INSTRUCTIONS, DEFAULT_TIMEOUT_S, run
    from isa.unicorn_backend import run_unicorn
    sig = inspect.signature(run)
    assert sig.parameters["max_instructions"].default == DEFAULT_MAX_INSTRUCTIONS > 0
    assert sig.parameters["timeout_s"].default == DEFAULT_TIMEOUT_S > 0
    for fn in (run_unicorn, run_qemu):
        assert {"max_instructions", "timeout_s"} <= set(inspect.signature(fn).parameters)
