"""One IntGraph node -> the C statement that calls its kernel, with the node's weights packed for the linked kernel
family and its attributes as C literals (docs/modules.md)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from codegen import kernel_table
from codegen.errors import CodegenError
from codegen.packing import (fc_s16_layout, fold_bias, fold_bias_grouped, pack_fc_grouped, pack_fc_s16,
                             pack_fc_s8_blocked, pack_fc_weights, per_channel_as_grouped)
from quant.ir import Graph, Node
from quant.optable import OPTABLE, Group, ops_in

RUNTIME_C = Path(__file__).resolve().parent.parent / "runtime_c"

SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32"}
C_TYPE = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}
ROW_WISE = ops_in(Group.ROW_WISE)
ATTENTION = ops_in(Group.ATTENTION)
KERNEL_DIRS = [RUNTIME_C / "kernels" / "scalar"]  # the portable kernels (a test adds a made-up op's folder)


def kernel_for(function: str, stem: str, family: str) -> Path:
    """The file whose definition of `function` is linked: the family's when it provides it (as
    runtime_c/kernels/kernel_table.tsv lists it, kernel_table.py), else scalar's (scalar kernels define every entry
    point, weakly, so a family file can override some variants of an op and leave the others to the portable code)."""
    p = RUNTIME_C / "kernels" / family / f"{stem}.c"
    if family != "scalar" and p.exists() and function in kernel_table.provides(family, stem):
        return p
    for d in KERNEL_DIRS:
        if (d / f"{stem}.c").exists():
            return d / f"{stem}.c"
    raise CodegenError(f"no kernel {function} ({stem}.c) in runtime_c/kernels/{family} or scalar")


@dataclass
class OpEnv:
    """Where a node's tensors are and how much of them runs (C expressions)."""
    buf: Callable[[str, str], str]  # (tensor, row0) -> C pointer to the tensor's row row0 ("0": its start)
    const: Callable[[str, np.ndarray, str], str]  # (key, array, ctype) -> a constant array (emitted once per key)
    rows: str = "1"  # the number of rows (tokens) this call computes
    kv_len: str = "1"  # the number of key/value rows attention reads (S)
    family: str = "scalar"  # the target's kernel family (runtime_c/kernels/<family>/)
    extensions: tuple[str, ...] = ()  # the target's ISA extensions (isa/targets.py), where a layout depends on them
    error_return: str = "return 1;"  # what the statement does when a kernel reports bad data
    # fully_connected_dynamic reading an input that other such layers read too (op_calls_quant.shared_row_quantization):
    # (C pointer to the int8 rows of this call, to their (mr, e) pairs, whether this node quantizes them)
    row_quant: tuple[str, str, bool] | None = None


def c_int(v) -> str:
    v = int(v)
    if v == -(1 << 31):
        return "(-2147483647 - 1)"
    if not -(1 << 31) < v < (1 << 31):
        return f"INT64_C({v})"
    return str(v)


def _channels(g: Graph, name: str) -> int:
    shape = g.constants[name].shape if name in g.constants else g.tensors[name].shape
    return int(shape[-1])


def emit_node(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[Path]]:
    """(C statements, kernel source files to link) of one node. Row-wise ops run `env.rows` rows from each tensor's row 0 as
    `env.buf` places it; attention ops read `env.kv_len` key/value rows from the start of their K and V tensors."""
    stmt, calls = emit_node_calls(g, n, env)
    return stmt, {path for _, path in calls}


def emit_node_calls(g: Graph, n: Node, env: OpEnv) -> tuple[str, list[tuple[str, Path]]]:
    """(C statements, [(kernel entry point called, the file that defines it)]) of one node."""
    if n.op not in OPTABLE:
        raise CodegenError(f"no C lowering for op {n.op} (node {n.name}): supported ops are "
                           f"{', '.join(sorted(OPTABLE))}")
    stmt, used = handler_of(n.op)(g, n, env)
    return stmt, sorted((fn, kernel_for(fn, stem, env.family)) for fn, stem in used)


