"""The export capture (quant/export_capture.py, docs/capture.md) on small random-weight models built from
transformers' config classes (no downloads): its FP32 graph against the HF model's logits (decoders) or last hidden
state (encoders), a Llama's and a BERT's graph against the former class-walking captures, and what it refuses."""
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
        # GPT-2: Conv1D projections (weights [in, out]), one fused c_attn, learned positions, LayerNorm, gelu_new
        "gpt2": (tf.GPT2Config, tf.GPT2LMHeadModel, {"n_inner": 128, "bos_token_id": 1, "eos_token_id": 2}),
        # OPT: learned positions at position + 2, pre-norm LayerNorm, ReLU MLP in the layer itself, project_in /
        # project_out (word_embed_proj_dim 32 of hidden 64); opt-post: post-norm layers (do_layer_norm_before False)
        "opt": (tf.OPTConfig, tf.OPTForCausalLM, {"ffn_dim": 128, "word_embed_proj_dim": 32, "pad_token_id": 0}),
        "opt-post": (tf.OPTConfig, tf.OPTForCausalLM, {"ffn_dim": 128, "do_layer_norm_before": False,
                                                       "pad_token_id": 0}),
        # GPT-NeoX / Pythia: fused query_key_value per head, a quarter of each head rotated, parallel residual;
        # neox-seq: the sequential residual, half of each head rotated
        "neox": (tf.GPTNeoXConfig, tf.GPTNeoXForCausalLM, {"rotary_pct": 0.25, "use_parallel_residual": True}),
        "neox-seq": (tf.GPTNeoXConfig, tf.GPTNeoXForCausalLM, {"rotary_pct": 0.5, "use_parallel_residual": False}),
    }[kind]
    cfg_cls, model_cls, kw = spec
    torch.manual_seed(seed)
    if kind in ("gpt2", "opt", "opt-post", "neox", "neox-seq"):  # no grouped KV heads (and OPT: ffn_dim)
        common = {k: v for k, v in common.items() if k not in ("num_key_value_heads", "intermediate_size")}
    if kind.startswith("neox"):
        common["intermediate_size"] = 128
    return random_biases(model_cls(cfg_cls(**{**common, **kw, **extra})).eval())


