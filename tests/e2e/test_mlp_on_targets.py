"""The skeleton's promise: int8 outputs of every target equal the reference interpreter's bit for bit."""
import numpy as np
import pytest
import torch

import isa
from codegen import HARNESS_FUNCTIONS
from intgap.pipeline import build_program, run_forward
from isa.attribution import per_function, sum_excluding
from isa.elf import load_elf
from quant import reference as R
from tests.e2e.conftest import make_graphs

# FP32 outputs on target vs PyTorch: the same float32 operations, summed in another order (the C loop runs
# k in order, PyTorch's GEMM blocks it), so they differ by a few ulps of the largest partial sums.
FP32_TOLERANCE = 1e-4
TARGETS = ["cortex-m4", "rv32imc", "cortex-a55", "rv64gcv"]
# sizes that are not multiples of 4 or 16, K = 1, and the digits model's shape
SHAPES = [(13, 7, 5), (33, 17, 3), (1, 4, 2), (64, 64, 32, 10)]
SOFT_FLOAT_HELPERS = ("__aeabi_f", "__aeabi_d", "__addsf3", "__subsf3", "__mulsf3", "__divsf3", "__ltsf2",
                      "__gtsf2", "__lesf2", "__gesf2", "__floatsisf", "__fixsfsi", "__adddf3", "__muldf3")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("target_name", TARGETS)
def test_int8_bit_exact_with_reference(target_name, shape, workdir):
    target = isa.get_target(target_name)
    _, _, q = make_graphs(shape)
    # includes inputs beyond the calibration range, which saturate
    x = np.random.default_rng(7).standard_normal((5, shape[0])).astype(np.float32) * 1.5
    xq = R.quantize_input(q, x)
    built = build_program(q, target, workdir / target_name / q.name, max_tokens=len(xq))
    y, result = run_forward(built, target, xq)
    assert np.array_equal(y, R.run(q, {"input": xq})[q.outputs[0]])
    model_instr = sum_excluding(per_function(result.blocks, load_elf(built.elf), target.arch), HARNESS_FUNCTIONS)
    assert 0 < model_instr < result.instructions


@pytest.mark.parametrize("target_name", TARGETS)
def test_fp32_baseline_matches_pytorch(target_name, workdir):
    target = isa.get_target(target_name)
    m, fg, _ = make_graphs((33, 17, 3))
    x = np.random.default_rng(3).standard_normal((3, 33)).astype(np.float32)
    built = build_program(fg, target, workdir / target_name / "fp32", max_tokens=3)
    y, _ = run_forward(built, target, x)
    with torch.no_grad():
        assert np.abs(y - m(torch.from_numpy(x)).numpy()).max() <= FP32_TOLERANCE


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv32imc"])
def test_integer_build_calls_no_soft_float_but_fp32_build_does(target_name, workdir):
    """On the FPU-less cores the FP32 baseline runs in soft-float; the int8 build must not."""
    target = isa.get_target(target_name)
    _, fg, q = make_graphs((13, 7, 5))
    elf8 = build_program(q, target, workdir / target_name / "purity-int8").elf
    elff = build_program(fg, target, workdir / target_name / "purity-fp32").elf
    helpers = lambda elf: [f.name for f in load_elf(elf).functions if f.name.startswith(SOFT_FLOAT_HELPERS)]
    assert helpers(elf8) == []
    assert helpers(elff) != []
