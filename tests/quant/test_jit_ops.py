"""The JIT engine (quant/jit/) against the numpy reference, op by op: byte-equal outputs on random graphs of every
integer op (benchmarks/op_cases.py: odd sizes, every input / output width, saturating requantizations, extreme
values) and on hand-made edge cases, with the host's VNNI kernels and with the portable vector kernels."""
import numpy as np
import pytest

from benchmarks.op_cases import OP_NAMES, random_case
from quant import reference
from quant.errors import GraphError
from quant.ir import Graph, Node, TensorInfo
from quant.jit import runner
from quant.jit.target import host

SEEDS = 12


def _same(g: Graph, inputs: dict) -> None:
    want = reference.run(g, inputs)[g.outputs[0]]
    got = runner.run(g, reference.feed(g, inputs))[g.outputs[0]]
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes(), f"{g.name}: {int((got != want).sum())} of {want.size} values differ"


@pytest.fixture(params=["host", "portable"])
def vectors(request, monkeypatch):
    """The fully connected kernels with the host's dot-product instructions, and without (any CPU)."""
    if request.param == "portable":
        monkeypatch.setattr(host(), "vnni", False)
    return request.param


@pytest.mark.parametrize("op", OP_NAMES)
def test_random_cases_byte_equal(op):
    for seed in range(SEEDS):
        _same(*random_case(op, np.random.default_rng(seed)))


@pytest.mark.parametrize("op", [o for o in OP_NAMES if o.startswith("fully_connected")] + ["matmul_qk"])
def test_random_fully_connected_portable(op, monkeypatch):
    """Only the fully connected kernels (matmul_qk uses them) have a host-specific form: the portable one too."""
    monkeypatch.setattr(host(), "vnni", False)
    for seed in range(SEEDS):
        _same(*random_case(op, np.random.default_rng(seed)))


def _fc_graph(op: str, x: np.ndarray, w: np.ndarray, rng, group_size: int | None = None, ydt: str = "int8",
              xzp: int = 0, shift: int = -10) -> Graph:
    n, k = w.shape
    consts = {"w": w, "b": rng.integers(-3000, 3000, n).astype(np.int32),
              "m": np.full(n, (1 << 30) + 12345, np.int32), "s": np.full(n, shift, np.int32)}
    inputs = ["x", "w", "b"]
    attrs = {"x_zero_point": xzp, "y_zero_point": 5, "act_min": -128, "act_max": 127}
    if group_size is not None:
        consts["gs"] = rng.integers(0, 4, (n, k // group_size)).astype(np.int32)
        inputs.append("gs")
        attrs.update(group_size=group_size, weight_bits=8 if np.abs(w).max() > 8 else 4)
    inputs += ["m", "s"]
    tensors = {"x": TensorInfo("x", x.shape, str(x.dtype), 1.0, xzp), "y": TensorInfo("y", (x.shape[0], n), ydt, 1.0, 5)}
    return Graph(f"{op}_{k}x{n}", ["x"], ["y"], tensors, consts, [Node(op, "fc", inputs, ["y"], attrs)])


@pytest.mark.parametrize("k,n,rows", [(1, 1, 1), (3, 5, 2), (17, 33, 5), (64, 32, 4), (129, 31, 9)])
def test_fully_connected_extremes(k, n, rows, vectors):
    """Weights at -127 / 127, inputs at -128 / 127, zero points at both ends, saturating outputs."""
    rng = np.random.default_rng(k * 100 + n)
    w = rng.choice(np.array([-127, 127, 0, 1], np.int8), (n, k))
    x = rng.choice(np.array([-128, 127, 0], np.int8), (rows, k))
    for xzp in (-128, 0, 127):
        _same(_fc_graph("fully_connected", x, w, rng, xzp=xzp), {"x": x})
        _same(_fc_graph("fully_connected", x, w, rng, xzp=xzp, shift=0), {"x": x})  # saturates


@pytest.mark.parametrize("gs", [1, 3, 5, 16, 30])
def test_grouped_int4_and_int8(gs, vectors):
    rng = np.random.default_rng(gs)
    k, n = 30 if gs != 16 else 32, 19
    for lo, hi in ((-8, 7), (-127, 127)):
        w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
        x = rng.integers(-128, 128, (7, k)).astype(np.int8)
        _same(_fc_graph("fully_connected_grouped", x, w, rng, gs, xzp=int(rng.integers(-128, 128))), {"x": x})
        x16 = rng.integers(-2000, 2000, (3, k)).astype(np.int16)
        _same(_fc_graph("fully_connected_wide", x16, w, rng, gs, ydt="int32", xzp=-7), {"x": x16})


def _requant_graph(acc_shift: int) -> tuple[Graph, dict]:
    """An add whose rounding shift hits exact ties (x.5 steps), positive and negative."""
    x = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)
    attrs = {"a_zero_point": 0, "b_zero_point": 0, "y_zero_point": 0, "a_multiplier": 1, "b_multiplier": 0,
             "shift": acc_shift, "act_min": -128, "act_max": 127}
    t = {k: TensorInfo(k, (16, 16), "int8", 1.0, 0) for k in ("a", "b", "y")}
    return Graph("ties", ["a", "b"], ["y"], t, {}, [Node("add", "add", ["a", "b"], ["y"], attrs)]), {"a": x, "b": x}


@pytest.mark.parametrize("shift", [0, 1, 2, 7])
def test_rounding_ties(shift):
    _same(*_requant_graph(shift))


@pytest.mark.parametrize("op", ["gelu", "silu", "softcap"])
@pytest.mark.parametrize("m,s,ydt", [(5, 1, "int8"), (1, 0, "int16"), (3, 5, "int32")])
def test_activation_every_int16_input(op, m, s, ydt):
    """Every int16 input: the sigmoid's division (float64 with an exact correction) at every argument it meets."""
    x = np.arange(-32768, 32768, dtype=np.int64).astype(np.int16).reshape(256, 256)
    attrs = {"x_zero_point": 3, "in_multiplier": m, "in_shift": s, "out_multiplier": 1 << 20, "out_shift": 28,
             "y_zero_point": 0, "act_min": int(np.iinfo(ydt).min), "act_max": int(np.iinfo(ydt).max)}
    t = {"x": TensorInfo("x", x.shape, "int16", 1.0, 3), "y": TensorInfo("y", x.shape, ydt, 1.0, 0)}
    _same(Graph(op, ["x"], ["y"], t, {}, [Node(op, "a", ["x"], ["y"], attrs)]), {"x": x})


def test_relu():
    x = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    for zp in (-128, -3, 0, 127):
        g = Graph("relu", ["x"], ["y"], {k: TensorInfo(k, (4, 64), "int8", 1.0, zp) for k in "xy"}, {},
                  [Node("relu", "r", ["x"], ["y"], {"zero_point": zp})])
        _same(g, {"x": x})


def _bundled_model_ops() -> set[str]:
    """The integer ops of the bundled models' graphs: the decoder at w8a8 and w4a8 (default methods; SmolLM2 is
    the same architecture), a tiny BERT (MiniLM's), the MLP at 8 and 4 bits."""
    import torch

    from quant import capture, quantize_ptq
    from quant.hf_capture import capture_hf, sequence_inputs
    from quant.observers import calibrate
    from quant.recipes import quantize_model
    from quant.transformer_ptq import QuantConfig, lower
    from tests.e2e.test_transformers_on_targets import tiny_bert
    graphs = [quantize_model("shakespeare-decoder", cfg, calib=2, seq_len=16) for cfg in ("w8a8", "w4a8")]
    g = capture_hf(tiny_bert(), 16)
    ids = np.random.default_rng(0).integers(0, 512, (2, 16))
    graphs.append(lower(g, calibrate(g, [sequence_inputs(i) for i in ids]), QuantConfig()))
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    x = np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)
    graphs += [quantize_ptq(capture(m, 8), x), quantize_ptq(capture(m, 8), x, 4, 4)]
    return {n.op for q in graphs for n in q.nodes}


