"""Every registered op, model and target appears where it must: an op in the table has its reference kernel (with
one parameter per input role), rules that name its roles and attributes, its C lowering (the default call or the
handler its entry names), a scalar C kernel file for every entry point its lowering calls, and its semantics file
names it; a model has a kind and a recipe; a target has its timing
model, default board, kernel family and platform folder; docs/extending.md names the files it says to touch."""
import inspect
from pathlib import Path

import numpy as np
import pytest

import isa
from codegen.op_calls import RUNTIME_C, default_call, handler_of
from quant.optable import OPTABLE, Group, in_group, ops_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(OPTABLE))
def test_op_is_declared_once_and_complete(name):
    op = OPTABLE[name]
    params = list(inspect.signature(op.reference).parameters)
    assert params[:2] == ["node", "out_dtype"] and len(params) == 2 + len(op.roles), params
    assert op.validator is None or callable(op.validator)
    r = op.rules
    assert len(r.inputs) in (0, len(op.roles)) and all(0 <= i < len(op.roles) for i in r.consts)
    named = {*r.multipliers, *r.shifts, *r.flags, *(k for k, _, _ in r.ranges)}
    assert named <= set(op.attrs), named - set(op.attrs)
    assert not r.clamp or {"y_zero_point", "act_min", "act_max"} <= set(op.attrs)
    assert op.is_float == name.endswith("_f32") == (Group.FLOAT in op.groups)
    semantics = ROOT / "quant" / "ops" / f"{op.semantics}.py"
    assert name in semantics.read_text()
    if op.twin is not None:
        twin = OPTABLE[op.twin]
        assert twin.is_float and not op.is_float and len(twin.roles) <= len(op.roles)


@pytest.mark.parametrize("name", sorted(OPTABLE))
def test_every_op_has_its_c_lowering(name):
    """The handler an entry names exists; an op on the default call has its portable kernel file, which defines
    its entry points (runtime_c/kernels/kernel_table.tsv)."""
    op = OPTABLE[name]
    assert callable(handler_of(name)) and (op.c.handler is None) == (handler_of(name) is default_call)
    if op.c.handler is None:
        from codegen import kernel_table
        assert any(f.startswith(f"ig_{name}") for f in kernel_table.provides("scalar", op.c.file or f"ig_{name}"))


def test_groups_are_what_the_lowering_branches_on():
    assert ops_in(Group.FULLY_CONNECTED) == {n for n in OPTABLE if n.startswith("fully_connected")}
    assert not ops_in(Group.ROW_WISE) & ops_in(Group.ATTENTION)
    assert in_group("channel_gather", Group.ROW_WISE) and not in_group("no_such_op", Group.ROW_WISE)


def test_every_lowered_entry_point_has_a_scalar_kernel(tmp_path):
    """Lower every node of a small MLP (float, int8, int4 groups) and check the kernel files it links exist (the
    transformer ops' kernels are linked and run bit-exactly in tests/codegen/test_transformer_ops.py)."""
    from quant import capture, quantize_ptq
    from codegen.op_calls import OpEnv, emit_node_calls
    import torch
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    fg = capture(m, 8)
    for g in (fg, quantize_ptq(fg, np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)),
              quantize_ptq(fg, np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32), 4, 4)):
        for n in g.nodes:
            env = OpEnv(buf=lambda t, r: t.replace(".", "_"), const=lambda k, a, c: k.replace(".", "_"))
            _, calls = emit_node_calls(g, n, env)
            assert calls and all(p.exists() and p.is_relative_to(RUNTIME_C / "kernels") for _, p in calls)


def test_every_model_has_a_kind_and_a_recipe():
    import intgap.models  # noqa: F401  (registers the classifiers)
    from quant.model_registry import KINDS, MODELS, names
    from quant.recipes import recipe_for
    assert {"mlp", "shakespeare-decoder", "smollm2", "minilm"} <= set(names())
    for n in names():
        e = MODELS[n]
        assert e.kind in KINDS and callable(e.load) and e.description
        if e.kind != "classifier":
            r = recipe_for(n, "w8a8")
            assert (r.calib, r.seq_len) == e.calibration


def test_every_target_has_its_timing_model_board_and_kernels():
    from isa.boards import board_for
    from isa.timing import get_model
    for t in isa.TARGETS.values():
        assert get_model(t.timing_model, t) is not None
        assert board_for(t).name
        assert (RUNTIME_C / "kernels" / t.kernel_family).is_dir() and (RUNTIME_C / "kernels" / "scalar").is_dir()
        assert (RUNTIME_C / "platform" / t.platform).is_dir()


def test_extending_guide_names_real_files():
    text = (ROOT / "docs" / "extending.md").read_text()
    import re
    paths = set(re.findall(r"`((?:quant|codegen|intgap|isa|runtime_c|toolchain|tests|docs)/[\w./<>-]+)`", text))
    assert len(paths) > 10
    for p in paths:
        if "<" not in p:
            assert (ROOT / p).exists(), p


def test_a_constant_where_the_default_call_reads_a_tensor_is_named():
    from codegen.errors import CodegenError
    from codegen.op_calls import OpEnv, emit_node_calls
    from quant.ir import Graph, Node, TensorInfo
    t = {k: TensorInfo(k, (1, 4), "float32") for k in ("x", "y")}
    g = Graph("g", ["x"], ["y"], t, {"c": np.ones((1, 4), np.float32)}, [Node("add_f32", "a", ["x", "c"], ["y"], {})])
    env = OpEnv(buf=lambda t, r: t, const=lambda k, a, c: k)
    with pytest.raises(CodegenError, match=r"add_f32 with the constant b 'c' has no kernel \(its b must be a computed"):
        emit_node_calls(g, g.nodes[0], env)
