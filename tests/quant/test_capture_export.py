"""The export capture (quant/export_capture.py, docs/capture.md) on small random-weight models built from
transformers' config classes (no downloads): its FP32 graph against the HF model's logits, a Llama's graph against
the former class-walking capture, and what it refuses."""
import numpy as np
import pytest
import torch

from quant import UnsupportedOp
from quant import reference as R
from quant.hf_capture import capture_hf, sequence_inputs

VOCAB = 256
# the float32 reordering of one forward pass: logits within this fraction of their largest magnitude
TOL = 1e-4


def _ids(n, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, n)


def tiny(kind: str, seed: int = 0, **extra):
    """A 2-layer, hidden-64 causal LM of one family, random weights (architecture tests across the suite)."""
    import transformers as tf

    common = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                  intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=128)
    llama_rope = {"rope_type": "default", "rope_theta": 10000.0}
    spec = {
        "llama": (tf.LlamaConfig, tf.LlamaForCausalLM, {"tie_word_embeddings": True}),
        "llama-linear": (tf.LlamaConfig, tf.LlamaForCausalLM,
                         {"rope_parameters": {**llama_rope, "rope_type": "linear", "factor": 4.0}}),
        "llama3": (tf.LlamaConfig, tf.LlamaForCausalLM,
                   {"rope_parameters": {**llama_rope, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 32}}),
        "mistral": (tf.MistralConfig, tf.MistralForCausalLM, {"sliding_window": 64}),
        "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM, {}),
    }[kind]
    cfg_cls, model_cls, kw = spec
    torch.manual_seed(seed)
    return model_cls(cfg_cls(**{**common, **kw, **extra})).eval()


ARCHS = ["llama", "llama-linear", "llama3", "mistral", "qwen2"]


@pytest.mark.parametrize("kind", ARCHS)
def test_captured_logits_equal_the_models(kind):
    m = tiny(kind)
    g = capture_hf(m, 16)
    ids = _ids(16, seed=3)
    with torch.no_grad():
        ref = m(torch.tensor([ids])).logits[0].numpy()
    y = R.run(g, sequence_inputs(ids))["logits"]
    assert np.abs(y - ref).max() <= TOL * np.abs(ref).max()


def _same_graph(a, b):
    assert [n.to_json() for n in a.nodes] == [n.to_json() for n in b.nodes]
    assert a.tensors == b.tensors and a.inputs == b.inputs and a.outputs == b.outputs and a.meta == b.meta
    assert sorted(a.constants) == sorted(b.constants)
    assert all(np.array_equal(a.constants[k], b.constants[k]) for k in a.constants)


def test_llama_capture_equals_the_class_walking_one():
    """Same ops, names, attributes and constants (RoPE tables included) as the former capture of quant/hf_capture.py."""
    from quant.hf_capture import walk_llama
    m = tiny("llama")
    _same_graph(capture_hf(m, 16), walk_llama(m, m.config, 16, None, "llama"))


def test_qwen2_keeps_its_qkv_biases():
    m = tiny("qwen2")
    g = capture_hf(m, 8)
    attn = m.model.layers[0].self_attn
    for p in ("q_proj", "k_proj", "v_proj"):
        assert np.array_equal(g.constants[f"layers.0.self_attn.{p}.bias"], getattr(attn, p).bias.detach().numpy())
    assert not g.constants["layers.0.self_attn.o_proj.bias"].any()


def test_rope_scaling_changes_the_tables():
    """linear and llama3 RoPE store other inverse frequencies: the tables are the model's, not the default's."""
    base = capture_hf(tiny("llama"), 8).constants["rope.cos"]
    for kind in ("llama-linear", "llama3"):
        assert not np.allclose(capture_hf(tiny(kind), 8).constants["rope.cos"], base, atol=1e-3)


def test_sliding_window_caps_the_positions_and_more_is_refused():
    m = tiny("mistral")
    assert capture_hf(m, 8).meta["max_positions"] == 64 == capture_hf(m, 8).meta["sliding_window"]
    with pytest.raises(UnsupportedOp, match=r"sliding-window attention of 64 tokens .* ask for at most 64 positions"):
        capture_hf(m, 8, max_positions=100)
