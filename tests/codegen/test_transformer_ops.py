"""Every integer op's kernels give exactly the reference interpreter's bytes on every kernel family and target:
seeded random small graphs of every integer op of the op table (benchmarks/op_cases.py: hand-written generators,
else cases drawn from the op's declaration; every input / output width, shapes that are not multiples of a vector
length, K = 1, odd head and group counts, random quantization parameters, some saturating) batched into one program
per target and run under the emulators (RVV at VLEN 128, 256 and 512; NEON with and without dotprod)."""
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
    return kc


def test_every_integer_op_of_the_table_has_cases():
    from quant.optable import OPTABLE
    assert set(OP_NAMES) == {n for n, o in OPTABLE.items() if not o.is_float}


@pytest.mark.parametrize("target_name,seed", [("cortex-m4", 1), ("rv32imc", 2), ("cortex-a55", 3), ("rv64gc", 4)])
def test_transformer_ops_bit_exact(target_name, seed, tmp_path):
    _check(_cases(seed), isa.get_target(target_name), tmp_path)


def _a55_without_dotprod():
    """cortex-a55's lowering and kernels compiled for ARMv8.0 NEON (-mcpu=cortex-a53): the target copy declares no
    dotprod, as the compiler sees none, so codegen picks no SDOT-only entry point (the fused int4 asym / dynamic
    kernels exist only with SDOT) and the kernels' ARMv8.0 branches run."""
    t = isa.get_target("cortex-a55")
    return dataclasses.replace(t, extensions=tuple(e for e in t.extensions if e != "dotprod"))


def test_transformer_ops_bit_exact_neon_without_dotprod(tmp_path):
    _check(_cases(5), _a55_without_dotprod(), tmp_path, extra_cflags=("-mcpu=cortex-a53",))


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


# ---------------------------------------------------------------- paths the random cases can miss
# Each SIMD / 32-bit path of the kernels (runtime_c/kernels/*/ig_<op>.c) is chosen once per call from the value
# ranges and quantization parameters; these cases reach each one: lengths around vector multiples, t = 1 and s = 1,
# causal rows with one valid element, rows past the softmax's e buffer, int8 probabilities, every rescale mode
# (shift >= 33, <= 32, huge multipliers), int32 outputs that saturate with a zero point, head_dim tails.
from benchmarks.op_cases import _fully_connected_asym, _fully_connected_dynamic, _graph, _values  # noqa: E402
from quant.ir import Node, TensorInfo  # noqa: E402

FAMILY_FUNCTIONS = {
    "armdsp": {"ig_softmax": ["ig_softmax_s16_s16", "ig_softmax_s16_s8", "ig_softmax_s8_s16", "ig_softmax_s8_s8"],
               "ig_matmul_qk": ["ig_matmul_qk_s8_s8", "ig_matmul_qk_s8_s16", "ig_matmul_qk_s8_s32"],
               "ig_matmul_pv": ["ig_matmul_pv_s16_s8", "ig_matmul_pv_s16_s16", "ig_matmul_pv_s8_s8",
                                "ig_matmul_pv_s8_s16"],
               "ig_silu": ["ig_silu_s16_s16", "ig_silu_s8_s8"], "ig_gelu": ["ig_gelu_s16_s8", "ig_gelu_s16_s16"],
               "ig_rope": ["ig_rope_s8_s8", "ig_rope_s8_s16", "ig_rope_s8_s32"]},
}
_SIMD = {"ig_add": ["ig_add_s16_s16_s16", "ig_add_s32_s32_s32", "ig_add_s16_s32_s32", "ig_add_s32_s32_s16",
                    "ig_add_s16_s8_s16"],
         "ig_mul": ["ig_mul_s16_s16_s8", "ig_mul_s8_s8_s8"],
         "ig_silu": ["ig_silu_s16_s16", "ig_silu_s8_s8"], "ig_gelu": ["ig_gelu_s16_s8", "ig_gelu_s16_s16"],
         "ig_rmsnorm": ["ig_rmsnorm_s16_s8", "ig_rmsnorm_s32_s8", "ig_rmsnorm_s8_s16"],
         "ig_layernorm": ["ig_layernorm_s16_s8", "ig_layernorm_s16_s16", "ig_layernorm_s8_s8"],
         "ig_rope": ["ig_rope_s8_s8", "ig_rope_s8_s16", "ig_rope_s8_s32"],
         **{k: v for k, v in FAMILY_FUNCTIONS["armdsp"].items() if k in ("ig_softmax", "ig_matmul_qk")},
         "ig_matmul_pv": FAMILY_FUNCTIONS["armdsp"]["ig_matmul_pv"] + [
             "ig_matmul_pv_s16_s32", "ig_matmul_pv_s8_s32"]}
