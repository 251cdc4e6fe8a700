"""Every kernel family gives exactly the reference interpreter's bytes: seeded random fully connected layers
(int8 and int4 weights, per-channel and grouped scales; int8, int16 and int32 outputs) with shapes that are not
multiples of any vector length, K = 1, odd group counts and random quantization parameters, batched into one
program per target and run under the emulators (RVV at VLEN 128, 256 and 512; NEON with and without the dot
product extension)."""
import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import (build_cases, build_graph_cases, expected_bytes, fc_case, fc_wide_case,
                                       graph_expected_bytes, run_cases)
from codegen.op_calls import kernel_for
from codegen.packing import fold_bias, grouped_layout, pack_fc_grouped, pack_fc_weights, pack_int4_pairs

# (64, 32), (96, 64), (32, 260): per-channel layers that dot-product NEON runs on the blocked layout (the last with
# a partial 32-row block; codegen/packing.py per_channel_as_grouped)
FC_SHAPES = [(1, 1), (1, 6), (3, 7), (17, 9), (33, 5), (64, 16), (100, 3), (129, 6), (70, 13), (100, 9), (200, 17),
             (64, 32), (96, 64), (32, 260)]
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


WIDE_SHAPES = [(1, 1), (1, 7), (3, 5), (17, 9), (33, 3), (45, 9), (64, 13), (100, 9), (129, 6), (70, 17), (160, 8),
               (256, 11), (130, 19), (192, 33), (96, 64)]
WIDE_GROUPED = [(1, 3, 1), (15, 5, 5), (33, 3, 11), (96, 7, 32), (21, 2, 7), (48, 9, 16), (45, 5, 9), (64, 4, 16)]
FC_STEMS = ("ig_fc_s8", "ig_fc_s8w4", "ig_fc_grouped_s8", "ig_fc_grouped_s8w4")
SIMD_FAMILIES = {"armdsp": ("cortex-m4", ()), "neon": ("cortex-a55", ()),
                 "neon-v8.0": ("cortex-a53", ()), "rvv": ("rv64gcv", ())}


def _wide_cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for out in ("int16", "int32"):
        for k, n in WIDE_SHAPES:
            cases += [fc_wide_case(rng, k, n, 8, out), fc_wide_case(rng, k, n, 4, out)]
        for k, n, gsz in WIDE_GROUPED:
            cases += [fc_wide_case(rng, k, n, 8, out, gsz), fc_wide_case(rng, k, n, 4, out, gsz)]
    # and the int8 output through the same op (fully_connected_wide lowers to the int8 entry points)
    cases += [fc_wide_case(rng, 33, 7, bits, "int8", gsz) for bits in (8, 4) for gsz in (None, 11)]
    return cases


@pytest.mark.parametrize("family", sorted(SIMD_FAMILIES))
def test_wide_fc_variants_are_the_simd_familys_and_bit_exact(family, tmp_path):
    """The int16 / int32-output variants of the four FC kernels (o_proj, gate/up/down, LM head of the transformer
    graphs) link the SIMD family's file, not the portable fallback, and give the reference's bytes."""
    target_name, cflags = SIMD_FAMILIES[family]
    target = isa.get_target(target_name)
    fam = target.kernel_family
    for stem in FC_STEMS:
        for fn in (stem, stem + "_to_s16", stem + "_to_s32"):
            assert kernel_for(fn, stem, fam).parent.name == fam, f"{fn} falls back to the portable kernel on {fam}"
    cases = _wide_cases({"armdsp": 11, "neon": 12, "neon-v8.0": 13, "rvv": 14}[family])
    kc, elf, _ = build_graph_cases(cases, target, tmp_path, extra_cflags=cflags)
    assert all(stem.split("/")[0] == fam for stem in kc.kernel_stems), kc.kernel_stems
    assert {stem.split("/")[1] for stem in kc.kernel_stems} == set(FC_STEMS)
    for vlen in (128, 256, 512) if fam == "rvv" else (None,):
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [f"{kc.kernel_stems[i]} {cases[i][0].name}" for i, out in enumerate(run.outputs)
               if out != graph_expected_bytes(*cases[i])]
        assert not bad, f"{family} vlen={vlen}: {len(bad)} of {len(cases)} differ: {bad}"
        if run.per_function:  # the wide entry points ran (not inlined away, not the scalar ones)
            assert {"ig_fc_s8_to_s16", "ig_fc_grouped_s8w4_to_s32"} <= set(run.per_function), sorted(run.per_function)


