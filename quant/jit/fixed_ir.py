"""quant/ops/fixed.py's integer helpers as LLVM IR on int64 values, step for step (that file is the definition).
Shift amounts are checked there to lie in [0, 62]; LLVM's shifts by >= 64 are undefined, so none is emitted."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from quant.ir import DTYPES
from quant.jit.emit import I1, I64, Fn, const
from quant.ops.fixed import EXP2_C, EXP_Y_MIN, INT32_MAX, INT32_MIN, LOG2E_Q14, SIGMOID_Z_MAX

F64 = ir.DoubleType()


def rshr(fn: Fn, x, s):
    """Rounding right shift, ties toward +inf; s an int64 value or a Python int."""
    if isinstance(s, int):
        return x if s == 0 else fn.ashr(fn.add(x, 1 << (s - 1)), s)
    half = fn.select(fn.lt(0, s), fn.shl(1, fn.smax(fn.sub(s, 1), 0)), 0)
    return fn.ashr(fn.add(x, half), s)


def mul_rshr(fn: Fn, x, m, s):
    return rshr(fn, fn.mul(x, m), s)


def srdhm(fn: Fn, a, b):
    """SaturatingRoundingDoublingHighMul of int32 values held in int64."""
    ab = fn.mul(a, b)
    x = fn.add(ab, fn.select(fn.le(0, ab), 1 << 30, 1 - (1 << 30)))
    q = fn.sdiv(x, 1 << 31)  # truncates toward zero, as the reference's sign-split shift
    sat = fn.b.and_(fn.eq(a, INT32_MIN), fn.eq(b, INT32_MIN))
    return fn.select(sat, INT32_MAX, q)


def rounding_divide_by_pot(fn: Fn, x, e):
    mask = fn.sub(fn.shl(1, e), 1)
    remainder = fn.b.and_(x, mask)
    threshold = fn.add(fn.ashr(mask, 1), fn.b.zext(fn.lt(x, 0), I64))
    return fn.add(fn.ashr(x, e), fn.b.zext(fn.b.icmp_signed(">", remainder, threshold), I64))


def requantize(fn: Fn, acc, m, s):
    """MultiplyByQuantizedMultiplier: the left shift wraps in 32 bits as in C."""
    left = fn.smax(s, 0)
    right = fn.smax(fn.neg(fn.c(s)), 0)
    shifted = fn.wrap32(fn.shl(acc, left))
    return rounding_divide_by_pot(fn, srdhm(fn, shifted, m), right)


def exp2_q20(fn: Fn, y):
    y = fn.smax(y, EXP_Y_MIN)
    z = fn.ashr(fn.neg(y), 16)
    f = fn.add(y, fn.shl(z, 16))
    c0, c1, c2, c3 = EXP2_C
    p = fn.add(rshr(fn, fn.mul(c3, f), 16), c2)
    p = fn.add(rshr(fn, fn.mul(p, f), 16), c1)
    p = fn.add(rshr(fn, fn.mul(p, f), 16), c0)
    return rshr(fn, p, fn.add(z, 10))


def div_floor(fn: Fn, num, den):
    """num // den for 0 <= num < 2^53 and den > 0, exactly, through float64 (vector float division exists where
    int64 division does not, so LLVM vectorises the loops that use it): num and den are exact doubles, and the
    rounding error of num / den, at most num / den 2^-53, is below the 1 / den that separates the quotient from
    the next integer, so truncation gives the floor."""
    b = fn.b
    return b.fptosi(b.fdiv(b.sitofp(num, F64), b.sitofp(den, F64)), I64)


def sigmoid_q15(fn: Fn, z):
    a = fn.neg(fn.smin(fn.abs(z), SIGMOID_Z_MAX))
    e = exp2_q20(fn, mul_rshr(fn, a, LOG2E_Q14, 10))
    den = fn.add(e, 1 << 20)
    s = div_floor(fn, fn.add(fn.ashr(den, 1), 1 << 35), den)  # < 2^36 / [2^20, 2^21]
    return fn.select(fn.le(0, z), s, fn.sub(1 << 15, s))


def round_div(fn: Fn, a, b):
    """a / b rounded half away from zero, 0 < b, |a| + b / 2 < 2^53 (the norms: |a| <= 2^50, b < 2^32)."""
    q = div_floor(fn, fn.add(fn.abs(a), fn.ashr(b, 1)), b)
    return fn.select(fn.lt(a, 0), fn.neg(q), q)


def isqrt(fn: Fn, n):
    """floor(sqrt(n)), n >= 0: Newton from 2^ceil(bits(n) / 2) until the iterate stops decreasing."""
    b = fn.b
    bits = bitlen(fn, n)  # 0 for n == 0
    x0 = fn.shl(1, fn.ashr(fn.add(bits, 1), 1))
    pre = b.block
    head = b.append_basic_block("isqrt")
    done = b.append_basic_block("isqrt_done")
    zero = fn.eq(n, 0)
    b.cbranch(zero, done, head)
    b.position_at_end(head)
    x = b.phi(I64)
    x.add_incoming(x0, pre)
    y = fn.ashr(fn.add(x, fn.sdiv(n, x)), 1)
    stop = fn.le(x, y)
    nxt = b.block
    x.add_incoming(y, nxt)
    b.cbranch(stop, done, head)
    b.position_at_end(done)
    r = b.phi(I64)
    r.add_incoming(const(0), pre)
    r.add_incoming(x, nxt)
    return r


def bitlen(fn: Fn, v):
    """Number of bits of a positive int64 (bitlen(1) = 1)."""
    return fn.sub(64, fn.b.ctlz(v, const(0, I1)))


def bounds(out_dtype: str, attrs: dict | None) -> tuple[int, int]:
    """quant/ops/fixed.saturate's clamp range: [act_min, act_max] when the op has them, within the dtype."""
    info = np.iinfo(DTYPES[out_dtype])
    lo, hi = int(info.min), int(info.max)
    if attrs is not None and "act_min" in attrs:
        lo, hi = max(lo, attrs["act_min"]), min(hi, attrs["act_max"])
    return lo, hi
