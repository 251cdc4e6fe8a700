"""Fixed-point requantization with TFLite / CMSIS-NN rounding, in numpy (int64 arithmetic on int32 values).

A real multiplier M is stored as an int32 `multiplier` in [2^30, 2^31) and an exponent `shift` with
M ~= multiplier * 2^(shift - 31); shift > 0 is a left shift. Applying it to an int32 accumulator x:

    SaturatingRoundingDoublingHighMul(x * 2^max(shift,0), multiplier)   (ties round upward: -1.5 -> -1)
    then RoundingDivideByPOT(., max(-shift, 0))                          (ties round away from zero)

runtime_c/include/ig_fixedpoint.h implements the same arithmetic in C; the two must agree bit for bit.
"""
from __future__ import annotations

import math

import numpy as np

from quant.errors import GraphError

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


def _wrap32(x: np.ndarray) -> np.ndarray:
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
    shifted = _wrap32(np.asarray(acc, np.int64) << left)  # the C code shifts in uint32: wraps modulo 2^32
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)
