"""Float32 reference ops of captured (not yet quantized) graphs: the same structure and attributes as their integer
counterparts, with float arithmetic. They exist to check a capture against the source model and to calibrate."""
from __future__ import annotations

import math

import numpy as np

from quant.ops.attention import causal_mask, split_heads
from quant.ops.embedding import embedding
from quant.ops.rope import rotate_half

F32 = np.float32


def embedding_f32(node, out_dtype, ids, table):
    return embedding(node, out_dtype, ids, table).astype(F32)


def add_f32(node, out_dtype, a, b):
    return (a + b).astype(F32)


def mul_f32(node, out_dtype, a, b):
    return (a * b).astype(F32)


def layernorm_f32(node, out_dtype, x, gamma, beta):
    x = x.astype(F32)
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return ((x - mu) / np.sqrt(var + F32(node.attrs["eps"])) * gamma + beta).astype(F32)


def rmsnorm_f32(node, out_dtype, x, gamma):
    x = x.astype(F32)
    ms = (x * x).mean(-1, keepdims=True)
    return (x / np.sqrt(ms + F32(node.attrs["eps"])) * gamma).astype(F32)


def _erf(x: np.ndarray) -> np.ndarray:
    import torch  # numpy has no erf; torch's is vectorized

    return torch.special.erf(torch.from_numpy(np.ascontiguousarray(x, np.float64))).numpy()


def gelu_f32(node, out_dtype, x):
    x = x.astype(np.float64)
    if node.attrs.get("approximate", "none") == "tanh":
        y = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    else:
        y = 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    return y.astype(F32)


def silu_f32(node, out_dtype, x):
    x = x.astype(np.float64)
    return (x / (1 + np.exp(-x))).astype(F32)


def softmax_f32(node, out_dtype, x):
    x = x.astype(F32)
    t, s = x.shape[-2], x.shape[-1]
    if node.attrs["causal"]:
        x = np.where(causal_mask(t, s), x, F32(-np.inf))
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return (e / e.sum(-1, keepdims=True)).astype(F32)


def matmul_qk_f32(node, out_dtype, q, k):
    a = node.attrs
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]
    qh = split_heads(q, h, hd)
    kh = np.repeat(split_heads(k, hkv, hd), h // hkv, axis=0)
    return (np.matmul(qh, kh.transpose(0, 2, 1)) * F32(a["scale"])).astype(F32)


def matmul_pv_f32(node, out_dtype, p, v):
    a = node.attrs
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]
    vh = np.repeat(split_heads(v, hkv, hd), h // hkv, axis=0)
    y = np.matmul(p, vh)  # [H, T, hd]
    return y.transpose(1, 0, 2).reshape(p.shape[1], h * hd).astype(F32)


def rope_f32(node, out_dtype, x, positions, cos, sin):
    pos = np.asarray(positions).astype(np.int64).reshape(-1)
    return rotate_half(x, pos, cos, sin, node.attrs["heads"], node.attrs["head_dim"]).astype(F32)


def fully_connected_f32(node, out_dtype, x, w, b):
    """y = x @ w.T + b, then relu when the attribute says so (float32; the FP32 baseline)."""
    y = x.astype(F32) @ w.T + b
    return np.maximum(y, F32(0)) if node.attrs["relu"] else y.astype(F32)


def relu_f32(node, out_dtype, x):
    return np.maximum(x, F32(0))
