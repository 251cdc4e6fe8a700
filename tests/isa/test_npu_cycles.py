"""The NPU's cycle model (isa/npu/cycles.py) against hand computations, a cycle-stepped systolic array and
SCALE-Sim's analytical model."""
from __future__ import annotations

import math

import numpy as np
import pytest

from isa.npu.config import NpuConfig, sized
from isa.npu.cycles import Gemm, job_cycles, mapping, scalesim_runtime

FAST = 1e12  # bytes per cycle: DMA never the limit


def stepped_output_stationary(a: np.ndarray, b: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, int]:
    """One fold on an R x C output-stationary array, simulated cycle by cycle: a's rows enter from the left and b's
    columns from the top, each skewed one cycle per row / column and passed one PE per cycle; every PE multiplies
    what it holds into its accumulator. Once the last product is made the accumulators shift out of the bottom edge,
    a row per cycle. Returns (a @ b, cycles until the last output left)."""
    s_r, t = a.shape
    s_c = b.shape[1]
    a_reg = np.zeros((rows, cols), np.int64)
    b_reg = np.zeros((rows, cols), np.int64)
    acc = np.zeros((rows, cols), np.int64)
    done = np.zeros((rows, cols), np.int64)  # products made per PE
    cycle = 0
    while done[:s_r, :s_c].sum() < s_r * s_c * t:
        a_reg[:, 1:] = a_reg[:, :-1].copy()
        b_reg[1:, :] = b_reg[:-1, :].copy()
        for i in range(rows):
            k = cycle - i
            a_reg[i, 0] = a[i, k] if i < s_r and 0 <= k < t else 0
        for j in range(cols):
            k = cycle - j
            b_reg[0, j] = b[k, j] if j < s_c and 0 <= k < t else 0
        for i in range(rows):
            for j in range(cols):
                k = cycle - i - j
                if i < s_r and j < s_c and 0 <= k < t:
                    acc[i, j] += a_reg[i, j] * b_reg[i, j]
                    done[i, j] += 1
        cycle += 1
    return acc[:s_r, :s_c], cycle + rows  # drain: R shifts down the columns


@pytest.mark.parametrize("rows,cols,s_r,t,s_c", [(4, 4, 4, 10, 4), (2, 3, 2, 5, 3), (4, 4, 3, 7, 2), (8, 4, 1, 9, 3)])
def test_one_fold_takes_fill_stream_and_drain(rows, cols, s_r, t, s_c):
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (s_r, t))
    b = rng.integers(-128, 128, (t, s_c))
    y, cycles = stepped_output_stationary(a, b, rows, cols)
    np.testing.assert_array_equal(y, a @ b)
    assert cycles == s_r + s_c + t - 2 + rows  # skew to the last used PE, the stream, the drain through R rows
    got = job_cycles(Gemm(s_r, t, s_c), NpuConfig(rows, cols, "os"), FAST)
    assert got.folds == 1 and got.compute_cycles == 2 * rows + cols + t - 2
    # the model (as SCALE-Sim) times every fold for the whole array: exact for a full tile, an upper bound else
    assert got.compute_cycles >= cycles and (got.compute_cycles == cycles) == (s_r == rows and s_c == cols)


def test_hand_computed_folds_on_a_2x2_array():
    g = Gemm(3, 4, 5)
    os_ = job_cycles(g, NpuConfig(2, 2, "os"), FAST)  # ceil(3/2) * ceil(5/2) folds of 2*2 + 2 + 4 - 2 = 8
    assert (os_.folds, os_.compute_cycles) == (6, 48)
    ws = job_cycles(g, NpuConfig(2, 2, "ws"), FAST)  # S_R = K = 4, S_C = 5, T = M = 3: 6 folds of 7
    assert (ws.folds, ws.compute_cycles) == (6, 42)


def test_a_dma_bound_job_by_hand():
    """4x4 output-stationary, x [1, 16] by w [8, 16] int8 at 1 byte per cycle: fold 0 loads the input row (16 B)
    and 4 weight rows with their bias / multiplier / shift (64 + 48 B), fold 1 the other 4 rows (112 B); each fold
    computes 2*4 + 4 + 16 - 2 = 26 cycles and stores 4 bytes."""
    cfg = NpuConfig(4, 4, "os", setup_cycles=16)
    j = job_cycles(Gemm(1, 16, 8), cfg, 1.0)
    assert j.compute_cycles == 52 and j.folds == 2
    assert j.cycles == 16 + 92 + 128 + max(26, 112) + max(26, 4) + 4 == 378  # the descriptor: 92 bytes
    assert (j.bytes_read, j.bytes_written, j.dma_cycles) == (92 + 240, 8, 340)
    assert j.bound == "dma" and j.utilization == pytest.approx(128 / (16 * 378))
    serial = job_cycles(Gemm(1, 16, 8), NpuConfig(4, 4, "os", setup_cycles=16, overlap=False), 1.0)
    assert serial.cycles == 16 + 92 + 52 + 240 + 8


def test_weights_that_do_not_fit_are_fetched_again_for_every_row_tile():
    small = NpuConfig(4, 4, "os", weight_scratchpad=256)  # 8 x 64 weights + 96 B of parameters: 608 > 128
    big = NpuConfig(4, 4, "os", weight_scratchpad=1 << 20)
    g = Gemm(12, 64, 8)
    wb = g.weight_bytes(8)
    assert job_cycles(g, big, FAST).bytes_read == 92 + 12 * 64 + wb
    assert job_cycles(g, small, FAST).bytes_read == 92 + 12 * 64 + 3 * wb  # 3 row tiles


def test_int4_weights_halve_the_weight_bytes_and_int16_inputs_double_the_stream():
    cfg = sized(16, 16)
    w8, w4 = (job_cycles(Gemm(1, 256, 64, bits), cfg, 8.0) for bits in (8, 4))
    assert w8.bytes_read - w4.bytes_read == 64 * 256 // 2
    s8, s16 = (job_cycles(Gemm(1, 256, 64, 8, b), cfg, FAST) for b in (1, 2))
    assert s16.compute_cycles - s8.compute_cycles == s8.folds * 256


@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_compute_equals_scalesim_analytical_model(dataflow):
    """SCALE-Sim (ISPASS 2020): (2R + C + T - 2) ceil(S_R / R) ceil(S_C / C) for the dataflow's mapping; with a DMA
    that is never the limit the job adds only its setup, the descriptor and the first load / last store."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        r, c = (int(v) for v in rng.choice([2, 4, 8, 16, 32], 2))
        g = Gemm(int(rng.integers(1, 70)), int(rng.integers(1, 400)), int(rng.integers(1, 600)))
        cfg = NpuConfig(r, c, dataflow, input_scratchpad=1 << 24, weight_scratchpad=1 << 24,
                        output_scratchpad=1 << 24)
        j = job_cycles(g, cfg, FAST)
        assert j.compute_cycles == scalesim_runtime(r, c, *mapping(g, dataflow))
        assert j.cycles == j.compute_cycles + cfg.setup_cycles + 3


def test_scalesim_formula_by_hand():
    assert scalesim_runtime(32, 32, 1, 384, 128) == (64 + 32 + 126) * 1 * 12 == 2664
    assert scalesim_runtime(8, 8, 17, 9, 5) == (16 + 8 + 3) * math.ceil(17 / 8) * math.ceil(9 / 8) == 162
