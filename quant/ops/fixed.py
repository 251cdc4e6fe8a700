"""Integer helpers shared by the ops (quant/ops/*.py). Every value is an integer held in numpy int64; the C kernels
use the same widths as stated here (int32 values, int64 products) and must give the same bits.

requantize(x, m, s) TFLite / CMSIS-NN requantization of an int32 accumulator x by a real multiplier M stored as an
                   int32 m in [2^30, 2^31) and an exponent s (s > 0 a left shift), M ~= m * 2^(s - 31):
                     SaturatingRoundingDoublingHighMul(x * 2^max(s, 0), m)   (the shift wraps in int32 as in C;
                                                                               ties round upward: -1.5 -> -1)
                     then RoundingDivideByPOT(., max(-s, 0))                 (ties round away from zero)
                   runtime_c/include/ig_fixedpoint.h implements the same arithmetic; the two agree bit for bit.
rshr(x, s)         rounding arithmetic right shift: s == 0 -> x, else (x + 2^(s-1)) >> s (floor shift, so ties
                   round toward +inf: 5/2 -> 3, -5/2 -> -2). x int64, 0 <= s <= 62.
mul_rshr(x, m, s)  rshr(x * m, s) with an int64 product (callers keep |x * m| < 2^62).
round_div(a, b)    a / b rounded half away from zero, b > 0: sign(a) * ((|a| + b/2) // b), int64.
isqrt(n)           floor(sqrt(n)) of an int64 n >= 0, exact. (C: Newton iterations x <- (x + n/x) / 2 from
                   x0 = 2^ceil(bits(n)/2) until x stops decreasing; that ends at exactly floor(sqrt(n)).)
exp2_q20(y)        2^(y / 2^16) for y <= 0 in Q16, result in Q20 (int in [0, 2^20]):
                     y = max(y, -32 * 2^16); z = (-y) >> 16; f = y + (z << 16)          f in (-2^16, 0]
                     p = C3; p = rshr(p * f, 16) + C2; p = rshr(p * f, 16) + C1; p = rshr(p * f, 16) + C0
                     result = rshr(p, 10 + z)
                   C0..C3 in Q30 are the cubic 1 + 0.69183716 r + 0.23211613 r^2 + 0.04039837 r^3 fitted to 2^r on
                   [-1, 0] with 2^0 exact (relative error <= 2.4e-4); p * f < 2^47.
sigmoid_q15(z)     sigmoid(z / 2^12) in Q15 for z in Q12 (int32):
                     a = -min(|z|, 16 * 2^12); y = mul_rshr(a, LOG2E_Q14, 10)   (Q16 exponent of 2, <= 0)
                     E = exp2_q20(y); s = (2^35 + (2^20 + E) // 2) // (2^20 + E)   (sigmoid(|z|) in Q15)
                     result = s if z >= 0 else 2^15 - s
"""
from __future__ import annotations

import math

import numpy as np

from quant.errors import GraphError
from quant.ir import DTYPES

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
SHIFT_MIN, SHIFT_MAX = -31, 30


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(multiplier, shift) for a positive real multiplier, as TFLite's QuantizeMultiplier."""
    if not math.isfinite(real) or real < 0:
        raise GraphError(f"requantization multiplier {real} is not a finite non-negative number: check the scales")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)  # real = q * 2^shift, q in [0.5, 1)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))  # round half away from zero (q > 0)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < SHIFT_MIN:
        return 0, 0
    if shift > SHIFT_MAX:
        raise GraphError(f"requantization multiplier {real:g} needs a left shift of {shift} (> {SHIFT_MAX}):"
                         " the output scale is far too small for the input scales; recalibrate")
    return q_fixed, shift


