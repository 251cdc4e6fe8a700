"""Hugging Face model folders (save_pretrained layout: config.json, model.safetensors, tokenizer files) of tiny
random-weight models of every captured architecture, written offline: the CLI's paths take them as a user's
folder. Decoders get a byte-level tokenizer (every byte one token, no merges), encoders a character WordPiece one."""
from __future__ import annotations

import string
from pathlib import Path

import torch

from tests.quant.test_capture_export import random_biases

BYTE_VOCAB = 256 + 3  # the 256 bytes and <pad>, <s>, </s>
HIDDEN = dict(num_hidden_layers=1, hidden_size=32, num_attention_heads=2, num_key_value_heads=1,
              intermediate_size=64, vocab_size=BYTE_VOCAB, max_position_embeddings=160,
              pad_token_id=256, bos_token_id=257, eos_token_id=258)
_NO_GQA = ("num_key_value_heads", "intermediate_size")


def decoder_spec(arch: str):
    """(config class, model class, config fields) of a 1-layer, hidden-32 causal LM of `arch` (model_type)."""
    import transformers as tf

    # head_dim apart from hidden / heads, as in Gemma's checkpoints; heads x head_dim a multiple of W4A8's groups of 32
    # (24 x 2 = 48 was refused by `intgap mixed`: "group size 32 does not divide K=48")
    gemma = {"head_dim": 32}
    window = {"sliding_window": 64, "layer_types": ["sliding_attention", "full_attention"], "num_hidden_layers": 2}
    return {
        "llama": (tf.LlamaConfig, tf.LlamaForCausalLM, {"tie_word_embeddings": True}),
        "mistral": (tf.MistralConfig, tf.MistralForCausalLM, {"sliding_window": 64}),
        "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM, {}),
        "qwen3": (tf.Qwen3Config, tf.Qwen3ForCausalLM, {"head_dim": 16}),
        "phi3": (tf.Phi3Config, tf.Phi3ForCausalLM, {}),
        "olmo2": (tf.Olmo2Config, tf.Olmo2ForCausalLM, {}),
        "gemma": (tf.GemmaConfig, tf.GemmaForCausalLM, gemma),
        "gemma2": (tf.Gemma2Config, tf.Gemma2ForCausalLM, {**gemma, **window, "query_pre_attn_scalar": 20,
                                                           "attn_logit_softcapping": 0.05,
                                                           "final_logit_softcapping": 0.5}),
        "gemma3_text": (tf.Gemma3TextConfig, tf.Gemma3ForCausalLM, {**gemma, **window, "query_pre_attn_scalar": 20}),
        "gpt2": (tf.GPT2Config, tf.GPT2LMHeadModel, {"n_inner": 64}),
        # project_in / project_out of word_embed_proj_dim 32 (a multiple of W4A8's groups of 32: 16 was refused
        # by `intgap mixed`, "group size 32 does not divide K=16") into hidden 64
        "opt": (tf.OPTConfig, tf.OPTForCausalLM, {"ffn_dim": 64, "word_embed_proj_dim": 32, "hidden_size": 64}),
        "gpt_neox": (tf.GPTNeoXConfig, tf.GPTNeoXForCausalLM, {"rotary_pct": 0.5, "intermediate_size": 64}),
    }[arch]


DECODERS = ["llama", "mistral", "qwen2", "qwen3", "phi3", "olmo2", "gemma", "gemma2", "gemma3_text", "gpt2", "opt",
            "gpt_neox"]
ENCODERS = ["bert", "distilbert"]


