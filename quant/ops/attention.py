"""Attention ops: Q.K^T scores, integer softmax, probabilities.V. Heads live in the channel dimension.

matmul_qk: q int8 [T, heads*head_dim], k int8 [S, kv_heads*head_dim] -> scores int8/int16 [heads, T, S]
    g(h) = h // (heads / kv_heads)                              (grouped KV heads: query head h reads KV head g)
    acc[h, i, j] = sum_{c < head_dim} (q[i, h*hd + c] - q_zero_point) * (k[j, g(h)*hd + c] - k_zero_point)   int32
    y[h, i, j]   = clamp(requantize(acc, multiplier, shift) + y_zero_point, act_min, act_max)
  multiplier/shift are scalar attributes (TFLite rounding, quant/ops/fixed.py); the 1/sqrt(head_dim) of attention
  is folded into them. |acc| <= head_dim * 255^2 < 2^31 for head_dim <= 2^15.

softmax: x int8/int16 [..., T, S] with scale s_x -> p [..., T, S], int16 (scale 2^-15, zero point 0) or int8
  (scale 2^-8, zero point -128), by the output dtype. in_multiplier/in_shift encode s_x * log2(e) * 2^16 as
  m / 2^s (m < 2^31). Per row (i = row index within the last two dims):
    valid[j] = (j <= S - T + i) if causal else true             (causal: query i sits at position S - T + i)
    mx       = max_{valid j} x[j]
    y[j]     = mul_rshr(x[j] - mx, in_multiplier, in_shift)     (Q16 exponent of 2, <= 0; int64 product)
    e[j]     = exp2_q20(y[j]) if valid[j] else 0                (quant/ops/fixed.py; e in [0, 2^20], max element 2^20)
    sum      = sum_j e[j]                                       (int64, >= 2^20)
    r        = 2^52 // sum                                      (one int64 division per row, r <= 2^32)
    int16:   p[j] = min(rshr(e[j] * r, 37), 32767)
    int8:    p[j] = clamp(rshr(e[j] * r, 44) - 128, -128, 127)

matmul_pv: p int8/int16 [heads, T, S] (zero point p_zero_point), v int8 [S, kv_heads*head_dim]
    -> y int8 [T, heads*head_dim]:
    acc[i, h*hd + c] = sum_j (p[h, i, j] - p_zero_point) * (v[j, g(h)*hd + c] - v_zero_point)        int32
    y = clamp(requantize(acc, multiplier, shift) + y_zero_point, act_min, act_max)
  p must come from a softmax: its rows sum to <= 2^15 + S (int16) or 2^8 + S (int8), which bounds
  |acc| <= 255 * (2^15 + S) < 2^31.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import exact_matmul, exp2_q20, mul_rshr, requantize, rshr, saturate


def split_heads(x: np.ndarray, heads: int, hd: int) -> np.ndarray:
    return x.reshape(x.shape[0], heads, hd).transpose(1, 0, 2)  # [H, T, hd]


def matmul_qk(node, out_dtype, q, k):
    a = node.attrs
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]
    qc = split_heads(q.astype(np.int64) - a["q_zero_point"], h, hd)
    kc = split_heads(k.astype(np.int64) - a["k_zero_point"], hkv, hd)
    kc = np.repeat(kc, h // hkv, axis=0)
    acc = exact_matmul(qc, kc.transpose(0, 2, 1), 255, 255)
    y = requantize(acc, a["multiplier"], a["shift"]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)


def causal_mask(t: int, s: int) -> np.ndarray:
    """[t, s]: query i (at position s - t + i) sees keys j <= s - t + i."""
    return np.tri(t, s, s - t, dtype=bool)


def softmax(node, out_dtype, x):
    a = node.attrs
    xi = x.astype(np.int64)
    t, s = xi.shape[-2], xi.shape[-1]
    valid = causal_mask(t, s) if a["causal"] else np.ones((t, s), bool)
    valid = np.broadcast_to(valid, xi.shape)
    mx = np.where(valid, xi, np.iinfo(np.int64).min).max(axis=-1, keepdims=True)
    y = mul_rshr(np.where(valid, xi - mx, 0), a["in_multiplier"], a["in_shift"])
    e = np.where(valid, exp2_q20(np.minimum(y, 0)), 0)
    total = e.sum(axis=-1, keepdims=True)
    r = (1 << 52) // total
    if out_dtype == "int16":
        return np.minimum(rshr(e * r, 37), 32767).astype(np.int16)
    if out_dtype == "int8":
        return np.clip(rshr(e * r, 44) - 128, -128, 127).astype(np.int8)
    raise ValueError(f"softmax output must be int8 or int16, not {out_dtype}")


def matmul_pv(node, out_dtype, p, v):
    a = node.attrs
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]
    pc = p.astype(np.int64) - a["p_zero_point"]  # [H, T, S]
    vc = split_heads(v.astype(np.int64) - a["v_zero_point"], hkv, hd)  # [Hkv, S, hd]
    vc = np.repeat(vc, h // hkv, axis=0)
    acc = exact_matmul(pc, vc, 1 << 16, 255)  # [H, T, hd]
    acc = acc.transpose(1, 0, 2).reshape(p.shape[1], h * hd)
    y = requantize(acc, a["multiplier"], a["shift"]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)
