"""Weight-side levers of a GPTQ recipe that keep its kernels, applied to one quantization for measurement
(benchmarks/gptq_levers.py; docs/quantization.md "GPTQ's settings and the calibration size"):

- `none`: the recipe as it is;
- `damp:X`: GPTQ's damping X (of the mean of diag(H); the recipe's is quant.gptq.DAMP);
- `hessian:N`: GPTQ's Hessians (the Gram matrices of the layers' inputs) from N calibration sequences of the
  recipe's length, everything else (activation ranges, SmoothQuant's statistics, a16down-top's choice) from the
  recipe's calibration;
- `calib:N`: the whole calibration on N sequences (what a new calibration size in quant/model_registry.py does);
- `head:rtn`: the head (the `logits` layer) rounded to nearest instead of by GPTQ;
- `clip`: int8 per-channel rows on the clipping search's scale (quant.weights.clipped_group_scales, weighted by
  diag(H)) before GPTQ, instead of max |w| / 127;
- `alpha:ROLE:X`: SmoothQuant's strength X for the input of one layer role (`down`: the down projections, `head`:
  the head), the recipe's alpha elsewhere: how much of the activation range the role's weights take.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from unittest import mock

import numpy as np

from quant import gptq, recipes
from quant.errors import QuantError
from quant.methods import input_channel_absmax, smooth_scales, smoothquant
from quant.observers import calibrate, fc_inputs
from quant.optable import Group
from quant.weights import LEVELS, clipped_group_scales, round_on_grid

LEVERS = ("none", "damp:X", "hessian:N", "calib:N", "head:rtn", "clip", "alpha:ROLE:X")
HEAD = "logits"
ROLES = {"down": lambda layer: layer.endswith("mlp.down_proj"), "head": lambda layer: layer == HEAD}


def check_levers(levers: list[str]) -> None:
    for lever in levers:
        name, _, arg = lever.partition(":")
        ok = lever in ("none", "head:rtn", "clip") or (name == "damp" and _number(arg, float) is not None) or \
            (name in ("hessian", "calib") and (_number(arg, int) or 0) > 0) or \
            (name == "alpha" and arg.partition(":")[0] in ROLES and _number(arg.partition(":")[2], float) is not None)
        if not ok:
            raise QuantError(f"unknown GPTQ lever {lever!r}: use {', '.join(LEVERS)} (X a number, N a count of "
                             "calibration sequences)")


def _number(s: str, kind):
    try:
        return kind(s)
    except ValueError:
        return None


def _grid_clipped(w, h, bits, group_size, asym, clip):
    """The recipe's grid, except int8 per-channel rows on the clipping search's scale (importance diag(H))."""
    if bits != 8 or group_size is not None or asym:
        return _GRID(w, h, bits, group_size, asym, clip)
    lo, hi = LEVELS[8]
    steps = clipped_group_scales(np.asarray(w, np.float64)[:, None, :], hi, lo, np.diag(h)[None, :].copy())
    return round_on_grid(w, 8, steps)


def _smoothquant_role(role: str, role_alpha: float):
    """quant.methods.smoothquant with role_alpha for the tensors the role's layers read."""
    def migrate(g, cal, alpha):
        targets = {n.inputs[0] for n in g.nodes_in(Group.FULLY_CONNECTED) if ROLES[role](n.name)}
        pick = lambda out, ws: smooth_scales(cal.channel_absmax[out], input_channel_absmax(ws),  # noqa: E731
                                             role_alpha if out in targets else alpha)
        out = smoothquant(g, cal, alpha, scale_search=pick, values=True)
        out.meta["smoothquant_alpha"] = alpha
        return out
    return migrate


_GRID = gptq._grid
_OVERRIDES = recipes.gptq_overrides


@contextmanager
def applied(lever: str, model):
    """Within the block, quant.recipes.quantize_model quantizes with the lever (model: the HFModel it is given)."""
    check_levers([lever])
    name, _, arg = lever.partition(":")
    with ExitStack() as stack:
        if name == "damp":
            stack.enter_context(mock.patch.object(gptq, "DAMP", float(arg)))
        elif name == "calib":
            seq_len = recipes.calibration_of(model.name)[1] if model.name in recipes.MODELS else 256
            stack.enter_context(mock.patch.object(recipes, "calibration_of", lambda _m: (int(arg), seq_len)))
        elif name == "alpha":
            role, _, x = arg.partition(":")
            stack.enter_context(mock.patch.object(recipes, "smoothquant", _smoothquant_role(role, float(x))))
        elif name == "clip":
            stack.enter_context(mock.patch.object(gptq, "_grid", _grid_clipped))
        elif name in ("hessian", "head"):
            def overrides(g, cal, cfg, progress=None):
                if name == "hessian":  # the Gram matrices of more sequences; the rest of cal is the recipe's
                    seq_len = next(iter(cal.rows.values())) // cal.sequences
                    feeds = recipes.calibration_feeds(model, int(arg), seq_len)
                    cal = calibrate(g, feeds, gram_for=fc_inputs(g))
                out = _OVERRIDES(g, cal, cfg, progress)
                if name == "head":
                    out.pop(HEAD, None)  # the lowering rounds it to nearest (QuantConfig.weight_for)
                return out
            stack.enter_context(mock.patch.object(recipes, "gptq_overrides", overrides))
        yield
