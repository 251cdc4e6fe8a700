"""Graph validation (validate): every tensor chains, every dtype and shape fits its op, every quantization parameter is
in range; with integer_only=True, no op needs a float at run time. An op's static check is its entry's `Rules` in
the op table (dtypes, constants, shapes, attribute ranges: apply_rules) and, where a bound needs code (shapes that
chain, the bounds that keep every intermediate inside the widths the op docstrings state), check_<name> here."""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from quant.errors import GraphError
from quant.ir import DTYPES, Graph
from quant.ops.fixed import SHIFT_MAX, SHIFT_MIN
from quant.optable import INT, OPTABLE

BITS = {"int8": 8, "int16": 16, "int32": 32}
ACC_LIMIT = (1 << 31) - 1


class NodeCheck:
    """One node under validation: its graph, attributes and the `fail` callback, with the checks every op uses."""

    def __init__(self, g, n, fail):
        self.g, self.n, self.fail = g, n, fail
        self.where = f"node {n.name!r} ({n.op})"
        self.ins, self.a = n.inputs, n.attrs
        self.out = g.tensors[n.outputs[0]]

    def shape(self, name) -> tuple[int, ...]:
        return tuple(self.g.constants[name].shape) if name in self.g.constants else tuple(self.g.tensors[name].shape)

    def dtype(self, name) -> str:
        return str(self.g.constants[name].dtype) if name in self.g.constants else self.g.tensors[name].dtype

    def need(self, name, dtypes, role):
        if self.dtype(name) not in dtypes:
            self.fail(f"{self.where}: {role} {name!r} is {self.dtype(name)}, must be {' or '.join(dtypes)}")

    def int_attr(self, key, lo, hi, what: str | None = None):
        v = self.a[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(f"{self.where}: attribute {key}={v!r} must be {what or f'an integer in [{lo}, {hi}]'}")

    def in_range(self, key, dtype):
        info = np.iinfo(DTYPES[dtype])
        self.int_attr(key, int(info.min), int(info.max), f"an {dtype} value")

    def requant(self, mult, shift) -> None:
        """TFLite requantization parameters (scalars or per channel): multipliers non-negative int32, shifts in
        [SHIFT_MIN, SHIFT_MAX]."""
        mult, shift = np.asarray(mult, np.int64), np.asarray(shift, np.int64)
        if np.any((mult < 0) | (mult >= 1 << 31)):
            self.fail(f"{self.where}: requantization multipliers must be non-negative int32")
        if np.any((shift < SHIFT_MIN) | (shift > SHIFT_MAX)):
            self.fail(f"{self.where}: requantization shifts must lie in [{SHIFT_MIN}, {SHIFT_MAX}]")


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
        check = NodeCheck(g, n, fail)
        apply_rules(check)
        if op.validator is not None:
            op.validator(check)
        available.add(out)
    for o in g.outputs:
        if o not in available:
            fail(f"output {o!r} is never produced")


def apply_rules(c: NodeCheck) -> None:
    """The declarative part of the node's check: its entry's Rules (quant/optable.py), and every attribute
    <role>_zero_point within that input's dtype."""
    op = OPTABLE[c.n.op]
    r, roles, out = op.rules, op.roles, c.n.outputs[0]
    for i, allowed in enumerate(r.inputs):
        if allowed:
            c.need(c.ins[i], allowed, f"input {roles[i]}")
    for i in r.consts:
        if c.ins[i] not in c.g.constants:
            c.fail(f"{c.where}: input {roles[i]} {c.ins[i]!r} must be a constant")
    if r.output:
        c.need(out, r.output, "output")
    if r.clamp:  # an integer output, clamped to [act_min, act_max] around y_zero_point
        c.need(out, INT, "output")
        for key in ("act_min", "act_max", "y_zero_point"):
            c.in_range(key, c.out.dtype)
        if c.a["act_min"] > c.a["act_max"]:
            c.fail(f"{c.where}: act_min > act_max")
    if r.same_shape and len({c.shape(x) for x in c.ins} | {tuple(c.out.shape)}) != 1:
        c.fail(f"{c.where}: inputs and output must have one shape")
    for key, lo, hi in (*r.ranges, *((k, 0, (1 << 31) - 1) for k in r.multipliers), *((k, 0, 62) for k in r.shifts)):
        c.int_attr(key, lo, hi)
    for key in r.flags:
        if not isinstance(c.a[key], bool):
            c.fail(f"{c.where}: {key} must be true or false")
    for i, role in enumerate(roles):
        if f"{role}_zero_point" in op.attrs:
            c.in_range(f"{role}_zero_point", c.dtype(c.ins[i]))


def check_fully_connected(c: NodeCheck) -> None:
    """fully_connected and fully_connected_grouped (int8 in and out)."""
    k, wmax, gs, group_sums = _fc_common(c)
    bound = _bias_max(c) + int(group_sums.max(initial=0)) * 2 * 255 * wmax * gs
    if bound > ACC_LIMIT:
        c.fail(f"{c.where}: K={k} with these biases can overflow the int32 accumulator; split the layer")
    # the zero points must be the tensors' own (they quantize the inputs and dequantize the outputs of an MLP)
    for t, key in ((c.ins[0], "x_zero_point"), (c.n.outputs[0], "y_zero_point")):
        zp = c.g.tensors[t].zero_point if t in c.g.tensors else None
        if zp is not None and zp != c.a[key]:
            c.fail(f"{c.where}: attribute {key}={c.a[key]} differs from tensor {t!r}'s zero point {zp};"
                   " the file was edited inconsistently: re-create it with `intgap quantize`")


def check_fully_connected_wide(c: NodeCheck) -> None:
    k, _, gs, _ = _fc_common(c)
    gsc = c.g.constants[c.ins[3]]
    bound = _row_bound(c, input_range(c.dtype(c.ins[0]), c.a["x_zero_point"]), np.zeros(gsc.shape, np.int64), gs)
    if bound >= 1 << 31:
        c.fail(f"{c.where}: K={k} with this input width and these scales can overflow the int32 accumulator;"
               " use int8 input, smaller group scales, or split the layer")


def check_channel_gather(c: NodeCheck) -> None:
    xs, idx = c.shape(c.ins[0]), c.g.constants[c.ins[1]]
    if len(xs) != 2 or idx.ndim != 1 or tuple(c.out.shape) != (xs[0], idx.shape[0]):
        c.fail(f"{c.where}: x must be [B, K], index [J] and the output [B, J]")
    if idx.size and (idx.min() < -1 or idx.max() >= xs[1]):
        c.fail(f"{c.where}: index values must lie in [-1, {xs[1]})")
    if BITS[c.dtype(c.ins[0])] + 1 + c.a["multiplier"].bit_length() > 62:
        c.fail(f"{c.where}: the int64 product (x - x_zero_point) * multiplier can overflow; use a smaller multiplier")


def _attention(c: NodeCheck) -> tuple[int, int, int]:
    """matmul_qk and matmul_pv: heads, one requantization."""
    h, hkv, hd = c.a["heads"], c.a["kv_heads"], c.a["head_dim"]
    if h % hkv:
        c.fail(f"{c.where}: heads={h} must be a multiple of kv_heads={hkv}")
    c.requant(c.a["multiplier"], c.a["shift"])
    return h, hkv, hd


def check_matmul_qk(c: NodeCheck) -> None:
    h, hkv, hd = _attention(c)
    if c.shape(c.ins[0])[1] != h * hd or c.shape(c.ins[1])[1] != hkv * hd:
        c.fail(f"{c.where}: q must be [T, {h * hd}] and k [S, {hkv * hd}]")


def check_matmul_pv(c: NodeCheck) -> None:
    h, hkv, hd = _attention(c)
    prod = [m for m in c.g.nodes if m.outputs[0] == c.ins[0]]
    if not prod or OPTABLE[prod[0].op].check != "softmax":
        c.fail(f"{c.where}: p must be produced by a softmax (its row sums bound the int32 accumulator)")
    if c.shape(c.ins[1])[1] != hkv * hd:
        c.fail(f"{c.where}: v must be [S, {hkv * hd}]")


def check_softmax(c: NodeCheck) -> None:
    o = c.out
    want = (2.0 ** -15, 0) if o.dtype == "int16" else (2.0 ** -8, -128)
    if (o.scale, o.zero_point) != want:
        c.fail(f"{c.where}: a {o.dtype} softmax output has scale {want[0]} and zero point {want[1]}")


def _binary(c: NodeCheck) -> tuple[int, int]:
    """add and mul: the inputs' bits plus sign headroom."""
    return BITS[c.dtype(c.ins[0])] + 1, BITS[c.dtype(c.ins[1])] + 1


def check_add(c: NodeCheck) -> None:
    ba, bb = _binary(c)
    if max(ba + c.a["a_multiplier"].bit_length(), bb + c.a["b_multiplier"].bit_length()) > 61:
        c.fail(f"{c.where}: input width plus multiplier bits exceed the int64 sum; use smaller multipliers")


def check_mul(c: NodeCheck) -> None:
    ba, bb = _binary(c)
    if ba + bb + c.a["multiplier"].bit_length() > 62:
        c.fail(f"{c.where}: the int64 product (a - za)(b - zb) m can overflow; use a smaller multiplier")


def check_activation(c: NodeCheck) -> None:
    """gelu, silu and softcap."""
    if BITS[c.dtype(c.ins[0])] + 1 + c.a["in_multiplier"].bit_length() > 62 or c.a["out_multiplier"] >= 1 << 30:
        c.fail(f"{c.where}: multipliers too wide for the int64 products")


def check_norm(c: NodeCheck) -> None:
    """layernorm (gamma and beta) and rmsnorm (gamma)."""
    params = range(1, len(c.ins))
    ch = c.shape(c.ins[0])[-1]
    if any(c.shape(c.ins[i]) != (ch,) for i in params) or tuple(c.out.shape) != c.shape(c.ins[0]):
        c.fail(f"{c.where}: gamma/beta must be [{ch}] and the output the input's shape")
    if ch > 1 << 13:
        c.fail(f"{c.where}: {ch} channels exceed the 2^13 the int64 sum of squares allows")


def check_head_rmsnorm(c: NodeCheck) -> None:
    """rmsnorm over [T * heads, head_dim] rows (quant/ops/head_norm.py): x [T, heads * head_dim], gamma [head_dim]."""
    h, hd = c.a["heads"], c.a["head_dim"]
    x = c.shape(c.ins[0])
    if len(x) != 2 or x[1] != h * hd or c.shape(c.ins[1]) != (hd,) or tuple(c.out.shape) != x:
        c.fail(f"{c.where}: x and the output must be [T, {h * hd}] and gamma [{hd}]")


def check_rope(c: NodeCheck) -> None:
    h, hd = c.a["heads"], c.a["head_dim"]
    x, table = c.shape(c.ins[0]), c.shape(c.ins[2])
    if x[1] != h * hd or hd % 2 or table[1] != hd // 2 or c.shape(c.ins[3]) != table or tuple(c.out.shape) != x:
        c.fail(f"{c.where}: x must be [T, {h * hd}] and the tables [P, {hd // 2}]")
    c.requant(c.a["multiplier"], c.a["shift"])


def check_embedding(c: NodeCheck) -> None:
    if c.out.dtype != c.dtype(c.ins[1]) or tuple(c.out.shape)[1:] != c.shape(c.ins[1])[1:]:
        c.fail(f"{c.where}: the output has the table's dtype and row width")


def fc_quant_mass(w: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray, group_size: int) -> np.ndarray:
    """Per output row, sum_g (group_scale * sum_{k in g} |w| + |group_offset| * group_size) as int64: times the
    largest |input| it bounds every partial sum of fully_connected_asym / fully_connected_dynamic."""
    nrow, k = w.shape
    absw = np.abs(w.astype(np.int64)).reshape(nrow, k // group_size, group_size).sum(axis=2)
    return (absw * group_scale.astype(np.int64) + np.abs(group_offset.astype(np.int64)) * group_size).sum(axis=1)


def input_range(dtype: str, zero_point: int) -> int:
    """The largest |x - zero_point| an input of this dtype can take."""
    info = np.iinfo(DTYPES[dtype])
    return int(max(int(info.max) - zero_point, zero_point - int(info.min)))


def dynamic_e_max(dtype: str, zero_point: int) -> int:
    """The largest row exponent e of fully_connected_dynamic (quant/ops/linear_quant.py) for this input."""
    return input_range(dtype, zero_point).bit_length() - 15


def check_fc_shapes(c: NodeCheck) -> tuple[int, int]:
    """(N, K): x [B, K] against weight [N, K], the bias [N] and the output [B, N]."""
    xs, ws, bs = c.shape(c.ins[0]), c.shape(c.ins[1]), c.shape(c.ins[2])
    if len(xs) != 2 or len(ws) != 2 or ws[1] != xs[1]:
        c.fail(f"{c.where}: input {xs} and weight {ws} do not chain (need x [B, K] and w [N, K])")
    if bs != (ws[0],) or tuple(c.out.shape) != (xs[0], ws[0]):
        c.fail(f"{c.where}: bias {bs} / output {c.out.shape} do not match weight {ws} and input {xs}")
    return ws


def _fc_common(c: NodeCheck, requant: bool = True):
    """What every integer fully connected op shares beyond its rules: the shapes, the requantization (unless
    `requant` is False: the caller checks it), the weight width and range and the group grid. Returns (K, the
    largest |weight|, the group size, per row the sum of its group scales)."""
    g, ins, where, fail = c.g, c.ins, c.where, c.fail
    nout, k = check_fc_shapes(c)
    for i in ins[-2:]:
        if c.shape(i) != (nout,):
            fail(f"{where}: {i!r} must have shape ({nout},)")
    if requant:
        c.requant(g.constants[ins[-2]], g.constants[ins[-1]])
    bits = c.a.get("weight_bits", 8)
    if bits not in (4, 8):
        fail(f"{where}: weight_bits must be 4 or 8, got {bits!r}")
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    w = g.constants[ins[1]]
    if w.size and (w.min() < lo or w.max() > hi):
        fail(f"{where}: {bits}-bit weights must lie in [{lo}, {hi}], found [{w.min()}, {w.max()}]")
    gs, group_sums = k, np.ones(nout, np.int64)
    if "group_size" in OPTABLE[c.n.op].attrs:
        gs = c.a["group_size"]
        if not isinstance(gs, int) or isinstance(gs, bool) or gs <= 0 or k % gs:
            fail(f"{where}: group_size {gs!r} must be a positive divisor of K={k}")
        groups = [i for i, r in enumerate(OPTABLE[c.n.op].roles) if r.startswith("group_")]
        if any(c.shape(ins[i]) != (nout, k // gs) for i in groups):
            fail(f"{where}: {' and '.join(OPTABLE[c.n.op].roles[i] for i in groups)} must be [{nout}, {k // gs}]")
        gsc = g.constants[ins[3]]
        if gsc.size and (gsc.min() < 0 or gsc.max() >= 1 << 15):
            fail(f"{where}: group_scale values must lie in [0, 2^15)")
        group_sums = gsc.astype(np.int64).sum(axis=1)
    return k, max(-lo, hi), gs, group_sums


def _row_bound(c: NodeCheck, x_range: int, group_offset: np.ndarray, group_size: int, bias: bool = True) -> int:
    """The largest |accumulator| of a grouped layer (weights ins[1], bias ins[2], group scales ins[3]): per row, as
    the lowering bounds it, |bias| + x_range x the row's weight mass (fc_quant_mass), a bound on every partial sum
    for any input; the largest bias and the largest mass may sit in different rows."""
    mass = fc_quant_mass(c.g.constants[c.ins[1]], c.g.constants[c.ins[3]], group_offset, group_size)
    b = np.abs(c.g.constants[c.ins[2]].astype(np.int64)) if bias else 0
    return int((b + x_range * mass).max(initial=0))


def _bias_max(c: NodeCheck) -> int:
    return int(np.abs(c.g.constants[c.ins[2]].astype(np.int64)).max(initial=0))


def check_fully_connected_asym(c: NodeCheck, dynamic: bool = False) -> None:
    """fully_connected_asym / _dynamic: the accumulator bound from the weights' group mass. A dynamic layer's input
    is quantized per row at run time to int8 (|x| <= 127) and its bias added after the accumulation."""
    _fc_common(c, requant=not dynamic)
    xdt = c.dtype(c.ins[0])
    x_range = 127 if dynamic else input_range(xdt, c.a["x_zero_point"])
    bound = _row_bound(c, x_range, c.g.constants[c.ins[4]], c.a["group_size"], bias=not dynamic)
    if bound >= 1 << 31:
        c.fail(f"{c.where}: these group scales and offsets can overflow the int32 accumulator (bound {bound}); "
               "use a coarser unit scale (quant/weights.quantize_weight) or split the layer")
    if not dynamic:
        return
    mult, shift = c.g.constants[c.ins[5]].astype(np.int64), c.g.constants[c.ins[6]].astype(np.int64)
    e_max = dynamic_e_max(xdt, c.a["x_zero_point"])
    if np.any((mult < 0) | (mult >= 1 << 31)):
        c.fail(f"{c.where}: multipliers must lie in [0, 2^31)")
    if np.any((shift < e_max) | (shift > 48)):
        c.fail(f"{c.where}: shifts must lie in [{e_max}, 48] (shift - e stays in [0, 62] for every row exponent e)")


check_fully_connected_dynamic = partial(check_fully_connected_asym, dynamic=True)
