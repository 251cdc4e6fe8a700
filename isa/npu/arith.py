"""The NPU job's integer result, as the array and its output pipeline compute it (docs/npu.md, "Semantics").

The same steps as the reference's fully connected layers (quant/ops/linear.py: bias plus the group-scaled int32
accumulation of (x - x_zp) * w, then TFLite / CMSIS-NN requantization, the output zero point and the clamp). The
layering (isa imports nothing from quant) makes this a second implementation, held to the reference by
tests/isa/test_npu_device.py on random jobs."""
from __future__ import annotations

import numpy as np

_I32 = 1 << 32


def wrap32(v: np.ndarray) -> np.ndarray:
    """v modulo 2^32 as a signed 32-bit value (held in int64): what an int32 register keeps."""
    return (np.asarray(v, np.int64) + (1 << 31)) % _I32 - (1 << 31)


def accumulate(x: np.ndarray, x_zp: int, w: np.ndarray, bias: np.ndarray, group_scale: np.ndarray | None,
               group_size: int, group_offset: np.ndarray | None = None) -> np.ndarray:
    """int32 accumulators [m, n]: bias + sum over groups of group_scale * (the group's (x - x_zp) . w) and, with
    group offsets (asymmetric weights), group_offset * (the group's sum of x - x_zp)."""
    xc = x.astype(np.int64) - int(x_zp)
    m, k = xc.shape
    n = w.shape[0]
    w64 = w.astype(np.int64)
    if group_scale is None and group_offset is None:
        partial = xc @ w64.T
    else:
        g = k // group_size
        xg = xc.reshape(m, g, group_size)
        per_group = np.einsum("mgk,ngk->mng", xg, w64.reshape(n, g, group_size))
        scale = np.ones((n, g), np.int64) if group_scale is None else group_scale.astype(np.int64)
        partial = (per_group * scale[None, :, :]).sum(axis=2)
        if group_offset is not None:
            partial += xg.sum(axis=2) @ group_offset.astype(np.int64).T
    return wrap32(partial + bias.astype(np.int64)[None, :])


def requantize(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per output channel: left shift (in a 32-bit register), the doubling high multiply with rounding to nearest
    (ties away from zero, saturating the one overflow), then a rounding right shift (ties away from zero)."""
    shift = np.asarray(shift, np.int64)
    a = wrap32(np.asarray(acc, np.int64) << np.maximum(shift, 0))
    b = np.asarray(multiplier, np.int64)
    prod = a * b
    rounded = prod + np.where(prod >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(rounded) * (np.abs(rounded) >> 31)  # division by 2^31 toward zero
    high = np.where((a == -(1 << 31)) & (b == -(1 << 31)), (1 << 31) - 1, high)
    right = np.maximum(-shift, 0)
    mask = (np.int64(1) << right) - 1
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0))


def output(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray, y_zp: int, act_min: int, act_max: int,
           out_type: str) -> np.ndarray:
    """The job's output: requantized accumulators plus the zero point, clamped to [act_min, act_max]."""
    y = requantize(acc, multiplier[None, :], shift[None, :]) + int(y_zp)
    return np.clip(y, act_min, act_max).astype({"int8": np.int8, "int16": np.int16, "int32": np.int32}[out_type])


def unpack_int4_rows(packed: np.ndarray, n: int) -> np.ndarray:
    """int4 weights from row pairs (byte = 16 * w[2p] + w[2p + 1] + 8; the CPU kernels' layout) -> int8 [n, k]."""
    b = packed.astype(np.int16)
    w = np.empty((2 * packed.shape[0], packed.shape[1]), np.int8)
    w[0::2], w[1::2] = b >> 4, (b & 15) - 8
    return w[:n]