# ------------------------------------------------------------------ fully connected
def _fc(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[str]]:
    a = n.attrs
    w = g.constants[n.inputs[1]]
    b = g.constants[n.inputs[2]]
    nn_, kk = w.shape
    bits = int(a.get("weight_bits", 8))
    x_dt = g.tensors[n.inputs[0]].dtype
    y_dt = g.tensors[n.outputs[0]].dtype
    group_scale = g.constants[n.inputs[3]] if "group_scale" in OPTABLE[n.op].roles else None
    gsz = int(a.get("group_size", kk))
    per_channel = group_scale is None or (gsz == kk and np.all(group_scale == 1))
    tail = clamp_tail(a)
    if x_dt == "int16" and bits == 8 and per_channel:
        if fc_s16_reads_weights_once(env.family):
            return _fc_s16(g, n, env, y_dt, tail)
        return _fc_s16_split(g, n, env, y_dt, tail)
    if x_dt == "int16":  # the general portable kernel
        cm, cs = (env.const(t, g.constants[t], "int32_t") for t in n.inputs[-2:])  # as the graph has them
        gs = np.ones((nn_, 1), np.int32) if group_scale is None else group_scale
        folded = fold_bias_grouped(b, w, gs, gsz, a["x_zero_point"])
        cw = env.const(f"{n.inputs[1]}.scalar.w{bits}", pack_fc_weights(w, bits, "scalar"), "int8_t")
        cb = env.const(n.inputs[2] + ".folded", folded, "int32_t")
        cg = env.const(n.inputs[3] + ".transposed" if group_scale is not None else n.name + ".unit_scale",
                       np.ascontiguousarray(gs.T), "int32_t")
        fn = f"ig_fc_grouped_s16_{SUFFIX[y_dt]}"
        call = f"{fn}(x_, {cw}, {bits}, {cb}, {cg}, {cm}, {cs}, {kk}, {nn_}, {gsz}, {tail}, y_)"
        return _row_loop(g, n, env, call, kk, nn_), {(fn, "ig_fc_grouped_s16")}
    if x_dt != "int8":
        raise CodegenError(f"node {n.name}: fully connected input must be int8 or int16, not {x_dt}")
    folded = fold_bias(b, w, a["x_zero_point"]) if per_channel else \
        fold_bias_grouped(b, w, group_scale, gsz, a["x_zero_point"])
    call, fn, stem, _, _ = _fc_s8_call(g, n, env, y_dt, tail, folded, g.constants[n.inputs[-2]],
                                       g.constants[n.inputs[-1]], (n.inputs[2] + ".folded", n.inputs[-2], n.inputs[-1]))
    return _row_loop(g, n, env, call, kk, nn_), {(fn, stem)}


