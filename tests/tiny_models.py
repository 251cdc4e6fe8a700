"""Small random-weight transformers from a config (no tokenizer: feed token ids), for the tests to capture, quantize
and run."""


def tiny_gpt2(seed: int = 0, layers: int = 2, hidden: int = 64, heads: int = 4, vocab: int = 512,
              positions: int = 128):
    """A GPT-2 with random weights from a config (no tokenizer: feed token ids)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    cfg = GPT2Config(n_layer=layers, n_embd=hidden, n_head=heads, vocab_size=vocab, n_positions=positions)
    return GPT2LMHeadModel(cfg).eval()


def tiny_llama(seed: int = 0, layers: int = 2, hidden: int = 64, heads: int = 4, kv_heads: int = 2,
               vocab: int = 512, positions: int = 128):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                      num_key_value_heads=kv_heads, intermediate_size=hidden * 3, vocab_size=vocab,
                      max_position_embeddings=positions, tie_word_embeddings=True)
    return LlamaForCausalLM(cfg).eval()
