"""Every kernel family gives exactly the reference interpreter's bytes: seeded random fully connected layers
(int8 and int4 weights, per-channel and grouped scales) with shapes that are not multiples of any vector length,
K = 1, odd group counts and random quantization parameters, batched into one program per target and run under
the emulators (RVV at VLEN 128, 256 and 512; NEON with and without the dot product extension)."""
import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import build_cases, expected_bytes, fc_case, run_cases
from codegen.packing import fold_bias, pack_fc_weights, pack_int4_pairs, unpack_int4_pairs

FC_SHAPES = [(1, 1), (1, 6), (3, 7), (17, 9), (33, 5), (64, 16), (100, 3), (129, 6), (70, 13), (100, 9), (200, 17)]
GROUPED = [(12, 3, 4), (15, 5, 5), (96, 7, 32), (64, 4, 64), (33, 3, 11), (128, 9, 16), (48, 6, 16), (21, 2, 7)]


def _cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for k, n in FC_SHAPES:
        cases += [fc_case(rng, k, n, 8), fc_case(rng, k, n, 4)]
    for k, n, gsz in GROUPED:
        cases += [fc_case(rng, k, n, 8, gsz), fc_case(rng, k, n, 4, gsz)]
    return cases


def _check(cases, target, tmp_path, vlens=(None,), extra_cflags=()):
    kc, elf, _ = build_cases(cases, target, tmp_path, extra_cflags=extra_cflags)
    assert all(p.parent.name in (target.kernel_family, "scalar") for p in kc.sources[1:])
    for vlen in vlens:
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [f"{kc.kernel_stems[i]} {cases[i][0].name}" for i, out in enumerate(run.outputs)
               if out != expected_bytes(*cases[i])]
        assert not bad, f"{target.name} vlen={vlen}: {bad}"


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv32imc", "cortex-a55"])
def test_fc_kernels_bit_exact(target_name, tmp_path):
    _check(_cases({"cortex-m4": 1, "rv32imc": 2, "cortex-a55": 3}[target_name]), isa.get_target(target_name), tmp_path)


def test_neon_without_dotprod_bit_exact(tmp_path):
    """ARMv8.0 (Cortex-A53): the SMULL/SMLAL path of the NEON kernels."""
    _check(_cases(5), isa.get_target("cortex-a55"), tmp_path, extra_cflags=("-mcpu=cortex-a53",))


def test_rvv_kernels_bit_exact_at_every_vlen(tmp_path):
    _check(_cases(7), isa.get_target("rv64gcv"), tmp_path, vlens=(128, 256, 512))


def test_scalar_family_bit_exact_under_clang(tmp_path):
    """The portable kernels also through clang (the compiler of the RVV target), on the RVV target."""
    import dataclasses
    t = dataclasses.replace(isa.get_target("rv64gcv"), kernel_family="scalar")
    _check(_cases(9)[:12], t, tmp_path)


def test_int4_pair_packing_round_trips():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 8):
        w = rng.integers(-8, 8, (n, 13)).astype(np.int8)
        p = pack_int4_pairs(w)
        assert p.shape == ((n + 1) // 2, 13)
        assert np.array_equal(unpack_int4_pairs(p, n), w)
        # the byte arithmetic the SIMD kernels rely on
        b = p.astype(np.int32)
        assert np.array_equal((b & ~15) // 16, w[0::2])
        x = rng.integers(-128, 128, 13)
        odd = np.concatenate([w, np.zeros((1, 13), np.int8)])[1::2][: len(p)]
        assert np.array_equal(b @ x - (b & ~15) @ x - 8 * x.sum(), odd.astype(np.int64) @ x)


def test_armdsp_layout_interleaves_blocks_of_four_rows():
    w = np.arange(6 * 6).reshape(6, 6).astype(np.int8)
    p = pack_fc_weights(w, 8, "armdsp")
    assert p.size == w.size
    assert list(p[:16]) == [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21]
    assert list(p[16:24]) == [4, 5, 10, 11, 16, 17, 22, 23]  # the K % 4 tail of the block
    assert list(p[24:]) == list(range(24, 36))  # the last N % 4 rows row-major
    assert np.array_equal(pack_fc_weights(w, 8, "neon"), w.reshape(-1))


def test_folded_bias_wraps_like_the_reference_accumulator():
    w = np.full((1, 4), 127, np.int8)
    b = np.array([2**31 - 1], np.int32)
    assert fold_bias(b, w, -128)[0] == np.int32(((2**31 - 1 + 128 * 508 + 2**31) % 2**32) - 2**31)
