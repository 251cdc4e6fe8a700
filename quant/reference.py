"""The numpy reference interpreter: THE definition of each op's integer result.

Every C kernel on every target must produce exactly these bytes. Formulas:

fully_connected (int8):
    acc[b, n] = bias[n] + sum_k (x[b, k] - x_zero_point) * w[n, k]            (exact, int32)
    y[b, n]   = clamp(requantize(acc, multiplier[n], shift[n]) + y_zero_point, act_min, act_max)
    with requantize as in quant/fixedpoint.py (TFLite / CMSIS-NN rounding).
fully_connected_grouped (int8 x, int8/int4 w, integer per-group scale factors):
    acc[b, n] = bias[n] + sum_g group_scale[n, g] * sum_{k in group g} (x[b, k] - x_zero_point) * w[n, k]
    then requantized and clamped as fully_connected.
relu (int8): y = max(x, zero_point).
fully_connected_f32 / relu_f32: float32 arithmetic (the FP32 baseline; not bit-exact across compilers).

The transformer ops (fully_connected_wide, matmul_qk, softmax, matmul_pv, add, mul, gelu, silu, layernorm, rmsnorm,
rope, embedding; fully_connected_asym, fully_connected_dynamic, channel_gather) are defined in
quant/ops/<module>.py, each docstring giving the exact integer steps; their float32
counterparts (<op>_f32) are in quant/ops/float_ops.py.
"""
from __future__ import annotations

import numpy as np

from quant.errors import GraphError
from quant.fixedpoint import requantize
from quant import ops
from quant.ir import DTYPES, Graph, Node
from quant.ops.common import exact_matmul
from quant.ops.linear import grouped_accumulate


def _fully_connected(node: Node, x: np.ndarray, w, b, mult, shift) -> np.ndarray:
    a = node.attrs
    acc = exact_matmul(x.astype(np.int64) - a["x_zero_point"], w.T, 255, 127) + b.astype(np.int64)
    y = requantize(acc, mult[None, :], shift[None, :]) + a["y_zero_point"]
    return np.clip(y, a["act_min"], a["act_max"]).astype(np.int8)


def _fully_connected_grouped(node: Node, x: np.ndarray, w, b, group_scale, mult, shift) -> np.ndarray:
    a = node.attrs
    acc = grouped_accumulate(x, a["x_zero_point"], w, b, group_scale, a["group_size"])
    y = requantize(acc, mult[None, :], shift[None, :]) + a["y_zero_point"]
    return np.clip(y, a["act_min"], a["act_max"]).astype(np.int8)


def _fully_connected_f32(node: Node, x, w, b) -> np.ndarray:
    y = x.astype(np.float32) @ w.T + b
    return np.maximum(y, np.float32(0)) if node.attrs["relu"] else y.astype(np.float32)


def _relu(node: Node, x) -> np.ndarray:
    return np.maximum(x, np.int8(node.attrs["zero_point"])).astype(np.int8)


def _relu_f32(node: Node, x) -> np.ndarray:
    return np.maximum(x, np.float32(0))


KERNELS = {"fully_connected": _fully_connected, "fully_connected_grouped": _fully_connected_grouped, "fully_connected_f32": _fully_connected_f32,
           "relu": _relu, "relu_f32": _relu_f32}


def run(graph: Graph, inputs: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """Runs the graph; returns its outputs (or every tensor with keep_all, as calibration needs)."""
    env: dict[str, np.ndarray] = dict(graph.constants)
    for name in graph.inputs:
        if name not in inputs:
            raise GraphError(f"missing input {name!r} for graph {graph.name!r}")
        t = graph.tensors[name]
        arr = np.asarray(inputs[name])
        if arr.dtype != np.dtype(DTYPES[t.dtype]) or arr.shape[1:] != t.shape[1:]:
            raise GraphError(f"input {name!r} must be {t.dtype} [B, {', '.join(map(str, t.shape[1:]))}],"
                             f" got {arr.dtype} {list(arr.shape)}")
        env[name] = arr
    for node in graph.nodes:
        args = [env[i] for i in node.inputs]
        if node.op in KERNELS:
            env[node.outputs[0]] = KERNELS[node.op](node, *args)
        elif node.op in ops.FLOAT_KERNELS:
            env[node.outputs[0]] = ops.FLOAT_KERNELS[node.op](node, *args)
        else:
            env[node.outputs[0]] = ops.KERNELS[node.op](node, graph.tensors[node.outputs[0]].dtype, *args)
    if keep_all:
        return {k: v for k, v in env.items() if k not in graph.constants}
    return {o: env[o] for o in graph.outputs}


def quantize_input(graph: Graph, x: np.ndarray, name: str | None = None) -> np.ndarray:
    """Host-side quantization of a float input with the graph input's scale and zero point."""
    t = graph.tensors[name or graph.inputs[0]]
    info = np.iinfo(DTYPES[t.dtype])
    q = np.round(np.asarray(x, np.float64) / t.scale) + t.zero_point
    return np.clip(q, info.min, info.max).astype(DTYPES[t.dtype])


def dequantize_output(graph: Graph, y: np.ndarray, name: str | None = None) -> np.ndarray:
    t = graph.tensors[name or graph.outputs[0]]
    return ((y.astype(np.float64) - t.zero_point) * t.scale).astype(np.float32)
