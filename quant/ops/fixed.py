"""Integer helpers shared by the transformer ops. Every value is an integer held in numpy int64; the C kernels
use the same widths as stated here (int32 values, int64 products) and must give the same bits.

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
