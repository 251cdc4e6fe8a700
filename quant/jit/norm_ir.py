"""JIT kernels of quant/ops/norm.py (layernorm, rmsnorm) and quant/ops/head_norm.py (rmsnorm on [T * heads,
head_dim] rows): one row at a time, two passes over the row (its sums,
then the normalised output); one integer square root per row, one int64 division per element."""
from __future__ import annotations

from quant.ir import Graph, Node
from quant.jit import fixed_ir as fx
from quant.jit.emit import I32, I64, INT_TYPES, Fn, const
from quant.jit.plan import Plan, check_shapes, empty_out, out_dtype
from quant.ops.norm import C_MAX


def _plan(node: Node, g: Graph, ins, rms: bool) -> Plan:
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)
    xdt, width = str(ins[0].dtype), ins[0].shape[-1]
    ch = a.get("head_dim", width)  # head_rmsnorm: each head's head_dim channels are a row

    def centred(fn: Fn, px, i, zx, pre):
        v = fn.sub(fn.load(px, i), zx)
        return fn.clamp(fx.rshr(fn, v, pre), -(C_MAX - 1), C_MAX - 1) if rms else v

    def emit(fn: Fn):
        px, pg = fn.ptr(INT_TYPES[xdt]), fn.ptr(I32)
        pb = None if rms else fn.ptr(I32)
        py = fn.ptr(INT_TYPES[dy])
        rows, zx, pre, eps, shift, zy, vlo, vhi = (fn.arg() for _ in range(8))
        b = fn.b
        acc = fn.alloca(I64, 1)
        with fn.loop(0, rows) as t:
            base = fn.mul(t, ch)
            total = const(0)
            if not rms:  # sum_i c[i]
                b.store(const(0), acc)
                with fn.loop(0, ch) as i:
                    b.store(fn.add(b.load(acc), centred(fn, px, fn.add(base, i), zx, pre)), acc)
                total = b.load(acc)

            def dev(i):  # layernorm's d[i] = C c[i] - sum, rmsnorm's c[i]
                c = centred(fn, px, fn.add(base, i), zx, pre)
                return c if rms else fn.sub(fn.mul(c, ch), total)
            b.store(const(0), acc)
            with fn.loop(0, ch) as i:
                d = dev(i)
                b.store(fn.add(b.load(acc), fn.mul(d, d)), acc)
            r = fn.smax(fx.isqrt(fn, fn.add(b.load(acc), eps)), 1)
            with fn.loop(0, ch) as i:
                n = fx.round_div(fn, fn.shl(dev(i), 20), r)
                v = fn.mul(n, fn.load(pg, i))
                if not rms:
                    v = fn.add(v, fn.load(pb, i))
                y = fn.add(fx.rshr(fn, v, shift), zy)
                fn.store(fn.clamp(y, vlo, vhi), py, fn.add(base, i))

    def call(arrays):
        x = arrays[0]
        check_shapes(node, x.shape[-1] == width, f"input {x.shape}, {width} channels")
        y = empty_out(dy, x.shape)
        return y, [*arrays, y, x.size // ch, a["x_zero_point"], a.get("pre_shift", 0), a["eps"], a["shift"],
                   a["y_zero_point"], lo, hi]
    return Plan((node.op, xdt, dy, ch), emit, call)


def plan_layernorm(node: Node, g: Graph, ins) -> Plan:
    return _plan(node, g, ins, rms=False)


def plan_rmsnorm(node: Node, g: Graph, ins) -> Plan:  # rmsnorm and head_rmsnorm
    return _plan(node, g, ins, rms=True)
