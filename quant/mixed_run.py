"""Mixed integer / float execution of an integer graph beside the float graph it was lowered from: any op may run
its float twin, any fully connected layer may use its float weights, any activation may skip its rounding. The
accuracy attribution (quant/accuracy_attribution.py) is built on it; docs/accuracy-attribution.md defines what each
replacement removes.

Every tensor is carried as its real value (and, while it lies on its integer grid, as its integer code too). An op
in integer mode rounds each input onto the input's grid (a no-op for a value that is already on it), runs its
integer kernel (quant/reference.py's, so with every op in integer mode the result is the integer graph's, bit for
bit) and its output is on its grid. An op in float mode runs the float graph's op on the real values of its inputs
with the float graph's constants (the fully connected weights optionally rounded), and rounds its output onto the
output's grid unless that tensor is left real. With every op in float mode, float weights and no rounding, the
result is the float graph's, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant import reference
from quant.errors import GraphError
from quant.ir import Graph, Node
from quant.optable import OPTABLE, Group


@dataclass(frozen=True)
class Mix:
    """Which parts run as integers: float-graph node names in integer mode, fully connected nodes whose float-mode
    weights are the rounded ones, tensors rounded onto their grid where a float-mode op writes them."""
    integer_ops: frozenset[str]
    rounded_weights: frozenset[str]
    rounded_tensors: frozenset[str]


class MixedGraph:
    """The integer graph q paired with the float graph fp it was lowered from (same node and tensor names; an op the
    lowering expanded, e.g. an outlier split, is the group of integer nodes that ends in the float node's output).
    rounded_weights: float node name -> its dequantized integer weight matrix, for float mode with rounded weights."""

    def __init__(self, fp: Graph, q: Graph, rounded_weights: dict[str, np.ndarray]):
        self.fp, self.q, self.rounded_weights = fp, q, rounded_weights
        self.float_node = {n.outputs[0]: n for n in fp.nodes}
        q_outputs = {n.outputs[0] for n in q.nodes}
        missing = [n.name for n in fp.nodes if n.outputs[0] not in q_outputs]
        if missing or list(fp.outputs) != list(q.outputs) or list(fp.inputs) != list(q.inputs):
            raise GraphError(f"the integer graph {q.name!r} was not lowered from this float graph (no integer op "
                             f"writes {', '.join(missing[:3]) or 'the same outputs'}): pair a graph with the float "
                             "graph its recipe lowers (quant.recipes.method_graph)")
        self.parts = self._parts()

    @property
    def fc_nodes(self) -> list[str]:
        return [n.name for n in self.fp.nodes_in(Group.FULLY_CONNECTED)]

    def _parts(self) -> dict[str, list[Node]]:
        """float node name -> the integer nodes that compute it, in graph order (intermediates the lowering added,
        such as an outlier split's gathers, may be shared by several float nodes)."""
        producer = {n.outputs[0]: n for n in self.q.nodes}
        parts: dict[str, list[Node]] = {}
        for out, f in self.float_node.items():
            seen, stack = set(), [producer[out]]
            while stack:
                n = stack.pop()
                if n.name in seen:
                    continue
                seen.add(n.name)
                stack += [producer[i] for i in n.inputs if i in producer and i not in self.float_node]
            parts[f.name] = [n for n in self.q.nodes if n.name in seen]
        return parts

    def all_integer(self) -> Mix:
        return Mix(frozenset(n.name for n in self.fp.nodes), frozenset(self.fc_nodes),
                   frozenset(self.float_node))

    def all_float(self) -> Mix:
        return Mix(frozenset(), frozenset(), frozenset())

    # ------------------------------------------------------------------ running
    def run(self, inputs: dict[str, np.ndarray], mix: Mix) -> np.ndarray:
        """The graph's first output as real values (float32) under mix."""
        codes: dict[str, np.ndarray] = dict(self.q.constants)
        reals: dict[str, np.ndarray] = {}
        for name in self.q.inputs:
            codes[name] = reals[name] = np.asarray(inputs[name])
        for f in self.fp.nodes:
            out = f.outputs[0]
            if f.name in mix.integer_ops:
                for n in self.parts[f.name]:
                    if n.outputs[0] not in codes:
                        args = [self._code(i, codes, reals) for i in n.inputs]
                        codes[n.outputs[0]] = OPTABLE[n.op].reference(n, self.q.tensors[n.outputs[0]].dtype,
                                                                      *args)
                continue
            args = [self._real(i, codes, reals) if i not in self.fp.constants else self.fp.constants[i]
                    for i in f.inputs]
            if f.name in mix.rounded_weights:
                args[1] = self.rounded_weights[f.name]
            y = OPTABLE[f.op].reference(f, "float32", *args)
            if out in mix.rounded_tensors:
                codes[out] = self._quantize(out, y)
            else:
                reals[out] = y
        return self._real(self.q.outputs[0], codes, reals)

    def _quantize(self, name: str, x: np.ndarray) -> np.ndarray:
        quantized = self.q.tensors[name].scale is not None
        return reference.quantize_input(self.q, x, name) if quantized else x

    def _code(self, name: str, codes: dict, reals: dict) -> np.ndarray:
        if name not in codes:
            codes[name] = self._quantize(name, reals[name])
        return codes[name]

    def _real(self, name: str, codes: dict, reals: dict) -> np.ndarray:
        if name not in reals:
            quantized = self.q.tensors[name].scale is not None
            reals[name] = reference.dequantize_output(self.q, codes[name], name) if quantized else codes[name]
        return reals[name]
