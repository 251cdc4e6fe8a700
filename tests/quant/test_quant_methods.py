"""The asymmetric weight grid, dynamic per-token input scales and the outlier split, lowered into integer graphs
of a tiny Llama: the ops they use, accuracy against the float graph, where each applies, the file round trip."""
import numpy as np
import pytest

from quant import load_graph, save_graph, validate
from quant import reference as R
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, activation_plan, lower, outlier_channels


def _ids(n, seed):
    return np.random.default_rng(seed).integers(0, 512, n)


@pytest.fixture(scope="module")
def tiny():
    g = capture_hf(tiny_llama(), 16)
    # an outlier channel in every attention input (gamma of the norm 40x on channel 3) and a few tokens 30x larger
    # than the rest at the MLP's down projection (its input = SiLU(gate) * up: scaling up_proj's rows)
    for i in range(2):
        g.constants[f"layers.{i}.input_layernorm.gamma"][3] *= 40.0
    cal = calibrate(g, [sequence_inputs(_ids(24, s)) for s in range(6)])
    return g, cal


def _fc_ops(q):
    return sorted({n.op for n in q.nodes if n.op.startswith(("fully", "channel"))})


def _error(g, q, seed=99):
    x = sequence_inputs(_ids(24, seed))
    yf = R.run(g, x)["logits"]
    yq = R.dequantize_output(q, R.run(q, x)["logits"])
    return float(np.sqrt(((yq - yf) ** 2).mean() / (yf ** 2).mean()))


def _q4_1(w):
    """GGUF Q4_1 of w [N, K]: blocks of 32 along K, w = d q + m with q in [0, 15], d = (max - min) / 15, m = min."""
    n, k = w.shape
    b = w.astype(np.float64).reshape(n, k // 32, 32)
    m = b.min(axis=2, keepdims=True).astype(np.float16).astype(np.float64)
    d = ((b.max(axis=2, keepdims=True) - m) / 15).astype(np.float16).astype(np.float64)
    q = np.clip(np.round((b - m) / np.where(d > 0, d, 1)), 0, 15)
    return (q * d + m).reshape(n, k).astype(np.float32)


def test_asymmetric_int4_reproduces_a_q4_1_model(tiny):
    """SmolLM2's weights come from GGUF Q4_1: on such weights the asymmetric int4 grid is exact up to its integer
    rounding, so W4A8 asym costs about what W8A8 costs, far less than the symmetric int4 grid."""
    g, cal = tiny
    g = capture_hf(tiny_llama(), 16)
    for n in g.nodes:
        if n.op == "fully_connected_f32":
            g.constants[n.inputs[1]] = _q4_1(g.constants[n.inputs[1]])
    cal = calibrate(g, [sequence_inputs(_ids(24, s)) for s in range(6)])
    sym = lower(g, cal, QuantConfig(weight_bits=4, group_size=32))
    asym = lower(g, cal, QuantConfig(weight_bits=4, group_size=32, asym=True))
    w8 = lower(g, cal, QuantConfig())
    assert _fc_ops(asym) == ["fully_connected_asym"]
    assert _error(g, asym) < 0.5 * _error(g, sym)
    assert _error(g, asym) < 1.5 * _error(g, w8)


def test_outlier_split_finds_the_outlier_channel_and_helps(tiny):
    g, cal = tiny
    assert 3 in outlier_channels(cal, "layers.0.input_layernorm", 6.0, 64).tolist()
    cfg = QuantConfig(outlier_split=True)
    plan = activation_plan(g, cal, cfg)
    assert plan["layers.0.input_layernorm"].kind == "split"
    q = lower(g, cal, cfg)
    validate(q, integer_only=True)
    assert "channel_gather" in _fc_ops(q)
    inl = q.constants["layers.0.input_layernorm.inliers.index"]
    assert inl[3] == -1 and (inl >= 0).sum() == inl.size - len(plan["layers.0.input_layernorm"].outliers)
    assert q.tensors["layers.0.input_layernorm"].dtype == "int16"
    assert q.tensors["layers.0.input_layernorm.outliers"].dtype == "int16"
    # the int8 inliers get a scale about 40x finer than a per-tensor one would be
    s_in = q.tensors["layers.0.input_layernorm.inliers"].scale
    s_static = lower(g, cal, QuantConfig()).tensors["layers.0.input_layernorm"].scale
    assert s_in < s_static / 10
    assert _error(g, q) < _error(g, lower(g, cal, QuantConfig()))


def test_dynamic_scales_where_static_ones_fail(tiny):
    g, cal = tiny
    plan = activation_plan(g, cal, QuantConfig(dynamic=True))
    # rows of the gated MLP product differ widely in range: dynamic; the norm outputs are already per-row normalised
    kinds = {x: p.kind for x, p in plan.items()}
    assert kinds["layers.0.mlp.gated"] == "dynamic" or kinds["layers.1.mlp.gated"] == "dynamic"
    q = lower(g, cal, QuantConfig(dynamic=True, dynamic_gain=100.0))  # every input dynamic
    assert _fc_ops(q) == ["fully_connected_dynamic"]
    validate(q, integer_only=True)
    assert _error(g, q) < _error(g, lower(g, cal, QuantConfig()))


def test_combined_methods_lower_and_round_trip(tiny, tmp_path):
    g, cal = tiny
    cfg = QuantConfig(weight_bits=4, group_size=32, asym=True, dynamic=True, outlier_split=True)
    q = lower(g, cal, cfg)
    # dynamic where it wins (here: the norm output whose outlier channel varies per token, the context, the gated
    # product), the outlier split among the rest where there are outliers, static asymmetric int4 elsewhere
    plan = activation_plan(g, cal, cfg)
    assert plan["layers.0.input_layernorm"].kind == "dynamic" and plan["norm"].kind == "static"
    assert {"fully_connected_asym", "fully_connected_dynamic"} <= set(_fc_ops(q))
    assert "asym" in q.meta["quantization"] and "dynamic" in q.meta["quantization"]
    save_graph(q, tmp_path / "m.igraph")
    q2 = load_graph(tmp_path / "m.igraph")
    x = sequence_inputs(_ids(20, 5))
    assert np.array_equal(R.run(q, x)["logits"], R.run(q2, x)["logits"])
    assert _error(g, q) < 0.2


def test_a16down_gives_the_down_projections_int16_input_and_helps(tiny):
    """a16down: the gated product (the down projections' input) int16 at a static scale, read by
    fully_connected_wide; everything else as the plain lowering; closer to float."""
    from quant.transformer_ptq import ffn_hidden
    g, cal = tiny
    assert ffn_hidden(g) == {"layers.0.mlp.gated", "layers.1.mlp.gated"}
    base, q = lower(g, cal, QuantConfig()), lower(g, cal, QuantConfig(a16down=True))
    validate(q, integer_only=True)
    down = {n.name: n for n in q.nodes if n.name.endswith("down_proj")}
    assert {n.op for n in down.values()} == {"fully_connected_wide"}
    assert all(q.tensors[n.inputs[0]].dtype == "int16" for n in down.values())
    assert [n.op for n in q.nodes if n.name not in down] == [n.op for n in base.nodes if n.name not in down]
    assert q.meta["quantization"].endswith("-a16down")
    for x in ffn_hidden(g):  # the int16 grid is over 100x finer than the int8 one (its range is about the same)
        assert q.tensors[x].scale < base.tensors[x].scale / 100
    assert _error(g, q) < 1.01 * _error(g, base)  # (this model's error is in its attention inputs' outliers)


def test_a16down_refuses_weights_that_could_overflow_the_accumulator():
    """An int16 input times a row of 768 weights all at full scale (sum of |w| steps 97,536) could pass 2^31: the
    lowering names the layer and the fix instead of writing a graph that validation would reject."""
    from quant.errors import QuantError
    g = capture_hf(tiny_llama(hidden=256), 16)
    w = g.constants["layers.1.mlp.down_proj.weight"]
    g.constants["layers.1.mlp.down_proj.weight"] = np.where(w >= 0, 0.02, -0.02).astype(np.float32)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(2)])
    lower(g, cal, QuantConfig())  # int8 input: fine
    with pytest.raises(QuantError, match=r"layer layers\.1\.mlp\.down_proj: an int16 input \(a16down\).*drop the "
                                         r"a16down step"):
        lower(g, cal, QuantConfig(a16down=True))


