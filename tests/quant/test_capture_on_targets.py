"""The architectures the export capture added (tests/quant/test_capture_export.py builds them from their config
classes), quantized W8A8 and built into C programs: a forward pass bit-exact against the reference interpreter on a
Cortex-M and an RVV core, greedy generation (KV cache) on an RVV core equal to the reference's
tokens (decoders)."""
import numpy as np
import pytest

import isa
from intgap.pipeline import build_program, reference_forward, reference_generate, run_forward, run_generate
from quant.hf_capture import sequence_inputs
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower
from tests.quant.test_capture_export import ARCHS, VOCAB, captured

_GRAPHS = {}


def w8a8(g):
    """g quantized W8A8 on 4 random sequences of 16 tokens."""
    feeds = [sequence_inputs(np.random.default_rng(s).integers(0, VOCAB, 16)) for s in range(4)]
    return lower(g, calibrate(g, feeds), QuantConfig())


def quantized(kind):
    if kind not in _GRAPHS:
        _GRAPHS[kind] = w8a8(captured(kind))
    return _GRAPHS[kind]


# Llama itself runs on every target family in tests/e2e/test_transformers_on_targets.py; llama-linear differs from
# llama3 in its tables only. A case took 5-17 s on the shared 2-core machine (51 s for the first build).
ON_TARGET = ["llama3", "mistral", "qwen2", "phi3", "gpt2", "opt", "opt-post", "neox", "neox-seq"]
# BERT runs on cortex-m4 and rv64gcv in tests/e2e; DistilBERT is its rules without token types
ENCODERS_ON_TARGET = ["distilbert"]
IDS = np.random.default_rng(7).integers(0, VOCAB, 12)


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv64gcv"])
@pytest.mark.parametrize("kind", ON_TARGET + ENCODERS_ON_TARGET)
def test_forward_on_target_is_bit_exact(kind, target_name, tmp_path):
    check_forward(quantized(kind), target_name, tmp_path)


def check_forward(g, target_name, tmp_path, ids=IDS) -> None:
    """One forward pass of g's program on the target: the reference interpreter's bytes."""
    t = isa.get_target(target_name)
    built = build_program(g, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    y, _ = run_forward(built, t, ids)
    assert np.array_equal(y, reference_forward(g, ids))


@pytest.mark.parametrize("kind", ON_TARGET)
def test_greedy_generation_on_rvv_equals_the_reference(kind, tmp_path):
    check_generation(quantized(kind), tmp_path)


def check_generation(g, tmp_path) -> None:
    """5 greedy tokens after 9 (KV cache, 4 rows a call) on rv64gcv: the reference's."""
    t = isa.get_target("rv64gcv")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=4, context=24)
    tokens, _ = run_generate(built, t, IDS[:9], 5)
    assert tokens == reference_generate(g, IDS[:9], 5)
