"""Qwen3, OLMo 2, Gemma, Gemma 2 and Gemma 3 (text) through the export capture (docs/capture.md): 2-layer
random-weight models from their config classes (no downloads), random biases and norm gains. The captured FP32
logits against the HF model's; W8A8 forward bit-exact against the reference interpreter on cortex-m4; greedy
generation on rv64gcv equal to the reference's tokens."""
import numpy as np
import pytest
import torch

import isa
from intgap.pipeline import build_program, reference_forward, run_forward
from quant import reference as R
from quant.hf_capture import capture_hf, sequence_inputs
from tests.quant.test_capture_export import TOL, VOCAB, random_biases
from tests.quant.test_capture_on_targets import IDS, check_forward, check_generation, w8a8

COMMON = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
              intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=128)


def tiny(kind: str, seed: int = 0, **extra):
    import transformers as tf

    gemma = {"head_dim": 24, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}  # head_dim != hidden / heads
    cfg_cls, model_cls, kw = {
        "qwen3": (tf.Qwen3Config, tf.Qwen3ForCausalLM, {"head_dim": 16}),
        "olmo2": (tf.Olmo2Config, tf.Olmo2ForCausalLM, {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}),
        "gemma": (tf.GemmaConfig, tf.GemmaForCausalLM, gemma),
        # soft-caps of the order of this random model's scores and logits, so that tanh bends them
        "gemma2": (tf.Gemma2Config, tf.Gemma2ForCausalLM,
                   {**gemma, "sliding_window": 64, "layer_types": ["sliding_attention", "full_attention"],
                    "query_pre_attn_scalar": 20, "attn_logit_softcapping": 0.05, "final_logit_softcapping": 0.5}),
        "gemma3": (tf.Gemma3TextConfig, tf.Gemma3ForCausalLM,
                   {**gemma, "sliding_window": 64, "layer_types": ["sliding_attention", "full_attention"],
                    "query_pre_attn_scalar": 20,
                    "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1e6},
                                        "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}),
    }[kind]
    torch.manual_seed(seed)
    m = random_biases(model_cls(cfg_cls(**{**COMMON, **kw, **extra})).eval())
    with torch.no_grad():  # norm gains away from their initial 1 (Gemma: 0, its gain is 1 + w)
        for name, p in m.named_parameters():
            if "norm" in name:
                p.normal_(0.0 if "gemma" in kind else 1.0, 0.2)
    return m


ARCHS = ["qwen3", "olmo2", "gemma", "gemma2", "gemma3"]
_MODELS, _GRAPHS, _QUANT = {}, {}, {}


def model(kind):
    if kind not in _MODELS:
        _MODELS[kind] = tiny(kind)
    return _MODELS[kind]


def captured(kind, t: int = 16):
    if (kind, t) not in _GRAPHS:
        _GRAPHS[(kind, t)] = capture_hf(model(kind), t)
    return _GRAPHS[(kind, t)]


def quantized(kind):
    if kind not in _QUANT:
        _QUANT[kind] = w8a8(captured(kind))
    return _QUANT[kind]


@pytest.mark.parametrize("kind", ARCHS)
def test_captured_logits_equal_the_models(kind):
    m, g = model(kind), captured(kind)
    ids = np.random.default_rng(3).integers(0, VOCAB, 16)
    with torch.no_grad():
        ref = m(torch.from_numpy(ids)[None]).logits[0].numpy()
    y = R.run(g, sequence_inputs(ids))["logits"]
    assert np.abs(y - ref).max() <= TOL * np.abs(ref).max()


def _ops(g, name_part):
    return {(n.op, n.name) for n in g.nodes if name_part in n.name}


def test_qwen3_and_gemma3_normalize_q_and_k_per_head():
    """q_norm / k_norm over head_dim: head_rmsnorm_f32 with the heads of q (4) and of k (2), between the projection
    and RoPE, the gain the model's (Gemma 3: 1 + w)."""
    for kind, gain in (("qwen3", lambda w: w), ("gemma3", lambda w: 1.0 + w)):
        g, attn = captured(kind), model(kind).model.layers[1].self_attn
        names = [n.name for n in g.nodes]
        for r, heads in (("q", 4), ("k", 2)):
            n = next(n for n in g.nodes if n.name == f"layers.1.self_attn.{r}_norm")
            assert n.op == "head_rmsnorm_f32" and n.attrs["heads"] == heads
            assert names.index(f"layers.1.self_attn.{r}_proj") < names.index(n.name) < \
                names.index(f"layers.1.self_attn.{r}_rope")
            want = gain(getattr(attn, f"{r}_norm").weight.detach().float()).numpy()
            assert np.array_equal(g.constants[n.inputs[1]], want)


def test_olmo2_normalizes_the_whole_projections_and_its_blocks_after():
    """OLMo 2: q_norm over heads x head_dim (a plain rmsnorm_f32 of 64 and of the k projection's 32 features);
    post-norm placement: the block norms act on the attention's and the MLP's outputs before the residual adds."""
    g = captured("olmo2")
    q, k = (next(n for n in g.nodes if n.name == f"layers.0.self_attn.{r}_norm") for r in "qk")
    assert (q.op, k.op) == ("rmsnorm_f32", "rmsnorm_f32")
    assert (g.constants[q.inputs[1]].shape, g.constants[k.inputs[1]].shape) == ((64,), (32,))
    producer = {n.outputs[0]: n for n in g.nodes}
    adds = [n for n in g.nodes if n.op == "add_f32" and n.name.startswith("layers.0.")]
    assert {producer[a].name for n in adds for a in n.inputs if a in producer} >= {
        "layers.0.post_attention_layernorm", "layers.0.post_feedforward_layernorm"}


def test_gemma_scales_its_embedding_and_adds_one_to_its_gains():
    """The table times sqrt(hidden) (float32, as the model multiplies), the head keeps the unscaled weights; the
    norms' gains are 1 + w; the MLP is GELU-tanh gated; head_dim 24 with 4 heads of hidden 64."""
    m, g = model("gemma"), captured("gemma")
    w = m.model.embed_tokens.weight.detach()
    assert np.array_equal(g.constants["embed_tokens"], (w * torch.tensor(64 ** 0.5)).numpy())
    assert np.array_equal(g.constants["logits.weight"], w.numpy())
    norm = m.model.layers[0].input_layernorm.weight.detach()
    assert np.array_equal(g.constants["layers.0.input_layernorm.gamma"], (1.0 + norm.float()).numpy())
    assert {n.attrs["approximate"] for n in g.nodes if n.op == "gelu_f32"} == {"tanh"}
    scores = next(n for n in g.nodes if n.name == "layers.0.self_attn.scores")
    assert scores.attrs["head_dim"] == 24 and g.tensors["layers.0.self_attn.q_proj"].shape == (16, 96)


def test_gemma2_soft_caps_its_scores_and_logits():
    """Eager attention: softcap_f32 (c = 0.05) between each layer's scores and softmax; the final logits are
    softcap_f32 (c = 0.5) of the head, which keeps its module's name; the caps bend this model's values."""
    g = captured("gemma2")
    ops = [(n.op, n.name) for n in g.nodes]
    i = ops.index(("softcap_f32", "layers.1.self_attn.softcap"))
    assert ops[i - 1] == ("matmul_qk_f32", "layers.1.self_attn.scores") and \
        ops[i + 1] == ("softmax_f32", "layers.1.self_attn.probs")
    assert ops[-2:] == [("fully_connected_f32", "lm_head"), ("softcap_f32", "logits")] and g.outputs == ["logits"]
    caps = {n.name: n.attrs["cap"] for n in g.nodes if n.op == "softcap_f32"}
    assert caps == {"layers.0.self_attn.softcap": 0.05, "layers.1.self_attn.softcap": 0.05, "logits": 0.5}
    run = R.run(g, sequence_inputs(np.random.default_rng(3).integers(0, VOCAB, 16)), keep_all=True)
    for name, c in caps.items():
        x = run[g.nodes[[n.name for n in g.nodes].index(name)].inputs[0]]
        assert np.abs(x).max() > c  # tanh saturates somewhere


def test_gemma3_uses_its_local_rope_base_on_sliding_layers():
    """Layer 0 slides (local RoPE base 1e4), layer 1 is global (1e6): two tables, each the model's; the window
    caps the positions."""
    g = captured("gemma3")
    rope = {n.name: n.inputs[2] for n in g.nodes if n.op == "rope_f32"}
    assert rope["layers.0.self_attn.q_rope"] != rope["layers.1.self_attn.q_rope"]
    emb = model("gemma3").model.rotary_emb
    from quant.hf_capture import rope_tables
    for layer, kind in ((0, "sliding_attention"), (1, "full_attention")):
        cos, _ = rope_tables(getattr(emb, f"{kind}_inv_freq").numpy(), 64)
        assert np.array_equal(g.constants[rope[f"layers.{layer}.self_attn.q_rope"]], cos)
    assert g.meta["max_positions"] == 64 == g.meta["sliding_window"]


@pytest.mark.parametrize("kind", ARCHS)
def test_forward_on_cortex_m4_is_bit_exact(kind, tmp_path):
    check_forward(quantized(kind), "cortex-m4", tmp_path)


@pytest.mark.parametrize("kind", ["gemma2", "gemma3"])
def test_fp32_forward_on_cortex_m4_follows_the_reference(kind, tmp_path):
    """The float kernels of softcap_f32 (Gemma 2) and head_rmsnorm_f32 (Gemma 3) in the FP32 baseline program:
    within 1e-5 of the largest logit (measured 8e-7 for both, 2026-12-07)."""
    g = captured(kind)
    t = isa.get_target("cortex-m4")
    built = build_program(g, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    y, _ = run_forward(built, t, IDS)
    ref = reference_forward(g, IDS)
    assert np.abs(y - ref).max() <= 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("kind", ARCHS)
def test_greedy_generation_on_rvv_equals_the_reference(kind, tmp_path):
    check_generation(quantized(kind), tmp_path)