def test_dynamic_only_and_a16down_top_keep_the_int16_blocks_static(tiny):
    """dynamic_only: per-token scales on those inputs only (here the down projections'); with a16down-top the chosen blocks keep
    their static int16 input (over 100x finer than any int8 grid) and the others go dynamic."""
    from quant.transformer_ptq import ffn_hidden
    g, cal = tiny
    cfg = QuantConfig(dynamic=True, dynamic_gain=100.0, dynamic_only=frozenset(ffn_hidden(g)))
    assert {x for x, p in activation_plan(g, cal, cfg).items() if p.kind == "dynamic"} == ffn_hidden(g)
    top = QuantConfig(dynamic=True, dynamic_gain=100.0, a16down=True, a16down_only=frozenset({"layers.1.mlp.gated"}))
    q = lower(g, cal, top)
    ops = {n.name: n.op for n in q.nodes}
    assert ops["layers.1.mlp.down_proj"] == "fully_connected_wide"
    assert ops["layers.0.mlp.down_proj"] == "fully_connected_dynamic"
    assert q.tensors["layers.1.mlp.gated"].scale < lower(g, cal, QuantConfig()).tensors["layers.1.mlp.gated"].scale / 100


def test_dynamic_all_is_a_method_step():
    """dynamic-all: per-token scales on every fully connected input the dynamic op takes (dynamic_gain infinite);
    it excludes `dynamic` (where they win) and counts as a kernel step for the default rule."""
    from quant.default_method import kernel_steps
    from quant.errors import QuantError
    from quant.recipes import canonical_method, parse_method
    assert canonical_method("a16down+dynamic-all+gptq+smoothquant") == "smoothquant+gptq+dynamic-all+a16down"
    with pytest.raises(QuantError, match="dynamic or dynamic-all"):
        parse_method("gptq+dynamic+dynamic-all")
    assert kernel_steps("smoothquant+gptq+dynamic-all+a16down") == {"dynamic-all", "a16down"}
