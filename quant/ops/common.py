"""Small helpers of the op kernels: output saturation and exact integer matrix products."""
from __future__ import annotations

import numpy as np

from quant.ir import DTYPES


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
