"""JIT kernels of quant/ops/elementwise.py (add, mul, relu, gelu, silu), quant/ops/softcap.py and quant/ops/gather.py
(channel_gather):
scalar int64 loops over the elements, which LLVM's loop vectoriser turns into host vector code."""
from __future__ import annotations

import numpy as np

from quant.ir import Graph, Node
from quant.jit import fixed_ir as fx
from quant.jit.emit import INT_TYPES, Fn
from quant.jit.plan import Plan, check_shapes, dtypes, empty_out, out_dtype
from quant.ops.elementwise import GELU_C3_Q16, GELU_CLAMP, GELU_K_Q14


def _ptrs(fn: Fn, dts):
    return [fn.ptr(INT_TYPES[d]) for d in dts]


def plan_add(node: Node, g: Graph, ins) -> Plan:
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)

    def emit(fn: Fn):
        pa, pb, py = _ptrs(fn, dtypes(ins) + (dy,))
        n, za, zb, ma, mb, s, zy, vlo, vhi = (fn.arg() for _ in range(9))
        with fn.loop(0, n) as i:
            acc = fn.add(fn.mul(fn.sub(fn.load(pa, i), za), ma), fn.mul(fn.sub(fn.load(pb, i), zb), mb))
            fn.store(fn.clamp(fn.add(fx.rshr(fn, acc, s), zy), vlo, vhi), py, i)

    def call(arrays):
        check_shapes(node, arrays[0].shape == arrays[1].shape, f"inputs {arrays[0].shape} and {arrays[1].shape}")
        y = empty_out(dy, arrays[0].shape)
        return y, [*arrays, y, y.size, a["a_zero_point"], a["b_zero_point"], a["a_multiplier"], a["b_multiplier"],
                   a["shift"], a["y_zero_point"], lo, hi]
    return Plan(("add",) + dtypes(ins) + (dy,), emit, call)


def plan_mul(node: Node, g: Graph, ins) -> Plan:
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)

    def emit(fn: Fn):
        pa, pb, py = _ptrs(fn, dtypes(ins) + (dy,))
        n, za, zb, m, s, zy, vlo, vhi = (fn.arg() for _ in range(8))
        with fn.loop(0, n) as i:
            prod = fn.mul(fn.sub(fn.load(pa, i), za), fn.sub(fn.load(pb, i), zb))
            fn.store(fn.clamp(fn.add(fx.mul_rshr(fn, prod, m, s), zy), vlo, vhi), py, i)

    def call(arrays):
        check_shapes(node, arrays[0].shape == arrays[1].shape, f"inputs {arrays[0].shape} and {arrays[1].shape}")
        y = empty_out(dy, arrays[0].shape)
        return y, [*arrays, y, y.size, a["a_zero_point"], a["b_zero_point"], a["multiplier"], a["shift"],
                   a["y_zero_point"], lo, hi]
    return Plan(("mul",) + dtypes(ins) + (dy,), emit, call)


def plan_relu(node: Node, g: Graph, ins) -> Plan:
    def emit(fn: Fn):
        px, py = _ptrs(fn, ("int8", "int8"))
        n, zp = fn.arg(), fn.arg()
        with fn.loop(0, n) as i:
            fn.store(fn.smax(fn.load(px, i), zp), py, i)

    def call(arrays):
        y = np.empty(arrays[0].shape, np.int8)
        return y, [arrays[0], y, y.size, node.attrs["zero_point"]]
    return Plan(("relu",), emit, call)


def _gelu_q12(fn: Fn, x12):
    xc = fn.clamp(x12, -GELU_CLAMP, GELU_CLAMP)
    x3 = fx.rshr(fn, fn.mul(fx.rshr(fn, fn.mul(xc, xc), 12), xc), 12)
    u = fx.rshr(fn, fn.mul(fn.add(xc, fx.rshr(fn, fn.mul(x3, GELU_C3_Q16), 16)), GELU_K_Q14), 14)
    return fx.rshr(fn, fn.mul(x12, fx.sigmoid_q15(fn, u)), 15)


def _silu_q12(fn: Fn, x12):
    return fx.rshr(fn, fn.mul(x12, fx.sigmoid_q15(fn, x12)), 15)


def _tanh_q15(fn: Fn, z):  # softcap: z = 2 x / c in Q12, tanh(x / c) = 2 sigmoid(z) - 1 in Q15
    return fn.sub(fn.mul(fx.sigmoid_q15(fn, z), 2), 1 << 15)


BODIES = {"gelu": _gelu_q12, "silu": _silu_q12, "softcap": _tanh_q15}


def plan_activation(node: Node, g: Graph, ins) -> Plan:
    """gelu, silu and softcap: Q12 input, the sigmoid form, the output requantization."""
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)
    body = BODIES[node.op]

    def emit(fn: Fn):
        px, py = _ptrs(fn, dtypes(ins) + (dy,))
        n, zx, mi, si, mo, so, zy, vlo, vhi = (fn.arg() for _ in range(9))
        with fn.loop(0, n) as i:
            x12 = fn.clamp(fx.mul_rshr(fn, fn.sub(fn.load(px, i), zx), mi, si), -(1 << 31), (1 << 31) - 1)
            y = fn.add(fx.mul_rshr(fn, body(fn, x12), mo, so), zy)
            fn.store(fn.clamp(y, vlo, vhi), py, i)

    def call(arrays):
        y = empty_out(dy, arrays[0].shape)
        return y, [arrays[0], y, y.size, a["x_zero_point"], a["in_multiplier"], a["in_shift"], a["out_multiplier"],
                   a["out_shift"], a["y_zero_point"], lo, hi]
    return Plan((node.op,) + dtypes(ins) + (dy,), emit, call)


def plan_channel_gather(node: Node, g: Graph, ins) -> Plan:
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)
    k, j = ins[0].shape[1], ins[1].shape[0]

    def emit(fn: Fn):
        px, pidx, py = _ptrs(fn, (str(ins[0].dtype), "int32", dy))
        rows, zx, m, s, zy, vlo, vhi = (fn.arg() for _ in range(7))
        with fn.loop(0, rows) as b:
            with fn.loop(0, j) as col:
                idx = fn.load(pidx, col)
                v = fn.load(px, fn.add(fn.mul(b, k), fn.smax(idx, 0)))
                c = fn.select(fn.lt(idx, 0), 0, fn.sub(v, zx))
                y = fn.add(fx.mul_rshr(fn, c, m, s), zy)
                fn.store(fn.clamp(y, vlo, vhi), py, fn.add(fn.mul(b, j), col))

    def call(arrays):
        x = arrays[0]
        check_shapes(node, x.shape[1] == k, f"input {x.shape}, {k} channels")
        y = empty_out(dy, (x.shape[0], j))
        return y, [x, arrays[1], y, x.shape[0], a["x_zero_point"], a["multiplier"], a["shift"], a["y_zero_point"],
                   lo, hi]
    return Plan(("channel_gather", str(ins[0].dtype), dy, k, j), emit, call)
