"""The Helium (mve) kernel family on cortex-m55 (QEMU mps3-an547) gives exactly the reference interpreter's bytes
on the random fully connected cases of test_kernels.py (tails of every length, K = 1, int8 / int4 weights, every
output type); the Armv8-M mainline / Armv6-M targets' families (armdsp on cortex-m33, scalar on cortex-m0plus)
likewise."""
import isa
import numpy as np
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
    """Every transformer op (benchmarks/op_cases.py) on the new targets: mve's kernels for every op (the portable
    ones for the variants mve has no entry point for); armdsp on cortex-m33, scalar on cortex-m0plus."""
    from tests.codegen.test_transformer_ops import _cases as op_cases, _check as op_check
    kc = op_check(op_cases(seed), isa.get_target(target_name), tmp_path)
    if target_name == "cortex-m55":
        linked = {part for stems in kc.kernel_stems for part in stems.split("+")}  # a graph case: its ops' files
        assert {f"mve/ig_{op}" for op in ("matmul_qk", "matmul_pv", "rope", "silu", "gelu", "add", "mul", "rmsnorm",
                                          "layernorm", "softmax", "embedding")} <= linked, sorted(linked)


def test_mve_op_paths_bit_exact(tmp_path):
    """The paths the random cases can miss (tests/codegen/test_transformer_ops.py edge_cases) on cortex-m55:
    matmul_pv's odd head_dim (tail-predicated columns), int8 probabilities (the sum-of-v pass), s past 256, odd row
    counts, saturating requantization; matmul_qk's head_dim tails; rope's every output type and requantization."""
    from tests.codegen.test_transformer_ops import _check as op_check, edge_cases
    kc = op_check(edge_cases(12), isa.get_target("cortex-m55"), tmp_path)
    linked = {part for stems in kc.kernel_stems for part in stems.split("+")}
    assert {"mve/ig_matmul_pv", "mve/ig_matmul_qk", "mve/ig_rope"} <= linked, sorted(linked)


