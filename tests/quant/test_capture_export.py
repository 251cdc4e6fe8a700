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
        "phi3": (tf.Phi3Config, tf.Phi3ForCausalLM, {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}),
    }[kind]
    cfg_cls, model_cls, kw = spec
    torch.manual_seed(seed)
    m = model_cls(cfg_cls(**{**common, **kw, **extra})).eval()
    with torch.no_grad():  # HF initializes biases to zero: random ones, so that a dropped bias shows
        for mod in m.modules():
            if isinstance(mod, torch.nn.Linear) and mod.bias is not None:
                mod.bias.normal_(0, 0.1)
    return m


ARCHS = ["llama", "llama-linear", "llama3", "mistral", "qwen2", "phi3"]
_MODELS, _GRAPHS = {}, {}


def model(kind: str):
    if kind not in _MODELS:
        _MODELS[kind] = tiny(kind)
    return _MODELS[kind]


def captured(kind: str, t: int = 16):
    """The FP32 graph of model(kind) at T = t (each export takes seconds: made once per module)."""
    if (kind, t) not in _GRAPHS:
        _GRAPHS[(kind, t)] = capture_hf(model(kind), t)
    return _GRAPHS[(kind, t)]


@pytest.mark.parametrize("kind", ARCHS)
def test_captured_logits_equal_the_models(kind):
    m, g = model(kind), captured(kind)
    ids = _ids(16, seed=3)
    with torch.no_grad():
        ref = m(torch.from_numpy(ids)[None]).logits[0].numpy()
    y = R.run(g, sequence_inputs(ids))["logits"]
    assert np.abs(y - ref).max() <= TOL * np.abs(ref).max()


LAYER0 = [("rmsnorm_f32", "input_layernorm"), ("fully_connected_f32", "self_attn.q_proj"),
          ("fully_connected_f32", "self_attn.k_proj"), ("fully_connected_f32", "self_attn.v_proj"),
          ("rope_f32", "self_attn.q_rope"), ("rope_f32", "self_attn.k_rope"), ("matmul_qk_f32", "self_attn.scores"),
          ("softmax_f32", "self_attn.probs"), ("matmul_pv_f32", "self_attn.context"),
          ("fully_connected_f32", "self_attn.o_proj"), ("add_f32", "attn_residual"),
          ("rmsnorm_f32", "post_attention_layernorm"), ("fully_connected_f32", "mlp.gate_proj"),
          ("fully_connected_f32", "mlp.up_proj"), ("silu_f32", "mlp.silu"), ("mul_f32", "mlp.gated"),
          ("fully_connected_f32", "mlp.down_proj"), ("add_f32", "mlp_residual")]


def test_llama_graph_is_the_models_computation():
    """The nodes, names and constants of the former class-walking capture (SmolLM2's and the bundled decoder's
    quantized graphs were byte-identical before and after the move: docs/capture.md): the weights are the model's,
    the RoPE tables cos / sin(p * inv_freq) for every position, attention causal with 2 KV heads of 4."""
    from quant.hf_capture import rope_tables
    m, g = model("llama"), captured("llama")
    assert [(n.op, n.name) for n in g.nodes] == [("embedding_f32", "embed")] + [
        (op, f"layers.{i}.{name}") for i in range(2) for op, name in LAYER0] + [
        ("rmsnorm_f32", "norm"), ("fully_connected_f32", "logits")]
    params = {k.removeprefix("model."): v.detach().numpy() for k, v in m.named_parameters()}
    for n in g.nodes:
        if n.op == "fully_connected_f32" and n.name != "logits":
            assert np.array_equal(g.constants[n.inputs[1]], params[f"{n.name}.weight"])
        if n.op == "rmsnorm_f32":
            assert np.array_equal(g.constants[n.inputs[1]], params[f"{n.name}.weight"])
            assert n.attrs["eps"] == m.config.rms_norm_eps
    assert np.array_equal(g.constants["logits.weight"], params["embed_tokens.weight"])
    cos, sin = rope_tables(m.model.rotary_emb.inv_freq.numpy(), 128)
    assert np.array_equal(g.constants["rope.cos"], cos) and np.array_equal(g.constants["rope.sin"], sin)
    scores = next(n for n in g.nodes if n.name == "layers.1.self_attn.scores")
    assert scores.attrs == {"heads": 4, "kv_heads": 2, "head_dim": 16, "scale": 0.25}
    assert next(n for n in g.nodes if n.name == "layers.1.self_attn.probs").attrs == {"causal": True}


def test_qwen2_keeps_its_qkv_biases():
    m, g = model("qwen2"), captured("qwen2")
    attn = m.model.layers[0].self_attn
    for p in ("q_proj", "k_proj", "v_proj"):
        assert np.array_equal(g.constants[f"layers.0.self_attn.{p}.bias"], getattr(attn, p).bias.detach().numpy())
    assert not g.constants["layers.0.self_attn.o_proj.bias"].any()


def test_rope_scaling_changes_the_tables():
    """linear and llama3 RoPE store other inverse frequencies: the tables are the model's, not the default's."""
    base = captured("llama").constants["rope.cos"]
    for kind in ("llama-linear", "llama3"):
        assert not np.allclose(captured(kind).constants["rope.cos"], base, atol=1e-3)


def test_sliding_window_caps_the_positions_and_more_is_refused():
    assert captured("mistral").meta["max_positions"] == 64 == captured("mistral").meta["sliding_window"]
    with pytest.raises(UnsupportedOp, match=r"sliding-window attention of 64 tokens .* ask for at most 64 positions"):
        capture_hf(model("mistral"), 8, max_positions=100)