def test_every_op_of_the_bundled_models_has_a_jit_kernel():
    """A planner is a speed-up (an op without one runs its reference kernel): the bundled models' ops have one."""
    used = _bundled_model_ops()
    assert {"fully_connected", "fully_connected_wide", "fully_connected_dynamic", "layernorm", "gelu",
            "softmax"} <= used
    assert used <= set(runner.PLANNERS), sorted(used - set(runner.PLANNERS))


def test_an_op_without_a_planner_runs_its_reference_kernel(monkeypatch):
    """A made-up op (tests/made_up_op.py: an entry and a reference kernel, no planner) inside a graph of planned
    ops: the runner takes the reference for it, byte-equal, and compiles the others."""
    from benchmarks.op_cases import declared_case
    from tests import made_up_op
    made_up_op.register(monkeypatch)
    g, inputs = declared_case("absdiff", np.random.default_rng(5))
    relu = Node("relu", "r", ["y"], ["z"], {"zero_point": 3})
    g = Graph(g.name, g.inputs, ["z"], {**g.tensors, "z": TensorInfo("z", g.tensors["y"].shape, "int8", 1.0, 3)},
              g.constants, [*g.nodes, relu])
    plans = runner.node_plans(g)
    assert isinstance(plans[g.nodes[0].name], runner.ReferencePlan) and not isinstance(plans["r"],
                                                                                         runner.ReferencePlan)
    _same(g, inputs)


def test_float_op_is_a_clear_error():
    g = Graph("f", ["x"], ["y"], {k: TensorInfo(k, (2, 3), "float32") for k in "xy"}, {},
              [Node("relu_f32", "r", ["x"], ["y"], {})])
    with pytest.raises(GraphError, match="no kernel for this op; run the graph with --engine numpy"):
        runner.run(g, {"x": np.zeros((2, 3), np.float32)})


def test_out_of_range_token_id_is_the_reference_error():
    g, inputs = random_case("embedding", np.random.default_rng(0))
    bad = {k: np.full_like(v, 10 ** 6) for k, v in inputs.items()}
    with pytest.raises(GraphError, match="token id out of range"):
        runner.run(g, reference.feed(g, bad))


