"""Weight packing and zero-point folding, done in Python at code generation (runtime_c/include/ig_kernels.h
describes the layouts the kernels read).

Every integer fully connected kernel uses x as stored; the zero-point term is folded into the bias here.
All folding is done modulo 2^32: the reference wraps its accumulator to int32 before requantizing
(quant/fixedpoint.py `_wrap32`), so the wrapped folded bias gives exactly the reference's result.
"""
from __future__ import annotations

import numpy as np

from codegen.errors import CodegenError


def wrap_int32(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.int64)
    return (((a + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)).astype(np.int32)


def fold_bias(bias: np.ndarray, w: np.ndarray, x_zero_point: int) -> np.ndarray:
    """b - x_zp * sum_k w[n, k] (int32, wrapped)."""
    return wrap_int32(bias.astype(np.int64) - int(x_zero_point) * w.astype(np.int64).sum(axis=1))


def fold_bias_grouped(bias: np.ndarray, w: np.ndarray, group_scale: np.ndarray, group_size: int,
                      x_zero_point: int) -> np.ndarray:
    """b - x_zp * sum_g group_scale[n, g] * sum_{k in g} w[n, k] (int32, wrapped)."""
    n, k = w.shape
    wsum = w.astype(np.int64).reshape(n, k // group_size, group_size).sum(axis=2)
    return wrap_int32(bias.astype(np.int64) - int(x_zero_point) * (wsum * group_scale.astype(np.int64)).sum(axis=1))


def pack_int4_pairs(w: np.ndarray) -> np.ndarray:
    """int4 weights [N, K] (values in [-8, 7], one per int8) -> row pairs [ceil(N/2), K] of int8:
    16 * w[2p] + (w[2p+1] + 8). An odd last row pairs with a row of zeros."""
    w = np.asarray(w)
    if w.size and (w.min() < -8 or w.max() > 7):
        raise CodegenError(f"int4 weights must lie in [-8, 7], found [{w.min()}, {w.max()}]: requantize the layer")
    n, k = w.shape
    if n % 2:
        w = np.concatenate([w, np.zeros((1, k), w.dtype)])
    hi = w[0::2].astype(np.int16)
    lo = w[1::2].astype(np.int16)
    return (16 * hi + lo + 8).astype(np.int8)


def unpack_int4_pairs(packed: np.ndarray, n: int) -> np.ndarray:
    """The inverse of pack_int4_pairs (for tests)."""
    b = packed.astype(np.int16)
    hi = b >> 4
    lo = (b & 15) - 8
    out = np.empty((2 * packed.shape[0], packed.shape[1]), np.int8)
    out[0::2], out[1::2] = hi, lo
    return out[:n]


def _interleave_blocks(rows: np.ndarray, rows_per_block: int, blocks: int) -> np.ndarray:
    """Blocks of `rows_per_block` rows: for each 4-column word the block's rows' words side by side, then the
    K % 4 tail of the block's rows row-major; the rows after the last block row-major."""
    k = rows.shape[1]
    kmain = k & ~3
    parts = []
    for b in range(blocks):
        blk = rows[b * rows_per_block:(b + 1) * rows_per_block]
        parts.append(blk[:, :kmain].reshape(rows_per_block, kmain // 4, 4).transpose(1, 0, 2).reshape(-1))
        parts.append(blk[:, kmain:].reshape(-1))
    parts.append(rows[blocks * rows_per_block:].reshape(-1))
    return np.concatenate(parts).astype(np.int8)


def pack_fc_weights(w: np.ndarray, bits: int, family: str) -> np.ndarray:
    """The weight array a fully connected kernel of `family` reads (runtime_c/kernels/<family>/):
    int8 row-major, or int4 row pairs (ig_kernels.h); the armdsp family interleaves blocks of four output rows
    (ig_armdsp_common.h) so one pointer walks four rows."""
    w = np.asarray(w)
    n = w.shape[0]
    rows = pack_int4_pairs(w) if bits == 4 else w.astype(np.int8)
    if family == "armdsp":
        return _interleave_blocks(rows, 2 if bits == 4 else 4, n // 4)
    return np.ascontiguousarray(rows).reshape(-1)
