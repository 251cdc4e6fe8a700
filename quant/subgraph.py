"""Cutting a graph down to some of its nodes (one transformer layer, say), with the tensors they read from outside
as the new graph's inputs. The cut graph computes exactly what those nodes compute inside the whole graph, given
the same input tensors (quant/reference.py's keep_all gives them)."""
from __future__ import annotations

from quant.errors import GraphError
from quant.ir import Graph
from quant.mixed import pattern_matches
from quant.ops.checks import validate


def subgraph(g: Graph, pattern: str) -> Graph:
    """The nodes whose names match the glob `pattern` (or lie under it: "encoder.layer.0" takes
    "encoder.layer.0.*"), in graph order. Inputs: every tensor they read that none of them makes (constants stay
    constants); output: the last selected node's output. A node outside the pattern that only derives one input
    from the others (SmoothQuant's scaled copy of a LayerNorm output) is taken in, so the cut reads one tensor."""
    nodes = [n for n in g.nodes if pattern_matches(n.name, pattern)]
    if nodes:
        nodes = _absorb_input_producers(g, nodes)
    if not nodes:
        layers = sorted({".".join(n.name.split(".")[:3]) for n in g.nodes if n.name.count(".") >= 2})
        raise GraphError(f"no node of graph {g.name!r} matches {pattern!r}: try one of {', '.join(layers[:8])}"
                         + (" ..." if len(layers) > 8 else ""))
    made = {n.outputs[0] for n in nodes}
    inputs: list[str] = []
    for n in nodes:
        for t in n.inputs:
            if t not in made and t not in g.constants and t not in inputs:
                inputs.append(t)
    out = nodes[-1].outputs[0]
    used = {t for n in nodes for t in n.inputs} | made
    tensors = {k: v for k, v in g.tensors.items() if k in used}
    constants = {k: v for k, v in g.constants.items() if k in used}
    sub = Graph(f"{g.name}[{pattern}]", inputs, [out], tensors, constants, list(nodes),
                {**g.meta, "subgraph_of": g.name, "subgraph": pattern})
    validate(sub, integer_only=False)
    return sub


def _absorb_input_producers(g: Graph, nodes: list) -> list:
    """Adds, until none is left, the producer of an input tensor whose own inputs are all inputs of the cut or
    constants: it computes nothing the cut's other inputs do not determine."""
    chosen = {id(n) for n in nodes}
    by_output = {n.outputs[0]: n for n in g.nodes}
    changed = True
    while changed:
        changed = False
        made = {n.outputs[0] for n in g.nodes if id(n) in chosen}
        needed = {t for n in g.nodes if id(n) in chosen for t in n.inputs if t not in made and t not in g.constants}
        for t in sorted(needed):
            p = by_output.get(t)
            if p is not None and id(p) not in chosen and all(i in needed or i in g.constants for i in p.inputs):
                chosen.add(id(p))
                changed = True
    made = {n.outputs[0] for n in g.nodes if id(n) in chosen}
    needed = sorted({t for n in g.nodes if id(n) in chosen for t in n.inputs
                     if t not in made and t not in g.constants and t not in g.inputs})
    producers = [by_output[t] for t in needed if t in by_output]
    if len(needed) > 1 and len(producers) == len(needed):
        # several inputs derived from one tensor (SmoothQuant's second LayerNorm of the same sum): read that tensor
        sources = {i for p in producers for i in p.inputs if i not in g.constants}
        if len(sources) == 1:
            chosen |= {id(p) for p in producers}
    return [n for n in g.nodes if id(n) in chosen]
