"""rope: rotary position embedding with precomputed fixed-point tables (the 'rotate half' layout of Llama).

x int8 [T, heads*head_dim] (zero point x_zero_point), positions int32 [T], cos and sin int16 [P, head_dim/2]
holding round(cos(p * theta_i) * 2^14) and round(sin(p * theta_i) * 2^14). For each head h, i < head_dim/2,
with a = x[t, h*hd + i] - x_zero_point, b = x[t, h*hd + i + hd/2] - x_zero_point, c = cos[pos[t], i], s = sin[pos[t], i]:
    y[t, h*hd + i]        = clamp(requantize(a*c - b*s, multiplier, shift) + y_zero_point, act_min, act_max)
    y[t, h*hd + i + hd/2] = clamp(requantize(b*c + a*s, multiplier, shift) + y_zero_point, act_min, act_max)
The products are int32 (|a*c - b*s| <= 2 * 255 * 2^14 < 2^23); multiplier/shift (scalar attributes, TFLite rounding)
encode s_x / (2^14 s_y). A position outside [0, P) is an error.
"""
from __future__ import annotations

import numpy as np

from quant.errors import GraphError
from quant.ops.fixed import requantize, saturate


def rope(node, out_dtype, x, positions, cos, sin):
    a = node.attrs
    pos = np.asarray(positions).astype(np.int64).reshape(-1)
    if pos.size and (pos.min() < 0 or pos.max() >= cos.shape[0]):
        raise GraphError(f"node {node.name!r}: position out of range [0, {cos.shape[0]}): the table is too short")
    y = rotate_half(x.astype(np.int64) - a["x_zero_point"], pos, cos.astype(np.int64), sin.astype(np.int64),
                    a["heads"], a["head_dim"])
    return saturate(requantize(y, a["multiplier"], a["shift"]) + a["y_zero_point"], out_dtype, a)


def rotate_half(x: np.ndarray, pos: np.ndarray, cos: np.ndarray, sin: np.ndarray, h: int, hd: int) -> np.ndarray:
    """x [T, h*hd] rotated by the table rows of pos, in the arithmetic of the arrays (integer rope and rope_f32)."""
    t, half = x.shape[0], hd // 2
    xr = x.reshape(t, h, hd)
    xa, xb = xr[..., :half], xr[..., half:]
    c = cos[pos][:, None, :]
    s = sin[pos][:, None, :]
    return np.concatenate([xa * c - xb * s, xb * c + xa * s], axis=-1).reshape(t, h * hd)