def _fc_s8_call(g: Graph, n: Node, env: OpEnv, y_dt: str, tail: str, folded: np.ndarray, mult: np.ndarray,
                shift: np.ndarray, keys: tuple[str, str, str],
                scale_key: str = "") -> tuple[str, str, str, str, Callable]:
    """(call with x_ / y_ placeholders, entry point, kernel stem, the bias argument, pack(vector, shift) -> the
    vector in the kernel's bias layout) of an int8-input fully connected node on the family's kernel, with the given
    (zero-point folded) bias, multipliers and shifts (constant keys `keys`; a layout may fold the shifts into the
    group scales too: `scale_key` tells their constant from another call's with other shifts)."""
    a = n.attrs
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    bits = int(a.get("weight_bits", 8))
    group_scale = g.constants[n.inputs[3]] if "group_scale" in OPTABLE[n.op].roles else None
    gsz = int(a.get("group_size", kk))
    per_channel = group_scale is None or (gsz == kk and np.all(group_scale == 1))
    out = "" if y_dt == "int8" else f"_to_{SUFFIX[y_dt]}"
    scale_name = n.inputs[3] if group_scale is not None else None
    as_grouped = per_channel and per_channel_as_grouped(env.family, env.extensions, kk, nn_)
    if as_grouped:
        per_channel, group_scale, gsz, scale_name = False, np.ones((nn_, 1), np.int32), kk, n.name + ".unit_scale"
    if as_grouped and bits == 8:  # int8 weights: ig_fc_s8_blocked*, the per-channel kernel on that layout
        fn = "ig_fc_s8_blocked" + out
        p = pack_fc_s8_blocked(w, folded, mult, shift)
        key = f".neon.blocked.w{bits}"
        cw = env.const(n.inputs[1] + key, p.weights, "int8_t")
        lsc = env.const(scale_name + key + scale_key, p.scales, "int32_t") if p.scales.size else "0"
        cb, cm, cs = (env.const(k_ + key, v, "int32_t") for k_, v in zip(keys, (p.bias, p.multiplier, p.shift)))
        return (f"{fn}(x_, {cw}, {cb}, {lsc}, {cm}, {cs}, {kk}, {nn_}, {tail}, y_)", fn, "ig_fc_s8", cb,
                lambda v, sh: pack_fc_s8_blocked(w, v, mult, sh).bias)
    stem = ("ig_fc_s8" if per_channel else "ig_fc_grouped_s8") + ("w4" if bits == 4 else "")
    wfam = kernel_for(stem + out, stem, env.family).parent.name  # the linked kernel's family decides the layout
    bkey, mkey, skey = keys
    if per_channel:
        cw = env.const(f"{n.inputs[1]}.{wfam}.w{bits}", pack_fc_weights(w, bits, wfam), "int8_t")
        cb = env.const(bkey, folded, "int32_t")
        cm, cs = env.const(mkey, mult, "int32_t"), env.const(skey, shift, "int32_t")
        return (f"{stem}{out}(x_, {cw}, {cb}, {cm}, {cs}, {kk}, {nn_}, {tail}, y_)", stem + out, stem, cb,
                lambda v, sh: np.asarray(v, np.int32))
    # every array in the linked family's grouped layout (codegen/packing.py pack_fc_grouped)
    p = pack_fc_grouped(w, group_scale, gsz, bits, wfam, folded, mult, shift)
    rows = p.layout == "rows"  # the plain arrays keep their keys
    key = "" if rows else f".{wfam}.g{gsz}.w{bits}"
    cw = env.const(f"{n.inputs[1]}.{wfam}.w{bits}" if rows else n.inputs[1] + key, p.weights, "int8_t")
    cg = env.const(scale_name + (".transposed" if rows else key) + scale_key, p.scales, "int32_t")
    cb = env.const(bkey + key, p.bias, "int32_t")
    cm = env.const(mkey + key, p.multiplier, "int32_t")
    cs = env.const(skey + key, p.shift, "int32_t")
    return (f"{stem}{out}(x_, {cw}, {cb}, {cg}, {cm}, {cs}, {kk}, {nn_}, {gsz}, {tail}, y_)", stem + out, stem, cb,
            lambda v, sh: pack_fc_grouped(w, group_scale, gsz, bits, wfam, v, mult, sh).bias)


def fc_s16_reads_weights_once(family: str) -> bool:
    """Whether an int16-input per-channel layer runs as ig_fc_s16 (each weight read once): where the family has its
    own, and on the portable family (no SIMD int8 kernel to split onto); elsewhere as _fc_s16_split."""
    return family == "scalar" or kernel_for("ig_fc_s16_s8", "ig_fc_s16", family).parent.name == family


def _fc_s16(g: Graph, n: Node, env: OpEnv, y_dt: str, tail: str) -> tuple[str, set[tuple[str, str]]]:
    """int16 input, int8 per-channel weights (fully_connected_wide of the a16down step) on the family's ig_fc_s16:
    one pass over the weights (runtime_c/kernels/scalar/ig_fc_s16.c; layouts: codegen/packing.py pack_fc_s16)."""
    a = n.attrs
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    fn = f"ig_fc_s16_{SUFFIX[y_dt]}"
    wfam = kernel_for(fn, "ig_fc_s16", env.family).parent.name
    layout = fc_s16_layout(wfam, env.extensions)
    weights, bias = pack_fc_s16(w, fold_bias(g.constants[n.inputs[2]], w, a["x_zero_point"]), wfam, env.extensions)
    cw = env.const(f"{n.inputs[1]}.{wfam}.s16{layout}", weights, "int8_t")
    cb = env.const(f"{n.inputs[2]}.{wfam}.s16{layout}", bias, "int32_t")
    cm, cs = (env.const(t, g.constants[t], "int32_t") for t in n.inputs[-2:])
    call = f"{fn}(x_, {cw}, {cb}, {cm}, {cs}, {kk}, {nn_}, {tail}, y_)"
    return _row_loop(g, n, env, call, kk, nn_), {(fn, "ig_fc_s16")}


