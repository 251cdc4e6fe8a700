"""GPTQ against RTN on the same layer, and the int32 residual stream where int16 loses too much."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import reference as R
from quant import validate
from quant.gptq import _grid, _on_grid, gptq_overrides, gptq_weight, hessian_factor, layer_error
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.observers import calibrate, fc_inputs
from quant.transformer_ptq import QuantConfig, lower, plan_dtypes, quantize_weight


def gptq_rounding(w, h, bits, group_size, asym=False, clip=False, act_order=False):
    """GPTQ's own rounding on quantize_weight's grid, without gptq_weight's fallback to RTN (act_order: columns in
    the order of decreasing diag(H), the grid fixed before: static groups)."""
    return _on_grid(w, _grid(w, h, bits, group_size, asym, clip), hessian_factor(h, act_order))


def _layer(seed: int, n: int, k: int, rows: int):
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((k, k)) * 0.4 + np.eye(k)  # correlated input channels, as real activations are
    x = rng.standard_normal((rows, k)) @ mix
    x[:, rng.integers(0, k)] *= 15.0                       # one outlier channel
    w = rng.standard_normal((n, k)) * rng.uniform(0.01, 0.2)
    return x, w


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), spec=st.sampled_from([(8, None), (8, 32), (4, 32), (4, 64)]),
       n=st.sampled_from([8, 24]), k=st.sampled_from([64, 128]))
def test_gptq_reconstruction_error_not_above_rtn(seed, spec, n, k):
    bits, gsz = spec
    x, w = _layer(seed, n, k, rows=4 * k)
    h = x.T @ x
    rtn = quantize_weight(w, bits, gsz)
    g = gptq_rounding(w, h, bits, gsz)
    e_rtn = np.linalg.norm(x @ w.T - x @ rtn.dequant().T) ** 2
    e_gptq = np.linalg.norm(x @ w.T - x @ g.dequant().T) ** 2
    assert np.isclose(layer_error(w, g, h), e_gptq, rtol=1e-6)
    # GPTQ's greedy rounding is not a bound on every layer (it loses to RTN by ~1 % on a rare one); the weight
    # kept (GPTQ, or RTN where that is better) is: error <= RTN's on the same layer
    assert layer_error(w, gptq_weight(w, h, bits, gsz), h) <= layer_error(w, rtn, h)
    # same integer grid as RTN: identical scales, values inside the width
    assert np.array_equal(g.group_scale, rtn.group_scale) and np.array_equal(g.unit, rtn.unit)
    lo, hi = (-8, 7) if bits == 4 else (-127, 127)
    assert g.q.min() >= lo and g.q.max() <= hi
    # the kept weight (GPTQ or the RTN fallback) is never worse than RTN, even on uncorrelated data
    x2 = np.random.default_rng(seed + 1).standard_normal((k // 2, k))
    h2 = x2.T @ x2
    assert layer_error(w, gptq_weight(w, h2, bits, gsz), h2) <= layer_error(w, rtn, h2)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), spec=st.sampled_from([(4, 32), (4, 64), (8, 32)]))
def test_gptq_on_the_asymmetric_grid_not_above_rtn(seed, spec):
    bits, gsz = spec
    x, w = _layer(seed, 16, 128, rows=512)
    w += np.random.default_rng(seed).uniform(-0.05, 0.05, (16, 1))  # groups not centred on zero
    h = x.T @ x
    rtn = quantize_weight(w, bits, gsz, asym=True)
    g = gptq_rounding(w, h, bits, gsz, asym=True)
    assert np.array_equal(g.group_scale, rtn.group_scale) and np.array_equal(g.offset, rtn.offset)
    assert layer_error(w, gptq_weight(w, h, bits, gsz, asym=True), h) <= layer_error(w, rtn, h)


def test_gptq_rounding_beats_rtn_over_fixed_layers():
    """GPTQ's own rounding (no RTN fallback), in total over twelve fixed correlated layers per grid."""
    for bits, gsz in ((8, None), (8, 32), (4, 32), (4, 64)):
        for asym in ((False, True) if gsz else (False,)):
            e_g = e_r = 0.0
            for seed in range(12):
                x, w = _layer(seed, 16, 128, rows=512)
                h = x.T @ x
                e_g += layer_error(w, gptq_rounding(w, h, bits, gsz, asym=asym), h)
                e_r += layer_error(w, quantize_weight(w, bits, gsz, asym=asym), h)
            assert e_g < e_r, (bits, gsz, asym, e_g / e_r)


def test_asymmetric_grid_beats_the_symmetric_one_on_off_centre_groups():
    """RTN against RTN on fixed layers: not a theorem for every layer (int8 groups of 32 lose on one in twelve
    here), so a statement about the total error over twelve seeds: measured 0.59x (int4) and 0.77x (int8)."""
    for bits, gsz in ((4, 32), (4, 64), (8, 32)):
        asym = sym = 0.0
        for seed in range(12):
            x, w = _layer(seed, 16, 128, rows=512)
            w = w + np.random.default_rng(seed).uniform(-0.05, 0.05, (16, 1))
            h = x.T @ x
            asym += layer_error(w, quantize_weight(w, bits, gsz, asym=True), h)
            sym += layer_error(w, quantize_weight(w, bits, gsz), h)
        assert asym < 0.9 * sym, (bits, gsz, asym / sym)


