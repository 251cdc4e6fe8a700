"""GPTQ's column loop inside one block (quant/gptq.py _on_grid) as one LLVM kernel: the same float64 operations in
the same order as the numpy loop, so the same bytes (no fused multiply-adds: the IR has no contraction flags).

numpy rounds a block column by column, each step over every row; the rows never mix inside a block, so the kernel
runs row by row, each row's columns in order: q = clip(rint((w - off) / safe), lo, hi) (0 where the step is 0),
e = ((w - q step) - off) / U[j, j], then w[t] -= e U[j, t] for the later columns t of the block. The update between
blocks (a matrix product) stays in numpy."""
from __future__ import annotations

import ctypes
import functools

import numpy as np

_IR = r"""
declare double @llvm.rint.f64(double)

define void @gptq_block(double* noalias %w, double* noalias %step, double* noalias %off, double* noalias %safe,
                        double* noalias %u, i8* noalias %q, double* noalias %err, i64 %n, i64 %nb, double %lo,
                        double %hi) {
entry:
  %any = icmp sgt i64 %n, 0
  br i1 %any, label %row, label %done
row:
  %r = phi i64 [0, %entry], [%r1, %row_end]
  %base = mul i64 %r, %nb
  br label %col
col:
  %j = phi i64 [0, %row], [%j1, %col_end]
  %ij = add i64 %base, %j
  %pw = getelementptr double, double* %w, i64 %ij
  %x = load double, double* %pw
  %ps = getelementptr double, double* %step, i64 %ij
  %s = load double, double* %ps
  %po = getelementptr double, double* %off, i64 %ij
  %o = load double, double* %po
  %pf = getelementptr double, double* %safe, i64 %ij
  %f = load double, double* %pf
  %c0 = fsub double %x, %o
  %c1 = fdiv double %c0, %f
  %c2 = call double @llvm.rint.f64(double %c1)
  %below = fcmp olt double %c2, %lo
  %c3 = select i1 %below, double %lo, double %c2
  %above = fcmp ogt double %c3, %hi
  %c4 = select i1 %above, double %hi, double %c3
  %live = fcmp ogt double %s, 0.0
  %qi = select i1 %live, double %c4, double 0.0
  %qb = fptosi double %qi to i8
  %pq = getelementptr i8, i8* %q, i64 %ij
  store i8 %qb, i8* %pq
  %jj = mul i64 %j, %nb
  %dj = add i64 %jj, %j
  %pd = getelementptr double, double* %u, i64 %dj
  %d = load double, double* %pd
  %m = fmul double %qi, %s
  %e0 = fsub double %x, %m
  %e1 = fsub double %e0, %o
  %e = fdiv double %e1, %d
  %pe = getelementptr double, double* %err, i64 %ij
  store double %e, double* %pe
  %j1 = add i64 %j, 1
  %more = icmp slt i64 %j1, %nb
  br i1 %more, label %upd, label %col_end
upd:
  %t = phi i64 [%j1, %col], [%t1, %upd]
  %it = add i64 %base, %t
  %pwt = getelementptr double, double* %w, i64 %it
  %wt = load double, double* %pwt
  %jt = add i64 %jj, %t
  %put = getelementptr double, double* %u, i64 %jt
  %ut = load double, double* %put
  %p = fmul double %e, %ut
  %wt1 = fsub double %wt, %p
  store double %wt1, double* %pwt
  %t1 = add i64 %t, 1
  %tmore = icmp slt i64 %t1, %nb
  br i1 %tmore, label %upd, label %col_end
col_end:
  %jmore = icmp slt i64 %j1, %nb
  br i1 %jmore, label %col, label %row_end
row_end:
  %r1 = add i64 %r, 1
  %rmore = icmp slt i64 %r1, %n
  br i1 %rmore, label %row, label %done
done:
  ret void
}
"""

_F64P = ctypes.POINTER(ctypes.c_double)


@functools.lru_cache(maxsize=1)
def kernel():
    from quant.jit.target import compile_ir
    compiled = compile_ir(_IR)
    sig = ctypes.CFUNCTYPE(None, _F64P, _F64P, _F64P, _F64P, _F64P, ctypes.POINTER(ctypes.c_int8), _F64P,
                           ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.c_double)
    f = sig(compiled.address("gptq_block"))
    return compiled, f  # the compiled module keeps the code alive


def gptq_block(wb: np.ndarray, step: np.ndarray, off: np.ndarray, safe: np.ndarray, ub: np.ndarray, lo: int,
               hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(q int8 [N, nb], err float64 [N, nb]) of one block; wb [N, nb] is updated in place as numpy's loop does."""
    n, nb = wb.shape
    arrs = [np.ascontiguousarray(a, np.float64) for a in (step, off, safe, ub)]
    assert wb.flags.c_contiguous and wb.dtype == np.float64 and arrs[3].shape == (nb, nb)
    q = np.zeros((n, nb), np.int8)
    err = np.zeros((n, nb), np.float64)
    ptr = lambda a: a.ctypes.data_as(_F64P)  # noqa: E731
    kernel()[1](ptr(wb), *map(ptr, arrs), q.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)), ptr(err), n, nb,
                 float(lo), float(hi))
    return q, err
