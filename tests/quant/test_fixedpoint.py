"""Requantization arithmetic: hand-computed cases and properties against exact rational arithmetic."""
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.ops.fixed import quantize_multiplier, requantize, rounding_divide_by_pot, srdhm


def round_half_away(fr: Fraction) -> int:
    n = abs(fr.numerator) * 2 + fr.denominator
    q = n // (2 * fr.denominator)
    return q if fr >= 0 else -q


def test_quantize_multiplier_hand_cases():
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(0.25) == (1 << 30, -1)
    assert quantize_multiplier(0.75) == (3 << 29, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.0) == (0, 0)


def test_srdhm_hand_cases():
    # 2^30 * 2^30 / 2^31 = 2^29 exactly
    assert srdhm(np.int64(1 << 30), np.int64(1 << 30)) == 1 << 29
    # TFLite's nudge rounds ties upward: 3 * 2^30 / 2^31 = 1.5 -> 2, and -1.5 -> -1
    assert srdhm(np.int64(3), np.int64(1 << 30)) == 2
    assert srdhm(np.int64(-3), np.int64(1 << 30)) == -1
    assert srdhm(np.int64(-5), np.int64(1 << 30)) == -2  # -2.5 -> -2
    # the single overflow case saturates
    assert srdhm(np.int64(-(1 << 31)), np.int64(-(1 << 31))) == (1 << 31) - 1


def test_rounding_divide_by_pot_hand_cases():
    x = np.array([5, -5, 6, -6, 7, -7, 0])
    assert rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 0]  # 2.5 -> 3, -2.5 -> -3
    assert rounding_divide_by_pot(np.array([12, -12, 10, -10]), 3).tolist() == [2, -2, 1, -1]


@settings(max_examples=400, deadline=None)
@given(acc=st.integers(-(1 << 24), 1 << 24), mult=st.integers(1 << 30, (1 << 31) - 1), shift=st.integers(-20, 0))
def test_requantize_is_round_of_exact_product_within_one(acc, mult, shift):
    """Two roundings (high-mul, then shift) land within 1 of the exactly rounded product."""
    exact = Fraction(acc * mult, 1 << (31 - shift))
    got = int(requantize(np.array([acc]), np.array([mult]), np.array([shift]))[0])
    assert abs(got - round_half_away(exact)) <= 1


@settings(max_examples=300, deadline=None)
@given(real=st.floats(1e-6, 0.999, allow_nan=False))
def test_quantize_multiplier_precision(real):
    m, s = quantize_multiplier(real)
    assert (1 << 30) <= m < (1 << 31)
    assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0 ** -30
