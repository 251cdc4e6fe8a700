"""Integer LayerNorm and RMSNorm over the last dimension (C channels), one row (token) at a time.

layernorm: x int8/int16 [T, C] -> y int8/int16 [T, C]; gamma int32 [C], beta int32 [C]; attributes x_zero_point,
eps (int64 value added to the sum of squares), shift, y_zero_point, act_min, act_max.
    c[i]  = x[i] - x_zero_point                        int32
    sum   = sum_i c[i]                                 int32
    d[i]  = C * c[i] - sum                             int32  (= C * (c[i] - mean); |d| <= C * 2^17, C <= 2^13)
    ss    = sum_i d[i]^2 + eps                         int64  (= C^3 var + eps)
    r     = max(isqrt(ss), 1)                          floor square root (quant/ops/fixed.py)
    n[i]  = round_div(d[i] * 2^20, r)                  int64, |n| <= 2^20   (= (x - mean) / (sqrt(C) sigma) in Q20)
    y[i]  = clamp(rshr(n[i] * gamma[i] + beta[i], shift) + y_zero_point, act_min, act_max)
  so gamma[i] = round(g_i sqrt(C) 2^(shift - 20) / s_y), beta[i] = round(b_i 2^shift / s_y), eps = round(C^3 eps / s_x^2).

rmsnorm: x int8/int16/int32 [T, C] -> y int8/int16 [T, C]; gamma int32 [C]; attributes x_zero_point, pre_shift, eps,
shift, y_zero_point, act_min, act_max.
    c[i]  = clamp(rshr(x[i] - x_zero_point, pre_shift), -(2^24 - 1), 2^24 - 1)     int32
    ss    = sum_i c[i]^2 + eps                                                     int64 (C <= 2^13)
    r     = max(isqrt(ss), 1)
    n[i]  = round_div(c[i] * 2^20, r)                                              (= x / (sqrt(C) rms) in Q20)
    y[i]  = clamp(rshr(n[i] * gamma[i], shift) + y_zero_point, act_min, act_max)
  gamma[i] = round(g_i sqrt(C) 2^(shift - 20) / s_y), eps = round(C eps / (s_x 2^pre_shift)^2).
Both: n * gamma is an int64 product (|gamma| < 2^31); the C kernel does one int64 division per element.
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import i64, isqrt, round_div, rshr, saturate

C_MAX = 1 << 24


def layernorm(node, out_dtype, x, gamma, beta):
    a = node.attrs
    c = i64(x) - a["x_zero_point"]
    ch = c.shape[-1]
    d = ch * c - c.sum(axis=-1, keepdims=True)
    ss = (d * d).sum(axis=-1, keepdims=True) + a["eps"]
    r = np.maximum(isqrt(ss), 1)
    n = round_div(d << 20, r)
    y = rshr(n * i64(gamma) + i64(beta), a["shift"]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)


def rmsnorm(node, out_dtype, x, gamma):
    a = node.attrs
    c = np.clip(rshr(i64(x) - a["x_zero_point"], a["pre_shift"]), -(C_MAX - 1), C_MAX - 1)
    ss = (c * c).sum(axis=-1, keepdims=True) + a["eps"]
    r = np.maximum(isqrt(ss), 1)
    n = round_div(c << 20, r)
    y = rshr(n * i64(gamma), a["shift"]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)
