"""Mixed precision: per-layer weight widths from a bit budget (Hasan's Theorem 8) or from a config file of glob
patterns (docs/quantization.md)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from quant.config import parse_layer
from quant.errors import QuantError
from quant.ir import Graph
from quant.observers import Calibration
from quant.optable import Group

WIDTHS = {8: "w8a8", 4: "w4a8"}


@dataclass
class LayerSensitivity:
    name: str
    size: int          # n_l, weights
    alpha: float       # mean E[x^2] over input channels
    sigma2: float      # mean row max|w|^2 / 3

    def distortion(self, bits: float) -> float:
        return self.size * self.alpha * self.sigma2 * 2.0 ** (-2 * bits)


def sensitivities(g: Graph, cal: Calibration) -> list[LayerSensitivity]:
    out = []
    for n in g.nodes_in(Group.FULLY_CONNECTED):
        w = g.constants[n.inputs[1]].astype(np.float64)
        sq = cal.channel_sqmean.get(n.inputs[0])
        if sq is None:
            raise QuantError(f"no calibration statistics for the input of {n.name}: calibrate the graph first")
        out.append(LayerSensitivity(n.name, int(w.size), float(np.mean(sq)),
                                    float(np.mean(np.abs(w).max(axis=1) ** 2) / 3.0)))
    return out


def theorem8_bits(layers: list[LayerSensitivity], budget: float, lo: float, hi: float) -> tuple[np.ndarray, float]:
    """Continuous b_l = clip(1/2 log2(alpha_l sigma_l^2 / lambda), lo, hi) with lambda meeting the size-weighted
    budget sum n_l b_l = budget * sum n_l. Returns (b, lambda)."""
    if not lo <= budget <= hi:
        raise QuantError(f"bit budget {budget} is outside the supported widths [{lo:g}, {hi:g}]")
    size = np.array([x.size for x in layers], np.float64)
    log_as = np.log2(np.array([max(x.alpha * x.sigma2, 1e-300) for x in layers]))

    def bits(log_lam: float) -> np.ndarray:
        return np.clip(0.5 * (log_as - log_lam), lo, hi)

    a, b = float(log_as.min() - 2 * hi - 2), float(log_as.max() - 2 * lo + 2)  # mean bits hi at a, lo at b
    for _ in range(200):
        mid = 0.5 * (a + b)
        if (bits(mid) * size).sum() / size.sum() > budget:
            a = mid
        else:
            b = mid
    return bits(b), 2.0 ** b


def allocate(layers: list[LayerSensitivity], budget: float) -> dict[str, int]:
    """Supported widths per layer whose size-weighted mean is <= budget (Theorem 8, then rounding)."""
    ws = sorted(WIDTHS)
    cont, _ = theorem8_bits(layers, budget, ws[0], ws[-1])
    size = np.array([x.size for x in layers], np.float64)
    pick = np.array([min(ws, key=lambda w: (abs(w - c), w)) for c in cont], np.float64)
    while (pick * size).sum() > budget * size.sum() + 1e-9:
        above = [i for i in range(len(layers)) if pick[i] > ws[0]]
        i = min(above, key=lambda j: cont[j])
        pick[i] = max(w for w in ws if w < pick[i])
    return {x.name: int(b) for x, b in zip(layers, pick)}


def allocation_config(g: Graph, cal: Calibration, budget: float) -> dict[str, str]:
    """QuantConfig.layer_bits (exact node names) for a bit budget."""
    layers = sensitivities(g, cal)
    return {name: WIDTHS[b] for name, b in allocate(layers, budget).items()}


def pattern_matches(name: str, pattern: str) -> bool:
    """A pattern covers the names it matches and everything under them (layers.*.mlp: layers.3.mlp.up_proj)."""
    return fnmatch(name, pattern) or fnmatch(name, pattern + ".*")


def load_layer_config(path: str | Path, g: Graph | None = None) -> dict[str, str]:
    """A JSON file {glob: "w8a8" | "w4a8" | "w4a8g64"}; checked against the graph's layers when given."""
    p = Path(path)
    try:
        cfg = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise QuantError(f"cannot read the layer config {p} ({e}): give a JSON object like "
                         '{"layers.*.mlp": "w4a8"}') from None
    if not isinstance(cfg, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in cfg.items()):
        raise QuantError(f"layer config {p} must be a JSON object of pattern -> precision strings")
    for spec in cfg.values():
        parse_layer(spec)
    if g is not None:
        fcs = [n.name for n in g.nodes_in(Group.FULLY_CONNECTED)]
        for pat in cfg:
            if not any(pattern_matches(f, pat) for f in fcs):
                raise QuantError(f"layer config {p}: pattern {pat!r} matches no fully connected layer "
                                 f"(names look like {fcs[0]!r}, {fcs[-1]!r})")
    return cfg

