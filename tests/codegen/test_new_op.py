"""Adding an op is one op table entry + its reference kernel + its C kernels (docs/extending.md "An op"): a made-up
op (tests/made_up_op.py: the entry, the reference and a portable C kernel written into the tmp dir) runs through
validation, the reference interpreter, the C lowering (the default call) on an emulated core and the host engine
(the reference fallback of an op without a JIT planner), and its cases come from its declaration."""
import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import run_cases
from benchmarks.op_cases import declared_case, expected_bytes, op_names
from codegen.kernel_cases import emit_graph_cases
from quant import jit, reference
from quant.errors import GraphError
from quant.ops.checks import validate
from tests import made_up_op
from toolchain import build_elf


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv64gcv"])
def test_a_made_up_op_needs_only_its_entry_reference_and_kernel(target_name, monkeypatch, tmp_path):
    header = made_up_op.register(monkeypatch, tmp_path)
    assert "absdiff" in op_names()  # the bit-exact tests of every integer op now draw its cases too
    rng = np.random.default_rng(0)
    cases = [declared_case("absdiff", rng) for _ in range(6)]
    for g, inputs in cases:
        validate(g, integer_only=True)
        want = reference.run(g, inputs)[g.outputs[0]]
        a, b = (inputs[i].astype(np.int32) for i in g.nodes[0].inputs)
        assert np.array_equal(want, made_up_op.absdiff(g.nodes[0], "int8", a, b))
        got = jit.run(g, inputs, engine="jit")[g.outputs[0]]  # no planner: its reference kernel
        assert got.tobytes() == want.tobytes()
    t = isa.get_target(target_name)
    kc = emit_graph_cases(cases, t, tmp_path / "build")
    assert any("ig_absdiff_s8_s8_s8(" in s for s in (tmp_path / "build" / "cases.c").read_text().splitlines())
    build_elf(kc.sources, t, tmp_path / "cases.elf", extra_cflags=("-include", str(header)))
    run = run_cases(kc, tmp_path / "cases.elf", t)
    assert run.outputs == [expected_bytes(*c) for c in cases]


def test_a_made_up_op_is_checked_by_its_rules(monkeypatch):
    made_up_op.register(monkeypatch)
    g, _ = declared_case("absdiff", np.random.default_rng(1))
    g.tensors[g.inputs[0]].dtype = "int16"
    with pytest.raises(GraphError, match=r"input a .* is int16, must be int8"):
        validate(g, integer_only=True)
