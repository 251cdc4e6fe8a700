"""The fully connected layers with symmetric weights: fully_connected, fully_connected_grouped, fully_connected_wide.

Inputs: x [B, K] (zero point x_zero_point), weight int8 [N, K] holding int8 values in [-127, 127] (weight_bits 8) or
int4 values in [-8, 7] (weight_bits 4, stored unpacked: codegen packs them two per byte in the layout each kernel
wants), bias int32 [N], group_scale int32 [N, K/group_size] in [0, 2^15) (the grouped ops), multiplier int32 [N],
shift int32 [N]:

    acc[b, n] = bias[n] + sum_g group_scale[n, g] * sum_{k in group g} (x[b, k] - x_zero_point) * w[n, k]   int32
    y[b, n]   = clamp(requantize(acc, multiplier[n], shift[n]) + y_zero_point, act_min, act_max)

fully_connected: x and y int8, weights per output channel (one group of K, no group_scale: scale 1).
fully_connected_grouped: x and y int8, group-wise weights. fully_connected_wide: x int8 or int16, y int8, int16 or
int32 (the output tensor's dtype); with int8 in and out it equals fully_connected_grouped bit for bit.
requantize is quant/ops/fixed.py's (TFLite / CMSIS-NN rounding); y + y_zero_point is formed in int64 and clamped to
[act_min, act_max], which lie inside the output dtype. Validation guarantees |acc| < 2^31 from the bounds of x, w,
group_scale and bias.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import exact_matmul, requantize, saturate


def grouped_accumulate(x: np.ndarray, x_zp: int, w: np.ndarray, bias, group_scale: np.ndarray, group_size: int,
                       group_offset: np.ndarray | None = None) -> np.ndarray:
    """The exact int32 accumulator of a grouped fully connected layer, as int64 [B, N]: bias + sum_g (group_scale *
    sum_{k in g} xc w + group_offset * sum_{k in g} xc), xc = x - x_zp (no offset term without group_offset)."""
    xc = x.astype(np.int64) - x_zp
    bx = int(np.abs(xc).max(initial=0))
    bw = int(np.abs(w).max(initial=0))
    acc = np.zeros((x.shape[0], w.shape[0]), np.int64) + np.asarray(bias, np.int64)
    for g in range(x.shape[1] // group_size):
        sl = slice(g * group_size, (g + 1) * group_size)
        acc += exact_matmul(xc[:, sl], w[:, sl].T, bx, bw) * group_scale[:, g].astype(np.int64)[None, :]
        if group_offset is not None:
            acc += xc[:, sl].sum(axis=1, keepdims=True) * group_offset[:, g].astype(np.int64)[None, :]
    return acc


def fully_connected(node, out_dtype, x, w, b, mult, shift) -> np.ndarray:
    a = node.attrs
    acc = exact_matmul(x.astype(np.int64) - a["x_zero_point"], w.T, 255, 127) + b.astype(np.int64)
    y = requantize(acc, mult[None, :], shift[None, :]) + a["y_zero_point"]
    return np.clip(y, a["act_min"], a["act_max"]).astype(np.int8)


def fully_connected_wide(node, out_dtype, x, w, bias, group_scale, mult, shift):
    a = node.attrs
    acc = grouped_accumulate(x, a["x_zero_point"], w, bias, group_scale, a["group_size"])
    y = requantize(acc, mult[None, :], shift[None, :]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)


fully_connected_grouped = fully_connected_wide  # int8 in and out (validated): the same steps

