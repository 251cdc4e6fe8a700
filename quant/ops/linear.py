"""The fully connected layers with symmetric weights: fully_connected, fully_connected_grouped, fully_connected_wide.

fully_connected: int8 x [B, K], int8 w [N, K] symmetric per output channel (attribute weight_bits: 8, or 4 with
values in [-8, 7] stored unpacked in an int8 array; codegen packs them two per byte in the layout each kernel wants),
int32 bias [N], int32 multiplier [N] and shift [N]:
    acc[b, n] = bias[n] + sum_k (x[b, k] - x_zero_point) * w[n, k]            (exact, int32)
    y[b, n]   = clamp(requantize(acc, multiplier[n], shift[n]) + y_zero_point, act_min, act_max)    int8
fully_connected_grouped: the same with group-wise weights (int8 or int4) and integer per-group scale factors
group_scale int32 [N, K/group_size] (values in [0, 2^15)):
    acc[b, n] = bias[n] + sum_g group_scale[n, g] * sum_{k in group g} (x[b, k] - x_zero_point) * w[n, k]
then requantized and clamped as fully_connected.

fully_connected_wide: the fully connected layer whose output (and optionally input) is wider than int8.

Inputs: x int8 or int16 [B, K] (zero point x_zero_point), weight int8 [N, K] holding int8 values in [-127, 127]
(weight_bits 8) or int4 values in [-8, 7] (weight_bits 4), bias int32 [N], group_scale int32 [N, K/group_size]
(values in [0, 2^15); per-channel weights use group_size = K and group_scale 1), multiplier int32 [N], shift int32 [N].
Output int8, int16 or int32 [B, N] (its dtype is the output tensor's).

    acc[b, n] = bias[n] + sum_g group_scale[n, g] * sum_{k in group g} (x[b, k] - x_zero_point) * w[n, k]   int32
    y[b, n]   = clamp(requantize(acc, multiplier[n], shift[n]) + y_zero_point, act_min, act_max)

requantize is quant/ops/fixed.py's (TFLite / CMSIS-NN rounding); the sum y + y_zero_point is formed in int64 and
clamped to [act_min, act_max], which lie inside the output dtype. Validation guarantees |acc| < 2^31 from the
bounds of x, w, group_scale and bias. With int8 output this equals fully_connected_grouped bit for bit.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import exact_matmul, requantize, saturate


def grouped_accumulate(x: np.ndarray, x_zp: int, w: np.ndarray, bias: np.ndarray, group_scale: np.ndarray,
                       group_size: int) -> np.ndarray:
    """The exact int32 accumulator of a grouped fully connected layer, as int64 [B, N]."""
    b, k = x.shape
    n = w.shape[0]
    xc = x.astype(np.int64) - x_zp
    bx = int(np.abs(xc).max(initial=0))
    bw = int(np.abs(w).max(initial=0))
    acc = np.zeros((b, n), np.int64) + bias.astype(np.int64)[None, :]
    ng = k // group_size
    for g in range(ng):
        sl = slice(g * group_size, (g + 1) * group_size)
        part = exact_matmul(xc[:, sl], w[:, sl].T, bx, bw)
        acc += part * group_scale[:, g].astype(np.int64)[None, :]
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

