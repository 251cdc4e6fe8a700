"""The Helium (mve) kernel family on cortex-m55 (QEMU mps3-an547) gives exactly the reference interpreter's bytes
on the random fully connected cases of test_kernels.py (tails of every length, K = 1, int8 / int4 weights, every
output type); the Armv8-M mainline / Armv6-M targets' families (armdsp on cortex-m33, scalar on cortex-m0plus)
likewise."""
import isa
import pytest
from benchmarks.kernels_runner import build_graph_cases, graph_expected_bytes, run_cases
from codegen.op_calls import kernel_for
from codegen.packing import grouped_layout
from tests.codegen.test_kernels import BLOCKED, FC_STEMS, _blocked_cases, _cases, _check, _wide_cases


@pytest.mark.parametrize("target_name,seed", [("cortex-m55", 21), ("cortex-m33", 22), ("cortex-m0plus", 23)])
def test_fc_kernels_bit_exact(target_name, seed, tmp_path):
    _check(_cases(seed), isa.get_target(target_name), tmp_path)


@pytest.mark.parametrize("make_cases,seed", [(_wide_cases, 24), (_blocked_cases, 25)])
def test_mve_fc_variants_are_mve_and_bit_exact(make_cases, seed, tmp_path):
    """Every entry point of the four FC kernels (int8 / int4, per channel / grouped; int8, int16 and int32 outputs)
    links the mve file; grouped weights stay in the row layout (mve needs no blocked one: each group's dot product
    is tail-predicated); the bytes are the reference's, also for the transformer's group sizes and large K."""
    target = isa.get_target("cortex-m55")
    for stem in FC_STEMS:
        for fn in (stem, stem + "_to_s16", stem + "_to_s32"):
            assert kernel_for(fn, stem, "mve").parent.name == "mve", fn
    assert all(grouped_layout("mve", k, gsz) == "rows" for k, _, gsz in BLOCKED)
    cases = make_cases(seed)
    kc, elf, _ = build_graph_cases(cases, target, tmp_path)
    assert {s.split("/")[0] for s in kc.kernel_stems} == {"mve"}, kc.kernel_stems
    run = run_cases(kc, elf, target)
    bad = [f"{kc.kernel_stems[i]} {cases[i][0].name}" for i, out in enumerate(run.outputs)
           if out != graph_expected_bytes(*cases[i])]
    assert not bad, f"{len(bad)} of {len(cases)} differ: {bad}"


@pytest.mark.parametrize("target_name,seed", [("cortex-m55", 31), ("cortex-m33", 32), ("cortex-m0plus", 33)])
def test_transformer_ops_bit_exact(target_name, seed, tmp_path):
    """Every transformer op (benchmarks/op_cases.py) on the new targets: mve's matmul_qk, matmul_pv, rope and FC kernels, the
    portable kernels for the ops mve has no file for; armdsp on cortex-m33, scalar on cortex-m0plus."""
    from tests.codegen.test_transformer_ops import _cases as op_cases, _check as op_check
    kc = op_check(op_cases(seed), isa.get_target(target_name), tmp_path)
    if target_name == "cortex-m55":
        linked = {part for stems in kc.kernel_stems for part in stems.split("+")}  # a graph case: its ops' files
        assert {"mve/ig_matmul_qk", "mve/ig_matmul_pv", "mve/ig_rope"} <= linked, sorted(linked)


def test_mve_op_paths_bit_exact(tmp_path):
    """The paths the random cases can miss (tests/codegen/test_transformer_ops.py edge_cases) on cortex-m55:
    matmul_pv's odd head_dim (tail-predicated columns), int8 probabilities (the sum-of-v pass), s past 256, odd row
    counts, saturating requantization; matmul_qk's head_dim tails; rope's every output type and requantization."""
    from tests.codegen.test_transformer_ops import _check as op_check, edge_cases
    kc = op_check(edge_cases(12), isa.get_target("cortex-m55"), tmp_path)
    linked = {part for stems in kc.kernel_stems for part in stems.split("+")}
    assert {"mve/ig_matmul_pv", "mve/ig_matmul_qk", "mve/ig_rope"} <= linked, sorted(linked)


MVE_FUNCTIONS = {
    "ig_silu": ["ig_silu_s16_s16", "ig_silu_s16_s8", "ig_silu_s16_s32", "ig_silu_s8_s8", "ig_silu_s8_s16",
                "ig_silu_s8_s32"],
    "ig_gelu": ["ig_gelu_s16_s8", "ig_gelu_s16_s16", "ig_gelu_s16_s32", "ig_gelu_s8_s8", "ig_gelu_s8_s16",
                "ig_gelu_s8_s32"],
}


def test_mve_element_kernels_are_linked_for_their_variants():
    """codegen links the mve file (not the portable one) for every variant the mve element kernels implement; the
    int32-input variants stay portable (their x - x_zp can leave int32)."""
    from codegen.op_calls import kernel_for
    for stem, functions in MVE_FUNCTIONS.items():
        for fn in functions:
            path = kernel_for(fn, stem, "mve")
            assert path.parent.name == "mve" and path.stem == stem, f"{fn}: {path}"
    assert kernel_for("ig_silu_s32_s8", "ig_silu", "mve").parent.name == "scalar"
