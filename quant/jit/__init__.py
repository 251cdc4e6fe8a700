"""Host engines of integer graphs: "numpy" (quant/reference.py, the definition) and "jit" (LLVM kernels compiled
for the host CPU with llvmlite, byte-identical to it; docs/host-engine.md). run() is the one entry point of every
caller that evaluates a graph; FP32 graphs (captures, the float baseline) always run on numpy.

The JIT modules are imported on first use, so choosing numpy never loads LLVM."""
from __future__ import annotations

import importlib

import numpy as np

from quant import reference
from quant.errors import GraphError
from quant.ir import Graph
from quant.optable import OPTABLE

ENGINES = ("jit", "numpy")
_DEFAULT = ["jit"]


def set_default(engine: str) -> None:
    """The engine run() uses when the caller names none (the commands' --engine)."""
    _DEFAULT[0] = check_engine(engine)


def default() -> str:
    return _DEFAULT[0]


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise GraphError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    return engine


def run(graph: Graph, inputs: dict[str, np.ndarray], keep_all: bool = False,
        engine: str | None = None) -> dict[str, np.ndarray]:
    """quant/reference.run on the chosen engine (outputs, or every non-constant tensor with keep_all)."""
    if check_engine(engine or _DEFAULT[0]) == "jit" and graph.is_integer:
        return _runner().run(graph, reference.feed(graph, inputs), keep_all)
    return reference.run(graph, inputs, keep_all)


def run_node(graph: Graph, node, args: list[np.ndarray]) -> np.ndarray:
    """One integer node of an integer graph on its input arrays (accuracy attribution runs graphs node by node)."""
    if _DEFAULT[0] == "jit":
        runner = _runner()
        return runner.call(runner.node_plans(graph)[node.name], args)
    return OPTABLE[node.op].reference(node, graph.tensors[node.outputs[0]].dtype, *args)


def _runner():
    try:
        runner = importlib.import_module("quant.jit.runner")
    except ImportError as exc:
        raise GraphError(f"the jit engine needs llvmlite ({exc}): run `make setup`, or use --engine numpy") from exc
    return runner
