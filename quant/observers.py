"""Calibration observers: run the FP32 graph on calibration sequences and keep each activation tensor's statistics
(Calibration) for the int8 ranges and the methods."""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from quant import reference
from quant.errors import QuantError
from quant.host_threads import with_blas_threads
from quant.ir import Graph
from quant.optable import Group

SAMPLE_PER_TENSOR = 20000


@dataclass
class TensorStats:
    lo: float = np.inf
    hi: float = -np.inf
    samples: list = field(default_factory=list)


@dataclass
class Calibration:
    stats: dict[str, TensorStats]
    channel_absmax: dict[str, np.ndarray]  # FC input tensor -> max |x| per channel
    channel_sqmean: dict[str, np.ndarray]  # FC input tensor -> mean x^2 per channel
    gram: dict[str, np.ndarray]            # FC input tensor -> X^T X (float64), when asked
    rows: dict[str, int]
    sequences: int
    channel_lo: dict[str, np.ndarray] = field(default_factory=dict)  # FC input tensor -> min x per channel
    channel_hi: dict[str, np.ndarray] = field(default_factory=dict)  # FC input tensor -> max x per channel
    row_absmax: dict[str, np.ndarray] = field(default_factory=dict)  # FC input tensor -> max |x| of every row seen

    def samples(self, name: str) -> np.ndarray:
        s = self.stats[name].samples
        return np.concatenate(s) if s else np.zeros(1, np.float32)


def fc_inputs(g: Graph) -> set[str]:
    return {n.inputs[0] for n in g.nodes_in(Group.FULLY_CONNECTED)}


def _merge(into: dict, name: str, value, combine) -> None:
    into[name] = value if name not in into else combine(into[name], value)


@with_blas_threads  # its Gram matrices as the forward passes: one BLAS thread (quant/host_threads.py)
def calibrate(g: Graph, sequences: Iterable[dict[str, np.ndarray]], gram_for: set[str] | None = None,
              seed: int = 0, progress: Callable[[int], None] | None = None) -> Calibration:
    rng = np.random.default_rng(seed)
    stats: dict[str, TensorStats] = {}
    absmax, sq, gram, ch_lo, ch_hi, rows = {}, {}, {}, {}, {}, {}
    row_max: dict[str, list] = {}
    fcin = fc_inputs(g)
    count = 0
    for count, feeds in enumerate(sequences, 1):
        acts = reference.run(g, feeds, keep_all=True)
        for name, v in acts.items():
            if name in g.inputs or v.dtype.kind != "f":
                continue
            if not np.all(np.isfinite(v)):
                raise QuantError(f"calibration produced a non-finite value in {name!r}: check the model and data")
            st = stats.setdefault(name, TensorStats())
            st.lo = min(st.lo, float(v.min()))
            st.hi = max(st.hi, float(v.max()))
            flat = v.ravel()
            take = min(flat.size, SAMPLE_PER_TENSOR // 8)
            st.samples.append(flat[rng.integers(0, flat.size, take)].astype(np.float32))
            if name not in fcin:
                continue
            _merge(absmax, name, np.abs(v).max(axis=0), np.maximum)
            _merge(sq, name, (v.astype(np.float64) ** 2).sum(axis=0), operator.add)
            _merge(rows, name, v.shape[0], operator.add)
            _merge(ch_lo, name, v.min(axis=0), np.minimum)
            _merge(ch_hi, name, v.max(axis=0), np.maximum)
            row_max.setdefault(name, []).append(np.abs(v).max(axis=1).astype(np.float32))
            if gram_for and name in gram_for:
                x = v.astype(np.float64)
                _merge(gram, name, x.T @ x, operator.add)
        if progress:
            progress(count)
    if count == 0:
        raise QuantError("no calibration sequences: give at least one")
    for st in stats.values():  # keep at most SAMPLE_PER_TENSOR values
        allv = np.concatenate(st.samples)
        if allv.size > SAMPLE_PER_TENSOR:
            allv = allv[rng.permutation(allv.size)[:SAMPLE_PER_TENSOR]]
        st.samples = [allv]
    sqmean = {k: v / rows[k] for k, v in sq.items()}
    return Calibration(stats, absmax, sqmean, gram, rows, count, ch_lo, ch_hi,
                       {k: np.concatenate(v) for k, v in row_max.items()})


def asymmetric_int8(lo: float, hi: float) -> tuple[float, int]:
    """Scale and zero point so that [lo, hi] (widened to include 0) maps onto [-128, 127] and 0 is exact."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise QuantError("calibration produced a non-finite activation: check the model and the calibration data")
    scale = (hi - lo) / 255.0
    if scale == 0.0:
        scale = 1.0  # an all-zero tensor: any scale represents it exactly
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return float(scale), zp


def int8_range(cal: Calibration, name: str, observer: str, percentile: float = 99.99) -> tuple[float, float]:
    """The float range [lo, hi] an int8 asymmetric quantizer should cover."""
    st = cal.stats[name]
    if observer == "minmax":
        return st.lo, st.hi
    x = cal.samples(name)
    if observer == "percentile":
        lo, hi = np.percentile(x, [100 - percentile, percentile])
        return float(min(lo, 0)), float(max(hi, 0))
    if observer == "mse":
        best, best_err = (st.lo, st.hi), np.inf
        for frac in np.linspace(0.3, 1.0, 36):
            lo, hi = min(st.lo, 0) * frac, max(st.hi, 0) * frac
            scale = max(hi - lo, 1e-12) / 255
            zp = np.round(-128 - lo / scale)
            q = np.clip(np.round(x / scale) + zp, -128, 127)
            err = float(((q - zp) * scale - x).__pow__(2).mean())
            if err < best_err:
                best, best_err = (lo, hi), err
        return best
    raise QuantError(f"unknown observer {observer!r}: use minmax, percentile or mse")
