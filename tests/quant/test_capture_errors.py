"""What the export capture and the commands refuse, each with its one-line message (docs/errors.md)."""
import pytest
import torch

from quant import QuantError, UnsupportedOp
from quant.hf_capture import capture_hf
from tests.hardening.conftest import one_line_error


def _tiny_config(cls, **kw):
    return cls(num_hidden_layers=1, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=256, max_position_embeddings=64, **kw)


def test_a_qk_norm_after_rope_is_refused():
    """Qwen3 normalizes q and k between the projection and RoPE (captured as head_rmsnorm_f32); the same norms
    after the rotation are refused by name, not captured in the wrong order."""
    import transformers as tf
    from transformers.models.qwen3 import modeling_qwen3 as mq
    torch.manual_seed(0)
    m = tf.Qwen3ForCausalLM(_tiny_config(tf.Qwen3Config, head_dim=16)).eval()
    attn = m.model.layers[0].self_attn

    def rotate_then_norm(hidden_states, position_embeddings, attention_mask=None, **kw):
        rows = hidden_states.shape[:-1]
        q, k, v = (p(hidden_states).view(*rows, -1, 16).transpose(1, 2) for p in (attn.q_proj, attn.k_proj,
                                                                                    attn.v_proj))
        q, k = mq.apply_rotary_pos_emb(q, k, *position_embeddings)
        k, v = (mq.repeat_kv(x, attn.num_key_value_groups) for x in (attn.k_norm(k), v))
        o = torch.nn.functional.scaled_dot_product_attention(attn.q_norm(q), k, v, is_causal=True)
        return attn.o_proj(o.transpose(1, 2).reshape(*rows, -1)), None
    attn.forward = rotate_then_norm
    with pytest.raises(UnsupportedOp, match=r"^layers\.0\.self_attn\.q_norm \(Qwen3RMSNorm\) normalizes q or k after "
                                            r"it is rotated: intgap captures the norm between the projection and RoPE"):
        capture_hf(m, 8)


def test_a_qk_norm_gain_of_another_width_is_refused():
    """A q norm whose gain is one number (broadcast over the channels): neither per head nor per projection."""
    import transformers as tf
    torch.manual_seed(0)
    m = tf.Qwen3ForCausalLM(_tiny_config(tf.Qwen3Config, head_dim=16)).eval()
    m.model.layers[0].self_attn.q_norm.weight = torch.nn.Parameter(torch.full((1,), 1.5))
    with pytest.raises(UnsupportedOp, match=r"^layers\.0\.self_attn\.q_norm \(Qwen3RMSNorm\) has a gain of 1: intgap "
                                            r"captures RMSNorm on q and k per head \(16\) or over the whole "
                                            r"projection \(64\)$"):
        capture_hf(m, 8)


def test_eager_scores_other_than_scaled_softcapped_and_masked_are_refused(monkeypatch):
    """Gemma 2's eager attention with a soft-cap whose divisor and factor differ is no c tanh(x / c)."""
    import transformers as tf
    from transformers.models.gemma2 import modeling_gemma2 as mg
    plain = mg.eager_attention_forward

    def other_cap(module, query, key, value, attention_mask, dropout=0.0, scaling=None, softcap=None, **kw):
        k, v = (mg.repeat_kv(x, module.num_key_value_groups) for x in (key, value))
        w = torch.tanh(torch.matmul(query, k.transpose(2, 3)) * scaling / softcap) * (2 * softcap)
        w = torch.softmax(w + attention_mask, dim=-1)
        return torch.matmul(w, v).transpose(1, 2).contiguous(), w
    monkeypatch.setattr(mg, "eager_attention_forward", other_cap)
    torch.manual_seed(0)
    m = tf.Gemma2ForCausalLM(_tiny_config(tf.Gemma2Config, head_dim=16, attn_logit_softcapping=5.0)).eval()
    assert plain is not other_cap
    with pytest.raises(UnsupportedOp, match=r"^attention at layers\.0\.self_attn \(Gemma2Attention\) computes its "
                                            r"scores with mul, div, tanh, mul, add: intgap captures q k\^T \* scale, "
                                            r"optionally soft-capped \(/ c, tanh, \* c\), plus a mask$"):
        capture_hf(m, 8)