def byte_tokenizer():
    """Every byte one token (ids 0..255, in the order of their ByteLevel characters), <pad> <s> </s> after them; no merges, so any text tokenizes."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab.update({"<pad>": 256, "<s>": 257, "</s>": 258})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>")


def decoder_folder(arch: str, d: Path, seed: int = 0) -> Path:
    cfg_cls, model_cls, kw = decoder_spec(arch)
    common = {k: v for k, v in HIDDEN.items() if not (arch in ("gpt2", "opt", "gpt_neox") and k in _NO_GQA)}
    torch.manual_seed(seed)
    m = random_biases(model_cls(cfg_cls(**{**common, **kw})).eval())
    with torch.no_grad():  # norm gains away from their initial 1 (Gemma's: 0, its gain is 1 + w)
        for name, p in m.named_parameters():
            if "norm" in name and p.dim() == 1 and arch != "gpt2":
                p.normal_(0.0 if arch.startswith("gemma") else 1.0, 0.2)
    m.save_pretrained(d)
    byte_tokenizer().save_pretrained(d)
    return d


def encoder_folder(arch: str, d: Path, seed: int = 0) -> Path:
    """A 1-layer, hidden-32 BERT or DistilBERT with a character WordPiece vocabulary."""
    import transformers as tf

    chars = string.ascii_lowercase + string.digits + string.punctuation
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *("##" + c for c in chars)]
    torch.manual_seed(seed)
    if arch == "bert":
        m = tf.BertModel(tf.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                                       num_attention_heads=2, intermediate_size=64, max_position_embeddings=160))
        tok_cls = tf.BertTokenizer
    else:
        m = tf.DistilBertModel(tf.DistilBertConfig(vocab_size=len(vocab), dim=32, n_layers=1, n_heads=2,
                                                   hidden_dim=64, max_position_embeddings=160))
        tok_cls = tf.DistilBertTokenizer
    random_biases(m.eval()).save_pretrained(d)
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok_cls(str(d / "vocab.txt")).save_pretrained(d)
    return d


def model_folder(arch: str, d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    return encoder_folder(arch, d) if arch in ENCODERS else decoder_folder(arch, d)


def _llama_cpp_rows(w, heads: int):
    """q / k rows in llama.cpp's order (each head's rotary halves interleaved), which transformers' GGUF loader
    undoes."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama_gguf(path: Path, seed: int = 0) -> tuple[Path, object]:
    """A GGUF file (float32 tensors, llama.cpp's names and metadata, the byte tokenizer as a 'gpt2' BPE without
    merges) of a 1-layer, hidden-32 Llama written by the `gguf` package; returns it and the HF model it holds."""
    import gguf
    import transformers as tf

    cfg_cls, model_cls, kw = decoder_spec("llama")
    torch.manual_seed(seed)
    m = model_cls(cfg_cls(**{**HIDDEN, **kw})).eval()
    c = m.config
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-llama")
    w.add_context_length(c.max_position_embeddings)
    w.add_embedding_length(c.hidden_size)
    w.add_block_count(c.num_hidden_layers)
    w.add_feed_forward_length(c.intermediate_size)
    w.add_rope_dimension_count(c.hidden_size // c.num_attention_heads)
    w.add_rope_freq_base(c.rope_parameters["rope_theta"] if getattr(c, "rope_parameters", None) else c.rope_theta)
    w.add_head_count(c.num_attention_heads)
    w.add_head_count_kv(c.num_key_value_heads)
    w.add_layer_norm_rms_eps(c.rms_norm_eps)
    w.add_vocab_size(c.vocab_size)
    tok = byte_tokenizer()
    tokens = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_types([gguf.TokenType.NORMAL] * 256 + [gguf.TokenType.CONTROL] * 3)
    w.add_token_scores([0.0] * len(tokens))  # no merges: the loader derives none from single bytes
    w.add_bos_token_id(c.bos_token_id)
    w.add_eos_token_id(c.eos_token_id)
    w.add_pad_token_id(c.pad_token_id)
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    per_layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                 "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
                 "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                 "mlp.down_proj": "ffn_down"}
    for i in range(c.num_hidden_layers):
        names.update({f"model.layers.{i}.{k}.weight": f"blk.{i}.{v}.weight" for k, v in per_layer.items()})
    for k, name in names.items():
        t = sd[k]
        if name.endswith("attn_q.weight"):
            t = _llama_cpp_rows(t, c.num_attention_heads)
        elif name.endswith("attn_k.weight"):
            t = _llama_cpp_rows(t, c.num_key_value_heads)
        w.add_tensor(name, t.astype("float32"))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path, m
