"""Soft-capping, c tanh(x / c) (Gemma 2's attention scores and final logits), as an integer tanh through the
sigmoid of quant/ops/fixed.py: tanh(u) = 2 sigmoid(2u) - 1.

softcap: x int8/int16/int32 (any shape) -> y int8/int16/int32 of the same shape; attributes x_zero_point,
in_multiplier, in_shift, out_multiplier, out_shift, y_zero_point, act_min, act_max.
    z = clamp(mul_rshr(x - x_zero_point, in_multiplier, in_shift), -2^31, 2^31 - 1)   (= 2 x / c in Q12)
    t = 2 sigmoid_q15(z) - 2^15                                                       (= tanh(x / c) in Q15)
    y = clamp(mul_rshr(t, out_multiplier, out_shift) + y_zero_point, act_min, act_max) (out_multiplier: c / s_y)
  so in_multiplier / 2^in_shift = 2^13 s_x / c and out_multiplier / 2^out_shift = c / (2^15 s_y). sigmoid_q15
  saturates at |z| = 16 (|x| = 8 c); its Q15 steps give |t| errors of about 2^-15, i.e. c 2^-15 on y.
softcap_f32: c tanh(x / c) in float32 (attribute cap = c).
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import i64, mul_rshr, saturate, sigmoid_q15


def softcap(node, out_dtype, x):
    a = node.attrs
    z = np.clip(mul_rshr(i64(x) - a["x_zero_point"], a["in_multiplier"], a["in_shift"]), -(1 << 31), (1 << 31) - 1)
    t = 2 * sigmoid_q15(z) - (1 << 15)
    return saturate(mul_rshr(t, a["out_multiplier"], a["out_shift"]) + a["y_zero_point"], out_dtype, a)


def softcap_f32(node, out_dtype, x):
    c = np.float32(node.attrs["cap"])
    return (np.tanh(x.astype(np.float32) / c) * c).astype(np.float32)
