"""runtime_c/include/ig_fixedpoint.h compiled for the host agrees bit for bit with quant/ops/fixed.py,
including the edges (INT32 extremes, left shifts that wrap, shift -31)."""
import ctypes
import subprocess

import numpy as np
import pytest

from toolchain.build import RUNTIME_C
from quant.ops.fixed import requantize, srdhm

SRC = r"""
#include "ig_fixedpoint.h"
void requant_many(const int32_t *acc, const int32_t *m, const int32_t *s, int32_t *out, int n) {
  for (int i = 0; i < n; i++) out[i] = ig_requantize(acc[i], m[i], s[i]);
}
void srdhm_many(const int32_t *a, const int32_t *b, int32_t *out, int n) {
  for (int i = 0; i < n; i++) out[i] = ig_srdhm(a[i], b[i]);
}
"""


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("fx")
    (d / "fx.c").write_text(SRC)
    subprocess.run(["gcc", "-O2", "-fwrapv", "-shared", "-fPIC", f"-I{RUNTIME_C / 'include'}", "-o", str(d / "fx.so"),
                    str(d / "fx.c")], check=True)
    return ctypes.CDLL(str(d / "fx.so"))


def _call(fn, *arrays):
    arrays = [np.ascontiguousarray(a, np.int32) for a in arrays]
    out = np.zeros(len(arrays[0]), np.int32)
    fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays], out.ctypes.data_as(ctypes.c_void_p), len(out))
    return out


def test_requantize_matches_reference(lib):
    rng = np.random.default_rng(0)
    n = 200_000
    acc = rng.integers(-(1 << 31), 1 << 31, n, dtype=np.int64)
    acc[:8] = [-(1 << 31), (1 << 31) - 1, 0, -1, 1, 12345, -12345, 1 << 30]
    mult = rng.integers(1 << 30, 1 << 31, n, dtype=np.int64)
    mult[::7] = 0
    shift = rng.integers(-31, 31, n, dtype=np.int64)
    want = requantize(acc, mult, shift).astype(np.int32)
    assert np.array_equal(_call(lib.requant_many, acc, mult, shift), want)


def test_srdhm_matches_reference(lib):
    rng = np.random.default_rng(1)
    a = rng.integers(-(1 << 31), 1 << 31, 100_000, dtype=np.int64)
    b = rng.integers(-(1 << 31), 1 << 31, 100_000, dtype=np.int64)
    a[0] = b[0] = -(1 << 31)
    assert np.array_equal(_call(lib.srdhm_many, a, b), srdhm(a, b).astype(np.int32))
