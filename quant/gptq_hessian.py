"""GPTQ's Hessians from more calibration text than the activation ranges (the `hessian-x4` method step;
docs/quantization.md "GPTQ's Hessians on more tokens (`hessian-x4`)"). GPTQ spreads each column's rounding error
through H = X^T X of the layer's inputs; SmolLM2's recipe calibrates on 16 x 256 tokens, few for the 1,536-wide
inputs of its down projections, while its minmax activation ranges stay with that calibration, so the step takes
the Gram matrices alone from HESSIAN_FACTOR times the recipe's sequences."""
from __future__ import annotations

from typing import Callable

from quant.ir import Graph
from quant.observers import Calibration, calibrate, fc_inputs

HESSIAN_FACTOR = 4
STEP = "hessian-x4"


def hessian_calibration(g: Graph, method: str, calib: int, feeds_of: Callable[[int], list], cal: Calibration,
                        progress: Callable[[str, int, int], None] | None = None) -> Calibration:
    """The calibration GPTQ reads for the graph g (after the method's migration): cal itself (calib sequences), or
    with the `hessian-x4` step one of HESSIAN_FACTOR * calib sequences (feeds_of(n): the recipe's first n; the first
    calib of them are cal's)."""
    if STEP not in method.split("+"):
        return cal
    feeds = feeds_of(HESSIAN_FACTOR * calib)
    step = (lambda i: progress("calibrating GPTQ's Hessians", i, len(feeds))) if progress else None  # noqa: E731
    return calibrate(g, feeds, gram_for=fc_inputs(g), progress=step)
