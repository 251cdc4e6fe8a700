"""SmoothQuant's migration strength per layer (the `smooth-search` method step), searched on calibration statistics.

One alpha for every layer spends the same share of each activation's range on its weights, whatever the layer. A
layer's output error has two parts that the migration trades: the int8 rounding of its input x' = x / s and the
per-channel rounding of its weights W' = W diag(s). Per output row n and input channel j, with uniform rounding
noise (docs/quantization.md "SmoothQuant's strength per layer"):
```
E_w(s) = sum_n (max_j |W_nj s_j| / 127)^2 / 12 * sum_{j != top(n)} E[x_j^2] / s_j^2
E_a(s) = sum_j min(step(s)^2 / 12, E[x_j^2] / s_j^2) * sum_n (W_nj s_j)^2
```
(top(n): the row's largest |W_nj s_j|, which lands on the grid exactly: a migrated outlier channel often holds it;
step(s): the int8 (or int16) step of x's calibrated range after the migration; a channel whose values stay below
the step rounds to its own magnitude, not to step^2 / 12). The search keeps, per migrated tensor, the candidate
with the least E_w + E_a over all the layers that read it: no migration (s = 1) or SmoothQuant's scales for each
alpha of ALPHAS. Only calibration statistics are read (per-channel max |x|, E[x^2], min, max), never held-out text.
Measured on SmolLM2 W8A8 it lowers the KL from FP32 but not the perplexity: not a default (docs/quantization.md).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from quant.a16down_choice import choose_a16down
from quant.ir import Graph
from quant.methods import input_channel_absmax, smooth_scales, smoothquant
from quant.observers import Calibration
from quant.transformer_ptq import ffn_hidden

# the candidates: the noise model alone would migrate more (up to 0.95), which measured worse on calibration-side KL
# (SmolLM2 W8A8, RTN: every tensor at 0.9 0.0668, 0.8 0.0493, 0.7 0.0380; searched up to 1.0 0.0431, up to 0.7 0.0366)
ALPHAS = tuple(round(a, 2) for a in np.arange(0.0, 0.7001, 0.05))
INT8_STEPS, INT16_STEPS = 255.0, 65535.0  # steps across an asymmetric int8 / a symmetric int16 range
# E_w's weight in the sum: 4 measured best of 2, 4, 8 on calibration-side KL with RTN weights (docs/quantization.md
# "SmoothQuant's strength per layer"; on held-out text with GPTQ the step measured worse than SmoothQuant at 0.8)
WEIGHT_GAIN = 4.0


def migration_error(x: str, cal: Calibration, ws: list[np.ndarray], s: np.ndarray, steps: float = INT8_STEPS,
                    weight_gain: float = 1.0) -> tuple[float, float]:
    """(E_w, E_a) of the layers reading x (weights ws, each [N, K]) under the migration s [K]: the output noise
    power per token of rounding the weights per channel to int8 and x' = x / s to `steps` levels."""
    sq = cal.channel_sqmean[x].astype(np.float64) / (s * s)
    if steps == INT8_STEPS:
        lo, hi = min(0.0, float((cal.channel_lo[x] / s).min())), max(0.0, float((cal.channel_hi[x] / s).max()))
        step = (hi - lo) / steps
    else:
        step = 2.0 * float((cal.channel_absmax[x] / s).max()) / steps
    per_channel = np.minimum(step * step / 12.0, sq)
    e_w = e_a = 0.0
    for w in ws:
        ws_ = np.abs(w.astype(np.float64)) * s[None, :]
        top = ws_.argmax(axis=1)  # a row's largest weight sits on the grid exactly
        e_w += float(((ws_[np.arange(len(top)), top] / 127.0) ** 2 @ (sq.sum() - sq[top]))) / 12.0
        e_a += float(per_channel @ (ws_ * ws_).sum(axis=0))
    return weight_gain * e_w, e_a


def searched_scales(x: str, cal: Calibration, ws: list[np.ndarray], steps: float = INT8_STEPS,
                    weight_gain: float = 1.0) -> tuple[np.ndarray, float | None]:
    """(s, alpha) with the least E_w + E_a among no migration (alpha None, s = 1) and SmoothQuant's s per alpha."""
    wmax = input_channel_absmax(ws)
    best = (np.ones_like(wmax, dtype=np.float64), None)
    best_err = sum(migration_error(x, cal, ws, best[0], steps, weight_gain))
    for a in ALPHAS:
        s = smooth_scales(cal.channel_absmax[x], wmax, a).astype(np.float64)
        err = sum(migration_error(x, cal, ws, s, steps, weight_gain))
        if err < best_err:
            best, best_err = (s, a), err
    return best


def smooth_search(g: Graph, cal: Calibration, alpha: float,
                  recalibrate: Callable[[Graph], Calibration] | None = None, observer: str = "minmax") -> Graph:
    """SmoothQuant with each migrated tensor's scales by searched_scales (V -> o_proj keeps SmoothQuant's formula
    at alpha). With recalibrate (the a16down-top step): the blocks whose down projection reads int16 are chosen
    on the migrated graph (choose_a16down on recalibrate(it)), then those tensors are searched again for an int16
    input, which needs little or no migration; the choice is kept in meta["a16down_chosen"] for the lowering."""
    chosen: frozenset[str] = frozenset()
    alphas: dict[str, float | None] = {}

    def search(x: str, ws: list[np.ndarray]) -> np.ndarray:
        s, a = searched_scales(x, cal, ws, INT16_STEPS if x in chosen else INT8_STEPS, WEIGHT_GAIN)
        alphas[x] = None if a is None else float(a)
        return s

    out = smoothquant(g, cal, alpha, scale_search=search, values=True)
    if recalibrate is not None:
        chosen = choose_a16down(out, recalibrate(out), ffn_hidden(out), observer=observer)
        out = smoothquant(g, cal, alpha, scale_search=search, values=True)
        out.meta["a16down_chosen"] = sorted(chosen)
    out.meta.update({"smoothquant_alpha": alpha, "smooth_search_alphas": dict(sorted(alphas.items()))})
    return out
