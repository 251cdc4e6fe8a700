"""Threads of the host's float linear algebra (numpy's OpenBLAS) while quant/ quantizes and evaluates: one by default.

Calibration runs the FP32 graph in numpy (matrix products of a few hundred rows) and GPTQ factors its Hessians
(Cholesky, inverse). With OpenBLAS's own default (a thread per core) every product hands work to worker threads
that spin while they wait; when other jobs share the cores they wait for a time slice instead, and quantizing got
up to 7x slower than with one thread (docs/host-engine.md "Quantizing: where the host time goes"). The matrix
products give the same bytes with any thread count; OpenBLAS's Cholesky and inverse do not (its threaded
factorisation blocks differently), so a fixed count also makes GPTQ's weights independent of the machine's number
of cores. INTGAP_BLAS_THREADS=N sets another count, 0 keeps OpenBLAS's own.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import wraps

from quant.errors import QuantError

ENV = "INTGAP_BLAS_THREADS"
DEFAULT = 1
_controller = None


def blas_threads_setting() -> int:
    """INTGAP_BLAS_THREADS (default 1; 0: OpenBLAS's own choice)."""
    v = os.environ.get(ENV, "").strip()
    if not v:
        return DEFAULT
    if not v.isdigit():
        raise QuantError(f"{ENV}={v!r} is not a thread count: set it to 1 (the default), another number of threads, "
                         "or 0 for OpenBLAS's own choice (a thread per core)")
    return int(v)


@contextmanager
def blas_threads():
    """numpy's BLAS limited to INTGAP_BLAS_THREADS threads inside the block (restored after it)."""
    global _controller
    n = blas_threads_setting()
    if n == 0:
        yield
        return
    if _controller is None:  # made once (finding the loaded BLAS libraries takes milliseconds), after numpy loaded
        from threadpoolctl import ThreadpoolController
        _controller = ThreadpoolController()
    with _controller.limit(limits=n, user_api="blas"):
        yield


def with_blas_threads(f):
    """f run inside blas_threads()."""
    @wraps(f)
    def run(*args, **kwargs):
        with blas_threads():
            return f(*args, **kwargs)
    return run