def test_clipping_search_and_activation_order():
    """The clipping search's group scales leave a weighted rounding error no larger than max|w| / qmax's (both on
    the real scales it compares); over twelve fixed layers the clipped grid lowers RTN's and GPTQ's layer error,
    and GPTQ in activation order keeps the grid and the integer range. act_order with diag(H) already decreasing
    is the plain column order."""
    from quant.weights import clipped_group_scales
    rng = np.random.default_rng(5)
    wg = rng.standard_t(4, (8, 4, 32))
    imp = rng.uniform(0.1, 3.0, (4, 32))
    err = lambda s: (((wg - np.clip(np.round(wg / s[:, :, None]), -8, 7) * s[:, :, None]) ** 2) * imp).sum(axis=2)  # noqa: E731
    assert np.all(err(clipped_group_scales(wg, 7, -8, imp)) <= err(np.abs(wg).max(axis=2) / 7) + 1e-12)
    tot = {"rtn": 0.0, "rtn-clip": 0.0, "gptq": 0.0, "gptq-clip": 0.0}
    for seed in range(12):
        x, w = _layer(seed, 16, 128, rows=512)
        h = x.T @ x
        tot["rtn"] += layer_error(w, quantize_weight(w, 4, 32), h)
        tot["rtn-clip"] += layer_error(w, quantize_weight(w, 4, 32, clip=np.diag(h)), h)
        tot["gptq"] += layer_error(w, gptq_rounding(w, h, 4, 32), h)
        g = gptq_rounding(w, h, 4, 32, clip=True, act_order=True)
        tot["gptq-clip"] += layer_error(w, g, h)
        grid = quantize_weight(w, 4, 32, clip=np.diag(h))
        assert np.array_equal(g.group_scale, grid.group_scale) and g.q.min() >= -8 and g.q.max() <= 7
    assert tot["rtn-clip"] < tot["rtn"] and tot["gptq-clip"] < tot["gptq"], tot
    x, w = _layer(1, 8, 64, rows=256)
    h = x.T @ x
    h[np.diag_indices(64)] += np.linspace(64.0, 1.0, 64) * np.diag(h).max()  # diag(H) strictly decreasing
    assert np.array_equal(gptq_rounding(w, h, 4, 32, act_order=True).q, gptq_rounding(w, h, 4, 32).q)


def _tiny_with_outlier():
    m = tiny_llama()
    g = capture_hf(m, 16)
    # a massive residual channel (SmolLM2's channel 507 in miniature): layer 0's down_proj writes 50000x into channel 5
    g.constants["layers.0.mlp.down_proj.weight"][5] *= 50000.0
    ids = lambda s: np.random.default_rng(s).integers(0, 512, 24)  # noqa: E731
    cal = calibrate(g, [sequence_inputs(ids(s)) for s in range(6)], gram_for=fc_inputs(g))
    return g, cal, ids


def test_int32_residual_where_int16_loses_too_much():
    g, cal, ids = _tiny_with_outlier()
    dt = plan_dtypes(g, cal, "auto")
    assert dt["layers.0.mlp_residual"] == "int32" and dt["layers.1.attn_residual"] == "int32"
    assert all(v != "int32" for v in plan_dtypes(g, cal, "int16").values())
    errs = {}
    for res in ("int16", "auto"):
        q = lower(g, cal, QuantConfig(residual=res))
        validate(q, integer_only=True)
        feeds = sequence_inputs(ids(100))
        yf = R.run(g, feeds, keep_all=True)["layers.0.mlp_residual"]
        yq = R.dequantize_output(q, R.run(q, feeds, keep_all=True)["layers.0.mlp_residual"], "layers.0.mlp_residual")
        keep = np.arange(yf.shape[1]) != 5  # the ordinary channels, which int16 resolves in a few steps
        errs[res] = float(np.sqrt(((yq - yf)[:, keep] ** 2).mean() / (yf[:, keep] ** 2).mean()))
    assert errs["auto"] < 0.2 * errs["int16"]
    q = lower(g, cal, QuantConfig(residual="auto"))
    rms = [n for n in q.nodes if n.op == "rmsnorm" and q.tensors[n.inputs[0]].dtype == "int32"]
    assert rms and all(n.attrs["pre_shift"] == 2 for n in rms)


def test_gptq_graph_lowers_to_the_same_integer_ops():
    g, cal, _ = _tiny_with_outlier()
    cfg = QuantConfig(weight_bits=4, group_size=32)
    cfg.weight_override = gptq_overrides(g, cal, cfg)
    q = lower(g, cal, cfg)
    r = lower(g, cal, QuantConfig(weight_bits=4, group_size=32))
    assert [n.op for n in q.nodes] == [n.op for n in r.nodes]
    validate(q, integer_only=True)