IDENTITY_REQUANT = (1 << 30, 1)  # (multiplier, shift): requantize(acc) == acc exactly for |acc| < 2^30
INT32_OUT = f"0, {c_int(-(1 << 31))}, {c_int((1 << 31) - 1)}"  # zero point and range of an unclamped int32 output


def _fc_s16_split(g: Graph, n: Node, env: OpEnv, y_dt: str, tail: str) -> tuple[str, set[tuple[str, str]]]:
    """int16 input, int8 per-channel weights (fully_connected_wide of the a16down step) as int8 products on the
    family's kernel, x = 256 hi + 128 carry + lo (how: docs/modules.md)."""
    a = n.attrs
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    if 128 * 127 * kk >= 1 << 30:
        raise CodegenError(f"node {n.name}: K={kk} is too long for the int16 input split (at most 66,052)")
    mult, shift = g.constants[n.inputs[-2]], g.constants[n.inputs[-1]]
    folded = fold_bias(g.constants[n.inputs[2]], w, a["x_zero_point"])
    lo, fn, stem, cb, pack = _fc_s8_call(g, n, env, y_dt, tail, folded, mult, shift,
                                         (n.inputs[2] + ".folded", n.inputs[-2], n.inputs[-1]))
    part, fn32, stem32, _, _ = _fc_s8_call(g, n, env, "int32", INT32_OUT, np.zeros(nn_, np.int32),
                                           *(np.full(nn_, v, np.int32) for v in IDENTITY_REQUANT),
                                           (n.name + ".zero_bias", n.name + ".identity_mult",
                                            n.name + ".identity_shift"), ".identity")
    order = pack(np.arange(1, nn_ + 1), np.zeros(nn_, np.int32)) - 1  # layout position -> row (-1: padding)
    factor = pack(np.ones(nn_, np.int32), shift)  # 2^(the layout's left shift of the row's bias)
    rows = order.size
    cbp = env.const(n.name + ".bias_rows", order.astype(np.int32), "int32_t")
    cbf = env.const(n.name + ".bias_factor", factor.astype(np.int32), "int32_t")
    xo, yo, block = each_row(env, kk, nn_)
    calls = {p: part.replace("(x_,", f"(ig_{p}_,", 1).replace(", y_)", f", ig_{p}_acc_)", 1) for p in ("hi", "carry")}
    y = f"{env.buf(n.outputs[0], '0')}{yo}"
    lo_plain = lo.replace("(x_,", "(ig_lo_,", 1).replace(", y_)", f", {y})", 1)
    lo_biased = lo_plain.replace(f", {cb},", ", ig_b_,", 1)
    buf = "__attribute__((aligned(16)))"
    body = (f"int8_t ig_hi_[{kk}] {buf}, ig_carry_[{kk}] {buf}, ig_lo_[{kk}] {buf}; "
            f"int32_t ig_parts_ = ig_split_s16({env.buf(n.inputs[0], '0')}{xo}, {kk}, ig_hi_, ig_carry_, ig_lo_); "
            f"if (ig_parts_) {{ int32_t ig_hi_acc_[{nn_}] {buf}, ig_carry_acc_[{nn_}] {buf}, ig_b_[{rows}] {buf}; "
            f"if (ig_parts_ & 1) {calls['hi']}; if (ig_parts_ & 2) {calls['carry']}; "
            f"ig_fc_s16_bias(ig_parts_ & 1 ? ig_hi_acc_ : 0, ig_parts_ & 2 ? ig_carry_acc_ : 0, {cb}, {cbp}, {cbf}, "
            f"{rows}, ig_b_); {lo_biased}; }} else {lo_plain};")
    return block(body), {(fn, stem), (fn32, stem32), ("ig_split_s16", "ig_fc_s16_split"),
                         ("ig_fc_s16_bias", "ig_fc_s16_split")}


