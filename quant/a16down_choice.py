"""Which down projections read an int16 input under a layer budget (the `a16down-top` method step).

The int16 input of a down projection costs the same instructions in every block, but the int8 rounding it replaces
does not hurt every block alike: where a block's FFN hidden activation carries rare huge values, its one static int8
scale leaves the typical values a few steps. The step ranks the blocks by the rounding noise that the int8 input adds
to the down projection's output (over that output's power), measured on the calibration data alone, and keeps int16
for the worst ones (docs/quantization.md "int16 down projection inputs in some blocks (`a16down-top`)")."""
from __future__ import annotations

import math

import numpy as np

from quant.ir import Graph
from quant.observers import Calibration, asymmetric_int8, int8_range

# the share of the blocks whose down projection reads int16: 30 % (9 of SmolLM2's 30) fit cortex-a55's 15 M budget
# with room to spare; 60 % fit too with the blocked kernels, but measured no better on the held-out perplexity and cost
# cortex-a53 three int8 layers per int16 one (docs/quantization.md "The int16 share")
A16DOWN_TOP_SHARE = 0.3


def int8_noise_share(g: Graph, cal: Calibration, x: str, observer: str = "minmax") -> float:
    """The power of the rounding noise that an int8 x adds to the output y of the layer reading it, over the power
    of y: (step^2 / 12) ||W||_F^2 / E||y||^2, with the int8 step of x's calibrated range, W the layer's weights and
    E||y||^2 from y's calibration samples (the inverse of the layer's signal-to-noise ratio)."""
    fc = next(c for c, i in g.consumers()[x] if i == 0)
    w = g.constants[fc.inputs[1]].astype(np.float64)
    step, _ = asymmetric_int8(*int8_range(cal, x, observer))
    noise = step * step / 12.0 * float((w * w).sum())
    power = float(np.mean(cal.samples(fc.outputs[0]).astype(np.float64) ** 2)) * w.shape[0]
    return noise / max(power, 1e-30)


def choose_a16down(g: Graph, cal: Calibration, hidden: set[str], share: float = A16DOWN_TOP_SHARE,
                   observer: str = "minmax") -> frozenset[str]:
    """floor(share * len(hidden)) (at least one) of the hidden tensors: those with the largest int8_noise_share."""
    count = max(1, math.floor(share * len(hidden) + 1e-9))
    ranked = sorted(hidden, key=lambda x: (-int8_noise_share(g, cal, x, observer), x))
    return frozenset(ranked[:count])
