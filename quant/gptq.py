"""GPTQ: Hessian-aware rounding of a fully connected layer's weights on the integer grid intgap stores
(docs/quantization.md)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from quant.errors import QuantError
from quant.host_threads import with_blas_threads
from quant.optable import Group
from quant.weights import LEVELS, QWeight, quantize_weight

DAMP = 0.01   # of the mean of diag(H), added to its diagonal
BLOCK = 128   # columns rounded between two updates of the rest of the matrix
BLOCK_JIT = True  # a block's column loop in the JIT kernel (quant/jit/gptq_ir.py) rather than numpy: same bytes


def layer_error(w: np.ndarray, qw: QWeight, h: np.ndarray) -> float:
    """tr((W - Q) H (W - Q)^T): the squared output error of the layer on the inputs whose Gram matrix is h."""
    d = w.astype(np.float64) - qw.dequant()
    return float(((d @ h) * d).sum())


def _inverse_cholesky(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U, dead): U upper triangular with U^T U = (H + DAMP * mean(diag) I)^-1; dead: columns never seen."""
    h = h.astype(np.float64).copy()
    dead = np.diag(h) <= 0
    h[dead, dead] = 1.0
    h[np.diag_indices_from(h)] += DAMP * float(np.mean(np.diag(h)))
    for extra in (0.0, 0.1, 1.0):
        try:
            if extra:
                h[np.diag_indices_from(h)] += extra * float(np.mean(np.diag(h)))
            hinv = np.linalg.inv(np.linalg.cholesky(h))       # L^-1, H = L L^T
            hinv = hinv.T @ hinv                              # H^-1
            return np.linalg.cholesky(hinv).T, dead           # upper factor of H^-1
        except np.linalg.LinAlgError:
            continue
    raise QuantError("GPTQ: the calibration Hessian is not positive definite even with damping; "
                     "calibrate on more sequences")


def _grid(w: np.ndarray, h: np.ndarray, bits: int, group_size: int | None, asym: bool, clip: bool) -> QWeight:
    """The grid GPTQ rounds on: quantize_weight's (with clip, the clipping search weighted by diag(H))."""
    k = w.shape[1]
    if h.shape != (k, k):
        raise QuantError(f"GPTQ: Hessian {h.shape} does not match the weight's K={k}")
    return quantize_weight(w, bits, group_size, asym=asym, clip=np.diag(h).copy() if clip else None)


@with_blas_threads  # OpenBLAS's Cholesky and inverse depend on its thread count: a fixed one (quant/host_threads.py)
def hessian_factor(h: np.ndarray, act_order: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cols, U, dead): the column order GPTQ rounds in (act_order: by decreasing diag(H)) and the inverse Cholesky
    factor of H in that order. It depends on H alone: layers that read the same input (q / k / v, gate / up)
    share it (gptq_overrides), the same arrays each would compute."""
    k = h.shape[0]
    cols = np.argsort(-np.diag(h), kind="stable") if act_order else np.arange(k)
    u, dead = _inverse_cholesky(h[np.ix_(cols, cols)])
    return cols, u, dead


def _on_grid(w: np.ndarray, grid: QWeight, factor: tuple[np.ndarray, np.ndarray, np.ndarray]) -> QWeight:
    """GPTQ's rounding of w [N, K] on a fixed grid (its scales and offsets kept): the columns in the factor's order,
    each one's rounding error spread over the columns not yet rounded."""
    n, k = w.shape
    cols, u, dead = factor
    wf = w[:, cols].astype(np.float64)
    wf[:, dead] = 0.0
    gs = grid.group_size
    step = (np.repeat(grid.group_scale.astype(np.float64), gs, axis=1) * grid.unit[:, None])[:, cols]  # real step
    off = (np.repeat(grid.offsets().astype(np.float64), gs, axis=1) * grid.unit[:, None])[:, cols]  # real offset
    safe = np.where(step > 0, step, 1.0)
    lo, hi = LEVELS[grid.bits]
    q = np.zeros((n, k), np.int8)
    block = _block_engine()
    for b0 in range(0, k, BLOCK):
        b1 = min(b0 + BLOCK, k)
        wb = wf[:, b0:b1].copy()
        q[:, b0:b1], err = block(wb, step[:, b0:b1], off[:, b0:b1], safe[:, b0:b1], u[b0:b1, b0:b1], lo, hi)
        wf[:, b1:] -= err @ u[b0:b1, b1:]
    out = np.empty((n, k), np.int8)
    out[:, cols] = q
    return replace(grid, q=out)