# The SIMD families' blocked grouped layouts (codegen/packing.py grouped_layout): groups of 32 / 64 / 128 (also 256
# and 512, which split x's sums differently) with 3 to 8 groups (odd and even counts: the NEON kernel takes groups
# of 32 two at a time), N odd and not a multiple of any family's block of rows (NEON 32, RVV 128 rows or pairs,
# armdsp 4), so every kernel also runs its last, partial block.
BLOCKED = [(96, 35, 32), (160, 9, 32), (256, 33, 32), (192, 70, 64), (320, 5, 64), (384, 7, 128), (96, 129, 32),
           (64, 257, 32), (512, 3, 256), (1024, 2, 512)]
# and groups some or all blocked layouts do not take (the row layouts): too many groups, sizes not a multiple of 32
# (NEON) or 4
NOT_BLOCKED = [(4100, 3, 4), (32 * 1025, 2, 32), (48, 9, 16), (55, 6, 11)]


def _blocked_cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for k, n, gsz in BLOCKED:
        for bits in (8, 4):
            g, x = fc_case(rng, k, n, bits, gsz)
            cases.append((g, {"x": x}))
            for out in ("int16", "int32"):
                cases.append(fc_wide_case(rng, k, n, bits, out, gsz))
            cases.append(fc_wide_case(rng, k, n, bits, ("int8", "int16", "int32")[k % 3], gsz, scales="limit"))
    for k, n, gsz in NOT_BLOCKED:
        cases += [fc_wide_case(rng, k, n, bits, "int16", gsz) for bits in (8, 4)]
    return cases


@pytest.mark.parametrize("family", sorted(SIMD_FAMILIES))
def test_grouped_blocked_layouts_are_the_simd_familys_and_bit_exact(family, tmp_path):
    """The grouped kernels' blocked layouts (the transformer's int4 / int8 groups of 32-128): the SIMD family's file
    is linked and reads that layout, and the bytes are the reference's for every output type, odd N, partial
    blocks, scales at the quantizer's limit, left shifts folded into the NEON layout's bias and scales."""
    target_name, cflags = SIMD_FAMILIES[family]
    target = isa.get_target(target_name)
    fam = target.kernel_family
    for stem in ("ig_fc_grouped_s8", "ig_fc_grouped_s8w4"):
        for fn in (stem, stem + "_to_s16", stem + "_to_s32"):
            assert kernel_for(fn, stem, fam).parent.name == fam, f"{fn} falls back to the portable kernel on {fam}"
    for k, n, gsz in BLOCKED:
        assert grouped_layout(fam, k, gsz) == "blocked", (fam, k, gsz)
    for k, n, gsz in NOT_BLOCKED:
        rows = k // gsz > 1024 or gsz % (32 if fam == "neon" else 4)
        assert grouped_layout(fam, k, gsz) == ("rows" if rows else "blocked"), (fam, k, gsz)
    cases = _blocked_cases({"armdsp": 21, "neon": 22, "neon-v8.0": 23, "rvv": 24}[family])
    kc, elf, _ = build_graph_cases(cases, target, tmp_path, extra_cflags=cflags)
    assert {stem.split("/")[0] for stem in kc.kernel_stems} == {fam}, kc.kernel_stems
    for vlen in (128, 256, 512) if fam == "rvv" else (None,):
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [f"{kc.kernel_stems[i]} {cases[i][0].name}" for i, out in enumerate(run.outputs)
               if out != graph_expected_bytes(*cases[i])]
        assert not bad, f"{family} vlen={vlen}: {len(bad)} of {len(cases)} differ: {bad}"


