"""Elementwise integer ops: add and mul with rescale, GELU and SiLU. Inputs and output int8, int16 or int32 of one
shape (the output dtype is the output tensor's); all arithmetic in int64 as stated, then saturation to
[act_min, act_max] (inside the output dtype).

add:  y = clamp(rshr((a - a_zero_point) * a_multiplier + (b - b_zero_point) * b_multiplier, shift) + y_zero_point)
      a_multiplier, b_multiplier in [0, 2^31) encode s_a / s_y and s_b / s_y as m / 2^shift; int64 products and sum
      (validation keeps each product below 2^62).
mul:  y = clamp(rshr((a - a_zero_point) * (b - b_zero_point) * multiplier, shift) + y_zero_point)
      multiplier encodes s_a * s_b / s_y; the three-factor product is int64 (validation keeps it below 2^62).
gelu / silu (the sigmoid forms):
      x12 = clamp(mul_rshr(x - x_zero_point, in_multiplier, in_shift), -2^31, 2^31 - 1)   real x in Q12
      silu: f = rshr(x12 * sigmoid_q15(x12), 15)
      gelu: xc = clamp(x12, -8 * 2^12, 8 * 2^12)
            x3 = rshr(rshr(xc * xc, 12) * xc, 12)
            u  = rshr((xc + rshr(x3 * 2930, 16)) * 26145, 14)     2930 = 0.044715 * 2^16, 26145 = 2 sqrt(2/pi) * 2^14
            f  = rshr(x12 * sigmoid_q15(u), 15)                    (GELU's tanh form: x * sigmoid(2 sqrt(2/pi)(x + 0.044715 x^3)))
      y = clamp(mul_rshr(f, out_multiplier, out_shift) + y_zero_point, act_min, act_max)   (f in Q12)
  sigmoid_q15 and the helpers are quant/ops/fixed.py's. The tanh form differs from the exact erf GELU by at most
  about 5e-4 in absolute value; the integer evaluation adds about 2^-12 * |x| + 3e-4.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import i64, mul_rshr, rshr, saturate, sigmoid_q15

GELU_C3_Q16 = 2930
GELU_K_Q14 = 26145
GELU_CLAMP = 8 << 12


def add(node, out_dtype, x_a, x_b):
    a = node.attrs
    acc = (i64(x_a) - a["a_zero_point"]) * a["a_multiplier"] + (i64(x_b) - a["b_zero_point"]) * a["b_multiplier"]
    return saturate(rshr(acc, a["shift"]) + a["y_zero_point"], out_dtype, a)


def mul(node, out_dtype, x_a, x_b):
    a = node.attrs
    prod = (i64(x_a) - a["a_zero_point"]) * (i64(x_b) - a["b_zero_point"])
    return saturate(mul_rshr(prod, a["multiplier"], a["shift"]) + a["y_zero_point"], out_dtype, a)


def to_q12(node, x) -> np.ndarray:
    a = node.attrs
    x12 = mul_rshr(i64(x) - a["x_zero_point"], a["in_multiplier"], a["in_shift"])
    return np.clip(x12, -(1 << 31), (1 << 31) - 1)


def silu_q12(x12: np.ndarray) -> np.ndarray:
    return rshr(x12 * sigmoid_q15(x12), 15)


def gelu_q12(x12: np.ndarray) -> np.ndarray:
    xc = np.clip(x12, -GELU_CLAMP, GELU_CLAMP)
    x3 = rshr(rshr(xc * xc, 12) * xc, 12)
    u = rshr((xc + rshr(x3 * GELU_C3_Q16, 16)) * GELU_K_Q14, 14)
    return rshr(x12 * sigmoid_q15(u), 15)


def _finish(node, out_dtype, f):
    a = node.attrs
    return saturate(mul_rshr(f, a["out_multiplier"], a["out_shift"]) + a["y_zero_point"], out_dtype, a)


def gelu(node, out_dtype, x):
    return _finish(node, out_dtype, gelu_q12(to_q12(node, x)))


def silu(node, out_dtype, x):
    return _finish(node, out_dtype, silu_q12(to_q12(node, x)))


def relu(node, out_dtype, x) -> np.ndarray:
    """int8 relu in the quantized domain: y = max(x, zero_point) (scale and zero point unchanged)."""
    return np.maximum(x, np.int8(node.attrs["zero_point"])).astype(np.int8)
