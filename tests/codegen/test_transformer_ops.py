"""Every transformer op's kernels give exactly the reference interpreter's bytes on every kernel family and target:
seeded random small graphs (benchmarks/op_cases.py: every input / output width, shapes that are not multiples of a
vector length, K = 1, odd head and group counts, random quantization parameters, some saturating) batched into one
program per target and run under the emulators (RVV at VLEN 128, 256 and 512; NEON with and without dotprod)."""
import dataclasses

import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import run_cases
from benchmarks.op_cases import OP_NAMES, expected_bytes, random_case
from codegen.kernel_cases import emit_graph_cases
from toolchain import build_elf

CASES_PER_OP = 5


def _cases(seed: int, per_op: int = CASES_PER_OP):
    rng = np.random.default_rng(seed)
    return [random_case(op, rng) for op in OP_NAMES for _ in range(per_op)]


def _check(cases, target, tmp_path, vlens=(None,), extra_cflags=()):
    kc = emit_graph_cases(cases, target, tmp_path)
    elf = tmp_path / "cases.elf"
    build_elf(kc.sources, target, elf, extra_cflags=extra_cflags)
    for vlen in vlens:
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [f"{cases[i][0].name} ({kc.kernel_stems[i]})" for i, out in enumerate(run.outputs)
               if out != expected_bytes(*cases[i])]
        assert not bad, f"{target.name} vlen={vlen}: {len(bad)} of {len(cases)} cases differ: {bad}"


@pytest.mark.parametrize("target_name,seed", [("cortex-m4", 1), ("rv32imc", 2), ("cortex-a55", 3), ("rv64gc", 4)])
def test_transformer_ops_bit_exact(target_name, seed, tmp_path):
    _check(_cases(seed), isa.get_target(target_name), tmp_path)


def test_transformer_ops_bit_exact_neon_without_dotprod(tmp_path):
    _check(_cases(5), isa.get_target("cortex-a55"), tmp_path, extra_cflags=("-mcpu=cortex-a53",))


def test_transformer_ops_bit_exact_rvv_every_vlen(tmp_path):
    _check(_cases(6), isa.get_target("rv64gcv"), tmp_path, vlens=(128, 256, 512))


def test_portable_kernels_under_clang(tmp_path):
    """The portable kernels also through clang (the RVV target's compiler)."""
    t = dataclasses.replace(isa.get_target("rv64gcv"), kernel_family="scalar")
    _check(_cases(7, 2), t, tmp_path)


def test_a_bad_token_id_is_reported_by_the_kernel(tmp_path):
    """embedding and rope refuse an id / position outside their table with an error code, not a wild read."""
    rng = np.random.default_rng(0)
    g, inputs = random_case("embedding", rng)
    inputs = {"ids": np.full_like(inputs["ids"], g.constants["table"].shape[0])}
    t = isa.get_target("cortex-m4")
    kc = emit_graph_cases([(g, inputs)], t, tmp_path)
    build_elf(kc.sources, t, tmp_path / "c.elf")
    r = isa.run(tmp_path / "c.elf", t)
    assert r.exit_code == 3 and b"case 0 failed" in r.stdout


def test_cases_spread_over_the_output_range():
    """The generator is not degenerate: outputs take many values and most are not clamped."""
    rng = np.random.default_rng(0)
    from quant import reference
    for op in OP_NAMES:
        distinct = []
        for _ in range(10):
            g, inputs = random_case(op, rng)
            y = reference.run(g, inputs)[g.outputs[0]]
            distinct.append(len(np.unique(y)) / y.size)
        assert np.mean(distinct) > 0.15, op
