"""fully_connected_dynamic with int8 per-channel weights (one group of K, unit scales, no offsets: SmolLM2's W8
layers) on NEON with SDOT: ig_fc_s8_dyn* (runtime_c/kernels/neon/ig_fc_s8_dyn.c), the per-token requantization in the
blocked kernel's registers, against the reference interpreter on cortex-a55: both forms of it (32-bit where every
row's shift - e >= 32, int64 elsewhere) and their edge (31 / 32), int8 / int16 / int32 outputs, with and without
bias (biases at the int32 limits), N off the 32-row blocks, K of one to eighteen 32-column chunks (the odd chunk,
the pairs, the three-pair loop), row mantissas at both ends and every int16 row exponent, int32 rows with exponents
up to 17, values past int32 and past int16 before the zero point, y_zp at the ends of each type; the row
quantization's steps (ig_dyn_quantize_s16); and the same layers on ARMv8.0 (cortex-a53 and cortex-a55's kernels
built for it), which keep the grouped kernel and ig_dyn_requant_*."""
import numpy as np
import pytest

import isa
from benchmarks.dynamic_cost import as_lowered
from benchmarks.op_cases import _fully_connected_dynamic
from codegen.op_calls import OpEnv, emit_node_calls
from quant.ops.checks import dynamic_e_max
from quant.ops.linear_quant import dynamic_row_quantize
from tests.codegen.test_grouped_dynamic_edges import _edge_rows, _int16_rows
from tests.codegen.test_transformer_ops import _a55_without_dotprod, _check


def w8_case(rng, k: int, n: int, xdt: str, ydt: str, rows: int = 2, bias: bool = True, low_shifts: bool = True):
    """A per-channel int8 fully_connected_dynamic layer (the lowering's: group of K, unit scales, no offsets) with
    multipliers in [2^30, 2^31) and shifts as lowerings make them (benchmarks/dynamic_cost.py as_lowered), every
    fifth row's shift at its lowest (shift - e down to 0: rshr by nothing) where low_shifts."""
    g, feeds = _fully_connected_dynamic(rng, k, n, xdt, ydt, 8, k, rows, 1 << 30, True)
    g.constants["gs"][:] = 1
    as_lowered(g, feeds, rng)
    if low_shifts:
        g.constants["s"][2::5] = dynamic_e_max(xdt, g.nodes[0].attrs["x_zero_point"])
    if not bias:
        g.constants["b"][:] = 0
    g.name += "" if bias else "_nobias"
    return g, feeds


def acc_shift(g) -> int:
    """the left shift the layer's accumulators have room for in int32 (codegen/op_calls_quant.py _dynamic_s8_blocked):
    the kernel's 32-bit form where every row's shift - e >= 32 - acc_shift"""
    return 31 - (127 * int(np.abs(g.constants["w"].astype(np.int64)).sum(axis=1).max())).bit_length()


def _past(g, every: int = 2, m: int = (1 << 31) - 1):
    """every `every`-th row's requantized value past int32 (largest multiplier, smallest shift)"""
    g.constants["m"][::every] = m
    g.constants["s"][::every] = g.constants["s"].min()


