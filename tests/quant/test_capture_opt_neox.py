"""What OPT and GPT-NeoX / Pythia needed of the export capture (quant/capture_rules_opt_neox.py, docs/capture.md):
OPT's position table from row 2 on, its ReLU MLP, project_in / project_out; GPT-NeoX's per-head fused
query_key_value and partial rotary as rows reordered within each head with pass-through table columns. The logits
themselves are checked in test_capture_export.py (ARCHS), the integer graphs on targets in
test_capture_on_targets.py."""
import numpy as np
import torch

from quant.capture_rules_opt_neox import pass_through_tables, rotary_order
from quant.hf_capture import rope_tables
from quant.ops.rope import rotate_half
from tests.quant.test_capture_export import captured, model


def test_opt_positions_are_the_table_from_its_offset_on():
    m, g = model("opt"), captured("opt")
    table = m.model.decoder.embed_positions.weight.detach().numpy()
    (lookup,) = [n for n in g.nodes if n.op == "embedding_f32" and n.inputs[0] == "positions"]
    assert np.array_equal(g.constants[lookup.inputs[1]], table[2:])


def test_opt_has_its_projections_relu_and_norms():
    g = captured("opt")
    ops = [(n.op, n.name) for n in g.nodes]
    assert {("fully_connected_f32", "decoder.project_in"), ("fully_connected_f32", "decoder.project_out")} <= set(ops)
    # fc1 and its ReLU are one fully connected node with relu set (quantized: clamped at the output's zero point)
    assert [n.name for n in g.nodes if n.attrs.get("relu")] == ["decoder.layers.0.fc1", "decoder.layers.1.fc1"]
    assert "relu_f32" not in [n.op for n in g.nodes]
    assert ("layernorm_f32", "decoder.final_layer_norm") in ops
    post = captured("opt-post")
    assert [n.name for n in post.nodes if n.attrs.get("relu")] == ["decoder.layers.0.fc1", "decoder.layers.1.fc1"]


def test_neox_qkv_rows_are_each_heads_thirds_reordered_for_partial_rotary():
    """query_key_value's [3 * hidden] rows are head-major (q, k, v of head 0, then head 1 ...); q and k take their
    thirds reordered by rotary_order, v its third as it is."""
    m, g = model("neox"), captured("neox")
    attn = m.gpt_neox.layers[1].attention
    w = attn.query_key_value.weight.detach().numpy()
    heads, hd, rd = 4, 16, 4
    order = rotary_order(hd, rd)
    for j, r in enumerate("qkv"):
        rows = np.concatenate([h * 3 * hd + j * hd + (order if r != "v" else np.arange(hd)) for h in range(heads)])
        assert np.array_equal(g.constants[f"layers.1.attention.{r}_proj.weight"], w[rows])


def test_partial_rotary_tables_pass_the_other_features_through():
    m, g = model("neox"), captured("neox")
    cos, sin = g.constants["rope.cos"], g.constants["rope.sin"]
    assert cos.shape == sin.shape == (128, 8)
    tc, ts = rope_tables(m.gpt_neox.rotary_emb.inv_freq.numpy(), 128)
    assert np.array_equal(cos[:, :2], tc) and np.array_equal(sin[:, :2], ts)
    assert (cos[:, 2:] == 1).all() and (sin[:, 2:] == 0).all()


def test_reordered_rotate_half_is_partial_rotary():
    """rope over the whole head of the reordered features equals HF's partial rotary (rotate-half of the first rd
    features, the others as they are), reordered the same way: in float and in integers (Q14 tables)."""
    hd, rd, t, heads = 16, 6, 5, 2
    rng = np.random.default_rng(0)
    x = rng.standard_normal((t, heads * hd))
    inv = 1.0 / (10000 ** (np.arange(0, rd, 2) / rd))
    tc, ts = rope_tables(inv, t)
    pos = np.arange(t)
    want = x.reshape(t, heads, hd).copy()
    want[..., :rd] = rotate_half(x.reshape(t, heads, hd)[..., :rd].reshape(t, heads * rd), pos, tc, ts, heads,
                                 rd).reshape(t, heads, rd)
    order = rotary_order(hd, rd)
    wc, ws = pass_through_tables(tc, ts, hd)
    got = rotate_half(x.reshape(t, heads, hd)[..., order].reshape(t, -1), pos, wc, ws, heads, hd)
    assert np.allclose(got, want[..., order].reshape(t, -1), atol=1e-6)
    xi = rng.integers(-128, 128, (t, heads * hd))
    qc, qs = (np.round(a.astype(np.float64) * 2 ** 14).astype(np.int64) for a in (wc, ws))
    ints = rotate_half(xi.reshape(t, heads, hd)[..., order].reshape(t, -1), pos, qc, qs, heads, hd)
    passed = np.sort(np.concatenate([np.arange(rd // 2, hd // 2), np.arange(hd // 2 + rd // 2, hd)]))
    assert np.array_equal(ints.reshape(t, heads, hd)[..., passed],
                          xi.reshape(t, heads, hd)[..., order][..., passed] * 2 ** 14)


def test_neox_sequential_and_parallel_residuals_differ_in_the_graph():
    par = [n.name for n in captured("neox").nodes if n.op == "add_f32"]
    seq = [n.name for n in captured("neox-seq").nodes if n.op == "add_f32"]
    assert len(par) == len(seq) == 4 and par != seq
    assert torch.is_tensor(model("neox").gpt_neox.rotary_emb.inv_freq)



def test_opt_fc1_is_clamped_at_its_zero_point_when_quantized():
    """fc1 + ReLU is one integer fully connected node whose clamp starts at its output's zero point."""
    from quant.hf_capture import sequence_inputs
    from quant.observers import calibrate
    from quant.transformer_ptq import QuantConfig, lower

    g = captured("opt")
    cal = calibrate(g, [sequence_inputs(np.arange(16) * 7 % 256)])
    for cfg in (QuantConfig(), QuantConfig(outlier_split=True)):  # int8 [0, max]: zero -128; split: int16, zero 0
        q = lower(g, cal, cfg)
        fc1 = [n for n in q.nodes if n.name.endswith(".fc1")]
        assert len(fc1) == 2 and all(n.attrs["act_min"] == n.attrs["y_zero_point"] for n in fc1)
        assert all(n.attrs["act_min"] < n.attrs["y_zero_point"] for n in q.nodes if n.name.endswith(".fc2"))
