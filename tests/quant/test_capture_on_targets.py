"""Each architecture the export capture takes (tests/quant/test_capture_export.py builds them from their config
classes), quantized W8A8 and built into C programs: a forward pass bit-exact against the reference interpreter on a
Cortex-M and an RVV core, and greedy generation (KV cache) on both equal to the reference's tokens."""
import numpy as np
import pytest

import isa
from intgap.pipeline import build_program, reference_forward, reference_generate, run_forward, run_generate
from quant.hf_capture import sequence_inputs
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower
from tests.quant.test_capture_export import ARCHS, VOCAB, captured

_GRAPHS = {}


def quantized(kind):
    if kind not in _GRAPHS:
        g = captured(kind)
        feeds = [sequence_inputs(np.random.default_rng(s).integers(0, VOCAB, 16)) for s in range(4)]
        _GRAPHS[kind] = lower(g, calibrate(g, feeds), QuantConfig())
    return _GRAPHS[kind]


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv64gcv"])
@pytest.mark.parametrize("kind", ARCHS)
def test_forward_and_generation_on_target_equal_the_reference(kind, target_name, tmp_path):
    g = quantized(kind)
    t = isa.get_target(target_name)
    ids = np.random.default_rng(7).integers(0, VOCAB, 12)
    built = build_program(g, t, tmp_path / "f", mode="forward", max_tokens=16, context=16, rows="all")
    y, _ = run_forward(built, t, ids)
    assert np.array_equal(y, reference_forward(g, ids))
    built = build_program(g, t, tmp_path / "g", mode="generate", max_tokens=4, context=24)
    tokens, _ = run_generate(built, t, ids[:9], 5)
    assert tokens == reference_generate(g, ids[:9], 5)