def _cases():
    rng = np.random.default_rng(88)
    cases = []
    # int16 rows at every exponent the SQRDMULH loop sees, three x zero points (-32768: mantissa 2^15 with e = 1)
    for xzp, ydt in ((0, "int8"), (-32768, "int16"), (7, "int32")):
        g, feeds = w8_case(rng, 64, 40, "int16", ydt, 5)
        g.nodes[0].attrs["x_zero_point"] = xzp
        feeds["x"] = _int16_rows(64, rng).astype(np.int16)
        cases.append((g, feeds))
    # int32 rows: mantissa 2^15 (rounded up) with e = 6, 2^14, and a row of one 1; every output, bias or none
    for ydt, bias in (("int8", True), ("int16", False), ("int32", True), ("int32", False)):
        g, feeds = w8_case(rng, 64, 70, "int32", ydt, 3, bias)
        g.nodes[0].attrs["x_zero_point"] = 0
        feeds["x"] = _edge_rows(64).astype(np.int32)
        cases.append((g, feeds))
    # int32 rows at the largest exponent (|x| near 2^31: e = 17), shifts at the bound
    g, feeds = w8_case(rng, 96, 33, "int32", "int16", 2)
    g.nodes[0].attrs["x_zero_point"] = 0
    feeds["x"][0, 3], feeds["x"][1, 5] = (1 << 31) - 1, -(1 << 31)
    g.constants["s"][:] = np.maximum(g.constants["s"], 17)
    g.constants["s"][::4] = 17
    cases.append((g, feeds))
    # int16 out with a large y_zp: values past int32 (SQXTN, then y_zp in int32) and past the clamp
    g, feeds = w8_case(rng, 64, 40, "int16", "int16", 2)
    _past(g)
    g.nodes[0].attrs.update(y_zero_point=-20000, act_min=-32768, act_max=32767)
    cases.append((g, feeds))
    # int16 out, y_zp 0 and the whole range (SQXTN twice is the clamp), with bias and without
    for bias in (True, False):
        g, feeds = w8_case(rng, 96, 37, "int16", "int16", 2, bias)
        _past(g, 3)
        g.constants["m"][1::3] = g.constants["m"][1::3] // 2 + (1 << 30)
        g.nodes[0].attrs.update(y_zero_point=0, act_min=-32768, act_max=32767)
        cases.append((g, feeds))
    # int8 out: values past int16 before the zero point (narrowed saturating, then y_zp in int16), y_zp at both ends
    for zp, bias in ((-128, True), (127, False)):
        g, feeds = w8_case(rng, 128, 40, "int16", "int8", 2, bias)
        _past(g)
        g.nodes[0].attrs.update(y_zero_point=zp, act_min=-128, act_max=127)
        cases.append((g, feeds))
    # int32 out: the whole range with y_zp 0 (no zero point, no clamp) past int32; a narrow clamp with a y_zp near
    # int32's end (in int64); biases at the int32 limits
    for zp, lo, hi in ((0, -(1 << 31), (1 << 31) - 1), (-(1 << 31) + 5, -(1 << 31), 1 << 20),
                       ((1 << 31) - 9, -(1 << 20), (1 << 31) - 1)):
        g, feeds = w8_case(rng, 64, 45, "int16", "int32", 2)
        _past(g, 3)
        g.constants["b"][1:9] = np.resize([-(1 << 31) + 3, (1 << 31) - 8], 8)
        g.nodes[0].attrs.update(y_zero_point=zp, act_min=lo, act_max=hi)
        cases.append((g, feeds))
    # the 32-bit form (every row's shift - e >= 32 - j, as lowerings make them): S = 32 - j exactly in the row of the
    # largest exponent, values past int16, biases at the int32 limits (SQADD saturates), every output kind and clamp
    # (int32 with a y_zp: the int64 form); S = 31 - j there: the int64 form for that row
    for ydt, zp, lo, hi, bias in (("int8", -5, -128, 127, True), ("int8", 127, -128, 127, False),
                                  ("int16", 0, -32768, 32767, True), ("int16", 0, -32768, 32767, False),
                                  ("int16", -20000, -32768, 32767, True), ("int16", 0, -100, 30000, False),
                                  ("int32", 0, -(1 << 31), (1 << 31) - 1, True),
                                  ("int32", 0, -(1 << 31), (1 << 31) - 1, False),
                                  ("int32", 0, -(1 << 20), 1 << 20, True), ("int32", 7, -(1 << 31), 1 << 30, True),
                                  ("int16", 3, -32768, 32767, True)):
        g, feeds = w8_case(rng, 96, 45, "int16", ydt, 3, bias, low_shifts=False)
        _, _, e = dynamic_row_quantize(feeds["x"], g.nodes[0].attrs["x_zero_point"])
        edge = zp == 3  # S = 31 - j: multipliers that keep those rows' outputs inside int16 (the rounding shows)
        g.constants["m"][::3] = 1 << 15 if edge else (1 << 31) - 1
        g.constants["s"][::3] = int(e.max()) + (31 if edge else 32) - acc_shift(g)
        if bias and not edge:
            g.constants["b"][1:9] = np.resize([-(1 << 31) + 3, (1 << 31) - 8], 8)
        g.nodes[0].attrs.update(y_zero_point=zp, act_min=lo, act_max=hi)
        cases.append((g, feeds))
    # N off the blocks (1, 5, 31, 33, 63) and whole blocks (32, 192); K of 1 to 18 chunks: the odd chunk, the pairs
    # short of three, the three-pair loop (SmolLM2: K 576 = 18 chunks, 1536 = 48)
    for k, n, ydt, bias in ((32, 1, "int8", True), (64, 5, "int16", False), (96, 31, "int32", True),
                            (160, 33, "int8", False), (224, 63, "int16", True), (192, 32, "int32", False),
                            (576, 192, "int16", False), (320, 40, "int8", True)):
        cases.append(w8_case(rng, k, n, "int16", ydt, 3, bias, low_shifts=False))  # the 32-bit form
    return cases


