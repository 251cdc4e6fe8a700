"""The IntGraph IR: tensors, constants and a topologically ordered list of nodes.

One small IR carries both the captured FP32 model and its integer-only version; what makes a graph integer-only
is that none of its ops is a float op (`validate(..., integer_only=True)` checks that). The ops are declared in
quant/optable.py, their semantics in quant/ops/<module>.py; attributes are JSON values, constant tensors are numpy
arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quant.optable import OPTABLE, in_group

DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "float32": np.float32}


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | None = None  # quantization parameters of an activation tensor (None for float tensors)
    zero_point: int | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "scale": self.scale, "zero_point": self.zero_point}


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"op": self.op, "name": self.name, "inputs": list(self.inputs), "outputs": list(self.outputs),
                "attrs": self.attrs}


@dataclass
class Graph:
    name: str
    inputs: list[str]
    outputs: list[str]
    tensors: dict[str, TensorInfo]
    constants: dict[str, np.ndarray]
    nodes: list[Node]
    meta: dict = field(default_factory=dict)

    @property
    def is_integer(self) -> bool:
        return not any(OPTABLE[n.op].is_float for n in self.nodes if n.op in OPTABLE)

    def nodes_in(self, group: str) -> list[Node]:
        """The nodes whose op is in an op group (quant/optable.py Group), in graph order."""
        return [n for n in self.nodes if in_group(n.op, group)]

    def consumers(self) -> dict[str, list[tuple[Node, int]]]:
        """tensor name -> every (node, input index) that reads it."""
        c: dict[str, list[tuple[Node, int]]] = {}
        for n in self.nodes:
            for i, x in enumerate(n.inputs):
                c.setdefault(x, []).append((n, i))
        return c

    def weight_bytes(self) -> int:
        """Bytes of constant data (weights, biases, requantization parameters)."""
        return int(sum(a.nbytes for a in self.constants.values()))
