"""The FP32 baseline kernels of every family (scalar soft-float and hard-float, Cortex-M FPU, NEON, Helium float, RVV
at VLEN 128/256/512) compute the fully connected layer to float32 accuracy: seeded random layers with shapes that
are not multiples of any vector length, K = 1, with and without the fused ReLU, compared with a float64 product. The
hard-float targets run the MACs on their FPU (fused multiply-add instructions), the FPU-less ones in soft-float."""
import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import build_cases, run_cases
from isa.elf import load_elf
from quant.ir import Graph, Node, TensorInfo

SHAPES = [(1, 1), (1, 6), (3, 7), (17, 9), (33, 5), (64, 16), (100, 3), (129, 6), (70, 13), (8, 4), (40, 8)]


def _float_cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for i, (k, n) in enumerate(SHAPES):
        w = rng.standard_normal((n, k)).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        g = Graph(f"fc_f32_{k}x{n}", ["x"], ["y"],
                  {"x": TensorInfo("x", (1, k), "float32"), "y": TensorInfo("y", (1, n), "float32")},
                  {"w": w, "b": b}, [Node("fully_connected_f32", "fc", ["x", "w", "b"], ["y"], {"relu": i % 2 == 1})])
        cases.append((g, rng.standard_normal((1, k)).astype(np.float32)))
    return cases


def _check(cases, target, tmp_path, vlens=(None,)):
    kc, elf, _ = build_cases(cases, target, tmp_path)
    for vlen in vlens:
        run = run_cases(kc, elf, target, vlen=vlen)
        for (g, x), raw in zip(cases, run.outputs):
            w, b = g.constants["w"].astype(np.float64), g.constants["b"].astype(np.float64)
            ref = x[0].astype(np.float64) @ w.T + b
            if g.nodes[0].attrs["relu"]:
                ref = np.maximum(ref, 0.0)
            y = np.frombuffer(raw, "<f4")
            # float32 sums in any order: within a few ulps of the sum of magnitudes
            bound = 4 * np.finfo(np.float32).eps * (np.abs(x[0]) @ np.abs(w.T) + np.abs(b)) * (1 + np.log2(len(x[0])))
            assert np.all(np.abs(y - ref) <= bound), f"{target.name} vlen={vlen} {g.name}: {y} vs {ref}"
    return elf


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-m4f", "cortex-m7", "rv32imc", "rv64gc", "cortex-a53",
                                         "cortex-a55", "cortex-m55"])
def test_fp32_kernels_accurate(target_name, tmp_path):
    target = isa.get_target(target_name)
    elf = _check(_float_cases(11), target, tmp_path)
    names = [f.name for f in load_elf(elf).functions]
    soft = [n for n in names if n.startswith(("__aeabi_f", "__addsf3", "__mulsf3"))]
    if target.has_fpu:
        assert soft == [], f"{target_name} has an FPU but calls soft-float helpers {soft}"
    else:
        assert soft, f"{target_name} has no FPU: the FP32 baseline must be soft-float"


def test_fp32_kernels_accurate_rvv_every_vlen(tmp_path):
    _check(_float_cases(12), isa.get_target("rv64gcv"), tmp_path, vlens=(128, 256, 512))


@pytest.mark.parametrize("target_name,mnemonic", [("cortex-m4f", "vfma.f32"), ("cortex-m7", "vfma.f32"),
                                                  ("cortex-a55", "fmla"), ("rv64gc", "fmadd.s"),
                                                  ("cortex-m55", "vfma.f32\tq")])
def test_fp32_kernel_uses_the_fpu(target_name, mnemonic, tmp_path):
    """The hard-float baselines' MAC is a fused multiply-add instruction of the FPU / SIMD unit (on Cortex-M55 Helium's
    VFMA.F32 on Q registers, which objdump decodes only when told the architecture)."""
    import subprocess
    target = isa.get_target(target_name)
    kc, elf, _ = build_cases(_float_cases(13)[:2], target, tmp_path)
    objdump = {"arm": "arm-none-eabi-objdump", "aarch64": "aarch64-linux-gnu-objdump"}.get(
        target.arch, "riscv64-unknown-elf-objdump")
    arch = ["-marmv8.1-m.main"] if "mve" in target.extensions else []
    text = subprocess.run([objdump, "-d", *arch, "--disassemble=ig_fc_f32", str(elf)], capture_output=True, text=True,
                          check=True).stdout
    assert mnemonic in text