def _spread_rows(k: int, rng) -> np.ndarray:
    """_int16_rows with each row's extreme moved from column 3 + i to column k - 1 - 7 i (mod k): the last columns
    of the 32-column steps and the tails hold them too"""
    rows = _int16_rows(k, rng)
    for i in range(rows.shape[0]):
        p = (k - 1 - 7 * i) % k
        rows[i, [3 + i, p]] = rows[i, [p, 3 + i]]
    return rows.astype(np.int16)


def _row_cases():
    """ig_dyn_quantize_s16's steps (NEON: 32 columns a step for the row's extremes, then 8; 16 for q, then 8, then
    one at a time): K of every remainder kind, rows at every int16 exponent (the pre-shifted SQRDMULH loop at
    e <= -8) and with a zero point beyond a row of one sign; on the grouped kernels (int4, groups of K) and ours"""
    rng = np.random.default_rng(21)
    cases = []
    for k, ydt in ((8, "int8"), (24, "int16"), (40, "int32"), (45, "int8"), (56, "int16"), (88, "int32"),
                   (120, "int8")):
        g, feeds = _fully_connected_dynamic(rng, k, 9, "int16", ydt, 4, k, 5, 1 << 30)
        feeds["x"] = _spread_rows(k, rng)
        g.nodes[0].attrs["x_zero_point"] = int(rng.integers(-3, 4))
        cases.append((g, feeds))
    for k in (32, 96, 160):
        g, feeds = w8_case(rng, k, 40, "int16", "int16", 5)
        feeds["x"] = _spread_rows(k, rng)
        cases.append((g, feeds))
    g, feeds = w8_case(rng, 96, 40, "int16", "int8", 2)
    g.nodes[0].attrs["x_zero_point"] = 200
    feeds["x"] = np.stack([rng.integers(-150, -119, 96), rng.integers(120, 151, 96)]).astype(np.int16)
    cases.append((g, feeds))
    return cases


ENV = OpEnv(buf=lambda t, r: t, const=lambda key, a, c: key.replace(".", "_"), rows="2", family="neon",
            extensions=("neon", "dotprod"))


def test_cases_reach_the_edges():
    cases = _cases()
    _, mr, e = dynamic_row_quantize(cases[3][1]["x"], 0)
    assert list(mr) == [1 << 15, 1 << 14, 1 << 14] and e[0] > 0  # both mantissa ends
    _, mr, e = dynamic_row_quantize(cases[0][1]["x"], 0)
    assert list(e) == [-14, -8, -7, 1, 0]
    _, _, e = dynamic_row_quantize(cases[7][1]["x"], 0)
    assert e.max() == 17
    smallest = []  # per case, the smallest shift - e of its rows over the 32-bit form's bound 32 - j: -32 + j (SRSHL
    #                 by nothing), -1 (the int64 form's edge), 0 (the 32-bit form's)
    for g, feeds in cases:
        _, _, e = dynamic_row_quantize(feeds["x"], g.nodes[0].attrs["x_zero_point"])
        smallest.append(int(g.constants["s"].min()) - int(e.max()) - 32 + acc_shift(g))
        assert 0 < acc_shift(g) < 16, g.name
    assert smallest.count(-1) >= 1 and smallest.count(0) >= 10
    assert sum(v >= 0 for v in smallest) >= 15 and sum(v < -20 for v in smallest) >= 5  # the two forms


