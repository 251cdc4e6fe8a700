"""Weight grids: a fully connected layer's float weights on the integer formats the IR stores (QWeight). Every method
rounds here: RTN (PTQ of MLPs and transformers), the clipping search, asymmetric groups, GPTQ's and AWQ's grids and
QAT's export of its learned steps (docs/quantization.md)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant.errors import QuantError
from quant.ir import Node
from quant.ops.checks import fc_quant_mass
from quant.optable import OPTABLE

LEVELS = {4: (-8, 7), 8: (-127, 127)}  # the integer weight values of each width (symmetric int8 leaves out -128)
X_RANGE = 255  # the largest |x - x_zero_point| of an int8 input: the accumulator bounds of the grids below
ASYM_ACC_SHARE = 0.85  # of 2^31: the part of the accumulator an asymmetric layer's weights may use (bias: the rest)
CLIP_RATIOS = np.linspace(1.0, 0.5, 26)  # the clipping search's candidates: fractions of a group's max |w|
RANGE_RATIOS = np.linspace(1.0, 0.5, 11)  # the asymmetric search's, for each end of a group's range apart


@dataclass
class QWeight:
    q: np.ndarray              # int8 [N, K] (int4 values when bits == 4)
    group_scale: np.ndarray    # int32 [N, K/gs] (all ones for per-channel)
    unit: np.ndarray           # float64 [N]: the real weight is (q * group_scale + offset) * unit[:, None]
    bits: int
    group_size: int
    offset: np.ndarray | None = None  # int32 [N, K/gs]: asymmetric groups (fully_connected_asym / _dynamic)

    def dequant(self) -> np.ndarray:
        gs = np.repeat(self.group_scale.astype(np.float64), self.group_size, axis=1)
        w = self.q.astype(np.float64) * gs
        if self.offset is not None:
            w += np.repeat(self.offset.astype(np.float64), self.group_size, axis=1)
        return w * self.unit[:, None]

    def offsets(self) -> np.ndarray:
        """The integer group offsets (zeros for a symmetric grid)."""
        return self.offset if self.offset is not None else np.zeros(self.group_scale.shape, np.int32)

    def mass(self) -> np.ndarray:
        """Per row sum_g (group_scale * sum_g |q| + |offset| * group_size) (int64): times the largest |input| it
        bounds the layer's integer accumulator (quant/ops/checks.fc_quant_mass)."""
        return fc_quant_mass(self.q, self.group_scale, self.offsets(), self.group_size)


