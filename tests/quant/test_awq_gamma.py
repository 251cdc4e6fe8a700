"""AWQ-style scale search and the second-moment (gamma) correction."""
import numpy as np
import pytest

from quant import reference as R
from quant import validate
from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.methods import awq, awq_scales, gamma_correction
from quant.observers import calibrate, fc_inputs
from quant.recipes import gamma_overrides, parse_method
from quant.transformer_ptq import QuantConfig, lower, quantize_weight


def _err(w, qdeq, h):
    d = w - qdeq
    return float(((d @ h) * d).sum())


@pytest.mark.parametrize("bits,gsz", [(4, 32), (8, None)])
def test_awq_search_never_worse_than_rtn_and_helps_salient_channels(bits, gsz):
    rng = np.random.default_rng(3)
    k = 64
    x = rng.standard_normal((512, k)) * np.where(np.arange(k) < 4, 30.0, 1.0)  # four salient input channels
    w = rng.standard_normal((32, k)) * 0.05
    h = x.T @ x / len(x)
    s, a = awq_scales(h, np.sqrt(np.diag(h)), [w], bits, gsz)
    e_rtn = _err(w, quantize_weight(w, bits, gsz).dequant(), h)
    e_awq = _err(w, quantize_weight(w * s, bits, gsz).dequant() / s, h)
    assert e_awq <= e_rtn
    if bits == 4:
        assert a > 0 and e_awq < 0.9 * e_rtn


@pytest.fixture(scope="module")
def tiny():
    g = capture_hf(tiny_llama(), 16)
    feeds = [sequence_inputs(np.random.default_rng(s).integers(0, 512, 24)) for s in range(4)]
    return g, feeds, calibrate(g, feeds, gram_for=fc_inputs(g))


def test_awq_graph_is_exact_in_float_and_lowers(tiny):
    g, feeds, cal = tiny
    ga = awq(g, cal, 4, 32)
    f = feeds[0]
    y0, y1 = R.run(g, f)["logits"], R.run(ga, f)["logits"]
    assert np.abs(y1 - y0).max() <= 1e-3 * np.abs(y0).max()
    assert set(ga.meta["awq_exponents"]) and all(0 <= a <= 1 for a in ga.meta["awq_exponents"].values())
    q = lower(ga, calibrate(ga, feeds), QuantConfig(weight_bits=4, group_size=32))
    validate(q, integer_only=True)


def test_gamma_correction_restores_output_second_moments(tiny):
    g, _, cal = tiny
    n = next(n for n in g.nodes if n.name == "layers.0.mlp.down_proj")
    w = g.constants[n.inputs[1]].astype(np.float64)
    h = cal.gram[n.inputs[0]]
    qw = quantize_weight(w, 4, 32)
    qg, gamma = gamma_correction(w, qw, h)
    want = np.einsum("nk,kj,nj->n", w, h, w)
    got = np.einsum("nk,kj,nj->n", qg.dequant(), h, qg.dequant())
    assert np.allclose(got, want, rtol=1e-9)
    assert np.array_equal(qg.q, qw.q) and gamma.shape == (w.shape[0],)
    cfg = QuantConfig(weight_bits=4, group_size=32)
    cfg.weight_override = gamma_overrides(g, cal, cfg)
    validate(lower(g, cal, cfg), integer_only=True)


def test_method_chains():
    assert parse_method("smoothquant+gptq+gamma") == ["smoothquant", "gptq", "gamma"]
    for bad in ("smoothquant+awq", "rtn+gptq", "magic", "gptq+gptq", "smoothquant+qat", "qat+gptq"):
        with pytest.raises(QuantError, match="unknown method"):
            parse_method(bad)
    for bad in ("qat+asym", "asym+asym", "act-order", "rtn+act-order", "clip+qat"):
        with pytest.raises(QuantError, match="unknown method"):
            parse_method(bad)
    # steps are applied in one order whatever the order written: migration, grid, rounding, activations, gamma
    assert parse_method("dynamic+gptq+asym") == ["asym", "gptq", "dynamic"]
    assert parse_method("dynamic+act-order+gptq+clip") == ["clip", "gptq", "act-order", "dynamic"]
    assert parse_method("outlier-split+smoothquant+dynamic") == ["smoothquant", "outlier-split", "dynamic"]
    assert parse_method("outlier-split") == ["outlier-split"]
