"""The run-time parts of fully_connected_dynamic / _asym around the grouped kernels on Helium, RVV and Cortex-M DSP
(runtime_c/kernels/{mve,rvv,armdsp}/ig_fc_dynamic_parts.c, mve / rvv ig_fc_asym_offsets.c) against the reference
interpreter: NEON's edges (tests/codegen/test_grouped_dynamic_edges.py: both mantissa ends, every int16 row exponent,
values past int32 and int16 before the zero point, layers without bias) plus these kernels' own: rows whose
shift - e is below 33 (MVE's VQDMULH / VRSHL and armdsp's SMMUL forms need 32 / 33; those rows, and MVE's whole
four-row step around them, take int64) beside rows above, a y_zp too large for the saturating adds (the whole call
in int64), row counts off the 16- / 4-row steps, K off the 8- / 4-column steps (odd K, one group of K, K below one
step), rows of one sign with a zero point beyond them, the asymmetric offset term's separate passes with a last
partial block of rows and a last group, and the Helium / Cortex-M DSP int4 kernels that take the offsets in their
scale stream / weight records (ig_fc_grouped_asym_s8w4: groups of 32, 64, 16 and 20 (armdsp: odd words per group);
two chunks of rows)."""
import itertools

import numpy as np
import pytest

import isa
from benchmarks.dynamic_cost import as_lowered
from benchmarks.op_cases import _fully_connected_asym, _fully_connected_dynamic
from tests.codegen.test_grouped_dynamic_edges import _cases as neon_edges
from tests.codegen.test_transformer_ops import _check

LOW_SHIFT = 20  # shift - e below 33 for every int16 row exponent above -14


def _own_cases():
    rng = np.random.default_rng(57)
    cases = []
    # NEON's edges with the lowering's shifts: the mantissa ends, every int16 row exponent, every output kind
    for g, feeds in neon_edges():
        if g.nodes[0].op == "fully_connected_dynamic":
            cases.append((as_lowered(g, feeds, rng), feeds))
    # the fast forms beside rows below them (every third row: inside MVE's four-row steps), every output type;
    # biases at the int32 limits with y_zp 0, small (int8 / int16 outs) and a narrow int32 clamp
    # (N 37: the separate pass; N 40: Helium's kernel requantizing in its registers)
    for (ydt, zp, lo, hi), n in itertools.product((("int8", 5, -128, 127), ("int16", -20000, -32768, 32767),
                                                   ("int32", 0, -(1 << 31), (1 << 31) - 1),
                                                   ("int32", -3, -(1 << 20), 1 << 20)), (37, 40)):
        g, feeds = _fully_connected_dynamic(rng, 64, n, "int16", ydt, 4, 32, 3, 1 << 30)
        g.nodes[0].attrs.update(y_zero_point=zp, act_min=lo, act_max=hi)
        as_lowered(g, feeds, rng, bias_edges=True).constants["s"][1::3] = LOW_SHIFT
        cases.append((g, feeds))
    # y_zp past 2^16 with clamp bounds near the int32 limits: no saturating adds, the whole call in int64
    for n in (21, 24):
        g, feeds = _fully_connected_dynamic(rng, 64, n, "int16", "int32", 4, 32, 2, 1 << 30)
        g.nodes[0].attrs.update(y_zero_point=-70000, act_min=-(1 << 31), act_max=(1 << 31) - 1)
        as_lowered(g, feeds, rng, bias_edges=True)
        cases.append((g, feeds))
    # rows and columns off the steps: N 1, 2, 5, 19, 37; K 45 (odd, groups of 15), 12 (one group), 6 (below a step)
    for k, n, gs, ydt in ((45, 19, 15, "int8"), (12, 37, 12, "int16"), (6, 5, 2, "int32"), (64, 1, 32, "int8"),
                          (96, 2, 32, "int16")):
        g, feeds = _fully_connected_dynamic(rng, k, n, "int16", ydt, 4, gs, 2, 1 << 30)
        cases.append((as_lowered(g, feeds, rng), feeds))
    # rows of one sign far from 0 and a zero point beyond them, K off the 8-lane step: a 0 taken into the row's
    # extremes by the tail would set its range
    for zp in (-100, 100):
        g, feeds = _fully_connected_dynamic(rng, 45, 19, "int16", "int16", 4, 15, 2, 1 << 30)
        g.nodes[0].attrs["x_zero_point"] = zp
        feeds["x"] = np.stack([rng.integers(-150, -119, 45), rng.integers(120, 151, 45)]).astype(np.int16)
        cases.append((g, feeds))
    # the asymmetric offset term alone (int8 input): a last partial block of rows, a last group, int8 weights too
    # (the separate passes); whole four-row blocks in int4 (Helium's kernel with the offsets in its scale stream):
    # groups of 32 (assembly), 64, 16 and 20 (tail-predicated), two chunks of rows (256 + 4), every output type
    for k, n, bits, gs, ydt in ((96, 37, 4, 32, "int8"), (45, 19, 8, 15, "int16"), (64, 261, 4, 16, "int32"),
                                (96, 40, 4, 32, "int16"), (128, 260, 4, 64, "int32"), (48, 12, 4, 16, "int8"),
                                (60, 8, 4, 20, "int8"), (64, 300, 4, 32, "int8")):
        cases.append(_fully_connected_asym(rng, k, n, "int8", ydt, bits, gs, 2))
    return cases


