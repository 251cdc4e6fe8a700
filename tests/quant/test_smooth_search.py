"""The smooth-search step: SmoothQuant's strength per migrated tensor from the weight / activation rounding noise model
(calibration statistics only), the int16 down projections searched again, and the float function unchanged."""
import numpy as np
import pytest

from quant import reference
from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from quant.observers import calibrate
from quant.recipes import parse_method
from quant.smooth_search import INT8_STEPS, INT16_STEPS, migration_error, searched_scales, smooth_search
from tests.tiny_models import tiny_llama


def _stats(x: np.ndarray):
    """A Calibration-like object with the per-channel statistics the search reads."""
    class Cal:
        channel_absmax = {"x": np.abs(x).max(axis=0)}
        channel_sqmean = {"x": (x.astype(np.float64) ** 2).mean(axis=0)}
        channel_lo = {"x": x.min(axis=0)}
        channel_hi = {"x": x.max(axis=0)}
    return Cal()


def _outlier_input(rng, rows=4000, k=64):
    x = rng.standard_normal((rows, k))
    x[:, 5] *= 60.0  # one outlier channel sets the int8 range
    return x


def _simulated(x, w, s, steps):
    """The measured output noise power per token of rounding W diag(s) per channel and x / s on the model's grid."""
    xs, ws = x / s, w * s[None, :]
    wq = np.round(ws / (np.abs(ws).max(axis=1, keepdims=True) / 127)) * (np.abs(ws).max(axis=1, keepdims=True) / 127)
    if steps == INT8_STEPS:
        lo, hi = min(0.0, xs.min()), max(0.0, xs.max())
        step = (hi - lo) / 255
        zp = np.round(-128 - lo / step)
        xq = (np.clip(np.round(xs / step) + zp, -128, 127) - zp) * step
    else:
        step = 2 * np.abs(xs).max() / 65535
        xq = np.round(xs / step) * step
    e_w = float((((xs @ (wq - ws).T) ** 2).sum(axis=1)).mean())
    e_a = float((((xq - xs) @ ws.T) ** 2).sum(axis=1).mean())
    return e_w, e_a


@pytest.mark.parametrize("steps", [INT8_STEPS, INT16_STEPS])
def test_the_noise_model_matches_a_simulation(steps):
    rng = np.random.default_rng(1)
    x = _outlier_input(rng)
    w = rng.standard_normal((48, 64)) * 0.05
    for s in (np.ones(64), np.where(np.arange(64) == 5, 8.0, 1.0)):
        model = migration_error("x", _stats(x), [w], s, steps)
        sim = _simulated(x, w, s, steps)
        for m, e in zip(model, sim):
            assert m == pytest.approx(e, rel=0.25)


def test_an_int16_input_is_migrated_less_than_an_int8_one():
    rng = np.random.default_rng(2)
    x = _outlier_input(rng)
    w = rng.standard_normal((48, 64)) * 0.05
    cal = _stats(x)
    s8, a8 = searched_scales("x", cal, [w], INT8_STEPS)
    s16, a16 = searched_scales("x", cal, [w], INT16_STEPS)
    assert a8 is not None and s8[5] / np.median(s8) > 4  # the outlier channel moves into the weights
    assert a16 is None or a16 < a8  # an int16 input has room: less of its range moves into the weights
    assert s16[5] / np.median(s16) < s8[5] / np.median(s8) / 2
    best = sum(migration_error("x", cal, [w], s8, INT8_STEPS))
    assert best < sum(migration_error("x", cal, [w], np.ones(64), INT8_STEPS))


def test_smooth_search_keeps_the_float_function_and_records_the_choice():
    g = capture_hf(tiny_llama(layers=4), 16)
    rng = np.random.default_rng(0)
    feeds = [sequence_inputs(rng.integers(0, 512, 24)) for _ in range(4)]
    cal = calibrate(g, feeds)
    out = smooth_search(g, cal, 0.8, lambda h: calibrate(h, feeds))
    chosen = out.meta["a16down_chosen"]
    from quant.a16down_choice import A16DOWN_TOP_SHARE
    assert len(chosen) == max(1, int(A16DOWN_TOP_SHARE * 4 + 1e-9))  # floor(share x 4) blocks, at least one
    assert all(c.endswith(".mlp.gated") for c in chosen)
    assert set(out.meta["smooth_search_alphas"]) >= set(chosen)
    ref = reference.run(g, feeds[0])[g.outputs[0]]
    assert np.allclose(reference.run(out, feeds[0])[out.outputs[0]], ref, rtol=1e-3, atol=1e-3)
    int8 = smooth_search(g, cal, 0.8)
    assert "a16down_chosen" not in int8.meta
    a16, a8 = out.meta["smooth_search_alphas"][chosen[0]], int8.meta["smooth_search_alphas"][chosen[0]]
    assert a16 is None or a16 < a8  # searched again for its int16 input: less migration


def test_smooth_search_is_a_migration():
    assert parse_method("gptq+a16down-top+smooth-search") == ["smooth-search", "gptq", "a16down-top"]
    for bad in ("smoothquant+smooth-search", "awq+smooth-search", "smooth-search+qat"):
        with pytest.raises(QuantError, match="smoothquant/smooth-search/awq"):
            parse_method(bad)