def each_row(env: OpEnv, k: int, nout: int) -> tuple[str, str, Callable[[str], str]]:
    """(xo, yo, block): the C offsets of row r_ of a node's input and output (k and nout elements a row; "" when the
    call computes one row) and block(body): the body in braces, in a loop over the env.rows rows when there are more."""
    if env.rows == "1":
        return "", "", lambda body: f"{{ {body} }}"
    return (f" + (size_t)r_ * {k}", f" + (size_t)r_ * {nout}",
            lambda body: f"for (int32_t r_ = 0; r_ < {env.rows}; r_++) {{ {body} }}")


def clamp_tail(a: dict) -> str:
    """The output zero point and activation range: the last three integer arguments of most kernels."""
    return ", ".join(_ints(a, *CLAMP))


def _row_loop(g: Graph, n: Node, env: OpEnv, call: str, k: int, nout: int) -> str:
    """A batch-1 kernel call per row (the kernels read one activation row and write one output row)."""
    x, y = n.inputs[0], n.outputs[0]
    one = call.replace("x_", env.buf(x, "0"), 1).replace("y_", env.buf(y, "0"), 1)
    if env.rows == "1":
        return one + ";"
    body = call.replace("x_", f"({env.buf(x, '0')} + (size_t)r_ * {k})", 1) \
               .replace("y_", f"({env.buf(y, '0')} + (size_t)r_ * {nout})", 1)
    return f"for (int32_t r_ = 0; r_ < {env.rows}; r_++) {body};"


def _fc_f32(g: Graph, n: Node, env: OpEnv):
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    cw = env.const(n.inputs[1], w, "float")
    cb = env.const(n.inputs[2], g.constants[n.inputs[2]], "float")
    call = f"ig_fc_f32(x_, {cw}, {cb}, {kk}, {nn_}, {1 if n.attrs['relu'] else 0}, y_)"
    return _row_loop(g, n, env, call, kk, nn_), {("ig_fc_f32", "ig_fc_f32")}


# ------------------------------------------------------------------ elementwise, norms and attention
def _length(g: Graph, n: Node, env: OpEnv) -> str:
    c = _channels(g, n.outputs[0])
    return str(c) if env.rows == "1" else f"({env.rows}) * {c}"


def _io(env: OpEnv, n: Node) -> tuple[str, str]:
    """The C pointers of the node's first input and of its output."""
    return env.buf(n.inputs[0], "0"), env.buf(n.outputs[0], "0")


def _ints(a: dict, *keys: str) -> list[str]:
    return [c_int(a[k]) for k in keys]


CLAMP = ("y_zero_point", "act_min", "act_max")


def _kernel(fn: str, stem: str, args: list, env: OpEnv | None = None) -> tuple[str, set[tuple[str, str]]]:
    """`fn(args);` (with env: the kernel's error code checked, `if (fn(args)) <error_return>`) and its (entry
    point, file stem). An FP32 transformer kernel's call comes in a block with its prototype (op_calls_f32.py)."""
    call = f"{fn}({', '.join(str(x) for x in args)})"
    stmt = f"if ({call}) {env.error_return}" if env is not None else call + ";"
    prototype = op_calls_f32.PROTOTYPES.get(fn)
    return (f"{{ {prototype} {stmt} }}" if prototype else stmt), {(fn, stem)}


def _sfx(g: Graph, *tensors: str) -> str:
    """The dtype suffixes of the kernel variant: _s8_s16 for int8 in, int16 out (FP32 kernels have none: they are
    named by their op, ig_embedding_f32)."""
    dtypes = (str(g.constants[t].dtype) if t in g.constants else g.tensors[t].dtype for t in tensors)
    return "".join(f"_{SUFFIX[d]}" for d in dtypes if d != "float32")


