"""Static checks of every op for quant/validate.py (the op table names each op's check_<name>): dtypes, shapes,
attribute ranges and the bounds that keep every intermediate inside the widths the op docstrings state."""
from __future__ import annotations

import numpy as np

from quant.fixedpoint import SHIFT_MAX, SHIFT_MIN
from quant.ir import DTYPES
from quant.optable import OPTABLE

INT = ("int8", "int16", "int32")
BITS = {"int8": 8, "int16": 16, "int32": 32}
ACC_LIMIT = (1 << 31) - 1


def _shape(g, name):
    return tuple(g.constants[name].shape) if name in g.constants else tuple(g.tensors[name].shape)


def _dtype(g, name):
    return str(g.constants[name].dtype) if name in g.constants else g.tensors[name].dtype


class NodeCheck:
    """One node under validation: its graph, attributes and the `fail` callback, with the checks every op uses."""

    def __init__(self, g, n, fail):
        self.g, self.n, self.fail = g, n, fail
        self.where = f"node {n.name!r} ({n.op})"
        self.ins, self.a = n.inputs, n.attrs
        self.out = g.tensors[n.outputs[0]]

    def need(self, name, dtypes, role):
        if _dtype(self.g, name) not in dtypes:
            self.fail(f"{self.where}: {role} {name!r} is {_dtype(self.g, name)}, must be one of {', '.join(dtypes)}")

    def const(self, name, role):
        if name not in self.g.constants:
            self.fail(f"{self.where}: {role} {name!r} must be a constant")

    def int_attr(self, key, lo, hi):
        v = self.a[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(f"{self.where}: attribute {key}={v!r} must be an integer in [{lo}, {hi}]")

    def in_range(self, key, dtype):
        info = np.iinfo(DTYPES[dtype])
        self.int_attr(key, int(info.min), int(info.max))

    def int_output(self):
        """An integer output, clamped to [act_min, act_max] around y_zero_point."""
        self.need(self.n.outputs[0], INT, "output")
        self.in_range("act_min", self.out.dtype)
        self.in_range("act_max", self.out.dtype)
        self.in_range("y_zero_point", self.out.dtype)
        if self.a["act_min"] > self.a["act_max"]:
            self.fail(f"{self.where}: act_min > act_max")

    def inputs(self, *dtypes: tuple[str, ...] | None, const: tuple[int, ...] = ()) -> None:
        """The declarative part of a check: input i has one of dtypes[i] (None: any), the inputs `const` are
        constants; both named by their role in the op table."""
        roles = OPTABLE[self.n.op].roles
        for i, allowed in enumerate(dtypes):
            if allowed:
                self.need(self.ins[i], allowed, f"input {roles[i]}")
        for i in const:
            self.const(self.ins[i], f"input {roles[i]}")

    def attrs(self, multipliers: tuple[str, ...] = (), shifts: tuple[str, ...] = (),
              zero_points: tuple[tuple[str, int], ...] = ()) -> None:
        """multipliers in [0, 2^31), shifts in [0, 62], each (zero point, input index) within that input's dtype."""
        for k in multipliers:
            self.int_attr(k, 0, (1 << 31) - 1)
        for k in shifts:
            self.int_attr(k, 0, 62)
        for k, i in zero_points:
            self.in_range(k, _dtype(self.g, self.ins[i]))

    def same_shape(self, *names: str) -> None:
        if len({self.shape(x) for x in names} | {tuple(self.out.shape)}) != 1:
            self.fail(f"{self.where}: inputs and output must have one shape")

    def shape(self, name):
        return _shape(self.g, name)

    def dtype(self, name):
        return _dtype(self.g, name)


def check_float(c: NodeCheck) -> None:
    for i in c.ins:
        if c.dtype(i) not in ("float32", "int32"):
            c.fail(f"{c.where}: input {i!r} must be float32 (ids/positions int32)")


def check_fully_connected(c: NodeCheck) -> None:
    """fully_connected, fully_connected_grouped (int8 in and out) and fully_connected_f32."""
    g, n, ins, out, where, fail = c.g, c.n, c.ins, c.out, c.where, c.fail
    xs, ws, bs = _shape(g, ins[0]), _shape(g, ins[1]), _shape(g, ins[2])
    if len(xs) != 2 or len(ws) != 2 or ws[1] != xs[1]:
        fail(f"{where}: input {xs} and weight {ws} do not chain (need x [B, K] and w [N, K])")
    nout = ws[0]
    if bs != (nout,) or out.shape != (xs[0], nout):
        fail(f"{where}: bias {bs} / output {out.shape} do not match weight {ws} and input {xs}")
    if OPTABLE[n.op].is_float:
        for i in ins:
            if _dtype(g, i) != "float32":
                fail(f"{where}: {i!r} must be float32")
        return
    grouped = "group_scale" in OPTABLE[n.op].roles
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
    if bound > ACC_LIMIT:
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


def check_relu_f32(c: NodeCheck) -> None:
    if c.shape(c.ins[0]) != c.out.shape or c.dtype(c.ins[0]) != "float32":
        c.fail(f"{c.where}: input and output must be float32 of the same shape")


def check_relu(c: NodeCheck) -> None:
    if c.shape(c.ins[0]) != c.out.shape or c.dtype(c.ins[0]) != "int8" or c.out.dtype != "int8":
        c.fail(f"{c.where}: input and output must be int8 of the same shape")
    zp = c.a["zero_point"]
    if type(zp) is not int or not -128 <= zp <= 127:
        c.fail(f"{c.where}: zero_point must be an int8 value")


def check_fully_connected_wide(c: NodeCheck) -> None:
    c.int_output()
    nout, k = _fc_operands(c, ("int8", "int16"), (2, 4, 5))
    gs, (gsc,) = _group_params(c, nout, k, (3,))
    _fc_weight_range(c)
    c.attrs(zero_points=(("x_zero_point", 0),))
    xr = input_range(c.dtype(c.ins[0]), c.a["x_zero_point"])
    w = c.g.constants[c.ins[1]]
    mass = fc_quant_mass(w, gsc, np.zeros(gsc.shape, np.int64), gs)  # per row: a bound for any input
    bound = int((np.abs(c.g.constants[c.ins[2]].astype(np.int64)) + xr * mass).max(initial=0))
    if bound >= 1 << 31:
        c.fail(f"{c.where}: K={k} with this input width and these scales can overflow the int32 accumulator;"
               " use int8 input, smaller group scales, or split the layer")
    _check_requant(c.g.constants[c.ins[4]], c.g.constants[c.ins[5]], c.where, c.fail)


def check_fully_connected_asym(c: NodeCheck) -> None:
    _check_fc_quant(c, dynamic=False)


def check_fully_connected_dynamic(c: NodeCheck) -> None:
    _check_fc_quant(c, dynamic=True)


def check_channel_gather(c: NodeCheck) -> None:
    c.int_output()
    c.inputs(INT, ("int32",), const=(1,))
    xs, idx = c.shape(c.ins[0]), c.g.constants[c.ins[1]]
    if len(xs) != 2 or idx.ndim != 1 or tuple(c.out.shape) != (xs[0], idx.shape[0]):
        c.fail(f"{c.where}: x must be [B, K], index [J] and the output [B, J]")
    if idx.size and (idx.min() < -1 or idx.max() >= xs[1]):
        c.fail(f"{c.where}: index values must lie in [-1, {xs[1]})")
    c.attrs(multipliers=("multiplier",), shifts=("shift",), zero_points=(("x_zero_point", 0),))
    if BITS[c.dtype(c.ins[0])] + 1 + c.a["multiplier"].bit_length() > 62:
        c.fail(f"{c.where}: the int64 product (x - x_zero_point) * multiplier can overflow; use a smaller multiplier")


def _attention(c: NodeCheck, first: tuple[str, ...]) -> tuple[int, int, int]:
    """matmul_qk and matmul_pv: heads, the int8 second operand, an int8 / int16 output, one requantization."""
    c.int_output()
    h, hkv, hd = c.a["heads"], c.a["kv_heads"], c.a["head_dim"]
    for key in ("heads", "kv_heads", "head_dim"):
        c.int_attr(key, 1, 1 << 15)
    if h % hkv:
        c.fail(f"{c.where}: heads={h} must be a multiple of kv_heads={hkv}")
    c.inputs(first, ("int8",))
    roles = OPTABLE[c.n.op].roles
    c.attrs(zero_points=((f"{roles[0]}_zero_point", 0), (f"{roles[1]}_zero_point", 1)))
    c.need(c.n.outputs[0], ("int8", "int16"), "output")
    _check_requant(np.array([c.a["multiplier"]]), np.array([c.a["shift"]]), c.where, c.fail)
    return h, hkv, hd


def check_matmul_qk(c: NodeCheck) -> None:
    h, hkv, hd = _attention(c, ("int8",))
    if c.shape(c.ins[0])[1] != h * hd or c.shape(c.ins[1])[1] != hkv * hd:
        c.fail(f"{c.where}: q must be [T, {h * hd}] and k [S, {hkv * hd}]")


def check_matmul_pv(c: NodeCheck) -> None:
    h, hkv, hd = _attention(c, ("int8", "int16"))
    prod = [m for m in c.g.nodes if m.outputs[0] == c.ins[0]]
    if not prod or OPTABLE[prod[0].op].check != "softmax":
        c.fail(f"{c.where}: p must be produced by a softmax (its row sums bound the int32 accumulator)")
    if c.shape(c.ins[1])[1] != hkv * hd:
        c.fail(f"{c.where}: v must be [S, {hkv * hd}]")


def check_softmax(c: NodeCheck) -> None:
    c.inputs(("int8", "int16"))
    c.need(c.n.outputs[0], ("int8", "int16"), "output")
    c.attrs(multipliers=("in_multiplier",), shifts=("in_shift",))
    if not isinstance(c.a["causal"], bool):
        c.fail(f"{c.where}: causal must be true or false")
    o = c.out
    want = (2.0 ** -15, 0) if o.dtype == "int16" else (2.0 ** -8, -128)
    if (o.scale, o.zero_point) != want:
        c.fail(f"{c.where}: a {o.dtype} softmax output has scale {want[0]} and zero point {want[1]}")


def _binary(c: NodeCheck) -> tuple[int, int]:
    """add and mul: int inputs and output of one shape; returns the inputs' bits plus sign headroom."""
    c.int_output()
    c.inputs(INT, INT)
    c.same_shape(*c.ins)
    c.attrs(shifts=("shift",), zero_points=(("a_zero_point", 0), ("b_zero_point", 1)))
    return BITS[c.dtype(c.ins[0])] + 1, BITS[c.dtype(c.ins[1])] + 1


def check_add(c: NodeCheck) -> None:
    ba, bb = _binary(c)
    c.attrs(multipliers=("a_multiplier", "b_multiplier"))
    if max(ba + c.a["a_multiplier"].bit_length(), bb + c.a["b_multiplier"].bit_length()) > 61:
        c.fail(f"{c.where}: input width plus multiplier bits exceed the int64 sum; use smaller multipliers")


def check_mul(c: NodeCheck) -> None:
    ba, bb = _binary(c)
    c.attrs(multipliers=("multiplier",))
    if ba + bb + c.a["multiplier"].bit_length() > 62:
        c.fail(f"{c.where}: the int64 product (a - za)(b - zb) m can overflow; use a smaller multiplier")


def check_activation(c: NodeCheck) -> None:
    """gelu and silu."""
    c.int_output()
    c.inputs(INT)
    c.same_shape(c.ins[0])
    c.attrs(multipliers=("in_multiplier", "out_multiplier"), shifts=("in_shift", "out_shift"),
            zero_points=(("x_zero_point", 0),))
    if BITS[c.dtype(c.ins[0])] + 1 + c.a["in_multiplier"].bit_length() > 62 or c.a["out_multiplier"] >= 1 << 30:
        c.fail(f"{c.where}: multipliers too wide for the int64 products")


def _norm(c: NodeCheck, in_dtypes: tuple[str, ...]) -> None:
    c.int_output()
    params = range(1, len(c.ins))
    c.inputs(in_dtypes, *(("int32",) for _ in params), const=tuple(params))
    c.need(c.n.outputs[0], ("int8", "int16"), "output")
    ch = c.shape(c.ins[0])[-1]
    if any(c.shape(c.ins[i]) != (ch,) for i in params) or tuple(c.out.shape) != c.shape(c.ins[0]):
        c.fail(f"{c.where}: gamma/beta must be [{ch}] and the output the input's shape")
    if ch > 1 << 13:
        c.fail(f"{c.where}: {ch} channels exceed the 2^13 the int64 sum of squares allows")
    c.attrs(shifts=("shift",), zero_points=(("x_zero_point", 0),))
    c.int_attr("eps", 0, 1 << 60)


def check_layernorm(c: NodeCheck) -> None:
    _norm(c, ("int8", "int16"))


def check_rmsnorm(c: NodeCheck) -> None:
    _norm(c, INT)
    c.int_attr("pre_shift", 0, 31)


def check_rope(c: NodeCheck) -> None:
    c.int_output()
    c.inputs(("int8",), ("int32",), ("int16",), ("int16",), const=(2, 3))
    h, hd = c.a["heads"], c.a["head_dim"]
    x, table = c.shape(c.ins[0]), c.shape(c.ins[2])
    if x[1] != h * hd or hd % 2 or table[1] != hd // 2 or c.shape(c.ins[3]) != table or tuple(c.out.shape) != x:
        c.fail(f"{c.where}: x must be [T, {h * hd}] and the tables [P, {hd // 2}]")
    c.attrs(zero_points=(("x_zero_point", 0),))
    _check_requant(np.array([c.a["multiplier"]]), np.array([c.a["shift"]]), c.where, c.fail)


def check_embedding(c: NodeCheck) -> None:
    c.inputs(("int32",), INT, const=(1,))
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


def _fc_operands(c: NodeCheck, x_dtypes: tuple[str, ...], per_row: tuple[int, ...]) -> tuple[int, int]:
    """(N, K) of a fully connected node [x, weight, int32 constants...]: dtypes, constness, x [B, K] against
    w [N, K], and the per-row parameters at `per_row` (bias, multiplier, shift) and the output against N."""
    rest = range(2, len(c.ins))
    c.inputs(x_dtypes, ("int8",), *(("int32",) for _ in rest), const=tuple(range(1, len(c.ins))))
    xs, ws = c.shape(c.ins[0]), c.shape(c.ins[1])
    if len(xs) != 2 or len(ws) != 2 or ws[1] != xs[1]:
        c.fail(f"{c.where}: input {xs} and weight {ws} do not chain (need x [B, K] and w [N, K])")
    nout, k = ws
    if any(c.shape(c.ins[i]) != (nout,) for i in per_row) or tuple(c.out.shape) != (xs[0], nout):
        c.fail(f"{c.where}: bias/multiplier/shift/output shapes do not match weight {ws}")
    return nout, k


def _group_params(c: NodeCheck, nout: int, k: int, at: tuple[int, ...]) -> tuple[int, list[np.ndarray]]:
    """group_size divides K; the per-group parameters at `at` (group_scale first) are [N, K / group_size] and the
    group scales lie in [0, 2^15)."""
    gs = c.a["group_size"]
    if not isinstance(gs, int) or isinstance(gs, bool) or gs <= 0 or k % gs:
        c.fail(f"{c.where}: group_size {gs!r} must be a positive divisor of K={k}")
    params = [c.g.constants[c.ins[i]] for i in at]
    if any(p.shape != (nout, k // gs) for p in params):
        c.fail(f"{c.where}: {' and '.join(OPTABLE[c.n.op].roles[i] for i in at)} must be [{nout}, {k // gs}]")
    if params[0].size and (params[0].min() < 0 or params[0].max() >= 1 << 15):
        c.fail(f"{c.where}: group_scale values must lie in [0, 2^15)")
    return gs, params


def _fc_weight_range(c: NodeCheck) -> tuple[int, int]:
    """(lo, hi): the weight width is 4 or 8 and every value lies in its range."""
    bits = c.a["weight_bits"]
    lo, hi = (-127, 127) if bits == 8 else (-8, 7) if bits == 4 else (None, None)
    if lo is None:
        c.fail(f"{c.where}: weight_bits must be 4 or 8")
    w = c.g.constants[c.ins[1]]
    if w.size and (w.min() < lo or w.max() > hi):
        c.fail(f"{c.where}: {bits}-bit weights must lie in [{lo}, {hi}]")
    return lo, hi


def _check_fc_quant(c: NodeCheck, dynamic: bool) -> None:
    c.int_output()
    xdt = c.dtype(c.ins[0])
    nout, k = _fc_operands(c, ("int16", "int32") if dynamic else ("int8", "int16"), (2, 5, 6))
    gs, (gsc, goff) = _group_params(c, nout, k, (3, 4))
    _fc_weight_range(c)
    c.attrs(zero_points=(("x_zero_point", 0),))
    xr = 127 if dynamic else input_range(xdt, c.a["x_zero_point"])
    bias = 0 if dynamic else int(np.abs(c.g.constants[c.ins[2]].astype(np.int64)).max(initial=0))
    bound = bias + xr * int(fc_quant_mass(c.g.constants[c.ins[1]], gsc, goff, gs).max(initial=0))
    if bound >= 1 << 31:
        c.fail(f"{c.where}: these group scales and offsets can overflow the int32 accumulator (bound {bound}); "
               "use a coarser unit scale (quant/transformer_ptq.quantize_weight) or split the layer")
    mult, shift = c.g.constants[c.ins[5]], c.g.constants[c.ins[6]]
    if not dynamic:
        _check_requant(mult, shift, c.where, c.fail)
        return
    mult, shift = mult.astype(np.int64), shift.astype(np.int64)
    e_max = dynamic_e_max(xdt, c.a["x_zero_point"])
    if np.any((mult < 0) | (mult >= 1 << 31)):
        c.fail(f"{c.where}: multipliers must lie in [0, 2^31)")
    if np.any((shift < e_max) | (shift > 48)):
        c.fail(f"{c.where}: shifts must lie in [{e_max}, 48] (shift - e stays in [0, 62] for every row exponent e)")


def _check_requant(mult: np.ndarray, shift: np.ndarray, where: str, fail) -> None:
    mult = mult.astype(np.int64)
    shift = shift.astype(np.int64)
    if np.any((mult < 0) | (mult >= 1 << 31)):
        fail(f"{where}: requantization multipliers must be non-negative int32")
    if np.any((shift < SHIFT_MIN) | (shift > SHIFT_MAX)):
        fail(f"{where}: requantization shifts must lie in [{SHIFT_MIN}, {SHIFT_MAX}]")