def wrap32(x: np.ndarray) -> np.ndarray:  # x modulo 2^32 as signed int32 values (int64): C's uint32 arithmetic
    return ((x.astype(np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def srdhm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul on int32 values held in int64."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    x = ab + nudge
    q = np.where(x >= 0, x >> 31, -((-x) >> 31))  # division by 2^31 truncating toward zero
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.int64)
    e = np.asarray(exponent, np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def requantize(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """MultiplyByQuantizedMultiplier: int32 accumulators -> int32 (int64 arrays), per-element parameters."""
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap32(np.asarray(acc, np.int64) << left)  # the C code shifts in uint32: wraps modulo 2^32
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)


EXP2_C = (1 << 30, 742854496, 249232800, 43377414)  # C0..C3, Q30
LOG2E_Q14 = 23637  # round(log2(e) * 2^14)
EXP_Y_MIN = -(32 << 16)
SIGMOID_Z_MAX = 16 << 12


def i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def rshr(x, s) -> np.ndarray:
    x = i64(x)
    s = i64(s)
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return (x + half) >> s


def mul_rshr(x, m, s) -> np.ndarray:
    return rshr(i64(x) * i64(m), s)


def round_div(a, b) -> np.ndarray:
    a = i64(a)
    b = i64(b)
    q = (np.abs(a) + b // 2) // b
    return np.where(a < 0, -q, q)


def isqrt(n) -> np.ndarray:
    n = i64(n)
    if np.any(n < 0):
        raise ValueError("isqrt of a negative number")
    flat = n.ravel()
    out = np.fromiter((math.isqrt(int(v)) for v in flat), dtype=np.int64, count=flat.size)
    return out.reshape(n.shape)


def exp2_q20(y) -> np.ndarray:
    y = np.maximum(i64(y), EXP_Y_MIN)
    z = (-y) >> 16
    f = y + (z << 16)
    c0, c1, c2, c3 = EXP2_C
    p = np.full_like(f, c3)
    p = rshr(p * f, 16) + c2
    p = rshr(p * f, 16) + c1
    p = rshr(p * f, 16) + c0
    return rshr(p, 10 + z)


def sigmoid_q15(z) -> np.ndarray:
    z = i64(z)
    a = -np.minimum(np.abs(z), SIGMOID_Z_MAX)
    e = exp2_q20(mul_rshr(a, LOG2E_Q14, 10))
    den = (1 << 20) + e
    s = ((1 << 35) + den // 2) // den
    return np.where(z >= 0, s, (1 << 15) - s)


def fixed_multiplier(real: float, bits: int = 15, max_shift: int = 62) -> tuple[int, int]:
    """(m, s) with m / 2^s ~= real, m in [2^(bits-1), 2^bits) and 0 <= s <= max_shift (m may be smaller when the
    shift runs out, m == 0 for a zero multiplier). Raises ValueError when real >= 2^bits."""
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"multiplier {real} is not finite and non-negative")
    if real == 0:
        return 0, 0
    _, e = math.frexp(real)  # real in [2^(e-1), 2^e)
    s = bits - e
    if s < 0:
        raise ValueError(f"multiplier {real:g} does not fit {bits} bits")
    s = min(s, max_shift)
    m = int(round(real * (1 << s)))
    if m >= (1 << bits):
        m //= 2
        s -= 1
        if s < 0:
            raise ValueError(f"multiplier {real:g} does not fit {bits} bits")
    return m, s


def saturate(y: np.ndarray, out_dtype: str, attrs: dict | None = None) -> np.ndarray:
    """Clamp to [act_min, act_max] when the op has them, always to the output dtype's range; cast."""
    info = np.iinfo(DTYPES[out_dtype])
    lo, hi = info.min, info.max
    if attrs is not None and "act_min" in attrs:
        lo, hi = max(lo, attrs["act_min"]), min(hi, attrs["act_max"])
    return np.clip(y, lo, hi).astype(DTYPES[out_dtype])


def exact_matmul(a: np.ndarray, b: np.ndarray, bound_a: int, bound_b: int) -> np.ndarray:
    """a @ b of integer arrays, exact, as int64. Uses float64 BLAS when every partial sum is below 2^53
    (|a| <= bound_a, |b| <= bound_b, inner dimension K: bound_a * bound_b * K < 2^53), else int64 numpy."""
    k = a.shape[-1]
    if bound_a * bound_b * max(k, 1) < (1 << 53):
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    return np.matmul(a.astype(np.int64), b.astype(np.int64))