def test_a_capture_longer_than_the_sliding_window_is_refused():
    """Gemma 2 alternates sliding and global layers: captured at 16 tokens with a window of 8, the sliding layer's
    mask is banded (a folder is captured at its calibration length, 128 tokens)."""
    import transformers as tf
    torch.manual_seed(0)
    m = tf.Gemma2ForCausalLM(_tiny_config(tf.Gemma2Config, head_dim=16, sliding_window=8)).eval()
    with pytest.raises(UnsupportedOp, match=r"^attention at layers\.0\.self_attn: its mask is neither causal nor full "
                                            r"\(a sliding window shorter than 16 tokens, or padding\)"):
        capture_hf(m, 16)


def test_an_op_without_a_rule_names_op_module_and_nearest_pattern():
    """A Llama whose norm uses tanh: no rule matches; the error is one line, not a traceback."""
    import transformers as tf
    torch.manual_seed(0)
    m = tf.LlamaForCausalLM(_tiny_config(tf.LlamaConfig)).eval()
    norm = m.model.layers[0].post_attention_layernorm
    plain = norm.forward
    norm.forward = lambda x: torch.tanh(plain(x))
    with pytest.raises(UnsupportedOp) as e:
        capture_hf(m, 8)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("unsupported op aten.tanh at layers.0.post_attention_layernorm (LlamaRMSNorm): ")
    assert "nearest supported pattern: RMSNorm (pow, mean, add, rsqrt, mul x2), which layers.0.post_attention_" \
           "layernorm (LlamaRMSNorm) differs from by +tanh" in msg


def test_rope_that_changes_with_the_length_is_refused():
    import transformers as tf
    m = tf.LlamaForCausalLM(_tiny_config(tf.LlamaConfig, rope_parameters={
        "rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0})).eval()
    with pytest.raises(UnsupportedOp, match=r"rope_type 'dynamic' .* changes its tables with the sequence length"):
        capture_hf(m, 8)


def _bert_folder(tmp_path):
    from transformers import BertConfig
    BertConfig(vocab_size=128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
               intermediate_size=64).save_pretrained(tmp_path)
    return tmp_path


def test_generate_refuses_an_encoder_at_once(tmp_path, capsys):
    from intgap.cli import main
    d = _bert_folder(tmp_path)  # config.json only: refused before any weight is read
    assert main(["generate", "--model", str(d), "--target", "cortex-m4"]) == 2
    assert f"{d} is an encoder (its graph computes hidden states, not next-token logits): an encoder does not " \
           "generate" in one_line_error(capsys)


@pytest.mark.parametrize("command", [["bench"], ["quantize", "-o", "x.igraph"], ["generate", "--target", "rv32imc"]])
def test_a_folder_of_another_architecture_gets_one_short_line(command, tmp_path, capsys):
    from transformers import ViTConfig
    from intgap.cli import main
    ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64).save_pretrained(tmp_path)
    assert main([command[0], "--model", str(tmp_path), *command[1:]]) == 2
    line = one_line_error(capsys)
    assert f"{tmp_path} holds model_type 'vit' (no class): intgap captures bert, llama" in line
    assert len(line) < 300


def test_unsupported_folder_error_is_a_quant_error(tmp_path):
    from quant.model_registry import kind_of
    (tmp_path / "config.json").write_text('{"model_type": "vit", "architectures": ["ViTModel"]}')
    with pytest.raises(QuantError, match=r"model_type 'vit' \(ViTModel\)"):
        kind_of(str(tmp_path))


def test_bench_of_a_folder_without_config_is_not_called_a_state_dict(tmp_path, capsys):
    from intgap.cli import main
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert main(["bench", "--model", str(tmp_path)]) == 2
    assert f"{tmp_path} is a directory without config.json: a Hugging Face model folder needs config.json" in \
        one_line_error(capsys)


def test_a_model_torch_export_cannot_capture_is_one_line():
    """Data-dependent Python control flow (a branch on a tensor's value) does not export: one line, not a traceback."""
    import transformers as tf
    torch.manual_seed(0)
    m = tf.LlamaForCausalLM(_tiny_config(tf.LlamaConfig)).eval()
    norm = m.model.layers[0].post_attention_layernorm
    plain = norm.forward
    norm.forward = lambda x: plain(x) if bool(x.sum() > 0) else -plain(x)
    with pytest.raises(UnsupportedOp) as e:
        capture_hf(m, 8)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("torch.export cannot capture LlamaForCausalLM (")
    assert msg.endswith("a model with data-dependent control flow is not supported")
