"""Weight packing and zero-point folding (modulo 2^32, as the reference's accumulator), done in Python at code
generation; the layouts: runtime_c/include/ig_kernels.h, why folding is exact: docs/modules.md."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codegen.errors import CodegenError
from quant.ops.fixed import wrap32


def wrap_int32(a: np.ndarray) -> np.ndarray:
    return wrap32(np.asarray(a, np.int64)).astype(np.int32)


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
    return (16 * w[0::2].astype(np.int16) + w[1::2].astype(np.int16) + 8).astype(np.int8)


def _interleave_blocks(rows: np.ndarray, rows_per_block: int, blocks: int) -> np.ndarray:
    """Blocks of `rows_per_block` rows: for each 4-column word the block's rows' words side by side, then the
    K % 4 tail of the block's rows row-major; the rows after the last block row-major."""
    kmain = rows.shape[1] & ~3
    parts = []
    for b in range(blocks):
        blk = rows[b * rows_per_block:(b + 1) * rows_per_block]
        parts.append(blk[:, :kmain].reshape(rows_per_block, kmain // 4, 4).transpose(1, 0, 2).reshape(-1))
        parts.append(blk[:, kmain:].reshape(-1))
    parts.append(rows[blocks * rows_per_block:].reshape(-1))
    return np.concatenate(parts).astype(np.int8)


def _row_layout(w: np.ndarray, bits: int, family: str) -> np.ndarray:
    """int8 row-major or int4 row pairs (ig_kernels.h); the armdsp family interleaves blocks of four output rows
    (ig_armdsp_common.h) so one pointer walks four rows."""
    w = np.asarray(w)
    rows = pack_int4_pairs(w) if bits == 4 else w.astype(np.int8)
    if family == "armdsp":
        return _interleave_blocks(rows, 2 if bits == 4 else 4, w.shape[0] // 4)
    return np.ascontiguousarray(rows).reshape(-1)


# The per-channel int8 kernels that read several rows side by side (ig_fc_s8*, runtime_c/kernels/<family>/): the
# rows per call, largest first (each size while it fits, then the N % smallest rows as one block), and the columns
# per chunk (the kernel's step: NEON 64; RVV 256 = IG_RVV_ROW_CHUNK, why: docs/memory-models.md).
ROW_BLOCKS = {"neon": (16, 8, 4), "rvv": (8, 4)}
ROW_CHUNK = {"neon": 64, "rvv": 256}


def row_block_heights(n: int, sizes: tuple[int, ...]) -> list[int]:
    """The heights of the row blocks the kernel calls for N rows: each size while it fits, then the rest."""
    heights = []
    for s in sizes:
        heights += [s] * (n // s)
        n %= s
    return heights + ([n] if n else [])


def interleave_row_chunks(w: np.ndarray, heights: list[int], chunk: int) -> np.ndarray:
    """int8 [N, K] in blocks of `heights` rows, one after another; per block the chunks of `chunk` columns (the last
    one K % chunk wide) one after another, in each the block's rows' bytes of the chunk side by side (row r at
    r * width): a kernel that reads the block's rows a chunk at a time reads the layer in one sequential stream."""
    w = np.asarray(w, np.int8)
    k = w.shape[1]
    kmain = k - k % chunk
    parts, r0, i = [], 0, 0
    while i < len(heights):  # runs of equal heights, vectorized
        h, j = heights[i], i
        while j < len(heights) and heights[j] == h:
            j += 1
        blk = w[r0:r0 + h * (j - i)].reshape(j - i, h, k)
        main = blk[:, :, :kmain].reshape(j - i, h, kmain // chunk, chunk).transpose(0, 2, 1, 3).reshape(j - i, -1)
        parts.append(np.concatenate([main, blk[:, :, kmain:].reshape(j - i, -1)], axis=1).reshape(-1))
        r0, i = r0 + h * (j - i), j
    return np.concatenate(parts) if parts else np.zeros(0, np.int8)


def pack_fc_weights(w: np.ndarray, bits: int, family: str) -> np.ndarray:
    """The weight array a per-channel fully connected kernel of `family` reads (ig_fc_s8*, runtime_c/kernels/
    <family>/): int8 on NEON and RVV in row blocks read in one stream (interleave_row_chunks, ROW_BLOCKS); else
    _row_layout."""
    if bits == 8 and family in ROW_BLOCKS:
        return interleave_row_chunks(w, row_block_heights(np.shape(w)[0], ROW_BLOCKS[family]), ROW_CHUNK[family])
    return _row_layout(w, bits, family)


# ------------------------------------------------------------------ grouped fully connected layouts
GROUPED_MAX_GROUPS = 1024  # the blocked layouts: at most this many groups (a per-call array in the kernels)
NEON_GROUPED_ROWS = 32  # output rows per block of the neon family's blocked layout
RVV_GROUPED_BLOCK = 128  # rows (int8) or row pairs (int4) per block of the rvv family's blocked layout (the last: fewer)


@dataclass
class GroupedFC:
    """The arrays a grouped fully connected kernel (ig_fc_grouped_s8*) of one family reads, in that family's layout:
    "rows" (ig_kernels.h: _row_layout, the group scales transposed to [G, N], bias / multiplier / shift as given)
    or "blocked" (runtime_c/kernels/<family>/ig_<family>_common.h)."""
    layout: str
    weights: np.ndarray  # int8
    scales: np.ndarray  # int32
    bias: np.ndarray  # int32, the folded bias (fold_bias_grouped)
    multiplier: np.ndarray  # int32
    shift: np.ndarray  # int32


def grouped_layout(family: str, k: int, group_size: int) -> str:
    """"blocked" where the grouped kernels of `family` read that family's blocked layout (the kernel makes the same
    test: ig_grouped_blocked in runtime_c/kernels/<family>/ig_<family>_common.h), else "rows"."""
    groups = k // group_size
    if family == "neon" and group_size % 32 == 0 and groups <= GROUPED_MAX_GROUPS:
        return "blocked"
    if family in ("rvv", "armdsp") and group_size % 4 == 0 and groups <= GROUPED_MAX_GROUPS:
        return "blocked"
    return "rows"


def per_channel_as_grouped(family: str, extensions: tuple[str, ...], k: int, n: int) -> bool:
    """Whether a per-channel fully connected layer (int8 input) runs as the grouped kernel with one group of K
    columns and unit scales: on dot-product NEON, where the 32-row blocks pad N by at most an eighth (why:
    docs/modules.md)."""
    if family != "neon" or "dotprod" not in extensions or grouped_layout(family, k, k) != "blocked":
        return False
    return -(-n // NEON_GROUPED_ROWS) * NEON_GROUPED_ROWS - n <= n // 8


def scale_differences(group_scale: np.ndarray) -> np.ndarray:
    """d[n, g] = s[n, g] - s[n, g + 1] (s[n, G] = 0), int64: sum_g s_g S_g = sum_g d_g (S_0 + ... + S_g), so the
    blocked kernels accumulate the group sums cumulatively and multiply once per group without resetting."""
    s = group_scale.astype(np.int64)
    return s - np.concatenate([s[:, 1:], np.zeros((s.shape[0], 1), np.int64)], axis=1)


def _pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    return a if a.shape[0] == rows else np.concatenate([a, np.zeros((rows - a.shape[0],) + a.shape[1:], a.dtype)])


# int4 blocks: per 8 rows the even rows, then the odd ones (the kernels' two accumulators per four pairs)
_EVEN_ODD = np.array([0, 2, 4, 6, 1, 3, 5, 7])


def _neon_rows(v: np.ndarray, rows: int, bits: int) -> np.ndarray:
    """Per-row values [N, ...] as the NEON blocked layout holds them: zero rows up to `rows`; int4: per 8 rows the
    even rows first (_EVEN_ODD)."""
    v = _pad_rows(np.asarray(v, np.int64), rows)
    return v[(np.arange(rows // 8)[:, None] * 8 + _EVEN_ODD).reshape(-1)] if bits == 4 else v


def _shifted_left(v: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """v [N, ...] << max(shift[n], 0), modulo 2^32 (int64 holding int32 values)."""
    left = np.maximum(np.asarray(shift, np.int64), 0).reshape((-1,) + (1,) * (np.ndim(v) - 1))
    return wrap_int32(wrap_int32(v).astype(np.int64) << left).astype(np.int64)


def grouped_bias_terms(family: str, k: int, group_size: int, bits: int, terms: np.ndarray,
                       shift: np.ndarray) -> np.ndarray:
    """Per-row int32 terms [N, ...] that a program adds to a grouped kernel's bias at run time (fully_connected_asym's
    group offsets, codegen/op_calls_quant.py), arranged as pack_fc_grouped arranges that bias for `family`: the NEON
    blocked layout's padded rows (int4: even rows first per 8), each row's left shift applied modulo 2^32; every
    other layout as given."""
    if family == "neon" and grouped_layout(family, k, group_size) == "blocked":
        rows = -(-np.shape(terms)[0] // NEON_GROUPED_ROWS) * NEON_GROUPED_ROWS
        return wrap_int32(_neon_rows(_shifted_left(terms, shift), rows, bits))
    return wrap_int32(terms)


def neon_asym_scales(scales: np.ndarray, group_offset: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The scale stream of ig_fc_grouped_asym_s8w4 (runtime_c/kernels/neon/ig_fc_grouped_s8w4.c, SDOT): per block
    and group the int4 blocked layout's 48 int32 (`scales` of pack_fc_grouped: dA, dB, 16 dB) then 32 more from
    fully_connected_asym's group offsets [N, G]: dOA (their differences, scale_differences, on the pairs' even rows)
    and 8 dB - dOB (the odd rows'), each row's left shift applied as to its scales; modulo 2^32. The kernel
    multiplies them by the cumulative sum of x (C_sx), so the offset term needs no pass of its own."""
    groups = np.shape(group_offset)[1]
    sc = np.asarray(scales, np.int64).reshape(-1, groups, 3, NEON_GROUPED_ROWS // 2)
    blocks = sc.shape[0]
    od = _pad_rows(_shifted_left(scale_differences(np.asarray(group_offset)), shift), blocks * NEON_GROUPED_ROWS)
    doa, dob = (od[i::2].reshape(blocks, NEON_GROUPED_ROWS // 2, groups).transpose(0, 2, 1) for i in (0, 1))
    extra = np.stack([doa, 8 * sc[:, :, 1] - dob], axis=2)
    return wrap_int32(np.concatenate([sc, extra], axis=2).reshape(-1))


def neon_row_vectors(v: np.ndarray, bits: int) -> np.ndarray:
    """Per-row int32 values [N] in the NEON blocked layout's row order (zero rows up to the 32-row blocks; int4: per
    8 rows the even rows first), as given otherwise (no left shift folded): fully_connected_dynamic's own bias,
    multipliers and shifts for the kernels' per-token requantization (ig_fc_grouped_dyn_s8w4)."""
    return wrap_int32(_neon_rows(v, -(-np.shape(v)[0] // NEON_GROUPED_ROWS) * NEON_GROUPED_ROWS, bits))


def _neon_blocked_s8(w: np.ndarray, rows: int) -> np.ndarray:
    """int8 weights [N, K] (K a multiple of 4) in the NEON blocked layout: N padded with zero rows to `rows`, per
    block of NEON_GROUPED_ROWS rows and column quad the rows' 4 bytes side by side."""
    wp = _pad_rows(np.asarray(w, np.int8), rows)
    return wp.reshape(rows // NEON_GROUPED_ROWS, NEON_GROUPED_ROWS, wp.shape[1] // 4, 4).transpose(0, 2, 1, 3)


def _neon_grouped(w: np.ndarray, group_scale: np.ndarray, bits: int, bias: np.ndarray, multiplier: np.ndarray,
                  shift: np.ndarray) -> GroupedFC:
    """runtime_c/kernels/neon/ig_neon_common.h, blocked layout: blocks of 32 rows (N padded with zero rows); per
    block and column quad the 32 rows' (int8) or 16 row pairs' (int4) 4 bytes side by side; per block and group the
    scale differences (int8: the 32 rows'; int4: the pairs' even rows, odd rows, 16 x the odd rows'). A row's left
    shift (shift > 0) is applied here, to its bias and scales modulo 2^32 (the reference shifts the wrapped
    accumulator, so this is the same number), and the shift array keeps only the right shifts; int4 blocks order
    bias, multiplier and shift per 8 rows even rows first (0, 2, 4, 6, 1, 3, 5, 7)."""
    n, k = w.shape
    blocks = -(-n // NEON_GROUPED_ROWS)
    rows = blocks * NEON_GROUPED_ROWS
    groups = group_scale.shape[1]
    left = np.maximum(np.asarray(shift, np.int64), 0)
    d = _pad_rows(scale_differences(group_scale) << left[:, None], rows)  # [rows, G]
    vec = [_neon_rows(_shifted_left(bias, shift), rows, bits), _neon_rows(multiplier, rows, bits),
           _neon_rows(np.minimum(np.asarray(shift, np.int64), 0), rows, bits)]
    if bits == 8:
        wq = _neon_blocked_s8(w, rows)
        sc = d.reshape(blocks, NEON_GROUPED_ROWS, groups).transpose(0, 2, 1)
    else:
        pairs = pack_int4_pairs(_pad_rows(np.asarray(w), rows))  # [rows / 2, K]
        half = NEON_GROUPED_ROWS // 2
        wq = pairs.reshape(blocks, half, k // 4, 4).transpose(0, 2, 1, 3)
        da = d[0::2].reshape(blocks, half, groups).transpose(0, 2, 1)
        db = d[1::2].reshape(blocks, half, groups).transpose(0, 2, 1)
        sc = np.stack([da, db, 16 * db], axis=2)  # [blocks, G, 3, 16]
    return GroupedFC("blocked", np.ascontiguousarray(wq).reshape(-1).astype(np.int8), wrap_int32(sc.reshape(-1)),
                     *(wrap_int32(v) for v in vec))


def pack_fc_s8_blocked(w: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> GroupedFC:
    """A per-channel int8 layer as NEON's ig_fc_s8_blocked* reads it (dot product, per_channel_as_grouped shapes):
    the grouped kernels' blocked weights, multipliers and right shifts (_neon_grouped with one group of unit scales),
    the bias padded to the blocks but not shifted, and as `scales` 2^(left shift) per row, which the kernel
    multiplies the finished sum by (empty where no row shifts left: the kernel is passed none)."""
    n = w.shape[0]
    p = _neon_grouped(w, np.ones((n, 1), np.int64), 8, bias, multiplier, shift)
    rows = p.multiplier.shape[0]
    lsc = p.scales if (np.asarray(shift) > 0).any() else np.zeros(0, np.int32)
    return GroupedFC("blocked", p.weights, lsc, wrap_int32(_pad_rows(np.asarray(bias, np.int64), rows)),
                     p.multiplier, p.shift)


def pack_fc_s8_dynamic(w: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> GroupedFC:
    """A fully_connected_dynamic layer of int8 per-channel weights (one group of K, unit scale, no offset) as NEON's
    ig_fc_s8_dyn* reads it (runtime_c/kernels/neon/ig_fc_s8_dyn.c, dot product): ig_fc_s8_blocked's weights, and
    the layer's own bias, multipliers and shifts (no left shift folded: the per-token requantization shifts right
    only) padded to the 32-row blocks; no scales."""
    rows = -(-np.shape(w)[0] // NEON_GROUPED_ROWS) * NEON_GROUPED_ROWS
    vec = [neon_row_vectors(v, 8) for v in (bias, multiplier, shift)]
    return GroupedFC("blocked", np.ascontiguousarray(_neon_blocked_s8(w, rows)).reshape(-1).astype(np.int8),
                     np.zeros(0, np.int32), *vec)


def _rvv_grouped(w: np.ndarray, group_scale: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """runtime_c/kernels/rvv/ig_rvv_common.h, blocked layout: blocks of 128 rows (int8) or row pairs (int4), the
    last one narrower; per block and column quad (int8) or column pair (int4) the block's rows' / pairs' bytes side
    by side; per block and group the scale differences of its rows (int32, int8) or its pairs' even then odd rows'
    scales (int16, int4; the whole array as int32, zero-padded)."""
    k = w.shape[1]
    if bits == 8:
        rows, cols, sc = np.asarray(w, np.int8), 4, scale_differences(group_scale)
    else:
        rows, cols = pack_int4_pairs(w), 2
        s = _pad_rows(group_scale.astype(np.int64), 2 * rows.shape[0])
        sc = np.stack([s[0::2], s[1::2]], axis=1)  # [pairs, 2, G]
    wparts, sparts = [], []
    for b0 in range(0, rows.shape[0], RVV_GROUPED_BLOCK):
        blk = rows[b0:b0 + RVV_GROUPED_BLOCK]
        width = blk.shape[0]
        wparts.append(blk.reshape(width, k // cols, cols).transpose(1, 0, 2).reshape(-1))
        sb = sc[b0:b0 + RVV_GROUPED_BLOCK]
        sparts.append((sb.transpose(1, 0) if bits == 8 else sb.transpose(2, 1, 0)).reshape(-1))
    weights = np.concatenate(wparts).astype(np.int8)
    scales = np.concatenate(sparts)
    if bits == 8:
        return weights, wrap_int32(scales)
    s16 = scales.astype(np.int16)
    if s16.size % 2:
        s16 = np.concatenate([s16, np.zeros(1, np.int16)])
    return weights, s16.view("<i2").astype("<i2").view("<i4").astype(np.int32)


def _armdsp_grouped(w: np.ndarray, group_scale: np.ndarray, group_size: int, bits: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """runtime_c/kernels/armdsp/ig_armdsp_common.h, blocked layout: _row_layout's blocks of four rows (int8) or
    two row pairs (int4), each group's words followed by the four rows' scale differences (int32, little-endian);
    the last N % 4 rows as _row_layout has them, their scale differences [G][N % 4] in the scale array."""
    base = _row_layout(w, bits, "armdsp")
    d = wrap_int32(scale_differences(group_scale))
    n, k = w.shape
    groups, blocks = k // group_size, n // 4
    per_group = (4 if bits == 8 else 2) * group_size  # bytes of a block's group of words
    body = base[:blocks * groups * per_group].reshape(blocks, groups, per_group)
    sd = d[:4 * blocks].reshape(blocks, 4, groups).transpose(0, 2, 1).astype("<i4")  # [blocks, G, 4]
    sd = np.ascontiguousarray(sd).view(np.int8).reshape(blocks, groups, 16)
    weights = np.concatenate([np.concatenate([body, sd], axis=2).reshape(-1), base[blocks * groups * per_group:]])
    return weights.astype(np.int8), np.ascontiguousarray(d[4 * blocks:].T).reshape(-1).astype(np.int32)


def pack_fc_grouped(w: np.ndarray, group_scale: np.ndarray, group_size: int, bits: int, family: str,
                    bias: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> GroupedFC:
    """The arrays the grouped kernels of `family` read for weights w [N, K], group scales [N, K / group_size], the
    folded bias (fold_bias_grouped) and the requantization multipliers and shifts: the family's blocked layout where
    grouped_layout says so, else the row layout (the arrays as given, the scales transposed to [G, N])."""
    w = np.asarray(w)
    group_scale = np.asarray(group_scale)
    layout = grouped_layout(family, w.shape[1], group_size)
    if layout == "blocked" and family == "neon":
        if bits == 4:
            pack_int4_pairs(w)  # the range check
        return _neon_grouped(w, group_scale, bits, bias, multiplier, shift)
    if layout == "blocked":  # rvv or armdsp: the bias, multipliers and shifts as given
        weights, scales = (_rvv_grouped(w, group_scale, bits) if family == "rvv" else
                           _armdsp_grouped(w, group_scale, group_size, bits))
    else:
        weights, scales = _row_layout(w, bits, family), np.ascontiguousarray(group_scale.T).astype(np.int32)
    return GroupedFC(layout, weights, scales, *(np.asarray(v, np.int32) for v in (bias, multiplier, shift)))


# ------------------------------------------------------------------ int16 input, int8 per-channel weights
def fc_s16_layout(family: str, extensions: tuple[str, ...]) -> str:
    """The layout of `family`'s ig_fc_s16 kernel (runtime_c/kernels/<family>/ig_fc_s16.c): "blocked-split"
    (dot-product NEON: the grouped kernels' blocked layout, K padded to 32 columns) or "rows-split" (rvv, ARMv8.0
    NEON: _row_layout's int8 rows), whose kernels multiply x's high and low bytes and need the bias plus
    128 sum_k w; else "rows" (_row_layout's int8 rows, the folded bias)."""
    if family == "neon" and "dotprod" in extensions:
        return "blocked-split"
    return "rows-split" if family in ("neon", "rvv") else "rows"


def pack_fc_s16(w: np.ndarray, bias: np.ndarray, family: str, extensions: tuple[str, ...]) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """(weights, bias) of an int16-input per-channel fully connected layer as `family`'s ig_fc_s16 reads them; `bias`
    is the zero-point folded one (fold_bias). The "-split" layouts' kernels compute 256 (hi . w) + (lo . w) with
    x = 256 hi + lo + 128, so their bias gains 128 sum_k w[n, k] (modulo 2^32)."""
    w = np.asarray(w, np.int8)
    layout = fc_s16_layout(family, extensions)
    b = np.asarray(bias, np.int64)
    if layout.endswith("split"):
        b = b + 128 * w.astype(np.int64).sum(axis=1)
    if layout != "blocked-split":
        return _row_layout(w, 8, family), wrap_int32(b)
    n, k = w.shape
    rows = -(-n // NEON_GROUPED_ROWS) * NEON_GROUPED_ROWS
    wq = _neon_blocked_s8(np.pad(w, ((0, 0), (0, -k % 32))), rows)  # K padded to 32 columns
    return np.ascontiguousarray(wq).reshape(-1), wrap_int32(_pad_rows(b, rows))