def random_biases(m):
    """HF initializes biases to zero (Linear, Conv1D, LayerNorm): random ones, so that a dropped bias shows."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(getattr(mod, "bias", None), torch.nn.Parameter):
                mod.bias.normal_(0, 0.1)
    return m


def tiny_encoder(kind: str, seed: int = 0, **extra):
    """A 2-layer, hidden-64 encoder (BertModel with its pooler, DistilBertModel), random weights and biases; BERT
    with two token types, so that folding in the wrong row shows."""
    import transformers as tf

    torch.manual_seed(seed)
    if kind.startswith("bert"):
        act = {"bert": "gelu", "bert-gelu-new": "gelu_new", "bert-gelu-python": "gelu_python"}[kind]
        cfg = tf.BertConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=128, max_position_embeddings=64, type_vocab_size=2, hidden_act=act,
                            **extra)
        return random_biases(tf.BertModel(cfg).eval())
    cfg = tf.DistilBertConfig(vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
                              max_position_embeddings=64, **extra)
    return random_biases(tf.DistilBertModel(cfg).eval())


ARCHS = ["llama", "llama-linear", "llama3", "mistral", "qwen2", "phi3", "gpt2", "opt", "opt-post", "neox", "neox-seq"]
ENCODERS = ["bert", "bert-gelu-new", "bert-gelu-python", "distilbert"]
_MODELS, _GRAPHS = {}, {}


def model(kind: str):
    if kind not in _MODELS:
        _MODELS[kind] = tiny_encoder(kind) if kind in ENCODERS else tiny(kind)
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


@pytest.mark.parametrize("kind", ENCODERS)
def test_captured_hidden_states_equal_the_models(kind):
    """Encoders: full attention, post-norm layers, token type 0, GELU as aten.gelu, written out in its tanh form
    (gelu_new) or its erf form (gelu_python); the output is the last hidden state, the pooler left out."""
    m, g = model(kind), captured(kind)
    ids = _ids(16, seed=3)
    with torch.no_grad():
        ref = m(torch.from_numpy(ids)[None]).last_hidden_state[0].numpy()
    assert g.outputs == ["hidden"]
    y = R.run(g, sequence_inputs(ids))["hidden"]
    assert np.abs(y - ref).max() <= TOL * np.abs(ref).max()


def test_gelu_forms_are_told_apart():
    """gelu_new (tanh written out) is captured as the tanh approximation, gelu_python (erf written out) as exact."""
    forms = {kind: {n.attrs["approximate"] for n in captured(kind).nodes if n.op == "gelu_f32"}
             for kind in ("bert", "bert-gelu-new", "bert-gelu-python", "gpt2")}
    assert forms == {"bert": {"none"}, "bert-gelu-new": {"tanh"}, "bert-gelu-python": {"none"}, "gpt2": {"tanh"}}


BERT_LAYER = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.scores",
              "attention.probs", "attention.context", "attention.output.dense", "attention.output.residual",
              "attention.output.LayerNorm", "intermediate.dense", "intermediate.gelu", "output.dense",
              "output.residual", "output.LayerNorm"]


def test_bert_graph_is_the_former_captures():
    """The nodes and names of the former module walker (all-MiniLM-L6-v2's .igraph is byte-identical before and
    after: docs/capture.md); token type 0's row is folded into the position table, the position-table rows are the
    model's, the last LayerNorm's output is `hidden`, attention is full."""
    m, g = model("bert"), captured("bert")
    assert [n.name for n in g.nodes] == ["embeddings.word_lookup", "embeddings.position_lookup", "embeddings.sum",
                                         "embeddings.LayerNorm"] + [
        f"encoder.layer.{i}.{name}" for i in range(2) for name in BERT_LAYER]
    emb = m.embeddings
    assert np.array_equal(g.constants["embeddings.position"], emb.position_embeddings.weight.detach().numpy()
                          + emb.token_type_embeddings.weight.detach().numpy()[0])
    assert g.nodes[-1].outputs == ["hidden"]
    assert {n.attrs["causal"] for n in g.nodes if n.op == "softmax_f32"} == {False}


def test_gpt2_conv1d_weights_are_transposed_and_split():
    """c_attn's [in, 3 out] weight becomes q / k / v rows of [out, in]; c_proj's is transposed too."""
    m, g = model("gpt2"), captured("gpt2")
    attn = m.transformer.h[1].attn
    w, b = attn.c_attn.weight.detach().numpy().T, attn.c_attn.bias.detach().numpy()
    for j, r in enumerate("qkv"):
        assert np.array_equal(g.constants[f"h.1.attn.{r}_proj.weight"], w[j * 64:(j + 1) * 64])
        assert np.array_equal(g.constants[f"h.1.attn.{r}_proj.bias"], b[j * 64:(j + 1) * 64])
    assert np.array_equal(g.constants["h.1.attn.c_proj.weight"], attn.c_proj.weight.detach().numpy().T)
    assert np.array_equal(g.constants["wpe"], m.transformer.wpe.weight.detach().numpy())


class _AlmostGELU(torch.nn.Module):
    """GELU's tanh form with a wrong constant: the same ops, other values."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(0.8 * (x + 0.044715 * torch.pow(x, 3.0))))


def test_a_written_out_activation_that_is_not_gelu_is_refused():
    m = tiny("gpt2")
    m.transformer.h[1].mlp.act = _AlmostGELU()
    with pytest.raises(UnsupportedOp, match=r"unsupported op aten\.\w+ at h\.1\.mlp\.act \(_AlmostGELU\): no capture "
                                            r"rule lowers it; nearest supported pattern: GELU \(written out\) .* "
                                            r"differs from by its values"):
        capture_hf(m, 8)


def test_token_types_that_vary_along_the_sequence_are_refused():
    """BERT's token types come from a buffer read at the positions: type 0 everywhere is folded into the position
    table; a buffer that alternates 0 / 1 has no one row to fold."""
    m = tiny_encoder("bert")
    m.embeddings.token_type_ids[:, 1::2] = 1
    with pytest.raises(UnsupportedOp, match=r"embeddings \(BertEmbeddings\): an embedding is looked up by an index "
                                            r"that is neither the positions nor one value at every position"):
        capture_hf(m, 8)


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
