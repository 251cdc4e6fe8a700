"""Post-training quantization of fully connected / ReLU graphs (MLPs): docs/quantization.md "The MLP lowering"."""
from __future__ import annotations

import numpy as np

from quant import reference
from quant.errors import QuantError
from quant.ir import Graph, Node, TensorInfo
from quant.observers import asymmetric_int8
from quant.ops.checks import validate
from quant.ops.fixed import quantize_multiplier
from quant.weights import fc_node, max_steps, round_on_grid


def group_limit(k: int, bits: int) -> int:
    """The largest integer group scale of an MLP layer: the accumulator bound quant/ops/checks.py checks
    (sum_g scale * 2 * 255 * |w|max * group_size) uses under half of int32 (the bias gets the rest, up to 2^30), and
    below 2^15 (the IR's limit)."""
    wmax = 8 if bits == 4 else 127
    return max(1, min((1 << 15) - 1, int(0.45 * (1 << 31) / (2 * 255 * wmax * k))))


def quantize_ptq(g: Graph, calibration: np.ndarray, weight_bits: int = 8, group_size: int | None = None) -> Graph:
    """The integer-only graph (W8A8 by default; W4A8 with weight_bits=4; group-wise weights with group_size) of
    an FP32 graph made of fully connected and ReLU nodes."""
    if weight_bits not in (4, 8):
        raise QuantError(f"weight_bits must be 4 or 8, got {weight_bits!r}")
    if calibration.ndim != 2 or calibration.shape[0] == 0:
        raise QuantError(f"calibration data must be a non-empty [N, features] array, got shape {calibration.shape}")
    # min and max of every activation tensor over the calibration batch (the FP32 graph run in numpy)
    acts = reference.run(g, {g.inputs[0]: calibration.astype(np.float32)}, keep_all=True)
    ranges = {k: (float(v.min()), float(v.max())) for k, v in acts.items()}
    qparams = {name: asymmetric_int8(*ranges[name]) for name in g.inputs}
    tensors = {name: TensorInfo(name, g.tensors[name].shape, "int8", *qparams[name]) for name in g.inputs}
    constants: dict[str, np.ndarray] = {}
    nodes: list[Node] = []
    for n in g.nodes:
        if n.op not in _LOWERINGS:
            raise QuantError(f"PTQ does not handle op {n.op} (node {n.name}) yet")
        out = n.outputs[0]
        nodes.append(_LOWERINGS[n.op](g, n, ranges, qparams, constants, weight_bits, group_size))
        tensors[out] = TensorInfo(out, g.tensors[out].shape, "int8", *qparams[out])
    how = f"ptq-w{weight_bits}a8" + (f"-g{group_size}" if group_size else "") + "-minmax"
    q = Graph(g.name, list(g.inputs), list(g.outputs), tensors, constants, nodes,
              {**g.meta, "quantization": how, "calibration_samples": int(calibration.shape[0])})
    validate(q, integer_only=True)
    return q


# float op -> its lowering (graph, node, calibrated ranges, qparams, constants, weight bits, group size) -> integer
# node; each sets its output's (scale, zero point) in qparams
def _fully_connected(g: Graph, n: Node, ranges, qparams, constants, weight_bits: int, group_size: int | None) -> Node:
    sx, zx = qparams[n.inputs[0]]
    sy, zy = qparams[n.outputs[0]] = asymmetric_int8(*ranges[n.outputs[0]])
    w, b = g.constants[n.inputs[1]], g.constants[n.inputs[2]]
    qw = round_on_grid(w, weight_bits, max_steps(w, weight_bits, group_size),
                       None if group_size is None else group_limit(w.shape[1], weight_bits))
    bias_scale = sx * qw.unit
    bq = np.round(b.astype(np.float64) / bias_scale)
    if np.abs(bq).max(initial=0) >= (2**30 if group_size is not None else 2**31):
        raise QuantError(f"layer {n.name}: bias does not fit int32 at scale {bias_scale.min():g}")
    mult, shift = zip(*(quantize_multiplier(float(m)) for m in bias_scale / sy))
    attrs = {"x_zero_point": zx, "y_zero_point": zy, "act_min": int(zy if n.attrs["relu"] else -128), "act_max": 127}
    if group_size is None:
        op, attrs = "fully_connected", attrs | ({"weight_bits": 4} if weight_bits == 4 else {})
    else:
        op, attrs = "fully_connected_grouped", {**attrs, "group_size": int(group_size), "weight_bits": int(weight_bits)}
    return fc_node(constants, op, n.name, n.inputs[0], n.outputs[0], attrs, qw, bq, mult, shift)


def _relu(g: Graph, n: Node, ranges, qparams, constants, weight_bits: int, group_size: int | None) -> Node:
    qparams[n.outputs[0]] = qparams[n.inputs[0]]  # relu keeps the quantization of its input
    return Node("relu", n.name, n.inputs[:1], n.outputs[:1], {"zero_point": qparams[n.inputs[0]][1]})


_LOWERINGS = {"fully_connected_f32": _fully_connected, "relu_f32": _relu}
