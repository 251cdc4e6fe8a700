"""What a JIT kernel family gives the runner for one node: the compiled code's key, its emitter, and how to call it.

key      everything the IR depends on (op, dtypes, the sizes baked in); nodes with equal keys share one function
emit     emits the body of `void k(i64* args)` reading its arguments in order (quant/jit/emit.Fn.arg)
call     per run: the input arrays -> (the output array, the argument list, or a list of argument lists: one
         call each, in order). Arrays in a list are passed as their addresses (the runner keeps them alive for the
         call), ints as values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from quant.errors import GraphError
from quant.ir import DTYPES, Graph, Node


@dataclass
class Plan:
    key: tuple
    emit: Callable
    call: Callable[[list[np.ndarray]], tuple[np.ndarray, list]]
    dtypes: tuple = ()  # the input dtypes the code was compiled for (the runner fills it in)


def out_dtype(g: Graph, node: Node) -> str:
    return g.tensors[node.outputs[0]].dtype


def empty_out(dtype: str, shape) -> np.ndarray:
    """A new output array (plans hold no reference to their graph: its plans are dropped with it)."""
    return np.empty(tuple(shape), DTYPES[dtype])


def check_shapes(node: Node, ok: bool, what: str) -> None:
    """The kernels read what the shapes promise: inputs that disagree at run time (e.g. token ids and positions of
    different lengths) are an error here, where numpy's broadcasting would fail too."""
    if not ok:
        raise GraphError(f"node {node.name!r} ({node.op}): {what}; feed inputs of one sequence length")


def dtypes(arrays) -> tuple[str, ...]:
    return tuple(str(a.dtype) for a in arrays)