def _assert_linked(kc, family, stems):
    linked = {part for s in kc.kernel_stems for part in s.split("+")}
    for stem in stems:
        assert f"{family}/{stem}" in linked, f"no case linked {family}/{stem}: {sorted(linked)}"


def test_own_cases_reach_both_forms():
    """int16 rows reach shift - e >= 33 (the fast forms) and, in the mixed cases, below; the large y_zp is past the
    saturating adds' bound"""
    from quant.ops.linear_quant import dynamic_row_quantize
    fast = mixed = 0
    for g, feeds in _own_cases():
        if g.nodes[0].op != "fully_connected_dynamic" or g.tensors["x"].dtype != "int16":
            continue
        _, _, e = dynamic_row_quantize(feeds["x"], g.nodes[0].attrs["x_zero_point"])
        s = g.constants["s"]
        fast += bool(s.min() - e.max() >= 33)
        mixed += bool(s.min() - e.max() < 33 <= s.max() - e.max())
        if g.nodes[0].attrs["y_zero_point"] == -70000:
            assert g.nodes[0].attrs["act_max"] == (1 << 31) - 1
    assert fast >= 10 and mixed == 8


@pytest.mark.parametrize("family", ["mve", "armdsp"])
def test_m_profile_int4_asym_layers_take_the_offsets_in_the_kernel(family):
    """mve / armdsp, int4, whole four-row blocks: ig_fc_grouped_asym_s8w4 (offsets in the scale stream / the weights'
    group records, no ig_group_sums_s8 / ig_offset_bias), static and dynamic (armdsp: then the identity
    requantization to int32 and ig_dyn_requant; mve: ig_fc_grouped_dyn[_asym]_s8w4, the per-token requantization in
    its registers); int8 weights, N off the four-row blocks, armdsp groups off its blocked layout (not a multiple of
    4): the separate passes"""
    from codegen.op_calls import OpEnv, emit_node_calls
    rng = np.random.default_rng(5)
    env = OpEnv(buf=lambda t, r: t, const=lambda key, a, c: key.replace(".", "_"), rows="1", family=family,
                extensions=(family,))
    passes = {"ig_group_sums_s8", "ig_offset_bias"}
    odd = {"ig_fc_grouped_asym_s8w4"} if family == "mve" else {"ig_fc_grouped_s8w4"} | passes
    for g, want in ((_fully_connected_asym(rng, 64, 300, "int8", "int8", 4, 32, 1)[0], {"ig_fc_grouped_asym_s8w4"}),
                    (_fully_connected_asym(rng, 63, 300, "int8", "int8", 4, 21, 1)[0], odd),
                    (_fully_connected_asym(rng, 64, 301, "int8", "int8", 4, 32, 1)[0], {"ig_fc_grouped_s8w4"} | passes),
                    (_fully_connected_asym(rng, 64, 300, "int8", "int16", 8, 32, 1)[0],
                     {"ig_fc_grouped_s8_to_s16"} | passes),
                    (_fully_connected_dynamic(rng, 64, 300, "int16", "int8", 4, 32, 1, 1 << 30)[0],
                     {"ig_fc_grouped_dyn_asym_s8w4", "ig_dyn_quantize_s16"} if family == "mve" else
                     {"ig_fc_grouped_asym_s8w4_to_s32", "ig_dyn_quantize_s16", "ig_dyn_requant_s8"}),
                    (_fully_connected_dynamic(rng, 64, 300, "int16", "int16", 4, 32, 1, 1 << 30, True)[0],
                     {"ig_fc_grouped_dyn_s8w4_to_s16", "ig_dyn_quantize_s16"} if family == "mve" else
                     {"ig_fc_grouped_s8w4_to_s32", "ig_dyn_quantize_s16", "ig_dyn_requant_s16"}),
                    (_fully_connected_dynamic(rng, 64, 301, "int16", "int8", 4, 32, 1, 1 << 30)[0],
                     {"ig_fc_grouped_s8w4_to_s32", "ig_dyn_quantize_s16", "ig_dyn_requant_s8"} | passes)):
        _, calls = emit_node_calls(g, g.nodes[0], env)
        assert {fn for fn, _ in calls} == want, g.name


def test_dynamic_parts_bit_exact_on_mve(tmp_path):
    kc = _check(neon_edges() + _own_cases(), isa.get_target("cortex-m55"), tmp_path)
    _assert_linked(kc, "mve", ("ig_fc_dynamic_parts", "ig_fc_asym_offsets"))


def test_dynamic_parts_bit_exact_on_rvv(tmp_path):
    kc = _check(neon_edges() + _own_cases(), isa.get_target("rv64gcv"), tmp_path, vlens=(128, 256, 512))
    _assert_linked(kc, "rvv", ("ig_fc_dynamic_parts", "ig_fc_asym_offsets"))


def test_dynamic_parts_bit_exact_on_armdsp(tmp_path):
    kc = _check(neon_edges() + _own_cases(), isa.get_target("cortex-m4"), tmp_path)
    _assert_linked(kc, "armdsp", ("ig_fc_dynamic_parts", "ig_fc_grouped_s8w4"))
