"""The JIT engine against the numpy reference on whole integer graphs: an MLP, the bundled decoder (W8A8), a MiniLM
layer, a grouped int4 Llama, a dynamic-input Llama; every tensor byte-equal (keep_all), and the engine option of
the callers (quant/jit.run, accuracy attribution's node runner)."""
import numpy as np
import pytest
import torch

from quant import capture, jit, quantize_ptq, validate
from quant import reference as R
from quant.hf_capture import capture_hf, sequence_inputs
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower
from intgap.models import mlp
from tests.tiny_models import tiny_llama


def _all_equal(q, inputs) -> None:
    want = R.run(q, inputs, keep_all=True)
    got = jit.run(q, inputs, keep_all=True, engine="jit")
    assert want.keys() == got.keys()
    for name, w in want.items():
        assert got[name].dtype == w.dtype and got[name].shape == w.shape, name
        assert got[name].tobytes() == w.tobytes(), f"{name}: {int((got[name] != w).sum())} values differ"


def _ids(n, vocab=512, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, n)


def test_mlp():
    torch.manual_seed(2)
    m = mlp((33, 17, 5)).eval()
    x = np.random.default_rng(2).standard_normal((64, 33)).astype(np.float32)
    q = quantize_ptq(capture(m, 33), x)
    xq = R.quantize_input(q, np.concatenate([x, 100 * x[:4]]))  # the last rows saturate at -128 / 127
    _all_equal(q, {q.inputs[0]: xq})


@pytest.mark.parametrize("cfg", [QuantConfig(weight_bits=4, group_size=32), QuantConfig()],
                         ids=["w4a8g32", "w8a8"])
def test_tiny_llama(cfg):
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(24, seed=s)) for s in range(4)])
    q = lower(g, cal, cfg)
    validate(q, integer_only=True)
    for n in (1, 7, 40):  # odd sequence lengths, longer than the calibration
        _all_equal(q, sequence_inputs(_ids(n, seed=n)))


def test_bundled_decoder_w8a8():
    from quant.hf_models import load_shakespeare_decoder
    m = load_shakespeare_decoder()
    g = capture_hf(m.model, 64)
    vocab = m.model.config.vocab_size
    q = lower(g, calibrate(g, [sequence_inputs(_ids(64, vocab, seed=s)) for s in range(4)]), QuantConfig())
    _all_equal(q, sequence_inputs(_ids(65, vocab, seed=9)))


def test_minilm_layer(minilm):
    from quant.subgraph import subgraph
    m = minilm
    g = capture_hf(m.model, 16)
    lines = ["To be, or not to be, that is the question", "Now is the winter of our discontent"]
    feeds = [sequence_inputs(m.tokenizer(s)["input_ids"]) for s in lines]
    q = lower(g, calibrate(g, feeds), QuantConfig())
    layer = subgraph(q, "encoder.layer.0")
    x = R.run(q, feeds[0], keep_all=True)[layer.inputs[0]]
    _all_equal(layer, {layer.inputs[0]: x, **{k: v for k, v in feeds[0].items() if k in layer.inputs}})
    _all_equal(q, feeds[1])


def test_engines_agree_through_the_callers():
    """perplexity (the eval path) and the attribution's node runner give the same numbers with both engines."""
    from quant.accuracy import perplexity
    from quant.accuracy_attribution import MixedGraph
    g = capture_hf(tiny_llama(), 16)
    q = lower(g, calibrate(g, [sequence_inputs(_ids(24, seed=s)) for s in range(3)]), QuantConfig())
    ids = _ids(50, seed=5)
    before = jit.default()
    try:
        figures = []
        for engine in ("numpy", "jit"):
            jit.set_default(engine)
            mg = MixedGraph(g, q, {})
            figures.append((perplexity(q, ids, window=16)["perplexity"],
                            mg.run(sequence_inputs(ids[:20]), mg.all_integer()).tobytes()))
        assert figures[0] == figures[1]
    finally:
        jit.set_default(before)