def group_scale_limit(k: int, group_size: int, bits: int = 4) -> int:
    """Largest per-group scale factor such that the int32 accumulator cannot overflow (bias gets 10 %); int8 groups
    get a 16th of int4's."""
    limit = max(1, min((1 << 15) - 1, int(0.9 * (1 << 31) / (2 * X_RANGE * 8 * group_size * (k // group_size)))))
    return limit if bits == 4 else limit // 16 or 1


def _groups(w: np.ndarray, group_size: int) -> np.ndarray:
    """w [N, K] as float64 [N, K / group_size, group_size]."""
    n, k = w.shape
    if group_size <= 0 or k % group_size:
        raise QuantError(f"group size {group_size} does not divide K={k}: pick a divisor of every layer's inputs "
                         "(32, 64, 128)")
    return np.asarray(w, np.float64).reshape(n, k // group_size, group_size)


def max_steps(w: np.ndarray, bits: int, group_size: int | None) -> np.ndarray:
    """RTN's real steps [N, G]: max |w| of each group of group_size along K (None: of each row) over the largest
    integer value."""
    return np.abs(_groups(w, w.shape[1] if group_size is None else group_size)).max(axis=2) / LEVELS[bits][1]


def round_on_grid(w: np.ndarray, bits: int, steps: np.ndarray, limit: int | None = None) -> QWeight:
    """w [N, K] rounded to nearest on the symmetric grid of the real steps [N, G] (G groups along K). limit None: per
    output channel (G = 1), the step is the row's unit; else integer group scales in [1, limit] times a per-row unit
    of max(steps) / limit."""
    n, k = w.shape
    wg = _groups(w, k // steps.shape[1])
    if limit is None:
        unit = np.where(steps[:, 0] > 0, steps[:, 0], 1.0)
        gs = np.ones((n, 1), np.int32)
    else:
        smax = steps.max(axis=1)
        unit = np.where(smax > 0, smax / limit, 1.0)
        gs = np.clip(np.round(steps / unit[:, None]), 1, limit).astype(np.int32)
    lo, hi = LEVELS[bits]
    q = np.clip(np.round(wg / (gs[:, :, None] * unit[:, None, None])), lo, hi)
    return QWeight(q.reshape(n, k).astype(np.int8), gs, unit, bits, wg.shape[2])


def clipped_group_scales(wg: np.ndarray, qmax: int, lo: int, importance: np.ndarray) -> np.ndarray:
    """Per group of wg [N, G, gs], the real scale c max|w| / qmax, c in CLIP_RATIOS, whose rounding on the grid
    [lo, qmax] leaves the least squared error weighted by `importance` [G, gs] (per input channel, e.g. the
    calibration inputs' mean square: then it is the layer's output error without the cross terms)."""
    amax = np.abs(wg).max(axis=2)
    best, err = amax / qmax, np.full(amax.shape, np.inf)
    for c in CLIP_RATIOS:
        s = np.where(amax > 0, c * amax / qmax, 1.0)
        d = wg - np.clip(np.round(wg / s[:, :, None]), lo, qmax) * s[:, :, None]
        e = (d * d * importance[None]).sum(axis=2)
        take = e < err
        best, err = np.where(take, s, best), np.where(take, e, err)
    return np.where(amax > 0, best, 0.0)


def quantize_weight(w: np.ndarray, bits: int, group_size: int | None, asym: bool = False,
                    clip: np.ndarray | None = None) -> QWeight:
    """RTN: int8 symmetric per channel, or int4/int8 symmetric per group with integer group scales; with asym,
    int4/int8 groups on their own min/max grid (integer scale and offset per group, see quantize_weight_asym).
    clip [K] (per input channel importance): symmetric group scales by the clipping search
    (clipped_group_scales) instead of max|w| / qmax; asymmetric group ranges by clipped_group_ranges."""
    if asym and (bits == 4 or group_size is not None):
        return quantize_weight_asym(w, bits, group_size or w.shape[1], clip)
    if bits == 8 and group_size is None:
        return round_on_grid(w, 8, max_steps(w, 8, None))
    k = w.shape[1]
    gsz = group_size or k
    if clip is None:
        steps = max_steps(w, bits, gsz)
    else:
        lo, qmax = LEVELS[bits]
        steps = clipped_group_scales(_groups(w, gsz), qmax, lo, np.asarray(clip, np.float64).reshape(-1, gsz))
    return round_on_grid(w, bits, steps, group_scale_limit(k, gsz, bits))


def clipped_group_ranges(wg: np.ndarray, levels: int, importance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group of wg [N, G, gs], the range [a min, b max], a and b each in RANGE_RATIOS, whose rounding on
    `levels` + 1 evenly spaced values leaves the least squared error weighted by `importance` [G, gs]: the
    asymmetric twin of clipped_group_scales (an outlier gives up a little of its value so that the group's other
    weights get a finer step; the two ends apart: a group's outliers are seldom on both sides)."""
    wmin, wmax = wg.min(axis=2), wg.max(axis=2)
    best_lo, best_hi, err = wmin, wmax, np.full(wmin.shape, np.inf)
    for a in RANGE_RATIOS:
        for b in RANGE_RATIOS:
            lo, hi = a * wmin, b * wmax
            d = np.where(hi > lo, (hi - lo) / levels, 1.0)[:, :, None]
            r = wg - (np.clip(np.round((wg - lo[:, :, None]) / d), 0, levels) * d + lo[:, :, None])
            e = np.einsum("ngk,gk->ng", r * r, importance)
            take = e < err
            best_lo, best_hi, err = np.where(take, lo, best_lo), np.where(take, hi, best_hi), np.where(take, e, err)
    return best_lo, best_hi


def quantize_weight_asym(w: np.ndarray, bits: int, group_size: int, clip: np.ndarray | None = None) -> QWeight:
    """Asymmetric groups: each group of `group_size` weights along K on the grid d q + o with q in [-8, 7] (int4)
    or [-127, 127] (int8), d = (max - min) / 15 (or / 254) and o = min + 8 d (or + 127 d): the group's own min/max,
    so GGUF Q4_1 blocks (w = d q' + m, q' in [0, 15]) are reproduced exactly up to integer rounding. d and o become
    integers group_scale = round(d / unit), group_offset = round(o / unit) of a per-row unit chosen as fine as the
    int32 accumulator allows: X_RANGE * sum_g (group_scale * sum_g |q| + |group_offset| * group_size) stays below
    ASYM_ACC_SHARE * 2^31 (and group_scale below 2^15). q is then rounded on the integer grid. clip [K] (per input
    channel importance): each group's range by the clipping search (clipped_group_ranges) instead of its min/max."""
    w = w.astype(np.float64)
    n, k = w.shape
    lo_q, hi_q = LEVELS[bits]
    wg = _groups(w, group_size)
    if clip is None:
        wmin, wmax = wg.min(axis=2), wg.max(axis=2)
    else:
        wmin, wmax = clipped_group_ranges(wg, hi_q - lo_q, np.asarray(clip, np.float64).reshape(-1, group_size))
    d = (wmax - wmin) / (hi_q - lo_q)
    o = wmin - lo_q * d
    budget = ASYM_ACC_SHARE * (1 << 31) / X_RANGE
    # first guess: the mass is about sum |w| / unit; then coarsen until the rounded grid fits
    unit = np.maximum(np.abs(w).sum(axis=1) / budget * 1.1, d.max(axis=1) / ((1 << 15) - 1))
    unit = np.where(unit > 0, unit, 1.0)
    for _ in range(60):
        gs = np.round(d / unit[:, None])
        off = np.round(o / unit[:, None])
        step = np.maximum(gs, 1e-300)[:, :, None] * unit[:, None, None]
        q = np.where(gs[:, :, None] > 0, np.clip(np.round((wg - off[:, :, None] * unit[:, None, None]) / step),
                                                 lo_q, hi_q), 0)
        mass = (np.abs(q).sum(axis=2) * gs + np.abs(off) * group_size).sum(axis=1)
        bad = (mass > budget) | (gs.max(axis=1) >= (1 << 15)) | (np.abs(off).max(axis=1) >= (1 << 31) - 1)
        if not bad.any():
            break
        grow = np.maximum(np.maximum(mass / budget, gs.max(axis=1) / ((1 << 15) - 1)) * 1.001, 1.001)
        unit = np.where(bad, unit * grow, unit)
    else:
        raise QuantError("asymmetric weight grid: no unit scale keeps the accumulator in int32")
    return QWeight(q.reshape(n, k).astype(np.int8), gs.astype(np.int32), unit, bits, group_size,
                   off.astype(np.int32))


def fc_node(constants: dict, op: str, name: str, x: str, out: str, attrs: dict, qw: QWeight, bias: np.ndarray,
            mult, shift) -> Node:
    """The integer fully connected node `name` (op: a fully_connected variant) that reads x and its constants
    name.<role> (the op table's roles), which it adds to `constants`: qw's weights, the int32 bias, requantization
    multipliers and shifts."""
    arrays = {"weight": qw.q, "bias": bias, "group_scale": qw.group_scale, "group_offset": qw.offsets(),
              "multiplier": np.array(mult), "shift": np.array(shift)}
    roles = OPTABLE[op].roles[1:]
    constants.update({f"{name}.{r}": arrays[r].astype(np.int8 if r == "weight" else np.int32) for r in roles})
    return Node(op, name, [x] + [f"{name}.{r}" for r in roles], [out], attrs)
