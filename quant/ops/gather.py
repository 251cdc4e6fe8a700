"""channel_gather: picks (and requantizes) channels of a tensor; the integer outlier split uses it
(quant/transformer_ptq.py _lower_fc_split).

Inputs: x int8 / int16 / int32 [B, K] (zero point x_zero_point), index int32 [J] (a constant, values in [-1, K)).
Output int8 / int16 / int32 [B, J] (the output tensor's dtype); attributes x_zero_point, multiplier in [0, 2^31),
shift in [0, 62], y_zero_point, act_min, act_max.

    c[b, j] = x[b, index[j]] - x_zero_point        (c = 0 where index[j] = -1)
    y[b, j] = clamp(rshr(c[b, j] * multiplier, shift) + y_zero_point, act_min, act_max)
rshr is quant/ops/fixed.py's rounding shift (ties toward +inf); the product is int64 (validation keeps it below
2^62). index = -1 so writes clamp(y_zero_point): the output's zero (real value 0).
"""
from __future__ import annotations

import numpy as np

from quant.ops.fixed import i64, rshr, saturate


def channel_gather(node, out_dtype, x, index):
    a = node.attrs
    idx = np.asarray(index, np.int64)
    c = np.where(idx[None, :] < 0, 0, (i64(x) - a["x_zero_point"])[:, np.maximum(idx, 0)])
    y = rshr(c * a["multiplier"], a["shift"]) + a["y_zero_point"]
    return saturate(y, out_dtype, a)