def test_unknown_engine_and_missing_llvmlite(monkeypatch):
    from quant import jit
    g, inputs = random_case("add", np.random.default_rng(0))
    with pytest.raises(GraphError, match="unknown engine 'llvm': use one of jit, numpy"):
        jit.run(g, inputs, engine="llvm")
    monkeypatch.setitem(__import__("sys").modules, "quant.jit.runner", None)
    with pytest.raises(GraphError, match=r"the jit engine needs llvmlite .*run `make setup`, or use --engine numpy"):
        jit.run(g, inputs, engine="jit")
    assert jit.run(g, inputs, engine="numpy")[g.outputs[0]].dtype == reference.run(g, inputs)[g.outputs[0]].dtype


def test_wrong_input_dtype_is_named():
    g, inputs = random_case("add", np.random.default_rng(1))
    plan = runner.node_plans(g)[g.nodes[0].name]
    bad = [np.zeros(inputs[i].shape, np.float64) for i in g.nodes[0].inputs]
    with pytest.raises(GraphError, match="compiled for .*: feed the dtypes of the graph's tensors"):
        runner.call(plan, bad)


def test_machine_code_is_cached_on_disk(tmp_path, monkeypatch):
    """A second process (here: a second compile) loads the object file instead of optimising again."""
    from llvmlite import ir

    from quant.jit import target
    from quant.jit.emit import Fn
    g, inputs = random_case("silu", np.random.default_rng(3))
    plan = runner.node_plans(g)[g.nodes[0].name]
    monkeypatch.setenv("INTGAP_CACHE", str(tmp_path))
    module = ir.Module()
    fn = Fn(module, "k")
    plan.emit(fn)
    fn.finish()
    target.compile_ir(str(module))
    assert len(list((tmp_path / "jit").glob("*.o"))) == 1
    monkeypatch.setattr(target.llvm, "create_pass_builder", None)  # optimising again would fail
    again = target.compile_ir(str(module))
    x = inputs[g.inputs[0]]
    out, args = plan.call([x])
    runner.KERNEL(again.address("k"))(np.array([a.ctypes.data if isinstance(a, np.ndarray) else int(a)
                                                 for a in args], np.int64).ctypes.data)
    assert out.tobytes() == reference.run(g, inputs)[g.outputs[0]].tobytes()


def test_float_division_is_exact_at_the_boundaries():
    """fixed_ir.div_floor on quotients next to an integer, up to 2^52 (its bound is 2^53)."""
    from llvmlite import ir

    from quant.jit import fixed_ir, target
    from quant.jit.emit import I64, Fn
    module = ir.Module()
    fn = Fn(module, "div")
    pn, pd, pq, n = fn.ptr(I64), fn.ptr(I64), fn.ptr(I64), fn.arg()
    with fn.loop(0, n) as i:
        fn.store(fixed_ir.div_floor(fn, fn.load(pn, i), fn.load(pd, i)), pq, i)
    fn.finish()
    compiled = target.compile_ir(str(module))
    rng = np.random.default_rng(0)
    den = np.concatenate([rng.integers(1, 1 << 21, 4000), rng.integers(1, 1 << 33, 4000), [1, 2, 3, (1 << 32) - 1]])
    q = rng.integers(0, (1 << 51) // den)
    num = np.clip(q * den + rng.choice([-1, 0, 1, -2], den.size) * rng.integers(0, 2, den.size), 0, (1 << 52) - 1)
    num[:8] = [0, 1, (1 << 52) - 1, (1 << 52) - 2, 12345, 1 << 51, (1 << 51) - 1, 7]
    out = np.zeros_like(num)
    runner.KERNEL(compiled.address("div"))(np.array([num.ctypes.data, den.ctypes.data, out.ctypes.data, num.size],
                                                    np.int64).ctypes.data)
    assert np.array_equal(out, num // den)


def test_plans_go_with_their_graph():
    import gc
    g, inputs = random_case("add", np.random.default_rng(4))
    runner.run(g, reference.feed(g, inputs))
    key = id(g)
    assert key in runner._GRAPHS
    del g, inputs
    gc.collect()
    assert key not in runner._GRAPHS


def test_inputs_of_different_lengths_are_refused():
    g, inputs = random_case("rope", np.random.default_rng(2))
    x, pos = (inputs[k] for k in g.nodes[0].inputs[:2])
    bad = {g.nodes[0].inputs[0]: x, g.nodes[0].inputs[1]: pos[:-1] if len(pos) > 1 else np.zeros(2, np.int32)}
    with pytest.raises(GraphError, match="positions for .* rows; feed inputs of one sequence length"):
        runner.run(g, reference.feed(g, bad))
    g, inputs = random_case("add", np.random.default_rng(2))
    a, b = (inputs[k] for k in g.nodes[0].inputs)
    with pytest.raises(GraphError, match="feed inputs of one sequence length"):
        runner.run(g, reference.feed(g, {g.nodes[0].inputs[0]: a, g.nodes[0].inputs[1]: np.concatenate([b, b])}))
