"""The NEON rmsnorm (runtime_c/kernels/neon/ig_rmsnorm.c) gives the reference's bytes on every one of its paths, on
the cortex-a55 (dotprod) and cortex-a53 (ARMv8.0) builds: each input form (int16 without zero point and pre-shift,
int8 / int16, int32 with pre_shift <= 7 whose x - zp saturates, int32 through int64 lanes), each output form
(SQDMULH for shift >= 22 up to 62, the int64 products below and above), int32 rows that keep c on the stack and
rows too long for it, channel tails 1..7 past the vectors, rows that do not start on a vector boundary, a root
>= 2^30, the rounding ties of small roots, narrow clamps; and its cost per element at SmolLM2's calls."""
from __future__ import annotations

import math

import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import run_cases
from benchmarks.op_cases import _graph, _values, expected_bytes
from codegen.kernel_cases import emit_graph_cases
from quant.ir import Node, TensorInfo
from toolchain import build_elf


def _case(rng, xdt, ydt, c, zp, pre, shift, eps=1000, rows=3, spread=None, narrow=False, gmax=None):
    x = _values(rng, xdt, (rows, c), spread)
    ymax = np.iinfo(np.dtype(ydt)).max
    # |n| is about 2^20 / sqrt(C): gamma maps that to about a third of the output range, some past it
    g_mag = gmax or min(float(1 << 30), ymax / 3 * 2.0 ** shift * math.sqrt(c) / 2 ** 20)
    gamma = np.round(rng.uniform(-3, 3, c) * g_mag).clip(-(1 << 31), (1 << 31) - 1).astype(np.int32)
    info = np.iinfo(np.dtype(ydt))
    lo, hi = (int(info.min) // 3, int(info.max) // 2) if narrow else (int(info.min), int(info.max))
    attrs = {"x_zero_point": zp, "pre_shift": pre, "eps": eps, "shift": shift, "y_zero_point": -3 if narrow else 2,
             "act_min": lo, "act_max": hi}
    name = f"rms_{xdt}_{ydt}_c{c}_zp{zp}_pre{pre}_sh{shift}_eps{eps}_r{rows}"
    g = _graph(name, {"x": ((rows, c), xdt)}, [Node("rmsnorm", "rmsnorm", ["x", "gamma"], ["y"], attrs)],
               {"y": TensorInfo("y", (rows, c), ydt, 1.0, 2)}, {"gamma": gamma}, "y")
    return g, {"x": x}


def rmsnorm_cases(seed=0):
    rng = np.random.default_rng(seed)
    cases = []
    # input forms x output forms x tails
    for xdt, zp, pre in (("int16", 0, 0), ("int16", -3, 1), ("int16", 7, 0), ("int8", 0, 0), ("int8", 5, 1),
                         ("int32", 0, 2), ("int32", 0, 0), ("int32", 900, 7), ("int32", -5, 8), ("int32", 0, 20)):
        for k, (c, shift) in enumerate(((8, 32), (9, 22), (67, 31), (64, 33), (23, 21), (576, 40), (15, 12),
                                        (16, 62))):
            spread = float(2 ** 29) if xdt == "int32" and pre < 20 else None
            cases.append(_case(rng, xdt, ("int8", "int16")[k % 2], c, zp, pre, shift, spread=spread,
                               narrow=k % 3 == 1))
    # int32 extremes: x - zp saturating (zp != 0, pre_shift 0 / 7; 8 goes through int64 lanes), the clamp of c
    for zp, pre in ((900, 0), (-900, 7), (1, 3), (0, 7), (-(1 << 30), 8), (1 << 30, 8)):
        for c in (8, 13):
            g, ins = _case(rng, "int32", "int8", c, zp, pre, 34)
            ins["x"][:, ::3] = np.iinfo(np.int32).min
            ins["x"][:, 1::3] = np.iinfo(np.int32).max
            cases.append((g, ins))
    # int32 rows longer than the stack copy of c; a root >= 2^30 (huge eps) on each input form
    cases.append(_case(rng, "int32", "int8", 2056, 0, 2, 32, rows=2, spread=float(2 ** 20)))
    cases.append(_case(rng, "int32", "int16", 2049, 3, 9, 25, rows=1, spread=float(2 ** 26)))
    cases.append(_case(rng, "int32", "int8", 4100, 0, 2, 33, rows=2, spread=float(2 ** 20)))
    for xdt, zp, pre in (("int16", 0, 0), ("int16", 1, 0), ("int32", 0, 2), ("int32", 0, 9)):
        cases.append(_case(rng, xdt, "int8", 24, zp, pre, 34, eps=1 << 60))
    # small roots (rows of a few small values): the rounding ties of the division
    for xdt in ("int16", "int32"):
        for eps in (0, 1, 5):
            rows = np.array(np.meshgrid(*[np.arange(-2, 3)] * 3)).reshape(3, -1).T
            x = np.zeros((rows.shape[0], 8), np.int64)
            x[:, [0, 3, 7]] = rows
            g, _ = _case(rng, xdt, "int16", 8, 0, 0, 22, eps=eps, rows=x.shape[0], gmax=1 << 14)
            cases.append((g, {"x": x.astype(np.dtype(xdt))}))
    return cases


NEON_TARGETS = ["cortex-a55", "cortex-a53"]


def _run(cases, target, tmp_path):
    kc = emit_graph_cases(cases, target, tmp_path)
    elf = tmp_path / "cases.elf"
    build_elf(kc.sources, target, elf)
    assert any("neon/ig_rmsnorm" in s for s in kc.kernel_stems), kc.kernel_stems
    return kc, elf, run_cases(kc, elf, target)


@pytest.mark.parametrize("target_name", NEON_TARGETS)
def test_neon_rmsnorm_bit_exact_on_every_path(target_name, tmp_path):
    cases = rmsnorm_cases()
    _, _, run = _run(cases, isa.get_target(target_name), tmp_path)
    bad = [cases[i][0].name for i, out in enumerate(run.outputs) if out != expected_bytes(*cases[i])]
    assert not bad, f"{len(bad)} of {len(cases)} cases differ: {bad}"


# SmolLM2-135M's calls in a decode step (int32 and int16 residual stream, 576 channels, int8 out): the NEON kernel
# before the SQDMULH forms cost 13.9 / 12.3 instructions per element on cortex-a55, now 7.2 / 6.3
SMOLLM2_CALLS = {"ig_rmsnorm_s32_s8": ("int32", 2, 32), "ig_rmsnorm_s16_s8": ("int16", 0, 32)}


@pytest.mark.parametrize("target_name", NEON_TARGETS)
def test_neon_rmsnorm_cost_at_smollm2_calls(target_name, tmp_path):
    rng = np.random.default_rng(3)
    cases = [_case(rng, xdt, "int8", 576, 0, pre, shift, rows=1, spread=2.0 ** 20)
             for xdt, pre, shift in SMOLLM2_CALLS.values()]
    t = isa.get_target(target_name)
    _, _, run = _run(cases, t, tmp_path)
    assert [out == expected_bytes(*c) for out, c in zip(run.outputs, cases)] == [True] * len(cases)
    per_element = {fn: run.per_function[fn] / 576 for fn in SMOLLM2_CALLS}
    assert all(v < 8 for v in per_element.values()), per_element
