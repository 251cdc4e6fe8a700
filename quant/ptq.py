"""Post-training quantization (W8A8): int8 weights symmetric per output channel, int8 activations asymmetric per
tensor from the min/max seen over calibration data, int32 biases, requantization as multiplier + shift."""
from __future__ import annotations

import numpy as np

from quant import reference
from quant.errors import QuantError
from quant.fixedpoint import quantize_multiplier
from quant.ir import Graph, Node, TensorInfo
from quant.validate import validate


def minmax_observe(g: Graph, calibration: np.ndarray) -> dict[str, tuple[float, float]]:
    """Min and max of every activation tensor over the calibration batch (FP32 graph run in numpy)."""
    acts = reference.run(g, {g.inputs[0]: calibration.astype(np.float32)}, keep_all=True)
    return {k: (float(v.min()), float(v.max())) for k, v in acts.items()}


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


def quantize_weights_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel: w ~= q * s[:, None], q in [-127, 127]."""
    amax = np.abs(w).max(axis=1).astype(np.float64)
    s = np.where(amax > 0, amax / 127.0, 1.0)
    q = np.clip(np.round(w / s[:, None]), -127, 127).astype(np.int8)
    return q, s


def quantize_ptq(g: Graph, calibration: np.ndarray) -> Graph:
    """The W8A8 integer-only graph of an FP32 graph made of fully connected and ReLU nodes."""
    if calibration.ndim != 2 or calibration.shape[0] == 0:
        raise QuantError(f"calibration data must be a non-empty [N, features] array, got shape {calibration.shape}")
    ranges = minmax_observe(g, calibration)
    qparams: dict[str, tuple[float, int]] = {}
    for name in g.inputs:
        qparams[name] = asymmetric_int8(*ranges[name])
    tensors: dict[str, TensorInfo] = {}
    constants: dict[str, np.ndarray] = {}
    nodes: list[Node] = []
    for name in g.inputs:
        s, z = qparams[name]
        tensors[name] = TensorInfo(name, g.tensors[name].shape, "int8", s, z)
    for n in g.nodes:
        out = n.outputs[0]
        x = n.inputs[0]
        sx, zx = qparams[x]
        if n.op == "fully_connected_f32":
            sy, zy = asymmetric_int8(*ranges[out])
            w = g.constants[n.inputs[1]]
            b = g.constants[n.inputs[2]]
            wq, sw = quantize_weights_per_channel(w)
            bias_scale = sx * sw
            bq = np.round(b.astype(np.float64) / bias_scale)
            if np.abs(bq).max(initial=0) >= 2**31:
                raise QuantError(f"layer {n.name}: bias does not fit int32 at scale {bias_scale.min():g}")
            mult, shift = zip(*(quantize_multiplier(float(m)) for m in bias_scale / sy))
            pre = n.name
            constants[f"{pre}.weight"] = wq
            constants[f"{pre}.bias"] = bq.astype(np.int32)
            constants[f"{pre}.multiplier"] = np.array(mult, np.int32)
            constants[f"{pre}.shift"] = np.array(shift, np.int32)
            act_min = zy if n.attrs["relu"] else -128
            nodes.append(Node("fully_connected", n.name,
                              [x, f"{pre}.weight", f"{pre}.bias", f"{pre}.multiplier", f"{pre}.shift"], [out],
                              {"x_zero_point": zx, "y_zero_point": zy, "act_min": int(act_min), "act_max": 127}))
        elif n.op == "relu_f32":
            sy, zy = sx, zx  # relu keeps the quantization of its input
            nodes.append(Node("relu", n.name, [x], [out], {"zero_point": zx}))
        else:
            raise QuantError(f"PTQ does not handle op {n.op} (node {n.name}) yet")
        qparams[out] = (sy, zy)
        tensors[out] = TensorInfo(out, g.tensors[out].shape, "int8", sy, zy)
    q = Graph(g.name, list(g.inputs), list(g.outputs), tensors, constants, nodes,
              {**g.meta, "quantization": "ptq-w8a8-minmax", "calibration_samples": int(calibration.shape[0])})
    validate(q, integer_only=True)
    return q