MVE_FUNCTIONS = {
    "ig_embedding": ["ig_embedding_s8", "ig_embedding_s16", "ig_embedding_s32"],
    "ig_layernorm": [f"ig_layernorm_{x}_{y}" for x in ("s8", "s16") for y in ("s8", "s16")],
    "ig_softmax": ["ig_softmax_s16_s16", "ig_softmax_s16_s8", "ig_softmax_s8_s16", "ig_softmax_s8_s8"],
    "ig_rmsnorm": [f"ig_rmsnorm_{x}_{y}" for x in ("s8", "s16", "s32") for y in ("s8", "s16")],
    "ig_add": [f"ig_add_{a}_{b}_{y}" for a in ("s8", "s16", "s32") for b in ("s8", "s16", "s32")
               for y in ("s8", "s16", "s32")],
    "ig_mul": [f"ig_mul_{a}_{b}_{y}" for a in ("s8", "s16") for b in ("s8", "s16") for y in ("s8", "s16", "s32")],
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


def _add_mul_cases(seed):
    """add with multipliers up to 2^31 - 1 at shifts 15..62 (the split lane form's range and its edges: |H| near
    2^31, shifts past 46, zero points over the input range), shifts below 15 and int32 inputs (the int64 form); mul at every
    rescale plan. Lengths 1..40 (tails of every length)."""
    from tests.codegen.test_transformer_ops import _binary_graph, _clamp
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(48):
        adt, bdt = rng.choice(["int8", "int16"], 2) if i % 8 else rng.choice(["int8", "int16", "int32"], 2)
        ydt = str(rng.choice(["int8", "int16", "int32"]))
        shift = int(rng.integers(15, 63)) if i % 6 else int(rng.integers(0, 15))
        top = min(1 << 28 if "int32" in (adt, bdt) else 1 << 31, 1 << max(1, shift + int(rng.integers(-6, 3))))
        am, bm = (int(rng.integers(0, top)) for _ in range(2))
        zps = [int(rng.integers(np.iinfo(d).min, np.iinfo(d).max + 1)) if i % 5 == 0 else int(rng.integers(-100, 100))
               for d in (adt, bdt)]
        yzp = int(rng.integers(-100, 100))
        attrs = {"a_multiplier": am, "b_multiplier": bm, "shift": shift, "a_zero_point": zps[0],
                 "b_zero_point": zps[1], **_clamp(ydt, yzp, narrow=i % 3 == 0)}
        cases.append(_binary_graph(rng, "add", str(adt), str(bdt), ydt, int(rng.integers(1, 41)), attrs))
    for i in range(24):
        adt, bdt = (str(d) for d in rng.choice(["int8", "int16"], 2))
        ydt = str(rng.choice(["int8", "int16", "int32"]))
        attrs = {"multiplier": int(rng.integers(1, 1 << 26)), "shift": int(rng.integers(0, 63)),
                 "a_zero_point": int(rng.integers(-100, 100)), "b_zero_point": int(rng.integers(-100, 100)),
                 **_clamp(ydt, int(rng.integers(-50, 50)))}
        cases.append(_binary_graph(rng, "mul", adt, bdt, ydt, int(rng.integers(1, 41)), attrs))
    return cases


def test_mve_add_mul_bit_exact_over_their_parameters(tmp_path):
    from tests.codegen.test_transformer_ops import _check as op_check
    kc = op_check(_add_mul_cases(41), isa.get_target("cortex-m55"), tmp_path)
    assert {s for s in kc.kernel_stems} == {"mve/ig_add", "mve/ig_mul"}, set(kc.kernel_stems)


def _rms_case(rng, xdt, ydt, c, shift, pre_shift, x_zp, eps):
    import math
    from benchmarks.op_cases import _graph, _values
    from quant.ir import Node, TensorInfo
    rows = int(rng.integers(1, 4))
    spread = None if xdt != "int32" else float(2 ** int(rng.integers(10, 30)))
    x = _values(rng, xdt, (rows, c), spread)
    ymax = int(np.iinfo(np.dtype(ydt)).max)
    g_mag = ymax / 3 * 2 ** shift * math.sqrt(c) / 2 ** 20 / (2 ** pre_shift if xdt != "int32" else 1)
    gamma = np.round(rng.uniform(-3, 3, c) * g_mag).clip(-(1 << 30), 1 << 30).astype(np.int32)
    yzp = int(rng.integers(-20, 20))
    attrs = {"x_zero_point": x_zp, "eps": eps, "shift": shift, "pre_shift": pre_shift, "y_zero_point": yzp,
             "act_min": int(np.iinfo(np.dtype(ydt)).min), "act_max": ymax}
    node = Node("rmsnorm", "rmsnorm", ["x", "gamma"], ["y"], attrs)
    g = _graph(f"rms_{xdt}_{ydt}_c{c}_sh{shift}_pre{pre_shift}_zp{x_zp}_eps{eps}", {"x": ((rows, c), xdt)}, [node],
               {"y": TensorInfo("y", (rows, c), ydt, 1.0, yzp)}, {"gamma": gamma}, "y")
    return g, {"x": x}


def test_mve_rmsnorm_paths_bit_exact(tmp_path):
    """rmsnorm's lane paths (shift >= 33 and 22..32; int8 / int16 with zero points and pre-shifts, int32 with zero
    point 0, clamped) and its int64 rows (shift < 22, int32 with a zero point, r >= 2^30 from a
    huge eps), channel counts 1..41 (every tail)."""
    from tests.codegen.test_transformer_ops import _check as op_check
    rng = np.random.default_rng(51)
    cases = []
    for i in range(36):
        xdt = ("int8", "int16", "int32")[i % 3]
        ydt = str(rng.choice(["int8", "int16"]))
        shift = int(rng.choice([int(rng.integers(22, 33)), int(rng.integers(33, 48)), int(rng.integers(12, 22))]))
        pre = int(rng.integers(0, 3)) if xdt != "int32" else int(rng.choice([0, 4, 9, 31]))
        zp = 0 if xdt == "int32" and i % 2 else int(rng.integers(-100, 100))
        eps = int(rng.choice([0, 1 << 16, 1 << 60]))
        cases.append(_rms_case(rng, xdt, ydt, int(rng.integers(1, 42)), shift, pre, zp, eps))
    kc = op_check(cases, isa.get_target("cortex-m55"), tmp_path)
    assert set(kc.kernel_stems) == {"mve/ig_rmsnorm"}, set(kc.kernel_stems)


def test_mve_layernorm_paths_bit_exact(tmp_path):
    """layernorm's lane paths (shift >= 32: the high word; 21..31: both words; beta and 2^(shift-1) carried into
    the pair) and its int64 rows (shift < 21, r >= 2^30 from a huge eps), int8 / int16, channel counts 1..41."""
    import math
    from benchmarks.op_cases import _graph, _values
    from quant.ir import Node, TensorInfo
    from tests.codegen.test_transformer_ops import _check as op_check
    rng = np.random.default_rng(52)
    cases = []
    for i in range(30):
        xdt, ydt = ("int8", "int16")[i % 2], str(rng.choice(["int8", "int16"]))
        c, rows = int(rng.integers(1, 42)), int(rng.integers(1, 4))
        shift = int(rng.choice([int(rng.integers(21, 32)), int(rng.integers(32, 46)), int(rng.integers(8, 21))]))
        ymax = int(np.iinfo(np.dtype(ydt)).max)
        g_mag = ymax / 3 * 2 ** shift * math.sqrt(c) / 2 ** 20
        gamma = np.round(rng.uniform(-3, 3, c) * g_mag).clip(-(1 << 30), 1 << 30).astype(np.int32)
        beta = np.round(rng.uniform(-0.3, 0.3, c) * ymax * 2 ** shift).clip(-(1 << 31), (1 << 31) - 1).astype(np.int32)
        yzp = int(rng.integers(-20, 20))
        attrs = {"x_zero_point": int(rng.integers(-100, 100)), "eps": int(rng.choice([0, 1 << 18, 1 << 60])),
                 "shift": shift, "y_zero_point": yzp, "act_min": int(np.iinfo(np.dtype(ydt)).min), "act_max": ymax}
        node = Node("layernorm", "layernorm", ["x", "gamma", "beta"], ["y"], attrs)
        g = _graph(f"ln_{xdt}_{ydt}_c{c}_sh{shift}_eps{attrs['eps']}", {"x": ((rows, c), xdt)}, [node],
                   {"y": TensorInfo("y", (rows, c), ydt, 1.0, yzp)}, {"gamma": gamma, "beta": beta}, "y")
        cases.append((g, {"x": _values(rng, xdt, (rows, c))}))
    kc = op_check(cases, isa.get_target("cortex-m55"), tmp_path)
    assert set(kc.kernel_stems) == {"mve/ig_layernorm"}, set(kc.kernel_stems)


def test_mve_embedding_reports_a_bad_token_id(tmp_path):
    """the mve embedding refuses an id outside its table with the portable kernel's error code"""
    from benchmarks.op_cases import random_case
    from codegen.kernel_cases import emit_graph_cases
    from toolchain import build_elf
    g, inputs = random_case("embedding", np.random.default_rng(0))
    inputs = {"ids": np.full_like(inputs["ids"], g.constants["table"].shape[0])}
    t = isa.get_target("cortex-m55")
    kc = emit_graph_cases([(g, inputs)], t, tmp_path)
    assert kc.kernel_stems == ["mve/ig_embedding"]
    build_elf(kc.sources, t, tmp_path / "c.elf")
    r = isa.run(tmp_path / "c.elf", t)
    assert r.exit_code == 3 and b"case 0 failed" in r.stdout