def _eps(v: int) -> str:
    """An int64 attribute as the (hi, lo) int32 halves the norm kernels take (runtime_c/include/ig_ops.h)."""
    v = int(v) & ((1 << 64) - 1)
    hi, lo = v >> 32, v & 0xFFFFFFFF
    return f"{c_int(hi - (1 << 32) if hi >= 1 << 31 else hi)}, {lo}u"


def _rope(g, n, env):
    a = n.attrs
    if g.tensors[n.inputs[0]].dtype != "int8":
        raise CodegenError(f"node {n.name}: rope input must be int8")
    cos = g.constants[n.inputs[2]]
    cc, cs = (env.const(t, g.constants[t].astype(np.int16), "int16_t") for t in n.inputs[2:4])
    x, y = _io(env, n)
    return _kernel("ig_rope_s8" + _sfx(g, n.outputs[0]), "ig_rope", [
        x, env.rows, env.buf(n.inputs[1], "0"), cc, cs, cos.shape[0], a["heads"], a["head_dim"],
        *_ints(a, "x_zero_point", "multiplier", "shift", *CLAMP), y], env)


def _embedding(g, n, env):
    table = g.constants[n.inputs[1]]
    x, y = _io(env, n)
    ct = env.const(n.inputs[1], table, C_TYPE[str(table.dtype)])
    return _kernel(f"ig_{n.op}" + _sfx(g, n.inputs[1]), f"ig_{n.op}",
                   [x, env.rows, ct, table.shape[0], table.shape[1], y], env)


_SIZES = {
    "length": _length,
    "rows": lambda g, n, env: env.rows,
    "channels": lambda g, n, env: _channels(g, n.outputs[0]),
    "kv_len": lambda g, n, env: env.kv_len,
    "groups": lambda g, n, env: int(np.prod(g.tensors[n.inputs[0]].shape[:-2])),  # softmax's [.., T, S]
}


def _c_attr(op, key: str, v) -> str:
    """An attribute as the default call passes it: a flag 0 / 1, a float an exact float literal, an integer whose
    declared range exceeds int32 as its (hi, lo) halves, other integers as C literals."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return op_calls_f32.f32_literal(v)
    if any(k == key and hi >= 1 << 31 for k, _, hi in op.rules.ranges):
        return _eps(v)
    return c_int(v)


def default_call(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """The C call of an op that follows the convention its entry's CCall states (quant/optable.py): ig_<op> and
    the dtype suffixes of its variant tensors, (computed inputs, sizes, constant inputs, attributes, output)."""
    op = OPTABLE[n.op]
    tensor = {"out": n.outputs[0], **dict(zip(op.roles, n.inputs))}
    computed, consts = [], []
    for i, (role, t) in enumerate(zip(op.roles, n.inputs)):
        if i in op.rules.consts:
            consts.append(env.const(t, g.constants[t], C_TYPE[str(g.constants[t].dtype)]))
        elif t in g.constants:
            raise CodegenError(f"node {n.name}: {n.op} with the constant {role} {t!r} has no kernel (its {role} "
                               "must be a computed tensor)")
        else:
            computed.append(env.buf(t, "0"))
    args = [*computed, *(_SIZES[s](g, n, env) for s in op.c.sizes), *consts,
            *(_c_attr(op, k, n.attrs[k]) for k in op.attrs), env.buf(n.outputs[0], "0")]
    variant = op.c.variant or (op.roles[0], "out")
    return _kernel(f"ig_{n.op}" + _sfx(g, *(tensor[r] for r in variant)), op.c.file or f"ig_{n.op}", args)


def handler_of(op: str) -> Callable:
    """The op's C lowering: the handler its entry names (here, op_calls_f32.py, op_calls_quant.py), else
    default_call."""
    name = OPTABLE[op].c.handler
    if name is None:
        return default_call
    module, fn = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"codegen.{module}"), fn)


# the other lowerings build on this module's helpers, so they are imported once its names exist
from codegen import op_calls_f32  # noqa: E402
