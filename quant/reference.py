"""The numpy reference interpreter: THE definition of each op's integer result.

Every C kernel on every target must produce exactly these bytes. Each op's kernel is the function named like the op
in the file the op table (quant/optable.py) names, quant/ops/<semantics>.py, whose docstrings give the exact integer
steps (fully connected layers: quant/ops/linear.py, requantization: quant/ops/fixed.py, TFLite / CMSIS-NN
rounding). The float32 ops (<op>_f32, quant/ops/float_ops.py) are the FP32 baseline, not bit-exact across compilers.
"""
from __future__ import annotations

import numpy as np

from quant.errors import GraphError
from quant.host_threads import blas_threads
from quant.ir import DTYPES, Graph
from quant.optable import OPTABLE


def run(graph: Graph, inputs: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """Runs the graph; returns its outputs (or every tensor with keep_all, as calibration needs). Float products
    on INTGAP_BLAS_THREADS threads (quant/host_threads.py: the same bytes with any count, faster with one)."""
    env = feed(graph, inputs)
    with blas_threads():
        for node in graph.nodes:
            args = [env[i] for i in node.inputs]
            env[node.outputs[0]] = OPTABLE[node.op].reference(node, graph.tensors[node.outputs[0]].dtype, *args)
    if keep_all:
        return {k: v for k, v in env.items() if k not in graph.constants}
    return {o: env[o] for o in graph.outputs}


def feed(graph: Graph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The graph's constants and its checked inputs: where every engine (quant/jit/) starts."""
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
    return env


def quantize_input(graph: Graph, x: np.ndarray, name: str | None = None) -> np.ndarray:
    """Host-side quantization of a float input with the graph input's scale and zero point."""
    t = graph.tensors[name or graph.inputs[0]]
    info = np.iinfo(DTYPES[t.dtype])
    q = np.round(np.asarray(x, np.float64) / t.scale) + t.zero_point
    return np.clip(q, info.min, info.max).astype(DTYPES[t.dtype])


def dequantize_output(graph: Graph, y: np.ndarray, name: str | None = None) -> np.ndarray:
    t = graph.tensors[name or graph.outputs[0]]
    return ((y.astype(np.float64) - t.zero_point) * t.scale).astype(np.float32)