def test_w8_dynamic_layers_run_the_per_channel_kernel():
    """dot-product NEON: ig_fc_s8_dyn* alone after the row quantization (no identity requantization, no
    ig_dyn_requant); bias 0 passed as none; ARMv8.0 NEON, int4 weights, group scales other than 1 or offsets: the
    grouped kernels as before"""
    rng = np.random.default_rng(3)
    for ydt, out in (("int8", ""), ("int16", "_to_s16"), ("int32", "_to_s32")):
        for bias in (True, False):
            g, _ = w8_case(rng, 64, 40, "int16", ydt, 1, bias)
            stmt, calls = emit_node_calls(g, g.nodes[0], ENV)
            assert {fn for fn, _ in calls} == {"ig_fc_s8_dyn" + out, "ig_dyn_quantize_s16"}, g.name
            assert ("b_neon" in stmt) == bias, stmt
    g, _ = w8_case(rng, 64, 40, "int16", "int8", 1)
    armv8 = OpEnv(buf=ENV.buf, const=ENV.const, rows="2", family="neon", extensions=("neon",))
    assert {fn for fn, _ in emit_node_calls(g, g.nodes[0], armv8)[1]} == \
        {"ig_fc_grouped_s8_to_s32", "ig_dyn_quantize_s16", "ig_dyn_requant_s8"}
    for change in ("gs", "go"):
        h, _ = w8_case(rng, 64, 40, "int16", "int8", 1)
        h.constants[change][3] = 2
        assert "ig_fc_s8_dyn" not in {fn for fn, _ in emit_node_calls(h, h.nodes[0], ENV)[1]}, change
    h, _ = _fully_connected_dynamic(rng, 64, 40, "int16", "int8", 4, 64, 1, 1 << 30, True)
    h.constants["gs"][:] = 1
    assert "ig_fc_s8_dyn" not in {fn for fn, _ in emit_node_calls(h, h.nodes[0], ENV)[1]}


def _assert_linked(kc, stem, linked: bool):
    stems = {part for s in kc.kernel_stems for part in s.split("+")}
    assert (f"neon/{stem}" in stems) == linked, sorted(stems)


def test_w8_dynamic_bit_exact_on_cortex_a55(tmp_path):
    _assert_linked(_check(_cases() + _row_cases(), isa.get_target("cortex-a55"), tmp_path), "ig_fc_s8_dyn", True)


def test_row_cases_reach_every_exponent_and_step():
    for g, feeds in _row_cases()[:7]:
        _, _, e = dynamic_row_quantize(feeds["x"], g.nodes[0].attrs["x_zero_point"])
        assert e.min() < -7 and e.max() >= 0, g.name  # e < -7: the pre-shifted loop
    assert {g.constants["w"].shape[1] % 32 for g, _ in _row_cases()} >= {8, 24, 13, 0}


def test_w8_dynamic_bit_exact_on_armv8_0(tmp_path):
    cases = _cases()
    _assert_linked(_check(cases, isa.get_target("cortex-a53"), tmp_path / "a53"), "ig_fc_s8_dyn", False)
    _assert_linked(_check(cases, _a55_without_dotprod(), tmp_path / "v80", extra_cflags=("-mcpu=cortex-a53",)),
                   "ig_fc_s8_dyn", False)


def test_dynamic_cost_measures_w8_layers():
    """benchmarks/dynamic_cost.py --bits 8: the static per-channel layer (ig_fc_s8_blocked*) beside the dynamic one
    (ig_fc_s8_dyn*) and the grouped kernel of unit scales; "static" only with --bits 8"""
    from benchmarks.dynamic_cost import _case, main
    from quant.ops.checks import validate
    want = {"static": "ig_fc_s8_blocked_to_s16", "dynamic symmetric": "ig_fc_s8_dyn_to_s16",
            "symmetric": "ig_fc_grouped_s8_to_s16"}
    for kind, fn in want.items():
        g, _ = _case(kind, 576, 96, 5, ydt="int16", llama=True, bits=8)
        validate(g, integer_only=True)
        assert fn in {f for f, _ in emit_node_calls(g, g.nodes[0], ENV)[1]}, kind
    with pytest.raises(SystemExit):
        main(["--kinds", "static"])
