"""Capture of Hugging Face transformers into FP32 IntGraphs: the architecture registry, the graph builder, and the
captures that still walk modules by hand (BERT encoders, e.g. all-MiniLM-L6-v2, and GPT-2).

Decoders of the Llama family (Llama with any RoPE whose tables are fixed, e.g. SmolLM2; Mistral; Qwen2) are read
from their exported computation instead (quant/export_capture.py, docs/capture.md). One sequence per run, no
padding: graph inputs are `input_ids` int32 [T] and `positions` int32 [T] (0..T-1 for a whole sequence; any T up to
`max_positions` runs, shapes in the graph are those of `seq_len`). Outputs: BERT `hidden` [T, H] (the last hidden
state; sentence embeddings are its mean over tokens), decoders `logits` [T, vocab]. Anything else raises
UnsupportedOp naming the op or module and its location. Each architecture is one ARCHITECTURES entry, registered
with @architecture (docs/extending.md "A model architecture").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from quant.errors import UnsupportedOp
from quant.ir import Graph, Node, TensorInfo
from quant.ops.checks import validate


@dataclass(frozen=True)
class Architecture:
    model_type: str                   # config.json's model_type
    kind: str                         # encoder | decoder (quant/model_registry.py KINDS)
    classes: tuple[str, ...]          # the module classes captured (type(module).__name__)
    capture: Callable[..., Graph]     # (module, config, seq_len, max_positions or None, name) -> the FP32 graph
    inner: str | None = None          # the attribute holding the captured module in a model wrapping it (BertFor...)

    def root(self, model):
        return getattr(model, self.inner, model) if self.inner else model


ARCHITECTURES: dict[str, Architecture] = {}


def architecture(model_type: str, kind: str, *classes: str, inner: str | None = None):
    def register(capture):
        ARCHITECTURES[model_type] = Architecture(model_type, kind, classes, capture, inner)
        return capture
    return register


def architecture_of(model) -> Architecture | None:
    """The registered architecture of a Hugging Face model (by its config's model_type), None for anything else."""
    return ARCHITECTURES.get(getattr(getattr(model, "config", None), "model_type", None))


def is_encoder(model) -> bool:
    arch = architecture_of(model)
    return arch is not None and arch.kind == "encoder"


class GraphBuilder:
    """Appends nodes, tensors and constants; names outputs `<node name>`."""

    def __init__(self, name: str):
        self.name = name
        self.tensors: dict[str, TensorInfo] = {}
        self.constants: dict[str, np.ndarray] = {}
        self.nodes: list[Node] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def input(self, name: str, shape: tuple[int, ...], dtype: str) -> str:
        self.tensors[name] = TensorInfo(name, shape, dtype)
        self.inputs.append(name)
        return name

    def const(self, name: str, a: np.ndarray) -> str:
        self.constants[name] = np.ascontiguousarray(a)
        return name

    def node(self, op: str, name: str, inputs: list[str], shape: tuple[int, ...], attrs: dict | None = None,
             out: str | None = None) -> str:
        """A float node; its output tensor is named like the node unless `out` names it."""
        out = out or name
        self.tensors[out] = TensorInfo(out, tuple(int(d) for d in shape), "float32")
        self.nodes.append(Node(op, name, list(inputs), [out], dict(attrs or {})))
        return out

    def shape(self, name: str) -> tuple[int, ...]:
        return self.constants[name].shape if name in self.constants else self.tensors[name].shape

    def linear(self, name: str, x: str, weight, bias, out: str | None = None) -> str:
        """weight [N, K] as nn.Linear stores it (torch tensors; bias may be None)."""
        w = _np(weight)
        self.const(f"{name}.weight", w)
        self.const(f"{name}.bias", np.zeros(w.shape[0], np.float32) if bias is None else _np(bias))
        return self.node("fully_connected_f32", name, [x, f"{name}.weight", f"{name}.bias"],
                         (self.shape(x)[0], w.shape[0]), {"relu": False}, out)

    def dense(self, name: str, x: str, module) -> str:
        """An nn.Linear module."""
        return self.linear(name, x, module.weight, module.bias)

    def token_inputs(self, t: int) -> tuple[str, str]:
        return self.input("input_ids", (t,), "int32"), self.input("positions", (t,), "int32")

    def graph(self, meta: dict) -> Graph:
        g = Graph(self.name, self.inputs, self.outputs, self.tensors, self.constants, self.nodes, meta)
        validate(g, integer_only=False)
        return g


def _np(t) -> np.ndarray:
    return t.detach().float().cpu().numpy().astype(np.float32)


def _expect(module, path: str, classes: tuple[str, ...]) -> None:
    if type(module).__name__ not in classes:
        raise UnsupportedOp(f"unsupported module {type(module).__name__} at {path}: intgap captures "
                            f"{', '.join(sorted(classes))} there; replace the module or extend quant/hf_capture.py")


def capture_hf(model, seq_len: int = 128, max_positions: int | None = None, name: str | None = None) -> Graph:
    """The FP32 graph of a Hugging Face model of a registered architecture (BERT, Llama, GPT-2)."""
    arch = architecture_of(model)
    if arch is None and type(model).__name__.endswith("ForCausalLM") and hasattr(model, "base_model_prefix"):
        # another causal LM: its computation says whether the rules capture it (docs/capture.md)
        from quant.export_capture import capture_decoder

        return capture_decoder(model.eval(), model.config, seq_len, max_positions, name or model.config.model_type,
                               model.config.model_type)
    if arch is None:
        kind = getattr(getattr(model, "config", None), "model_type", None)
        raise UnsupportedOp(f"unsupported model {type(model).__name__} (model_type {kind!r}): intgap captures "
                            f"{', '.join(ARCHITECTURES)} models")
    root = arch.root(model.eval())
    _expect(root, "model", arch.classes)
    return arch.capture(root, model.config, seq_len, max_positions, name or arch.model_type)


@architecture("bert", "encoder", "BertModel", inner="bert")
def _capture_bert(bert, cfg, t: int, max_pos: int | None, name: str) -> Graph:
    if cfg.hidden_act not in ("gelu", "gelu_new", "gelu_pytorch_tanh"):
        raise UnsupportedOp(f"unsupported activation {cfg.hidden_act!r} at config.hidden_act: intgap captures gelu")
    if getattr(cfg, "position_embedding_type", "absolute") != "absolute":
        raise UnsupportedOp(f"unsupported position_embedding_type {cfg.position_embedding_type!r} at config")
    h, heads = cfg.hidden_size, cfg.num_attention_heads
    b = GraphBuilder(name)
    ids, pos = b.token_inputs(t)
    emb = bert.embeddings
    b.const("embeddings.word", _np(emb.word_embeddings.weight))
    # token type 0 everywhere (single sentences): its row is folded into the position table
    b.const("embeddings.position", _np(emb.position_embeddings.weight) + _np(emb.token_type_embeddings.weight)[0])
    we = b.node("embedding_f32", "embeddings.word_lookup", [ids, "embeddings.word"], (t, h))
    pe = b.node("embedding_f32", "embeddings.position_lookup", [pos, "embeddings.position"], (t, h))
    x = b.node("add_f32", "embeddings.sum", [we, pe], (t, h))
    x = _layernorm(b, "embeddings.LayerNorm", x, emb.LayerNorm)
    approx = "none" if cfg.hidden_act == "gelu" else "tanh"
    last = len(bert.encoder.layer) - 1
    for i, layer in enumerate(bert.encoder.layer):
        pre = f"encoder.layer.{i}"
        _expect(layer, pre, ("BertLayer",))
        att, out = layer.attention.self, layer.attention.output
        q, k, v = (b.dense(f"{pre}.attention.self.{p}", x, getattr(att, p)) for p in ("query", "key", "value"))
        c = attention_nodes(b, f"{pre}.attention", q, k, v, heads, heads, t, causal=False)
        o = b.dense(f"{pre}.attention.output.dense", c, out.dense)
        r = b.node("add_f32", f"{pre}.attention.output.residual", [o, x], (t, h))
        x1 = _layernorm(b, f"{pre}.attention.output.LayerNorm", r, out.LayerNorm)
        f = b.dense(f"{pre}.intermediate.dense", x1, layer.intermediate.dense)
        gl = b.node("gelu_f32", f"{pre}.intermediate.gelu", [f], b.shape(f), {"approximate": approx})
        d = b.dense(f"{pre}.output.dense", gl, layer.output.dense)
        r2 = b.node("add_f32", f"{pre}.output.residual", [d, x1], (t, h))
        # the last hidden state is the graph's output (sentence embeddings are its mean over tokens)
        x = _layernorm(b, f"{pre}.output.LayerNorm", r2, layer.output.LayerNorm, out="hidden" if i == last else None)
    b.outputs.append(x)
    return b.graph({"source": "hf-bert", "architecture": "bert", "hidden_size": h, "layers": len(bert.encoder.layer),
                    "heads": heads, "seq_len": t, "max_positions": int(cfg.max_position_embeddings)})


def attention_nodes(b: GraphBuilder, pre: str, q: str, k: str, v: str, heads: int, kv_heads: int, t: int,
                    causal: bool, scale: float | None = None) -> str:
    """scores = q k^T * scale (default 1 / sqrt(head_dim)), softmax (causal or not), context = p v; heads live in
    the channel dimension."""
    hd = b.shape(q)[1] // heads
    s = b.node("matmul_qk_f32", f"{pre}.scores", [q, k], (heads, t, t),
               {"heads": heads, "kv_heads": kv_heads, "head_dim": hd,
                "scale": 1.0 / math.sqrt(hd) if scale is None else scale})
    p = b.node("softmax_f32", f"{pre}.probs", [s], (heads, t, t), {"causal": causal})
    return b.node("matmul_pv_f32", f"{pre}.context", [p, v], (t, heads * hd),
                  {"heads": heads, "kv_heads": kv_heads, "head_dim": hd})


def _layernorm(b: GraphBuilder, pre: str, x: str, ln, out: str | None = None) -> str:
    _expect(ln, pre, ("LayerNorm",))
    b.const(f"{pre}.gamma", _np(ln.weight))
    b.const(f"{pre}.beta", _np(ln.bias))
    return b.node("layernorm_f32", pre, [x, f"{pre}.gamma", f"{pre}.beta"], b.shape(x), {"eps": float(ln.eps)},
                  out=out)


def rope_tables(inv_freq: np.ndarray, positions: int, attention_scaling: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    ang = np.arange(positions, dtype=np.float64)[:, None] * inv_freq.astype(np.float64)[None, :]
    return (np.cos(ang) * attention_scaling).astype(np.float32), (np.sin(ang) * attention_scaling).astype(np.float32)


def _exported(model_type: str, *classes: str):
    """A decoder captured from its exported computation (quant/export_capture.py, docs/capture.md)."""
    def capture(model, cfg, t: int, max_pos: int | None, name: str) -> Graph:
        from quant.export_capture import capture_decoder

        return capture_decoder(model, cfg, t, max_pos, name, model_type)
    architecture(model_type, "decoder", *classes)(capture)


_exported("llama", "LlamaForCausalLM")
_exported("mistral", "MistralForCausalLM")
_exported("qwen2", "Qwen2ForCausalLM")
_exported("phi3", "Phi3ForCausalLM")


@architecture("gpt2", "decoder", "GPT2LMHeadModel")
def _capture_gpt2(model, cfg, t: int, max_pos: int | None, name: str) -> Graph:
    tr = model.transformer
    h, heads = cfg.n_embd, cfg.n_head
    if cfg.activation_function not in ("gelu_new", "gelu", "gelu_pytorch_tanh"):
        raise UnsupportedOp(f"unsupported activation {cfg.activation_function!r} at config.activation_function")
    b = GraphBuilder(name)
    ids, pos = b.token_inputs(t)
    b.const("wte", _np(tr.wte.weight))
    b.const("wpe", _np(tr.wpe.weight))
    we = b.node("embedding_f32", "wte_lookup", [ids, "wte"], (t, h))
    pe = b.node("embedding_f32", "wpe_lookup", [pos, "wpe"], (t, h))
    x = b.node("add_f32", "embed", [we, pe], (t, h))
    approx = "none" if cfg.activation_function == "gelu" else "tanh"
    for i, blk in enumerate(tr.h):
        pre = f"h.{i}"
        _expect(blk, pre, ("GPT2Block",))
        _expect(blk.attn.c_attn, f"{pre}.attn.c_attn", ("Conv1D",))
        n = _layernorm(b, f"{pre}.ln_1", x, blk.ln_1)
        w = blk.attn.c_attn.weight.detach().T  # Conv1D stores [in, out]
        bias = blk.attn.c_attn.bias.detach()
        q, k, v = (b.linear(f"{pre}.attn.{p}", n, w[j * h:(j + 1) * h], bias[j * h:(j + 1) * h])
                   for j, p in enumerate("qkv"))
        c = attention_nodes(b, f"{pre}.attn", q, k, v, heads, heads, t, causal=True)
        o = b.linear(f"{pre}.attn.c_proj", c, blk.attn.c_proj.weight.detach().T, blk.attn.c_proj.bias)
        x = b.node("add_f32", f"{pre}.attn_residual", [x, o], (t, h))
        n2 = _layernorm(b, f"{pre}.ln_2", x, blk.ln_2)
        f = b.linear(f"{pre}.mlp.c_fc", n2, blk.mlp.c_fc.weight.detach().T, blk.mlp.c_fc.bias)
        gl = b.node("gelu_f32", f"{pre}.mlp.gelu", [f], b.shape(f), {"approximate": approx})
        d = b.linear(f"{pre}.mlp.c_proj", gl, blk.mlp.c_proj.weight.detach().T, blk.mlp.c_proj.bias)
        x = b.node("add_f32", f"{pre}.mlp_residual", [x, d], (t, h))
    n = _layernorm(b, "ln_f", x, tr.ln_f)
    b.outputs.append(b.linear("logits", n, model.lm_head.weight, None))
    return b.graph({"source": "hf-gpt2", "architecture": "gpt2", "hidden_size": h, "layers": len(tr.h),
                    "heads": heads, "seq_len": t, "max_positions": int(cfg.n_positions),
                    "vocab_size": int(cfg.vocab_size)})


def sequence_inputs(ids) -> dict[str, np.ndarray]:
    """Graph inputs for one whole sequence of token ids."""
    ids = np.asarray(ids, np.int32).reshape(-1)
    return {"input_ids": ids, "positions": np.arange(ids.size, dtype=np.int32)}