def test_neon_blocked_layout():
    """Blocks of 32 rows, per column quad the rows' 4 bytes side by side; left shifts moved into bias and scales."""
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (33, 64)).astype(np.int8)
    gsc = rng.integers(0, 100, (33, 2)).astype(np.int32)
    bias, mult = rng.integers(-1000, 1000, 33).astype(np.int32), np.full(33, 1 << 30, np.int32)
    shift = np.where(np.arange(33) % 3 == 0, 2, -5).astype(np.int32)
    p = pack_fc_grouped(w, gsc, 32, 8, "neon", bias, mult, shift)
    assert p.layout == "blocked" and p.weights.size == 64 * 64 and p.bias.size == 64
    assert list(p.weights[:8]) == list(w[0, :4]) + list(w[1, :4])
    assert list(p.weights[128:132]) == list(w[0, 4:8])
    assert p.shift.max() <= 0 and p.bias[3] == bias[3] << 2 and p.bias[4] == bias[4]
    d0 = np.int64(gsc[0, 0]) - gsc[0, 1]
    assert p.scales[0] == d0 << 2 and p.scales[32] == gsc[0, 1] << 2  # block 0: group 0 rows, group 1 rows
    p4 = pack_fc_grouped(w.clip(-8, 7), gsc, 32, 4, "neon", bias, mult, shift)
    # per 8 rows the even rows first: rows 0, 2, 4, 6, 1, 3, 5, 7 (rows 0 and 6 shift left by 2)
    assert list(p4.bias[:8]) == [bias[0] << 2, bias[2], bias[4], bias[6] << 2, bias[1], bias[3] << 2, bias[5], bias[7]]
    assert p4.scales.size == 2 * 2 * 48  # two blocks, two groups: dA, dB, 16 dB of 16 pairs


def test_per_channel_layers_run_as_one_group_only_on_dot_product_neon():
    """The lowering's choice (codegen/packing.py per_channel_as_grouped): cortex-a55 runs the blocked layout where it
    takes K and pads N by at most an eighth (int8 weights: ig_fc_s8_blocked, int4: the grouped kernel with one group
    of K); cortex-a53 (no SDOT), other families and other shapes call the per-channel kernel on its row blocks."""
    from codegen.kernel_cases import lower_node
    rng = np.random.default_rng(5)
    for target_name, k, n, grouped in [("cortex-a55", 256, 256, True), ("cortex-a55", 64, 260, True),
                                       ("cortex-a55", 64, 100, False), ("cortex-a55", 100, 64, False),
                                       ("cortex-a53", 256, 256, False), ("rv64gcv", 256, 256, False),
                                       ("cortex-m4", 256, 256, False)]:
        t = isa.get_target(target_name)
        for bits in (8, 4):
            g, _ = fc_case(rng, k, n, bits)
            arrays = {}
            stmt, _ = lower_node(g, g.nodes[0], "x", "y", lambda key, a, c: arrays.update({key: a}) or key,
                                 t.kernel_family, t.extensions)
            # int8 weights: the per-channel kernel on the blocked layout (ig_fc_s8_blocked), int4 the grouped one
            stem = ("ig_fc_s8_blocked" if bits == 8 else "ig_fc_grouped_s8w4") if grouped else \
                "ig_fc_s8" + ("w4" if bits == 4 else "")
            assert stmt.startswith(stem + "("), (target_name, k, n, stmt)
            if grouped and bits == 8:  # 2^(a row's left shift) per row (none: 0), the shifts left are right shifts
                left = np.maximum(g.constants["s"].astype(np.int64), 0)
                lsc = [a for key, a in arrays.items() if key.endswith(".unit_scale.neon.blocked.w8")]
                if left.any():
                    assert np.array_equal(lsc[0][:n].astype(np.int64) & 0xFFFFFFFF, (1 << left) & 0xFFFFFFFF)
                else:
                    assert not lsc and stmt.split(", ")[3] == "0", stmt