FAMILY_FUNCTIONS["neon"] = _SIMD
FAMILY_FUNCTIONS["rvv"] = _SIMD


@pytest.mark.parametrize("family", sorted(FAMILY_FUNCTIONS))
def test_simd_family_files_are_linked_for_their_variants(family):
    """codegen links the family's own file (not the portable one) for every variant the family implements."""
    from codegen.op_calls import kernel_for
    for stem, functions in FAMILY_FUNCTIONS[family].items():
        for fn in functions:
            path = kernel_for(fn, stem, family)
            assert path.parent.name == family and path.stem == stem, f"{fn}: {path}"


def _clamp(dt, zp=0, narrow=False):
    info = np.iinfo(np.dtype(dt))
    lo, hi = (int(info.min) // 2, int(info.max) // 3) if narrow else (int(info.min), int(info.max))
    return {"y_zero_point": zp, "act_min": lo, "act_max": hi}


def _t(name, shape, dt, zp=0, scale=1.0):
    return TensorInfo(name, shape, dt, scale, zp)


def _softmax_graph(rng, xdt, ydt, h, t, s, causal, m, sh, spread=None):
    x = _values(rng, xdt, (h, t, s), spread)
    node = Node("softmax", "softmax", ["x"], ["p"], {"in_multiplier": m, "in_shift": sh, "causal": causal})
    pinfo = _t("p", (h, t, s), ydt, *((0, 2.0 ** -15) if ydt == "int16" else (-128, 2.0 ** -8)))
    g = _graph(f"edge_softmax_{xdt}_{ydt}_t{t}_s{s}_m{m}_sh{sh}", {"x": ((h, t, s), xdt)}, [node], {"p": pinfo}, {}, "p")
    return g, {"x": x}


def _softmax_probe(xdt, ydt, m, sh, t=96):
    """rows [0, -d] with d over the input range: each row's second probability follows e(d) closely, so an error of
    one in an exponent shows in the output"""
    lim = 127 if xdt == "int8" else 32767
    d = np.linspace(0, lim, t).astype(np.int64)
    x = np.stack([np.zeros(t, np.int64), -d], axis=1).reshape(1, t, 2).astype(np.dtype(xdt))
    node = Node("softmax", "softmax", ["x"], ["p"], {"in_multiplier": m, "in_shift": sh, "causal": False})
    pinfo = _t("p", (1, t, 2), ydt, *((0, 2.0 ** -15) if ydt == "int16" else (-128, 2.0 ** -8)))
    g = _graph(f"edge_softmax_probe_{xdt}_{ydt}_m{m}_sh{sh}", {"x": ((1, t, 2), xdt)}, [node], {"p": pinfo}, {}, "p")
    return g, {"x": x}


def _norm_small_rows(op, xdt, eps):
    """every row of three small values: roots of 1..10, where the division's rounding ties occur"""
    vals = np.arange(-3, 4)
    x = np.array(np.meshgrid(vals, vals, vals)).reshape(3, -1).T.astype(np.dtype(xdt))
    rows = x.shape[0]
    consts = {"gamma": np.array([1 << 14, -(1 << 13) - 7, 12345], np.int32)}
    attrs = {"x_zero_point": 0, "eps": eps, "shift": 22, **_clamp("int16", 1)}
    ins = ["x", "gamma"]
    if op == "layernorm":
        consts["beta"] = np.array([3, -70000, 1 << 20], np.int32)
        ins.append("beta")
    else:
        attrs["pre_shift"] = 0
    g = _graph(f"edge_{op}_small_rows_{xdt}_eps{eps}", {"x": ((rows, 3), xdt)}, [Node(op, op, ins, ["y"], attrs)],
               {"y": _t("y", (rows, 3), "int16", 1)}, consts, "y")
    return g, {"x": x}


def _pv_graph(rng, h, kvh, hd, t, s, xdt, pdt, ydt, causal, m=1 << 30, sh=-9, vzp=-3):
    x = _values(rng, xdt, (h, t, s), 40)
    v = _values(rng, "int8", (s, kvh * hd))
    sm = Node("softmax", "softmax", ["x"], ["p"], {"in_multiplier": 1 << 29, "in_shift": 24, "causal": causal})
    pzp, psc = (0, 2.0 ** -15) if pdt == "int16" else (-128, 2.0 ** -8)
    attrs = {"heads": h, "kv_heads": kvh, "head_dim": hd, "p_zero_point": pzp, "v_zero_point": vzp,
             "multiplier": m, "shift": sh, **_clamp(ydt, 5)}
    pv = Node("matmul_pv", "pv", ["p", "v"], ["y"], attrs)
    g = _graph(f"edge_pv_h{h}_kv{kvh}_d{hd}_t{t}_s{s}_{pdt}_{ydt}", {"x": ((h, t, s), xdt), "v": ((s, kvh * hd), "int8")},
               [sm, pv], {"p": _t("p", (h, t, s), pdt, pzp, psc), "y": _t("y", (t, h * hd), ydt, 5)}, {}, "y")
    return g, {"x": x, "v": v}


def _qk_graph(rng, h, kvh, hd, t, s, zq, zk, m, sh, ydt):
    q = _values(rng, "int8", (t, h * hd))
    k = _values(rng, "int8", (s, kvh * hd))
    attrs = {"heads": h, "kv_heads": kvh, "head_dim": hd, "q_zero_point": zq, "k_zero_point": zk,
             "multiplier": m, "shift": sh, **_clamp(ydt, -3)}
    g = _graph(f"edge_qk_h{h}_kv{kvh}_d{hd}_t{t}_s{s}_zq{zq}_sh{sh}_{ydt}",
               {"q": ((t, h * hd), "int8"), "k": ((s, kvh * hd), "int8")},
               [Node("matmul_qk", "qk", ["q", "k"], ["y"], attrs)], {"y": _t("y", (h, t, s), ydt, -3)}, {}, "y")
    return g, {"q": q, "k": k}


def _binary_graph(rng, op, adt, bdt, ydt, n, attrs):
    a, b = _values(rng, adt, (2, n)), _values(rng, bdt, (2, n))
    g = _graph(f"edge_{op}_{adt}_{bdt}_{ydt}_{n}_{attrs.get('shift')}", {"a": ((2, n), adt), "b": ((2, n), bdt)},
               [Node(op, op, ["a", "b"], ["y"], attrs)], {"y": _t("y", (2, n), ydt, attrs["y_zero_point"])}, {}, "y")
    return g, {"a": a, "b": b}


def _act_graph(rng, op, xdt, ydt, n, mi, si, mo, so, yzp=0, xzp=3, narrow=False):
    x = _values(rng, xdt, (2, n))
    attrs = {"x_zero_point": xzp, "in_multiplier": mi, "in_shift": si, "out_multiplier": mo, "out_shift": so,
             **_clamp(ydt, yzp, narrow)}
    g = _graph(f"edge_{op}_{xdt}_{ydt}_{n}_{si}_{so}", {"x": ((2, n), xdt)}, [Node(op, op, ["x"], ["y"], attrs)],
               {"y": _t("y", (2, n), ydt, yzp)}, {}, "y")
    return g, {"x": x}


def _norm_graph(rng, op, xdt, ydt, c, zp, shift, eps=1000, pre=0, gmag=None, spread=None):
    x = _values(rng, xdt, (2, c), spread)
    if spread is not None and xdt != "int32":  # no extremes: a sum of squares that stays inside int64
        x = np.clip(x, -spread, spread).astype(x.dtype)
    gmag = gmag or 2 ** max(0, shift - 14)
    consts = {"gamma": rng.integers(-gmag, gmag + 1, c).astype(np.int32)}
    attrs = {"x_zero_point": zp, "eps": eps, "shift": shift, **_clamp(ydt, 2)}
    ins = ["x", "gamma"]
    if op == "layernorm":
        consts["beta"] = rng.integers(-(1 << 20), 1 << 20, c).astype(np.int32)
        ins.append("beta")
    else:
        attrs["pre_shift"] = pre
    g = _graph(f"edge_{op}_{xdt}_{ydt}_c{c}_zp{zp}_sh{shift}_pre{pre}_eps{eps}", {"x": ((2, c), xdt)},
               [Node(op, op, ins, ["y"], attrs)], {"y": _t("y", (2, c), ydt, 2)}, consts, "y")
    return g, {"x": x}


def _rope_graph(rng, heads, hd, t, m, sh, ydt):
    p = 12
    ang = np.arange(p)[:, None] * (10000.0 ** (-np.arange(hd // 2) / (hd // 2)))[None, :]
    cos, sin = (np.round(f(ang) * 2 ** 14).astype(np.int16) for f in (np.cos, np.sin))
    attrs = {"heads": heads, "head_dim": hd, "x_zero_point": -7, "multiplier": m, "shift": sh, **_clamp(ydt, 4)}
    g = _graph(f"edge_rope_h{heads}_d{hd}_sh{sh}_{ydt}", {"x": ((t, heads * hd), "int8"), "positions": ((t,), "int32")},
               [Node("rope", "rope", ["x", "positions", "cos", "sin"], ["y"], attrs)],
               {"y": _t("y", (t, heads * hd), ydt, 4)}, {"cos": cos, "sin": sin}, "y")
    return g, {"x": _values(rng, "int8", (t, heads * hd)), "positions": rng.integers(0, p, t).astype(np.int32)}


def _emb_graph(rng, dt, c):
    table = _values(rng, dt, (9, c))
    g = _graph(f"edge_emb_{dt}_{c}", {"ids": ((3,), "int32")}, [Node("embedding", "emb", ["ids", "table"], ["y"], {})],
               {"y": _t("y", (3, c), dt)}, {"table": table}, "y")
    return g, {"ids": np.array([8, 0, 3], np.int32)}


def edge_cases(seed: int = 0):
    rng = np.random.default_rng(seed)
    cases = []
    # softmax: lengths around vector multiples, t = 1 (decode), s = 1, one valid element (t = s causal row 0),
    # rows past the e buffer (256), every exponent plan: HR (in_shift <= 31) with and without the t clamp, FLOOR
    # (in_shift >= 33), a huge multiplier (clamped distance), a zero multiplier, a row whose sum is exactly 2^20
    for s in (1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65):
        cases.append(_softmax_graph(rng, "int16", "int16", 1, 1, s, True, 600000000, 24))
    cases.append(_softmax_graph(rng, "int16", "int8", 2, 5, 5, True, 600000000, 26))
    cases.append(_softmax_graph(rng, "int8", "int16", 1, 2, 300, False, 700000000, 20))
    cases.append(_softmax_graph(rng, "int16", "int16", 1, 2, 300, True, 700000000, 30, spread=3000))
    for m, sh in ((1 << 30, 31), ((1 << 31) - 1, 40), ((1 << 31) - 1, 62), ((1 << 31) - 1, 0), (0, 5),
                  (1 << 29, 10), (123456789, 32)):
        cases.append(_softmax_graph(rng, "int16", "int16", 1, 3, 19, False, m, sh))
        cases.append(_softmax_graph(rng, "int8", "int8", 1, 3, 21, True, m, sh))
    for m, sh in ((1 << 30, 34), ((1 << 31) - 1, 33), (900000000, 20), (1 << 30, 31), (700000000, 12),
                  ((1 << 31) - 1, 8), (1 << 29, 32)):
        cases.append(_softmax_probe("int16", "int16", m, sh))
        cases.append(_softmax_probe("int8", "int16", m, sh - 8 if sh > 8 else sh))
    # matmul_pv: int8 probabilities, odd head_dim and s, s past the chunk of 256, t = 1, odd row counts
    for h, kvh, hd, t, s, pdt in ((3, 1, 7, 1, 9, "int8"), (2, 2, 33, 2, 17, "int16"), (3, 3, 8, 1, 1, "int16"),
                                  (1, 1, 40, 1, 300, "int8"), (1, 1, 64, 3, 260, "int16"), (4, 2, 5, 3, 6, "int8")):
        cases.append(_pv_graph(rng, h, kvh, hd, t, s, "int16", pdt, "int8", True))
    cases.append(_pv_graph(rng, 2, 1, 16, 2, 12, "int8", "int16", "int16", False, m=(1 << 31) - 1, sh=20))
    # matmul_qk: 1..5 query vectors per KV head, head_dim tails (% 4, % 16), head_dim above the portable buffer,
    # s = 1 and s % 4, zero points 0, a left shift too large for the 32-bit requantization
    for h, kvh, hd, t, s, zq in ((3, 1, 64, 1, 9, -10), (5, 1, 16, 1, 4, 0), (2, 2, 19, 3, 1, 7), (1, 1, 300, 2, 5, 3),
                                 (4, 1, 33, 1, 6, -128), (6, 3, 4, 2, 7, 127)):
        cases.append(_qk_graph(rng, h, kvh, hd, t, s, zq, -1, 1 << 30, -8, "int16"))
    cases.append(_qk_graph(rng, 2, 1, 32, 2, 5, -3, 2, (1 << 30) + 5, 12, "int16"))
    cases.append(_qk_graph(rng, 1, 1, 8, 1, 3, 0, 0, 1 << 30, 3, "int8"))
    # add: shift >= 32, 0 < shift < 32 (fits / may not fit int32), shift 0, y_zp that cannot join the constant,
    # narrow clamps, int32 outputs that saturate
    for adt, bdt, ydt, attrs in (
            ("int16", "int16", "int16", {"a_multiplier": 1 << 29, "b_multiplier": 3 << 27, "shift": 30}),
            ("int32", "int32", "int32", {"a_multiplier": 1 << 27, "b_multiplier": 1 << 26, "shift": 26}),
            ("int16", "int32", "int32", {"a_multiplier": 1 << 27, "b_multiplier": 1 << 20, "shift": 36}),
            ("int32", "int32", "int16", {"a_multiplier": 1 << 27, "b_multiplier": 1 << 25, "shift": 44}),
            ("int16", "int8", "int16", {"a_multiplier": 3, "b_multiplier": 200, "shift": 0}),
            ("int8", "int8", "int32", {"a_multiplier": (1 << 31) - 1, "b_multiplier": (1 << 31) - 1, "shift": 31}),
            ("int32", "int16", "int32", {"a_multiplier": 1 << 27, "b_multiplier": 1 << 27, "shift": 1})):
        for n, zps in ((33, (0, 0, 0)), (8, (5, -7, 99)), (17, (0, 0, -1000000))):
            zps = zps if ydt == "int32" or abs(zps[2]) < 100 else (zps[0], zps[1], 7)
            a = dict(attrs, a_zero_point=zps[0], b_zero_point=zps[1], **_clamp(ydt, zps[2], narrow=n == 8))
            cases.append(_binary_graph(rng, "add", adt, bdt, ydt, n, a))
    # mul: shift >= 33 and <= 32, zero points, int32 output saturating with a zero point
    for adt, bdt, ydt, m, sh, zps in (("int16", "int16", "int8", 150000000, 49, (0, 0, -6)),
                                      ("int16", "int16", "int16", 1 << 25, 40, (3, -2, 0)),
                                      ("int8", "int8", "int8", 1 << 20, 17, (5, 1, 3)),
                                      ("int8", "int16", "int32", (1 << 29) - 1, 2, (-4, 0, -100000)),
                                      ("int16", "int8", "int32", 1 << 20, 0, (0, 0, 2000000000))):
        for n in (9, 16, 31):
            a = {"a_zero_point": zps[0], "b_zero_point": zps[1], "multiplier": m, "shift": sh, **_clamp(ydt, zps[2])}
            cases.append(_binary_graph(rng, "mul", adt, bdt, ydt, n, a))
    # silu / gelu: every rescale plan in and out, |x12| >= 2^16, int32 outputs saturating with a zero point
    for op in ("silu", "gelu"):
        for xdt, ydt, mi, si, mo, so, yzp in (("int16", "int16", 11694983, 27, 9013773, 19, 0),
                                              ("int16", "int8", 10040216, 40, 13972021, 37, -58),
                                              ("int8", "int16", (1 << 30) - 1, 10, 1 << 20, 12, 3),
                                              ("int16", "int32", (1 << 29) + 7, 14, (1 << 29) - 1, 3, -100000),
                                              ("int8", "int32", 1 << 28, 0, (1 << 29) - 1, 0, 2000000000)):
            for n in (7, 16, 33):
                cases.append(_act_graph(rng, op, xdt, ydt, n, mi, si, mo, so, yzp, narrow=n == 7))
    # rmsnorm: int32 inputs with zero point 0 (shift and clamp paths), pre_shift, shift >= 33 / 22..32 / < 22, a
    # root >= 2^30 (huge eps)
    for xdt, zp, pre, shift, eps in (("int32", 0, 2, 34, 20000000000), ("int32", 0, 0, 34, 1000), ("int32", 9, 3, 30, 5),
                                     ("int16", 0, 0, 25, 4000000), ("int16", -3, 1, 12, 0), ("int8", 5, 0, 40, 7),
                                     ("int16", 0, 0, 34, 1 << 60)):
        for c in (7, 64, 65):
            spread = float(2 ** 29) if xdt == "int32" and zp == 0 else None
            cases.append(_norm_graph(rng, "rmsnorm", xdt, "int8", c, zp, shift, eps, pre, spread=spread))
    for eps in (0, 1, 5):
        cases.append(_norm_small_rows("rmsnorm", "int16", eps))
        cases.append(_norm_small_rows("layernorm", "int8", eps))
    # layernorm: shift >= 32 / 21..31 / < 21, a root >= 2^30, rows whose sum of squares could wrap (the portable
    # int64 form)
    for xdt, zp, shift, eps, c in (("int16", 0, 34, 20731, 33), ("int16", 4, 24, 100, 17), ("int8", -9, 16, 0, 8),
                                   ("int16", 0, 34, 1 << 60, 12), ("int16", 1, 30, 5, 8192)):
        cases.append(_norm_graph(rng, "layernorm", xdt, "int8" if c != 8192 else "int16", c, zp, shift, eps,
                                 spread=300.0 if c == 8192 else None))
    # rope: half % 8 tails, a requantization with a left shift (not the 32-bit form)
    for heads, hd, sh, ydt in ((3, 64, -13, "int8"), (2, 18, -13, "int16"), (1, 6, 7, "int32"), (2, 34, -2, "int8")):
        cases.append(_rope_graph(rng, heads, hd, 3, 1 << 30, sh, ydt))
    # embedding: rows not word-aligned
    for dt, c in (("int8", 5), ("int16", 3), ("int16", 8), ("int32", 3), ("int8", 16)):
        cases.append(_emb_graph(rng, dt, c))
    # fully_connected_asym with int8 input on the grouped kernels (codegen/op_calls_quant.py): two chunks of rows
    # with a partial last one, two rows of x, every output type, the NEON blocked and row layouts, one group
    for k, n, bits, gs, ydt, rows in ((64, 300, 4, 32, "int8", 1), (96, 300, 8, 32, "int16", 2),
                                      (48, 33, 4, 16, "int32", 1), (64, 40, 8, 64, "int8", 1),
                                      (32, 257, 8, 32, "int32", 1), (128, 45, 4, 64, "int16", 1),
                                      (64, 300, 4, 32, "int32", 1)):
        cases.append(_fully_connected_asym(rng, k, n, "int8", ydt, bits, gs, rows))
    # fully_connected_dynamic on the grouped kernels (accumulator below 2^30): two chunks of rows with a partial
    # last one, several rows of x (row exponents below and above 0), every input and output type, K tails, one
    # group, symmetric weights (no offset term)
    for k, n, xdt, bits, gs, ydt, rows, sym in ((64, 300, "int16", 4, 32, "int8", 3, False),
                                                (96, 40, "int32", 8, 32, "int16", 2, False),
                                                (48, 33, "int16", 4, 16, "int32", 4, True),
                                                (100, 13, "int32", 8, 100, "int8", 2, False),
                                                (34, 257, "int16", 8, 17, "int32", 1, True),
                                                (64, 45, "int32", 4, 32, "int16", 2, True),
                                                (128, 70, "int16", 4, 64, "int16", 2, False),
                                                (64, 300, "int16", 4, 32, "int32", 1, False)):
        cases.append(_fully_connected_dynamic(rng, k, n, xdt, ydt, bits, gs, rows, 1 << 30, sym))
    return cases


def _assert_family_linked(kc, family):
    """the cases really ran the family's files (not only the portable ones)"""
    linked = {part for stems in kc.kernel_stems for part in stems.split("+")}
    for stem in FAMILY_FUNCTIONS.get(family, {}):
        assert f"{family}/{stem}" in linked, f"no case linked {family}/{stem}: {sorted(linked)}"


@pytest.mark.parametrize("target_name", ["cortex-m4", "rv32imc", "cortex-a55", "rv64gc"])
def test_transformer_op_paths_bit_exact(target_name, tmp_path):
    t = isa.get_target(target_name)
    kc = _check(edge_cases(11), t, tmp_path)
    _assert_family_linked(kc, t.kernel_family)
    grouped = "scalar" if t.kernel_family == "scalar" else t.kernel_family
    assert any(f"{grouped}/ig_fc_grouped_s8w4" in s and "/ig_fc_asym_offsets" in s for s in kc.kernel_stems)
    assert any(f"{grouped}/ig_fc_grouped_s8" in s and "/ig_fc_dynamic_parts" in s for s in kc.kernel_stems)


def test_asym_layers_with_int8_input_run_on_the_grouped_kernels():
    """fully_connected_asym: int8 input -> the family's grouped kernel plus the per-call offset bias, in chunks of
    256 rows (NEON with SDOT, int4: the kernel that takes the offsets in its scales, no per-call term); int16 input
    -> the portable asymmetric kernel."""
    from codegen.op_calls import OpEnv, emit_node_calls
    rng = np.random.default_rng(2)
    for xdt, ext, bits, want in (("int8", ("neon", "dotprod"), 4, {"ig_fc_grouped_asym_s8w4"}),
                                 ("int8", ("neon",), 4, {"ig_fc_grouped_s8w4", "ig_group_sums_s8", "ig_offset_bias"}),
                                 ("int8", ("neon", "dotprod"), 8,
                                  {"ig_fc_grouped_s8", "ig_group_sums_s8", "ig_offset_bias"}),
                                 ("int16", ("neon", "dotprod"), 4, {"ig_fc_asym_s16_s8"})):
        g, _ = _fully_connected_asym(rng, 64, 300, xdt, "int8", bits, 32, 2)
        env = OpEnv(buf=lambda t, r: t, const=lambda key, a, c: key.replace(".", "_"), rows="2", family="neon",
                    extensions=ext)
        stmt, calls = emit_node_calls(g, g.nodes[0], env)
        assert {fn for fn, _ in calls} == want
        if xdt == "int8":
            assert "c_ < 2;" in stmt and "r_ < 2;" in stmt  # two chunks of rows, two rows of x


def test_dynamic_layers_run_on_the_grouped_kernels_where_the_accumulator_allows():
    """fully_connected_dynamic: the row's int8 quantization, the family's grouped kernel (offset term only where
    some group offset is not 0) and the per-token requantization, in chunks of 256 rows, where 127 times the
    layer's weight mass stays below 2^30; else the portable dynamic kernel."""
    from codegen.op_calls import OpEnv, emit_node_calls
    rng = np.random.default_rng(3)
    env = OpEnv(buf=lambda t, r: t, const=lambda key, a, c: key.replace(".", "_"), rows="2", family="neon",
                extensions=("neon", "dotprod"))
    plain = OpEnv(buf=env.buf, const=env.const, rows="2", family="neon", extensions=("neon",))  # ARMv8.0
    for e, sym, ydt, want in (
            (plain, False, "int8", {"ig_fc_grouped_s8w4_to_s32", "ig_group_sums_s8", "ig_offset_bias",
                                    "ig_dyn_quantize_s16", "ig_dyn_requant_s8"}),
            (plain, True, "int8", {"ig_fc_grouped_s8w4_to_s32", "ig_dyn_quantize_s16", "ig_dyn_requant_s8"}),
            # SDOT: the offsets in the kernel's scales and the per-token requantization in its registers
            (env, False, "int8", {"ig_fc_grouped_dyn_asym_s8w4", "ig_dyn_quantize_s16"}),
            (env, True, "int16", {"ig_fc_grouped_dyn_s8w4_to_s16", "ig_dyn_quantize_s16"}),
            (env, False, "int32", {"ig_fc_grouped_dyn_asym_s8w4_to_s32", "ig_dyn_quantize_s16"})):
        g, _ = _fully_connected_dynamic(rng, 64, 300, "int16", ydt, 4, 32, 2, 1 << 30, sym)
        stmt, calls = emit_node_calls(g, g.nodes[0], e)
        assert {fn for fn, _ in calls} == want
        assert "c_ < 2;" in stmt and "r_ < 2;" in stmt  # two chunks of rows, two rows of x
    from codegen.op_calls import kernel_for
    for fn in ("ig_dyn_quantize_s16", "ig_dyn_requant_s8", "ig_dyn_requant_s16", "ig_dyn_requant_s32"):
        assert kernel_for(fn, "ig_fc_dynamic_parts", "neon").parent.name == "neon", fn  # NEON's own steps
    g, _ = _fully_connected_dynamic(rng, 64, 8, "int16", "int8", 8, 64, 1)
    g.constants["gs"][:] = (1 << 15) - 1  # 127 * mass >= 2^30
    _, calls = emit_node_calls(g, g.nodes[0], env)
    assert {fn for fn, _ in calls} == {"ig_fc_dynamic_s16_s8"}


def test_transformer_op_paths_bit_exact_neon_without_dotprod(tmp_path):
    _check(edge_cases(12), _a55_without_dotprod(), tmp_path, extra_cflags=("-mcpu=cortex-a53",))


def test_transformer_op_paths_bit_exact_rvv_every_vlen(tmp_path):
    _assert_family_linked(_check(edge_cases(13), isa.get_target("rv64gcv"), tmp_path, vlens=(128, 256, 512)), "rvv")


def test_transformer_op_paths_portable_under_clang(tmp_path):
    t = dataclasses.replace(isa.get_target("rv64gcv"), kernel_family="scalar")
    _check(edge_cases(14), t, tmp_path)


def test_edge_cases_reach_the_saturation_and_every_output_dtype():
    """The edge cases are not vacuous: some clamp, and the int32 ones saturate at the type's bounds."""
    from quant import reference
    saturated = 0
    for g, inputs in edge_cases(11):
        y = reference.run(g, inputs)[g.outputs[0]]
        if y.dtype == np.int32 and (np.any(y == np.iinfo(np.int32).max) or np.any(y == np.iinfo(np.int32).min)):
            saturated += 1
    assert saturated >= 3
