"""QAT (STE + LSQ) from the PTQ result, exported to the same integer graph."""
import numpy as np

from quant import reference as R
from quant import validate
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.observers import calibrate
from quant.qat import qat_weights
from quant.transformer_ptq import QuantConfig, lower


def _err(g, q):
    e = []
    for s in range(100, 103):
        ids = np.random.default_rng(s).integers(0, 512, 24)
        yf = R.run(g, sequence_inputs(ids))["logits"]
        yq = R.dequantize_output(q, R.run(q, sequence_inputs(ids))["logits"])
        e.append(np.sqrt(((yq - yf) ** 2).mean() / (yf ** 2).mean()))
    return float(np.mean(e))


def test_qat_lowers_to_the_same_integer_graph_and_beats_ptq():
    m = tiny_llama(layers=2, hidden=64)
    g = capture_hf(m, 24)
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 512, 24) for _ in range(16)]
    cal = calibrate(g, [sequence_inputs(s) for s in seqs[:6]])
    cfg = QuantConfig(weight_bits=4, group_size=32)
    ptq = lower(g, cal, cfg)
    override, losses = qat_weights(m, g, cfg, seqs, steps=40, lr=1e-3)
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert "logits" not in override and "layers.0.mlp.down_proj" in override
    qcfg = QuantConfig(weight_bits=4, group_size=32, weight_override=override)
    q = lower(g, cal, qcfg)
    validate(q, integer_only=True)
    assert [n.op for n in q.nodes] == [n.op for n in ptq.nodes]
    for n in q.nodes:
        if n.op.startswith("fully_connected") and n.attrs.get("weight_bits") == 4:
            w = q.constants[n.inputs[1]]
            assert w.min() >= -8 and w.max() <= 7
    assert _err(g, q) < _err(g, ptq)
