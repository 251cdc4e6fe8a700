"""Graph validation: every tensor chains, every dtype and shape fits its op, every quantization parameter is in
range; with integer_only=True, no op needs a float at run time."""
from __future__ import annotations

import math

import numpy as np

from quant.errors import GraphError
from quant.ir import DTYPES, Graph
from quant.ops.checks import NodeCheck
from quant.optable import OPTABLE


def validate(g: Graph, integer_only: bool) -> None:
    def fail(msg: str) -> None:
        raise GraphError(f"graph {g.name!r}: {msg}")

    for name, t in g.tensors.items():
        if t.dtype not in DTYPES:
            fail(f"tensor {name!r} has unknown dtype {t.dtype!r} (known: {', '.join(DTYPES)})")
        if any((not isinstance(d, int)) or d <= 0 for d in t.shape):
            fail(f"tensor {name!r} has a non-positive dimension in shape {t.shape}")
        if t.scale is not None and not (math.isfinite(t.scale) and t.scale > 0):
            fail(f"tensor {name!r} has scale {t.scale}: scales must be finite and positive; recalibrate")
        if t.zero_point is not None and type(t.zero_point) is not int:
            fail(f"tensor {name!r} has zero point {t.zero_point!r}: zero points must be integers")
        if t.zero_point is not None and t.dtype in ("int8", "int16"):
            info = np.iinfo(DTYPES[t.dtype])
            if not info.min <= t.zero_point <= info.max:
                fail(f"tensor {name!r} has zero point {t.zero_point} outside {t.dtype}")
    for k, a in g.constants.items():
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            fail(f"constant {k!r} contains NaN or inf")
    available = set(g.inputs) | set(g.constants)
    for name in g.inputs + g.outputs:
        if name not in g.tensors:
            fail(f"graph input/output {name!r} has no tensor description")
    for n in g.nodes:
        where = f"node {n.name!r} ({n.op})"
        if n.op not in OPTABLE:
            fail(f"{where}: unknown op; supported: {', '.join(OPTABLE)}")
        op = OPTABLE[n.op]
        roles, attrs = op.roles, op.attrs
        if integer_only and op.is_float:
            fail(f"{where} is a float op: an integer-only graph may not contain it; quantize the model first")
        if len(n.inputs) != len(roles) or len(n.outputs) != 1:
            fail(f"{where}: expects inputs {roles} and one output, got {len(n.inputs)} inputs, {len(n.outputs)} outputs")
        for a in attrs:
            if a not in n.attrs:
                fail(f"{where}: missing attribute {a!r}")
        for i in n.inputs:
            if i not in available:
                fail(f"{where}: input {i!r} is not produced by an earlier node, a graph input or a constant")
            if i not in g.tensors and i not in g.constants:
                fail(f"{where}: input {i!r} is not described")
        out = n.outputs[0]
        if out not in g.tensors:
            fail(f"{where}: output {out!r} has no tensor description")
        op.validator(NodeCheck(g, n, fail))
        available.add(out)
    for o in g.outputs:
        if o not in available:
            fail(f"output {o!r} is never produced")