def block_numpy(wb: np.ndarray, step: np.ndarray, off: np.ndarray, safe: np.ndarray, ub: np.ndarray, lo: int,
                hi: int) -> tuple[np.ndarray, np.ndarray]:
    """One block of GPTQ's loop, column by column (the definition; quant/jit/gptq_ir.py runs the same operations
    row by row): (q int8 [N, nb], the scaled errors [N, nb]); wb [N, nb] is updated in place."""
    n, nb = wb.shape
    q = np.zeros((n, nb), np.int8)
    err = np.zeros_like(wb)
    for j in range(nb):
        col = wb[:, j]
        qi = np.where(step[:, j] > 0, np.clip(np.round((col - off[:, j]) / safe[:, j]), lo, hi), 0)
        q[:, j] = qi
        e = (col - qi * step[:, j] - off[:, j]) / ub[j, j]
        wb[:, j + 1:] -= np.outer(e, ub[j, j + 1:])
        err[:, j] = e
    return q, err


def _block_engine():
    """The JIT kernel of one block (same bytes, no Python loop per column); numpy's loop without llvmlite or with
    BLOCK_JIT off (tests and benchmarks/host_speed.py compare the two)."""
    if not BLOCK_JIT:
        return block_numpy
    try:
        from quant.jit.gptq_ir import gptq_block, kernel
        kernel()
        return gptq_block
    except ImportError:
        return block_numpy


def gptq_weight(w: np.ndarray, h: np.ndarray, bits: int, group_size: int | None, asym: bool = False,
                clip: bool = False, act_order: bool = False, factor=None) -> QWeight:
    """GPTQ's rounding, or RTN's where that is better on the calibration inputs (never worse than RTN). factor:
    hessian_factor(h, act_order) when the caller has it already."""
    rtn = _grid(w, h, bits, group_size, asym, clip)  # GPTQ rounds on RTN's grid: the clipping search runs once
    g = _on_grid(w, rtn, factor or hessian_factor(h, act_order))
    return g if layer_error(w, g, h) <= layer_error(w, rtn, h) else rtn


@with_blas_threads  # the layer errors' products too (quant/host_threads.py)
def gptq_overrides(g, cal, cfg, progress=None) -> dict[str, QWeight]:
    """GPTQ weights for every fully connected layer of the FP32 graph g, from the Gram matrices in cal (calibrate
    with gram_for=fc_inputs(g)), at the widths cfg.bits_for gives: the QuantConfig.weight_override of lower()."""
    out: dict[str, QWeight] = {}
    factors: dict[str, tuple] = {}  # input tensor -> hessian_factor: computed once for the layers that share it
    fcs = g.nodes_in(Group.FULLY_CONNECTED)
    for i, n in enumerate(fcs):
        h = cal.gram.get(n.inputs[0])
        if h is None:
            raise QuantError(f"GPTQ: no calibration Gram matrix for {n.inputs[0]!r} (layer {n.name}): calibrate "
                             "with gram_for=fc_inputs(graph)")
        bits, gsz = cfg.bits_for(n.name)
        if n.inputs[0] not in factors:
            factors = {n.inputs[0]: hessian_factor(h, cfg.act_order)}  # sharers are adjacent: keep one alive
        out[n.name] = gptq_weight(g.constants[n.inputs[1]], h, bits, gsz, asym=cfg.asym, clip=cfg.clip,
                                  act_order=cfg.act_order, factor=factors[n.inputs[0]])
        if progress:
            progress(i + 1, len(fcs))
    return out
