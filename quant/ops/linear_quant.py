"""Fully connected layers with asymmetric group-wise weights and with dynamic per-row (per-token) input scales.

fully_connected_asym: static input quantization, weights with an integer scale AND an integer offset per group.
  Inputs: x int8 or int16 [B, K] (zero point x_zero_point), weight int8 [N, K] holding int4 values in [-8, 7]
  (weight_bits 4) or int8 values in [-127, 127] (weight_bits 8), bias int32 [N], group_scale int32 [N, G] in
  [0, 2^15), group_offset int32 [N, G], multiplier int32 [N], shift int32 [N]; G = K / group_size.
  Output int8, int16 or int32 [B, N] (the output tensor's dtype).

    xc[b, k]  = x[b, k] - x_zero_point
    acc[b, n] = bias[n] + sum_g ( group_scale[n, g]  * sum_{k in g} xc[b, k] * w[n, k]
                                + group_offset[n, g] * sum_{k in g} xc[b, k] )                        int32
    y[b, n]   = clamp(requantize(acc, multiplier[n], shift[n]) + y_zero_point, act_min, act_max)

  requantize is quant/ops/fixed.py's (TFLite / CMSIS-NN rounding), as fully_connected_wide. The real weight is
  unit[n] * (group_scale[n, g] * w[n, k] + group_offset[n, g]): a min/max (asymmetric) grid per group, e.g. GGUF
  Q4_1 blocks (w = d q + m) held exactly up to the rounding of d and m to integers of unit[n]. Validation
  guarantees every partial sum fits int32, for any input: |bias| + xr * sum_g (group_scale * sum_{k in g} |w|
  + |group_offset| * group_size) < 2^31, xr = the largest |x - x_zero_point| the input dtype allows.

fully_connected_dynamic: the input is quantized to int8 per row at run time, from the row's own range.
  Inputs: x int16 or int32 [B, K] (zero point x_zero_point), weight, group_scale, group_offset as above, bias int32
  [N] (in OUTPUT units), multiplier int32 [N] in [0, 2^31), shift int32 [N]. Output int8 / int16 / int32 [B, N].
  Per row b (all integer; int64 where stated):

    r    = max(1, max_k |x[b, k] - x_zero_point|)                               int64
    e    = bitlen(r) - 15                 (bitlen(1) = 1, so e in [-14, 18])
    mr   = r << -e if e < 0 else rshr(r, e)                                     in [2^14, 2^15]
    inv  = floor(127 * 2^24 / mr)                                               unsigned 32-bit division
    q[k] = clamp(rshr((x[b, k] - x_zero_point) * inv, 24 + e), -127, 127)      int64 product
    acc[n] = sum_g ( group_scale[n, g] * sum_{k in g} q[k] * w[n, k] + group_offset[n, g] * sum_{k in g} q[k] )
                                                                                int32 (no bias)
    m[n] = rshr(multiplier[n] * mr, 15)                                         int64 product, m < 2^31
    y[b, n] = clamp(rshr(acc[n] * m[n], shift[n] - e) + bias[n] + y_zero_point, act_min, act_max)
                                                                                int64 product and sum

  rshr is quant/ops/fixed.py's rounding shift (ties toward +inf). The row's int8 step is mr 2^e / 127 input units
  (the dynamic per-token scale), so y = acc * mr 2^e * multiplier / 2^(15 + shift): with R = unit s_x / (127 s_y),
  (multiplier, shift + 15) is R as m / 2^s. Validation keeps shift[n] - e inside [0, 62] for every e the input dtype
  allows (shift in [e_max, 48]; e_max = 1 for int16, 17 for int32) and 127 * sum_g (group_scale * sum |w|
  + |group_offset| * group_size) < 2^31.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import i64, requantize, rshr, saturate
from quant.ops.linear import grouped_accumulate

DYN_LEVELS = 127      # int8 steps of a row's largest |x|
DYN_INV_BITS = 24     # inv = floor(127 * 2^24 / mr)
DYN_MANTISSA = 15     # mr in [2^14, 2^15]


def asym_accumulate(xc: np.ndarray, w: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray,
                    group_size: int) -> np.ndarray:
    """sum_g (group_scale * sum_{k in g} xc w + group_offset * sum_{k in g} xc), exact, as int64 [B, N]."""
    return grouped_accumulate(xc, 0, w, 0, group_scale, group_size, group_offset)


def fully_connected_asym(node, out_dtype, x, w, bias, group_scale, group_offset, mult, shift):
    a = node.attrs
    acc = grouped_accumulate(x, a["x_zero_point"], w, bias, group_scale, a["group_size"], group_offset)
    return saturate(requantize(acc, mult[None, :], shift[None, :]) + a["y_zero_point"], out_dtype, a)


def bitlen(v: np.ndarray) -> np.ndarray:
    """Number of bits of non-negative integers below 2^53 (bitlen(1) = 1; a row's r <= 2^32): frexp's exponent."""
    return np.frexp(i64(v).astype(np.float64))[1].astype(np.int64)


def dynamic_row_quantize(x: np.ndarray, x_zero_point: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q int64 [B, K] in [-127, 127], mr [B], e [B]): the per-row int8 quantization of fully_connected_dynamic."""
    xc = i64(x) - x_zero_point
    r = np.maximum(np.abs(xc).max(axis=1, initial=0), 1)
    e = bitlen(r) - DYN_MANTISSA
    mr = np.where(e < 0, r << np.maximum(-e, 0), rshr(r, np.maximum(e, 0)))
    inv = (DYN_LEVELS << DYN_INV_BITS) // mr
    q = np.clip(rshr(xc * inv[:, None], (DYN_INV_BITS + e)[:, None]), -DYN_LEVELS, DYN_LEVELS)
    return q, mr, e


def fully_connected_dynamic(node, out_dtype, x, w, bias, group_scale, group_offset, mult, shift):
    a = node.attrs
    q, mr, e = dynamic_row_quantize(x, a["x_zero_point"])
    acc = asym_accumulate(q, w, group_scale, group_offset, a["group_size"])
    m = rshr(mult.astype(np.int64)[None, :] * mr[:, None], DYN_MANTISSA)
    y = rshr(acc * m, shift.astype(np.int64)[None, :] - e[:, None]) + bias.astype(np.int64)[None, :] \
        + a["y_zero_point"]
    return saturate(y, out_dtype, a)
