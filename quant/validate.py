"""Graph validation: every tensor chains, every dtype and shape fits its op, every quantization parameter is in
range; with integer_only=True, no op needs a float at run time."""
from __future__ import annotations

import math

import numpy as np

from quant.errors import GraphError
from quant.fixedpoint import SHIFT_MAX, SHIFT_MIN
from quant.ir import DTYPES, OPS, Graph
from quant.ops import checks as op_checks

_ACC_LIMIT = (1 << 31) - 1
_SKELETON_OPS = ("fully_connected", "fully_connected_f32", "fully_connected_grouped", "relu", "relu_f32")


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
        if n.op not in OPS:
            fail(f"{where}: unknown op; supported: {', '.join(OPS)}")
        is_float, roles, attrs = OPS[n.op]
        if integer_only and is_float:
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
        _check_node(g, n, fail)
        available.add(out)
    for o in g.outputs:
        if o not in available:
            fail(f"output {o!r} is never produced")


def _shape(g: Graph, name: str) -> tuple[int, ...]:
    return tuple(g.constants[name].shape) if name in g.constants else g.tensors[name].shape


def _dtype(g: Graph, name: str) -> str:
    return str(g.constants[name].dtype) if name in g.constants else g.tensors[name].dtype


def _check_node(g: Graph, n, fail) -> None:
    where = f"node {n.name!r} ({n.op})"
    ins = n.inputs
    out = g.tensors[n.outputs[0]]
    if n.op not in _SKELETON_OPS:
        op_checks.check(g, n, fail)
        return
    if n.op in ("fully_connected", "fully_connected_f32", "fully_connected_grouped"):
        xs, ws, bs = _shape(g, ins[0]), _shape(g, ins[1]), _shape(g, ins[2])
        if len(xs) != 2 or len(ws) != 2 or ws[1] != xs[1]:
            fail(f"{where}: input {xs} and weight {ws} do not chain (need x [B, K] and w [N, K])")
        nout = ws[0]
        if bs != (nout,) or out.shape != (xs[0], nout):
            fail(f"{where}: bias {bs} / output {out.shape} do not match weight {ws} and input {xs}")
        if n.op == "fully_connected_f32":
            for i in ins:
                if _dtype(g, i) != "float32":
                    fail(f"{where}: {i!r} must be float32")
            return
        grouped = n.op == "fully_connected_grouped"
        want = {i: "int32" for i in ins[2:]}
        want.update({ins[0]: "int8", ins[1]: "int8"})
        for i, dt in want.items():
            if _dtype(g, i) != dt:
                fail(f"{where}: {i!r} is {_dtype(g, i)}, must be {dt}")
        if out.dtype != "int8":
            fail(f"{where}: output must be int8")
        for i in ins[1:]:
            if i not in g.constants:
                fail(f"{where}: {i!r} must be a constant")
        for i in ins[-2:]:
            if _shape(g, i) != (nout,):
                fail(f"{where}: {i!r} must have shape ({nout},)")
        mult = g.constants[ins[-2]].astype(np.int64)
        shift = g.constants[ins[-1]].astype(np.int64)
        if np.any(mult < 0):
            fail(f"{where}: requantization multipliers must be non-negative int32")
        if np.any((shift < SHIFT_MIN) | (shift > SHIFT_MAX)):
            fail(f"{where}: requantization shifts must lie in [{SHIFT_MIN}, {SHIFT_MAX}]")
        w = g.constants[ins[1]]
        bits = n.attrs.get("weight_bits", 8)
        if bits not in (4, 8):
            fail(f"{where}: weight_bits must be 4 or 8, got {bits!r}")
        lo, hi = (-127, 127) if bits == 8 else (-8, 7)
        if w.size and (w.min() < lo or w.max() > hi):
            fail(f"{where}: {bits}-bit weights must lie in [{lo}, {hi}], found [{w.min()}, {w.max()}]")
        wmax = max(abs(lo), hi)
        if grouped:
            gs = n.attrs["group_size"]
            if not isinstance(gs, int) or gs <= 0 or xs[1] % gs:
                fail(f"{where}: group_size {gs!r} must be a positive divisor of K={xs[1]}")
            gsc = g.constants.get(ins[3])
            if gsc is None or gsc.shape != (nout, xs[1] // gs):
                fail(f"{where}: group_scale must be a constant of shape ({nout}, {xs[1] // gs})")
            if gsc.size and (gsc.min() < 0 or gsc.max() >= 1 << 15):
                fail(f"{where}: group_scale values must lie in [0, 2^15)")
            bound = np.abs(g.constants[ins[2]].astype(np.int64)).max() + \
                int(gsc.astype(np.int64).sum(axis=1).max(initial=0)) * 2 * 255 * wmax * gs
        else:
            bound = np.abs(g.constants[ins[2]].astype(np.int64)).max() + 2 * 255 * wmax * xs[1]
        if bound > _ACC_LIMIT:
            fail(f"{where}: K={xs[1]} with these biases can overflow the int32 accumulator; split the layer")
        a = n.attrs
        for key in ("x_zero_point", "y_zero_point", "act_min", "act_max"):
            if type(a[key]) is not int or not -128 <= a[key] <= 127:
                fail(f"{where}: attribute {key}={a[key]!r} must be an int8 value")
        if a["act_min"] > a["act_max"]:
            fail(f"{where}: act_min > act_max")
        # the tensors' zero points (used to quantize inputs, dequantize outputs) must be the ones the op uses
        for t_name, key in ((ins[0], "x_zero_point"), (n.outputs[0], "y_zero_point")):
            zp = g.tensors[t_name].zero_point if t_name in g.tensors else None
            if zp is not None and zp != a[key]:
                fail(f"{where}: attribute {key}={a[key]} differs from tensor {t_name!r}'s zero point {zp};"
                     " the file was edited inconsistently: re-create it with `intgap quantize`")
    elif n.op == "relu_f32":
        if _shape(g, ins[0]) != out.shape or _dtype(g, ins[0]) != "float32":
            fail(f"{where}: input and output must be float32 of the same shape")
    elif n.op == "relu":
        if _shape(g, ins[0]) != out.shape or _dtype(g, ins[0]) != "int8" or out.dtype != "int8":
            fail(f"{where}: input and output must be int8 of the same shape")
        zp = n.attrs["zero_point"]
        if type(zp) is not int or not -128 <= zp <= 127:
            fail(f"{where}: zero_point must be an int8 value")
