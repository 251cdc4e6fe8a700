"""Per-head RMSNorm (Qwen3's and Gemma 3's q_norm / k_norm): RMSNorm over each head's head_dim channels of a
[T, heads * head_dim] projection, one gain of head_dim shared by every head.

head_rmsnorm: x int8/int16/int32 [T, heads * head_dim] -> y int8/int16 [T, heads * head_dim]; gamma int32
[head_dim]; attributes heads, head_dim and rmsnorm's (x_zero_point, pre_shift, eps, shift, y_zero_point, act_min,
act_max). The rows of x are [T * heads, head_dim] rows laid end to end, so the op is rmsnorm
(quant/ops/norm.py) on x viewed as [T * heads, head_dim], step for step: the C lowering calls each family's
ig_rmsnorm kernels with rows * heads rows of head_dim channels.
head_rmsnorm_f32: the same view, then rmsnorm_f32.
"""
from __future__ import annotations

from quant.ops.float_ops import rmsnorm_f32
from quant.ops.norm import rmsnorm


def _per_head(fn, node, out_dtype, x, gamma):
    t, width = x.shape
    y = fn(node, out_dtype, x.reshape(t * node.attrs["heads"], node.attrs["head_dim"]), gamma)
    return y.reshape(t, width)


def head_rmsnorm(node, out_dtype, x, gamma):
    return _per_head(rmsnorm, node, out_dtype, x, gamma)


def head_rmsnorm_f32(node, out_dtype, x, gamma):
    return _per_head(rmsnorm_f32, node, out_dtype, x, gamma)