# per-channel int8 layers on dot-product NEON: ig_fc_s8_blocked (the grouped kernels' blocked layout, the bias as
# the sums' start, two chunks per loop step): an odd and an even number of 32-column chunks, one chunk, a partial
# last block, every output type, int16 / int32 outputs without a zero point, with and without a clamp, layers with
# and without left shifts
PC_SHAPES = [(32, 32), (64, 64), (96, 260), (160, 256), (576, 64), (256, 288)]


def test_per_channel_blocked_kernel_bit_exact(tmp_path):
    from codegen.kernel_cases import lower_node
    t = isa.get_target("cortex-a55")
    rng = np.random.default_rng(31)
    cases = []
    for k, n in PC_SHAPES:
        cases += [fc_wide_case(rng, k, n, 8, out) for out in ("int8", "int16", "int32", "int16", "int32", "int16",
                                                             "int32")]
        for g, _ in cases[-4:-2]:  # y_zp 0 (int16 / int32 outputs skip it), a random clamp
            g.nodes[0].attrs["y_zero_point"] = 0
        for g, _ in cases[-2:]:  # y_zp 0 and the whole output type: no clamp
            info = np.iinfo(np.dtype(g.tensors[g.outputs[0]].dtype))
            g.nodes[0].attrs.update(y_zero_point=0, act_min=int(info.min), act_max=int(info.max))
    for i, (g, _) in enumerate(cases):
        s = g.constants[g.nodes[0].inputs[-1]]
        if i % 2:  # no left shift: no factors (lsc 0)
            s[:] = np.minimum(s, 0)
        else:  # every layer shifts some row left
            s[0] = max(int(s[0]), 3)
        arrays = {}
        stmt, _ = lower_node(g, g.nodes[0], "x", "y", lambda key, a, c: arrays.update({key: a}) or key,
                             t.kernel_family, t.extensions)
        assert stmt.startswith("ig_fc_s8_blocked") and (stmt.split(", ")[3] == "0") == bool(i % 2), stmt
    kc, elf, _ = build_graph_cases(cases, t, tmp_path)
    run = run_cases(kc, elf, t)
    bad = [cases[i][0].name for i, out in enumerate(run.outputs) if out != graph_expected_bytes(*cases[i])]
    assert not bad, bad


def test_wide_cases_spread_over_the_output_range():
    """The wide cases are not degenerate: most outputs take distinct values, few sit at the clamp."""
    from quant import reference
    distinct = []
    for g, inputs in _wide_cases(0):
        y = reference.run(g, inputs)["y"].reshape(-1)
        if y.size >= 5:
            distinct.append(len(np.unique(y)) / y.size)
    assert np.mean(distinct) > 0.5


def unpack_int4_pairs(packed: np.ndarray, n: int) -> np.ndarray:
    """The inverse of codegen/packing.py pack_int4_pairs."""
    b = packed.astype(np.int16)
    out = np.empty((2 * packed.shape[0], packed.shape[1]), np.int8)
    out[0::2], out[1::2] = b >> 4, (b & 15) - 8
    return out[:n]


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
    # the NEON grouped kernels' row layout stays row-major (the per-channel one: tests/codegen/test_fc_row_streams.py)
    zeros = np.zeros(6, np.int32)
    assert np.array_equal(pack_fc_grouped(w, np.ones((6, 2), np.int32), 3, 8, "neon", zeros, zeros, zeros).weights,
                          w.reshape(-1))


def test_folded_bias_wraps_like_the_reference_accumulator():
    w = np.full((1, 4), 127, np.int8)
    b = np.array([2**31 - 1], np.int32)
    assert fold_bias(b, w, -128)[0] == np.int32(((2**31 - 1 + 128 * 508 + 2**31) % 2**32) - 2**31)


# int16 input, int8 per-channel weights (the a16down step's down projections), K up to the 1,536 of SmolLM2's down
# projection: ig_fc_s16 (each weight read once) where the family has it and on the portable family, else two int8
# products on the family's int8 kernel (codegen/op_calls.py _fc_s16_split)
S16_SHAPES = [(1, 1), (3, 5), (17, 9), (33, 3), (64, 13), (100, 9), (129, 6), (160, 33), (96, 64), (1536, 19)]


