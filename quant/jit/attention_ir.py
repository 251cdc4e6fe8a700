"""JIT kernels of quant/ops/attention.py: matmul_qk (per head, the fully connected kernel with the keys as weights),
softmax (one row at a time: its max, the exp2_q20 terms kept in a scratch row, one division) and matmul_pv
(probability-weighted rows of v, vectorised over head_dim; a zero probability, e.g. a causally masked one,
adds nothing and is skipped)."""
from __future__ import annotations

import numpy as np

from quant.ir import Graph, Node
from quant.jit import fixed_ir as fx
from quant.jit.emit import I32, I64, INT_TYPES, Fn, const
from quant.jit.linear_ir import FcShape, emit_fc, fc_args, pack_weights
from quant.jit.plan import Plan, check_shapes, empty_out, out_dtype


def _i32(fn: Fn, v):
    return fn.b.trunc(v, I32)


def plan_matmul_qk(node: Node, g: Graph, ins) -> Plan:
    """Per head, the asymmetric fully connected kernel (quant/jit/linear_ir.py) with the head's keys as its weights:
    sum_c (q - zq)(k - zk) = sum_c (q - zq) k + (-zk) sum_c (q - zq), one group of head_dim, scale 1, offset -zk."""
    a, dy = node.attrs, out_dtype(g, node)
    lo, hi = fx.bounds(dy, a)
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]
    shape = FcShape("fully_connected_asym", "int8", dy, 1, hd, hd)

    def call(arrays):
        q, k = arrays
        check_shapes(node, q.shape[1] == h * hd and k.shape[1] == hkv * hd, f"q {q.shape} and k {k.shape}")
        t_, s_ = q.shape[0], k.shape[0]
        y = empty_out(dy, (h, t_, s_))
        sh = FcShape("fully_connected_asym", "int8", dy, s_, hd, hd)
        ones = np.ones((s_, 1), np.int32)
        req = [np.full(s_, a["multiplier"], np.int32), np.full(s_, a["shift"], np.int32)]
        calls = []
        for kvh in range(hkv):
            consts = pack_weights(sh, k[:, kvh * hd:(kvh + 1) * hd], np.zeros(s_, np.int64), ones,
                                  np.full((s_, 1), -a["k_zero_point"], np.int32), a["q_zero_point"]) + req
            for head in range(kvh * (h // hkv), (kvh + 1) * (h // hkv)):
                x = np.ascontiguousarray(q[:, head * hd:(head + 1) * hd])
                calls.append(fc_args(sh, x, consts, y[head], a["q_zero_point"], a["y_zero_point"], lo, hi))
        return y, calls
    return Plan(shape.key(), lambda fn: emit_fc(fn, shape), call)


def plan_softmax(node: Node, g: Graph, ins) -> Plan:
    a, dy, xdt = node.attrs, out_dtype(g, node), str(ins[0].dtype)
    causal = bool(a["causal"])

    def emit(fn: Fn):
        px, py, pe = fn.ptr(INT_TYPES[xdt]), fn.ptr(INT_TYPES[dy]), fn.ptr(I64)
        rows, t_, s_, m, sh = (fn.arg() for _ in range(5))
        b = fn.b
        acc = fn.alloca(I64, 1)
        with fn.loop(0, rows) as r:
            base = fn.mul(r, s_)
            # valid j < stop: j <= S - T + i (causal), every j otherwise
            stop = fn.add(fn.add(fn.sub(s_, t_), b.srem(r, t_)), 1) if causal else s_
            stop = fn.smin(stop, s_)
            b.store(const(-(1 << 63)), acc)
            with fn.loop(0, stop) as j:
                b.store(fn.smax(b.load(acc), fn.load(px, fn.add(base, j))), acc)
            mx = b.load(acc)
            b.store(const(0), acc)
            with fn.loop(0, stop) as j:
                y = fx.mul_rshr(fn, fn.sub(fn.load(px, fn.add(base, j)), mx), m, sh)
                e = fx.exp2_q20(fn, fn.smin(y, 0))
                fn.store(e, pe, j)
                b.store(fn.add(b.load(acc), e), acc)
            total = b.load(acc)  # 0 only when no position is valid: numpy's // by zero gives 0
            recip = fn.select(fn.eq(total, 0), 0, fn.sdiv(1 << 52, fn.smax(total, 1)))
            with fn.loop(0, s_) as j:
                e = fn.select(fn.lt(j, stop), fn.load(pe, j), 0)
                if dy == "int16":
                    p = fn.smin(fx.rshr(fn, fn.mul(e, recip), 37), 32767)
                else:
                    p = fn.clamp(fn.sub(fx.rshr(fn, fn.mul(e, recip), 44), 128), -128, 127)
                fn.store(p, py, fn.add(base, j))

    def call(arrays):
        x = arrays[0]
        t_, s_ = x.shape[-2], x.shape[-1]
        y = empty_out(dy, x.shape)
        return y, [x, y, np.empty(max(s_, 1), np.int64), x.size // max(s_, 1), t_, s_, a["in_multiplier"],
                   a["in_shift"]]
    return Plan(("softmax", xdt, dy, causal), emit, call)


def plan_matmul_pv(node: Node, g: Graph, ins) -> Plan:
    a, dy, pdt = node.attrs, out_dtype(g, node), str(ins[0].dtype)
    lo, hi = fx.bounds(dy, a)
    h, hkv, hd = a["heads"], a["kv_heads"], a["head_dim"]

    def emit(fn: Fn):
        pp, pv, py = fn.ptr(INT_TYPES[pdt]), fn.ptr(INT_TYPES["int8"]), fn.ptr(INT_TYPES[dy])
        t_, s_, zp, zv, m, sh, zy, vlo, vhi = (fn.arg() for _ in range(9))
        b = fn.b
        zv32 = _i32(fn, zv)
        acc = fn.alloca(I32, hd)
        with fn.loop(0, h) as head:
            vcol = fn.mul(fn.sdiv(head, h // hkv), hd)
            with fn.loop(0, t_) as i:
                with fn.loop(0, hd) as c:
                    b.store(const(0, I32), b.gep(acc, [c]))
                prow = fn.mul(fn.add(fn.mul(head, t_), i), s_)
                with fn.loop(0, s_) as j:
                    pj = _i32(fn, fn.sub(fn.load(pp, fn.add(prow, j)), zp))
                    with fn.when(b.icmp_signed("!=", pj, const(0, I32))):
                        vrow = fn.add(fn.mul(j, hkv * hd), vcol)
                        with fn.loop(0, hd) as c:
                            vv = b.sub(fn.load(pv, fn.add(vrow, c), I32), zv32)
                            slot = b.gep(acc, [c])
                            b.store(b.add(b.load(slot), b.mul(pj, vv)), slot)
                with fn.loop(0, hd) as c:
                    y = fn.add(fx.requantize(fn, b.sext(b.load(b.gep(acc, [c])), I64), m, sh), zy)
                    dst = fn.add(fn.add(fn.mul(i, h * hd), fn.mul(head, hd)), c)
                    fn.store(fn.clamp(y, vlo, vhi), py, dst)

    def call(arrays):
        p, v = arrays
        check_shapes(node, p.shape[0] == h and p.shape[2] == v.shape[0] and v.shape[1] == hkv * hd,
                     f"p {p.shape} and v {v.shape}")
        y = empty_out(dy, (p.shape[1], h * hd))
        return y, [p, v, y, p.shape[1], p.shape[2], a["p_zero_point"], a["v_zero_point"], a["multiplier"],
                   a["shift"], a["y_zero_point"], lo, hi]
    return Plan(("matmul_pv", pdt, dy, h, hkv, hd), emit, call)
