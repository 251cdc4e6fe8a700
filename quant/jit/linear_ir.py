"""JIT kernels of every fully connected op (quant/ops/linear.py, quant/ops/linear_quant.py), in three steps per call:

prologue  x - x_zero_point (or fully_connected_dynamic's per-row int8 quantization) into a zero-padded scratch
          matrix, plus the per-group input sums the asymmetric layers need
gemm      the int32 accumulators of 4 rows x 32 output channels at a time, vectorised over the output channels:
          with AVX-512 VNNI one vpdpbusd multiplies 4 unsigned input bytes (x - x_zero_point + 128, in [0, 255])
          by the 4 packed weight bytes of 16 channels; the +128 shift is taken back exactly through the weights'
          group sums folded into the per-channel starting value. Without VNNI: int32 vectors (any input width).
epilogue  the op's requantization and clamp, scalar int64 code that LLVM vectorises over the channels.

The accumulators use int32 wrap-around arithmetic: validation (quant/ops/checks.py) bounds every true partial sum
inside int32, so the result modulo 2^32 is the exact int32 accumulator of the reference."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from quant.ir import Graph, Node
from quant.jit import fixed_ir as fx
from quant.jit.emit import I8, I32, I64, INT_TYPES, Fn, const
from quant.jit.plan import Plan, check_shapes, empty_out, out_dtype
from quant.jit.target import host
from quant.ops.fixed import wrap32
from quant.ops.linear_quant import DYN_INV_BITS, DYN_LEVELS, DYN_MANTISSA
from quant.optable import OPTABLE, Group, in_group

NV = 16          # int32 lanes of a vector
MR, NR = 4, 2    # a tile: MR input rows x NR vectors of output channels
V32 = ir.VectorType(I32, NV)
VNNI = "llvm.x86.avx512.vpdpbusd.512"


def _ceil(a: int, b: int) -> int:
    return -(-a // b) * b


class FcShape:
    """The static form of a fully connected kernel: which steps it has and its padded sizes. The output width n
    is a call argument of the compiled code (matmul_qk reuses it with n = the sequence length)."""

    def __init__(self, op: str, xdt: str, ydt: str, n: int, k: int, gs: int) -> None:
        self.grouped = "group_scale" in OPTABLE[op].roles
        self.asym = in_group(op, Group.GROUP_OFFSET)
        self.dynamic = in_group(op, Group.DYNAMIC)
        self.xdt, self.ydt, self.n, self.k, self.gs = xdt, ydt, n, k, gs
        self.groups = k // gs
        self.vnni = host().vnni and (xdt == "int8" or self.dynamic)  # the kernel's input fits 8 bits
        self.quad = 4 if self.vnni else 1
        self.gsp = _ceil(gs, self.quad)
        self.kp = self.groups * self.gsp
        self.np_ = _ceil(max(n, 1), NV * NR)

    def key(self) -> tuple:
        return ("fc", self.grouped, self.asym, self.dynamic, self.xdt, self.ydt, self.k, self.gs, self.vnni)


def _pack(s: FcShape, a: np.ndarray, per_k: bool) -> np.ndarray:
    """[N, G(, gs)] -> the tile layout [Np/16][G](+[gsp/q][16][q]) (zero padding), as the gemm loads it."""
    if not per_k:
        out = np.zeros((s.np_, s.groups), a.dtype)
        out[:s.n] = a
        return np.ascontiguousarray(out.reshape(s.np_ // NV, NV, s.groups).transpose(0, 2, 1))
    out = np.zeros((s.np_, s.groups, s.gsp), np.int8)
    out[:s.n, :, :s.gs] = a.reshape(s.n, s.groups, s.gs)
    q = s.quad
    return np.ascontiguousarray(out.reshape(s.np_ // NV, NV, s.groups, s.gsp // q, q).transpose(0, 2, 3, 1, 4))


def pack_weights(s: FcShape, w: np.ndarray, start: np.ndarray, scale: np.ndarray | None,
                 offset: np.ndarray | None, x_zero_point: int) -> list[np.ndarray]:
    """The gemm's weight-side arrays: packed weights, the int32 starting value per channel (start: the bias, or 0),
    packed group scales and offsets (when the op has them)."""
    scale64 = np.ones((s.n, 1), np.int64) if scale is None else scale.astype(np.int64)
    start = start.astype(np.int64)
    if s.vnni:  # sum_k (x + 128) w = sum_k (x - zp) w + (zp + 128) sum_k w: subtract the second term once
        wsum = w.astype(np.int64).reshape(s.n, s.groups, s.gs).sum(axis=2)
        start = start - (scale64 * wsum).sum(axis=1) * (x_zero_point + 128)
    start_p = np.zeros(s.np_, np.int32)
    start_p[:s.n] = wrap32(start)  # int32 wrap-around, as the gemm
    out = [_pack(s, w, True), start_p]
    if s.grouped:
        out.append(_pack(s, scale64.astype(np.int32), False))
    if s.asym:
        out.append(_pack(s, offset.astype(np.int32), False))
    return out


def fc_args(s: FcShape, x: np.ndarray, consts: list, y: np.ndarray, x_zero_point: int, y_zero_point: int,
            lo: int, hi: int) -> list:
    """The argument list of one call: input, weight-side arrays (+ multiplier, shift, bias), output, scratch."""
    rows = x.shape[0]
    bp = _ceil(max(rows, 1), MR)
    scratch = [np.zeros((bp, s.kp), np.uint8 if s.vnni else np.int32)]
    if s.asym:
        scratch.append(np.zeros((bp, s.groups), np.int32))
    if s.dynamic:
        scratch += [np.zeros(bp, np.int64), np.zeros(bp, np.int64)]
    scratch.append(np.empty((bp, s.np_), np.int32))
    return [x, *consts, y, *scratch, rows, bp, s.n, s.np_, x_zero_point, y_zero_point, lo, hi]


def plan_fc(node: Node, g: Graph, ins) -> Plan:
    a = node.attrs
    n, k = ins[1].shape
    s = FcShape(node.op, str(ins[0].dtype), out_dtype(g, node), n, k, a.get("group_size", k))
    lo, hi = fx.bounds(s.ydt, a)  # [act_min, act_max] (validation keeps them within the output dtype)
    bias, mult, shift = ins[2], ins[-2], ins[-1]
    consts = pack_weights(s, ins[1], np.zeros(n, np.int64) if s.dynamic else bias, ins[3] if s.grouped else None,
                          ins[4] if s.asym else None, 0 if s.dynamic else a["x_zero_point"])
    consts += [mult, shift] + ([bias] if s.dynamic else [])

    def call(arrays):
        check_shapes(node, arrays[0].ndim == 2 and arrays[0].shape[1] == k, f"input {arrays[0].shape}, weight {(n, k)}")
        y = empty_out(s.ydt, (arrays[0].shape[0], n))
        return y, fc_args(s, arrays[0], consts, y, a["x_zero_point"], a["y_zero_point"], lo, hi)
    return Plan(s.key(), lambda fn: emit_fc(fn, s), call)


def emit_fc(fn: Fn, s: FcShape) -> None:
    px = fn.ptr(INT_TYPES[s.xdt])
    pw = fn.ptr(I8)
    pstart = fn.ptr(I32)
    pscale = fn.ptr(I32) if s.grouped else None
    poff = fn.ptr(I32) if s.asym else None
    pm, ps = fn.ptr(I32), fn.ptr(I32)
    pbias = fn.ptr(I32) if s.dynamic else None
    py = fn.ptr(INT_TYPES[s.ydt])
    pxin = fn.ptr(I8 if s.vnni else I32)
    pxsum = fn.ptr(I32) if s.asym else None
    pmr, pe = (fn.ptr(I64), fn.ptr(I64)) if s.dynamic else (None, None)
    pacc = fn.ptr(I32)
    rows, bp, nout, npad, zx, zy, lo, hi = (fn.arg() for _ in range(8))
    _prologue(fn, s, px, pxin, pxsum, pmr, pe, rows, zx)
    _gemm(fn, s, pw, pstart, pscale, poff, pxin, pxsum, pacc, bp, npad)
    with fn.loop(0, rows) as b:
        with fn.loop(0, nout) as n:
            acc = fn.load(pacc, fn.add(fn.mul(b, npad), n))
            if s.dynamic:
                m = fx.rshr(fn, fn.mul(fn.load(pm, n), fn.load(pmr, b)), DYN_MANTISSA)
                y = fx.rshr(fn, fn.mul(acc, m), fn.sub(fn.load(ps, n), fn.load(pe, b)))
                y = fn.add(fn.add(y, fn.load(pbias, n)), zy)
            else:
                y = fn.add(fx.requantize(fn, acc, fn.load(pm, n), fn.load(ps, n)), zy)
            fn.store(fn.clamp(y, lo, hi), py, fn.add(fn.mul(b, nout), n))


def _prologue(fn: Fn, s: FcShape, px, pxin, pxsum, pmr, pe, rows, zx) -> None:
    b_ = fn.b
    total = fn.alloca(I64, 1)
    with fn.loop(0, rows) as b:
        base = fn.mul(b, s.k)
        if s.dynamic:  # quant/ops/linear_quant.dynamic_row_quantize
            b_.store(const(1), total)
            with fn.loop(0, s.k) as k:
                b_.store(fn.smax(b_.load(total), fn.abs(fn.sub(fn.load(px, fn.add(base, k)), zx))), total)
            r = b_.load(total)
            e = fn.sub(fx.bitlen(fn, r), DYN_MANTISSA)
            mr = fn.select(fn.lt(e, 0), fn.shl(r, fn.smax(fn.neg(e), 0)), fx.rshr(fn, r, fn.smax(e, 0)))
            inv = fn.sdiv(DYN_LEVELS << DYN_INV_BITS, mr)
            qshift = fn.add(e, DYN_INV_BITS)
            fn.store(mr, pmr, b)
            fn.store(e, pe, b)
        with fn.loop(0, s.groups) as grp:
            b_.store(const(0), total)
            with fn.loop(0, s.gs) as kk:
                k = fn.add(fn.mul(grp, s.gs), kk)
                v = fn.sub(fn.load(px, fn.add(base, k)), zx)
                if s.dynamic:
                    v = fn.clamp(fx.rshr(fn, fn.mul(v, inv), qshift), -DYN_LEVELS, DYN_LEVELS)
                b_.store(fn.add(b_.load(total), v), total)
                dst = fn.add(fn.add(fn.mul(b, s.kp), fn.mul(grp, s.gsp)), kk)
                if s.vnni:  # the raw int8 input (or q) + 128, in [0, 255]
                    v = fn.add(v if s.dynamic else fn.load(px, fn.add(base, k)), 128)
                fn.store(v, pxin, dst)
            if s.asym:
                fn.store(b_.load(total), pxsum, fn.add(fn.mul(b, s.groups), grp))


def _vec(fn: Fn, p, idx, ty=V32):
    """The vector of type ty at element idx of p (unaligned)."""
    return fn.b.load(fn.b.bitcast(fn.b.gep(p, [idx]), ty.as_pointer()), align=1)


def _splat(fn: Fn, v):
    b = fn.b
    one = b.insert_element(ir.Constant(V32, ir.Undefined), v, const(0, I32))
    return b.shuffle_vector(one, ir.Constant(V32, ir.Undefined), ir.Constant(V32, [0] * NV))


def _intrinsic(fn: Fn, name: str):
    try:
        return fn.f.module.get_global(name)
    except KeyError:
        return ir.Function(fn.f.module, ir.FunctionType(V32, [V32, V32, V32]), name=name)


def _gemm(fn: Fn, s: FcShape, pw, pstart, pscale, poff, pxin, pxsum, pacc, bp, npad) -> None:
    b_ = fn.b
    q = s.quad
    steps = s.gsp // q
    tot = [[fn.alloca(V32, 1) for _ in range(NR)] for _ in range(MR)]
    accg = [[fn.alloca(V32, 1) for _ in range(NR)] for _ in range(MR)]
    zero = ir.Constant(V32, None)
    xin32 = b_.bitcast(pxin, I32.as_pointer()) if s.vnni else pxin
    wvec_t = ir.VectorType(I8, NV * q)
    dot = _intrinsic(fn, VNNI) if s.vnni else None
    with fn.loop(0, fn.sdiv(npad, NV * NR)) as t:
        with fn.loop(0, bp, MR) as b0:
            for r in range(MR):
                for c in range(NR):
                    b_.store(_vec(fn, pstart, fn.add(fn.mul(t, NV * NR), NV * c)), tot[r][c])
            with fn.loop(0, s.groups) as grp:
                for r in range(MR):
                    for c in range(NR):
                        b_.store(zero, accg[r][c])
                with fn.loop(0, steps) as kq:
                    wv = []
                    for c in range(NR):
                        tile = fn.add(fn.mul(fn.add(fn.mul(t, NR), c), s.groups), grp)
                        off = fn.mul(fn.add(fn.mul(tile, steps), kq), NV * q)
                        v = _vec(fn, pw, off, wvec_t)
                        wv.append(b_.bitcast(v, V32) if s.vnni else b_.sext(v, V32))
                    for r in range(MR):
                        row = fn.add(b0, r)
                        xi = fn.add(fn.add(fn.mul(row, s.kp // q), fn.mul(grp, steps)), kq)
                        xv = _splat(fn, b_.load(b_.gep(xin32, [xi])))
                        for c in range(NR):
                            old = b_.load(accg[r][c])
                            new = b_.call(dot, [old, xv, wv[c]]) if s.vnni else b_.add(old, b_.mul(xv, wv[c]))
                            b_.store(new, accg[r][c])
                for c in range(NR):
                    gidx = fn.mul(fn.add(fn.mul(fn.add(fn.mul(t, NR), c), s.groups), grp), NV)
                    sv = _vec(fn, pscale, gidx) if s.grouped else None
                    ov = _vec(fn, poff, gidx) if s.asym else None
                    for r in range(MR):
                        part = b_.load(accg[r][c])
                        if s.grouped:
                            part = b_.mul(part, sv)
                        if s.asym:
                            xs = b_.load(b_.gep(pxsum, [fn.add(fn.mul(fn.add(b0, r), s.groups), grp)]))
                            part = b_.add(part, b_.mul(_splat(fn, xs), ov))
                        b_.store(b_.add(b_.load(tot[r][c]), part), tot[r][c])
            for r in range(MR):
                for c in range(NR):
                    dst = fn.add(fn.mul(fn.add(b0, r), npad), fn.add(fn.mul(t, NV * NR), NV * c))
                    b_.store(b_.load(tot[r][c]), b_.bitcast(b_.gep(pacc, [dst]), V32.as_pointer()), align=1)