def _int16_edge_rows(rng, k: int) -> list[np.ndarray]:
    """x at the ends of int16 (-32768, 32767), around the split's carry (x >= 32640: high byte 127 or 128) and
    the low byte's ends (-129, -128, 127, 128, 255, 256), every value in one row."""
    edges = np.array([-32768, -32767, -32640, -32641, -256, -129, -128, -1, 0, 1, 127, 128, 255, 256, 32639, 32640,
                      32641, 32766, 32767])
    return [np.full((1, k), -32768), np.full((1, k), 32767), rng.choice(edges, (1, k)),
            rng.integers(32640, 32768, (1, k))]


@pytest.mark.parametrize("family", sorted(SIMD_FAMILIES) + ["mve", "scalar"])
def test_int16_input_fc_bit_exact_on_every_family(family, tmp_path):
    """mve (no ig_fc_s16: its VMLADAVA.S16 does half the MACs of the int8 one) runs the split."""
    from codegen.op_calls import fc_s16_reads_weights_once
    target_name = {"mve": "cortex-m55", "scalar": "rv32imc"}.get(family) or SIMD_FAMILIES[family][0]
    target = isa.get_target(target_name)
    rng = np.random.default_rng({"armdsp": 21, "neon": 22, "neon-v8.0": 23, "rvv": 24, "scalar": 25, "mve": 26}[family])
    cases = [fc_wide_case(rng, k, n, 8, out, x_dtype="int16") for out in ("int8", "int16", "int32")
             for k, n in S16_SHAPES]
    for k, n in ((1536, 40), (37, 33), (8, 3)):
        g, _ = fc_wide_case(rng, k, n, 8, "int32", x_dtype="int16")
        cases += [(g, {"x": x.astype(np.int16)}) for x in _int16_edge_rows(rng, k)]
    kc, elf, _ = build_graph_cases(cases, target, tmp_path)
    fam = target.kernel_family
    assert fc_s16_reads_weights_once(fam) == (family != "mve")
    if fc_s16_reads_weights_once(fam):
        assert all(stem == f"{fam}/ig_fc_s16" for stem in kc.kernel_stems), kc.kernel_stems
    else:
        assert all(f"{fam}/ig_fc_" in stem and "scalar/ig_fc_s16_split" in stem for stem in kc.kernel_stems), \
            kc.kernel_stems
    for vlen in (128, 256, 512) if family == "rvv" else (None,):
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [cases[i][0].name for i, out in enumerate(run.outputs) if out != graph_expected_bytes(*cases[i])]
        assert not bad, f"{family} vlen={vlen}: {len(bad)} of {len(cases)} differ: {bad}"


def test_int16_input_split_refuses_a_k_too_long_for_its_identity_requantization():
    """The split's int8 products pass through the int8 kernels' requantization as an identity, exact below 2^30:
    128 * 127 * K must stay below it. Validation allows a longer K only with mostly zero weights; codegen names it."""
    from codegen.errors import CodegenError
    from codegen.op_calls import OpEnv, emit_node
    from quant.ir import Graph, Node, TensorInfo
    k = 70000
    w = np.zeros((1, k), np.int8)
    w[0, 0] = 1
    consts = {"w": w, "b": np.zeros(1, np.int32), "gs": np.ones((1, 1), np.int32),
              "m": np.array([1 << 30], np.int32), "s": np.array([0], np.int32)}
    g = Graph("long", ["x"], ["y"], {"x": TensorInfo("x", (1, k), "int16", 1.0, 0),
                                     "y": TensorInfo("y", (1, 1), "int8", 1.0, 0)}, consts,
              [Node("fully_connected_wide", "fc", ["x", "w", "b", "gs", "m", "s"], ["y"],
                    {"x_zero_point": 0, "y_zero_point": 0, "act_min": -128, "act_max": 127, "group_size": k,
                     "weight_bits": 8})])
    env = OpEnv(buf=lambda t, r: t, const=lambda key, arr, ct: key, family="mve")  # a family that splits
    with pytest.raises(CodegenError, match="node fc: K=70000 is too long for the int16 input split"):
        emit_node(g, g.nodes[0], env)
