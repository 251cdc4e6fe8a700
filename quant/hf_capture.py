"""Capture of Hugging Face transformers into FP32 IntGraphs: the architecture registry and the graph builder.

Every architecture is read from its exported computation (quant/export_capture.py, docs/capture.md): decoders of
the Llama family (Llama with any RoPE whose tables are fixed, e.g. SmolLM2; Mistral; Qwen2; Qwen3; Phi-3; OLMo 2;
Gemma, Gemma 2, Gemma 3), GPT-2, and the encoders BERT (e.g. all-MiniLM-L6-v2) and DistilBERT. One sequence per run, no
padding: graph inputs are `input_ids` int32 [T] and `positions` int32 [T] (0..T-1 for a whole sequence; any T up to
`max_positions` runs, shapes in the graph are those of `seq_len`). Outputs: encoders `hidden` [T, H] (the last hidden
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

    def rename(self, old: str, new: str) -> None:
        """Renames a tensor in place (its position among the tensors kept): an encoder's last hidden state is
        `hidden`."""
        self.tensors = {(new if k == old else k): (TensorInfo(new, v.shape, v.dtype) if k == old else v)
                        for k, v in self.tensors.items()}
        for n in self.nodes:
            n.inputs[:] = [new if x == old else x for x in n.inputs]
            n.outputs[:] = [new if x == old else x for x in n.outputs]

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


def rope_tables(inv_freq: np.ndarray, positions: int, attention_scaling: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    ang = np.arange(positions, dtype=np.float64)[:, None] * inv_freq.astype(np.float64)[None, :]
    return (np.cos(ang) * attention_scaling).astype(np.float32), (np.sin(ang) * attention_scaling).astype(np.float32)


def _exported(model_type: str, *classes: str):
    """A decoder captured from its exported computation (quant/export_capture.py, docs/capture.md)."""
    def capture(model, cfg, t: int, max_pos: int | None, name: str) -> Graph:
        from quant.export_capture import capture_decoder

        return capture_decoder(model, cfg, t, max_pos, name, model_type)
    architecture(model_type, "decoder", *classes)(capture)


def _encoder(model_type: str, cls: str, inner: str):
    """An encoder captured from its exported computation; `inner` holds it in a model wrapping it (BertFor...)."""
    def capture(model, cfg, t: int, max_pos: int | None, name: str) -> Graph:
        from quant.export_capture import capture_encoder

        return capture_encoder(model, cfg, t, name, model_type)
    architecture(model_type, "encoder", cls, inner=inner)(capture)


_encoder("bert", "BertModel", "bert")
_exported("llama", "LlamaForCausalLM")
_exported("mistral", "MistralForCausalLM")
_exported("qwen2", "Qwen2ForCausalLM")
_exported("phi3", "Phi3ForCausalLM")
_exported("gpt2", "GPT2LMHeadModel")
_exported("qwen3", "Qwen3ForCausalLM")
_exported("olmo2", "Olmo2ForCausalLM")
_exported("gemma", "GemmaForCausalLM")
_exported("gemma2", "Gemma2ForCausalLM")
_exported("gemma3_text", "Gemma3ForCausalLM")
_exported("opt", "OPTForCausalLM")
_exported("gpt_neox", "GPTNeoXForCausalLM")
_encoder("distilbert", "DistilBertModel", "distilbert")


def sequence_inputs(ids) -> dict[str, np.ndarray]:
    """Graph inputs for one whole sequence of token ids."""
    ids = np.asarray(ids, np.int32).reshape(-1)
    return {"input_ids": ids, "positions": np.arange(ids.size, dtype=np.int32)}
