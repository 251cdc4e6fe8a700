"""JIT kernels of quant/ops/rope.py and quant/ops/embedding.py: table lookups per row. Out-of-range ids and
positions raise the reference's GraphError before the kernel runs (the C kernels return an error code)."""
from __future__ import annotations

import numpy as np

from quant.errors import GraphError
from quant.ir import Graph, Node
from quant.jit import fixed_ir as fx
from quant.jit.emit import I16, I32, INT_TYPES, Fn
from quant.jit.plan import Plan, check_shapes, empty_out, out_dtype


def _check_range(node: Node, values: np.ndarray, size: int, what: str, fix: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= size):
        raise GraphError(f"node {node.name!r}: {what} out of range [0, {size}): {fix}")


def plan_embedding(node: Node, g: Graph, ins) -> Plan:
    table, dy = ins[1], out_dtype(g, node)
    dt, ch = str(table.dtype), table.shape[1]

    def emit(fn: Fn):
        pid, pt, py = fn.ptr(I32), fn.ptr(INT_TYPES[dt]), fn.ptr(INT_TYPES[dt])
        rows = fn.arg()
        with fn.loop(0, rows) as t:
            src = fn.mul(fn.load(pid, t), ch)
            with fn.loop(0, ch) as c:
                fn.store(fn.load(pt, fn.add(src, c), INT_TYPES[dt]), py, fn.add(fn.mul(t, ch), c))

    def call(arrays):
        ids = arrays[0].astype(np.int32, copy=False).reshape(-1)
        _check_range(node, ids, arrays[1].shape[0], "token id", "check the tokenizer")
        y = empty_out(dy, (ids.size, ch))
        return y, [ids, arrays[1], y, ids.size]
    return Plan(("embedding", dt, ch), emit, call)


def plan_rope(node: Node, g: Graph, ins) -> Plan:
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)
    h, hd = a["heads"], a["head_dim"]
    half = hd // 2

    def emit(fn: Fn):
        px, ppos, pc, ps, py = fn.ptr(INT_TYPES["int8"]), fn.ptr(I32), fn.ptr(I16), fn.ptr(I16), fn.ptr(INT_TYPES[dy])
        rows, zx, m, sh, zy, vlo, vhi = (fn.arg() for _ in range(7))
        with fn.loop(0, rows) as t:
            tab = fn.mul(fn.load(ppos, t), half)
            with fn.loop(0, h) as head:
                base = fn.add(fn.mul(t, h * hd), fn.mul(head, hd))
                with fn.loop(0, half) as i:
                    ia, ib = fn.add(base, i), fn.add(fn.add(base, i), half)
                    xa, xb = fn.sub(fn.load(px, ia), zx), fn.sub(fn.load(px, ib), zx)
                    c, s = fn.load(pc, fn.add(tab, i)), fn.load(ps, fn.add(tab, i))
                    for v, dst in ((fn.sub(fn.mul(xa, c), fn.mul(xb, s)), ia),
                                   (fn.add(fn.mul(xb, c), fn.mul(xa, s)), ib)):
                        y = fn.add(fx.requantize(fn, v, m, sh), zy)
                        fn.store(fn.clamp(y, vlo, vhi), py, dst)

    def call(arrays):
        x, pos = arrays[0], arrays[1].astype(np.int32, copy=False).reshape(-1)
        _check_range(node, pos, arrays[2].shape[0], "position", "the table is too short")
        check_shapes(node, pos.size == x.shape[0] and x.shape[1] == h * hd, f"{pos.size} positions for {x.shape[0]} rows")
        y = empty_out(dy, x.shape)
        return y, [x, pos, arrays[2], arrays[3], y, x.shape[0], a["x_zero_point"], a["multiplier"], a["shift"],
                   a["y_zero_point"], lo, hi]
    return Plan(("rope", dy, h, hd), emit, call)
