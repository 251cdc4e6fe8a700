"""The edges of NEON's fused per-token requantization (ig_fc_grouped_dyn_*_s8w4, runtime_c/kernels/neon/
ig_fc_grouped_s8w4.c) and of its int16 row quantization (ig_dyn_quantize_s16's SQRDMULH loop, every exponent
from -14 to 1) against the reference interpreter on cortex-a55: row mantissas at both ends (2^14 and the
rounded-up 2^15, where the multiplier's SQRDMLAH step adds nothing), accumulators past int32 before the zero point
(int16 outputs: SQXTN, then the zero point in int32, or with y_zp 0 and the whole int16 range SQXTN twice; int8
outputs: narrowed to int16 saturating, then the zero point), layers without bias (passed as none) for every output
kind, int32 outputs with y_zp 0 and the whole range past int32 (no zero point, no clamp), and layers of whole 32-row
blocks in one call."""
import numpy as np

import isa
from benchmarks.op_cases import _fully_connected_asym, _fully_connected_dynamic
from codegen.op_calls import OpEnv, emit_node_calls
from quant.ops.linear_quant import dynamic_row_quantize
from tests.codegen.test_transformer_ops import _check


def _edge_rows(k: int) -> np.ndarray:
    """int32 rows whose largest |x| is 2^20 - 1 (mantissa rounds up to 2^15), 2^14 (mantissa 2^14) and 1"""
    rows = np.zeros((3, k), np.int64)
    rows[0, ::3], rows[0, 5] = 1000, -((1 << 20) - 1)
    rows[1, ::2], rows[1, 7] = -77, 1 << 14
    rows[2, 1] = 1
    return rows


def _int16_rows(k: int, rng) -> np.ndarray:
    """int16 rows for ig_dyn_quantize_s16's SQRDMULH loop: largest |x| 1 (e = -14, the widest pre-shift), 127
    (a shift of 1), 128 (none), -32768 and 32767"""
    rows = np.zeros((5, k), np.int64)
    for i, top in enumerate((1, 127, 128, -32768, 32767)):
        rows[i] = np.clip(rng.integers(-abs(top), abs(top) + 1, k), -32768, 32767)
        rows[i, 3 + i] = top
    return rows


def _cases():
    rng = np.random.default_rng(20)
    cases = []
    for xzp in (0, -32768, 7):  # -32768: |x - x_zp| up to 65535, the mantissa 2^15 with e = 1
        g, feeds = _fully_connected_dynamic(rng, 64, 40, "int16", "int8", 4, 32, 5, 1 << 30)
        g.nodes[0].attrs["x_zero_point"] = xzp
        feeds["x"] = _int16_rows(64, rng).astype(np.int16)
        cases.append((g, feeds))
    for ydt, sym in (("int8", False), ("int16", True), ("int32", False)):
        g, feeds = _fully_connected_dynamic(rng, 64, 70, "int32", ydt, 4, 32, 3, 1 << 30, sym)
        g.nodes[0].attrs["x_zero_point"] = 0
        feeds["x"] = _edge_rows(64).astype(np.int32)
        cases.append((g, feeds))
    # int16 out: every other row's requantized value past int32 (largest multiplier, smallest shift), zero point
    g, feeds = _fully_connected_dynamic(rng, 64, 40, "int16", "int16", 4, 32, 2, 1 << 30)
    g.constants["m"][::2] = (1 << 31) - 1
    g.constants["s"][::2] = g.constants["s"].min()
    g.nodes[0].attrs.update(y_zero_point=-20000, act_min=-32768, act_max=32767)
    cases.append((g, feeds))
    # int16 out, y_zp 0 and the whole range (the saturating stores): values past int32 and past int16
    g, feeds = _fully_connected_dynamic(rng, 96, 40, "int16", "int16", 4, 32, 2, 1 << 30)
    g.constants["m"][::3] = (1 << 31) - 1
    g.constants["s"][::3] = g.constants["s"].min()
    g.constants["m"][1::3] = g.constants["m"][1::3] // 2 + (1 << 30)
    g.nodes[0].attrs.update(y_zero_point=0, act_min=-32768, act_max=32767)
    cases.append((g, feeds))
    # int8 out: values past int16 before the zero point (narrowed saturating, then y_zp in int16); groups of 64
    # (IG_G4_LOOP64)
    g, feeds = _fully_connected_dynamic(rng, 128, 40, "int16", "int8", 4, 64, 2, 1 << 30)
    g.constants["m"][1::2] = (1 << 31) - 1
    g.constants["s"][1::2] = g.constants["s"].min()
    g.nodes[0].attrs.update(y_zero_point=-128, act_min=-128, act_max=127)
    cases.append((g, feeds))
    # no bias (Llama's layers: the kernel passed bias 0 skips its loads and adds), every output kind; int32 out with
    # y_zp 0 and the whole range (no zero point, no clamp: SQXTN saturates) past int32, and with a clamp
    for ydt, zp, lo, hi in (("int8", 5, -128, 127), ("int16", 0, -32768, 32767), ("int16", 9, -30000, 32767),
                            ("int32", 0, -(1 << 31), (1 << 31) - 1), ("int32", -3, -(1 << 20), 1 << 20)):
        g, feeds = _fully_connected_dynamic(rng, 64, 40, "int16", ydt, 4, 32, 2, 1 << 30)
        g.constants["b"][:] = 0
        g.constants["m"][::2] = (1 << 31) - 1
        g.constants["s"][::2] = g.constants["s"].min()
        g.nodes[0].attrs.update(y_zero_point=zp, act_min=lo, act_max=hi)
        cases.append((g, feeds))
    # chunks of whole blocks (N 320 = 256 + 64, 512): one call over every chunk, dynamic and static asym
    cases.append(_fully_connected_dynamic(rng, 64, 512, "int16", "int16", 4, 32, 2, 1 << 30))
    cases.append(_fully_connected_asym(rng, 96, 320, "int8", "int8", 4, 32, 2))
    return cases


def test_fused_dynamic_requantization_edges_bit_exact(tmp_path):
    cases = _cases()
    _, mr, e = dynamic_row_quantize(cases[3][1]["x"], 0)
    assert list(mr) == [1 << 15, 1 << 14, 1 << 14] and e[0] > 0  # both mantissa ends reached
    _, mr, e = dynamic_row_quantize(cases[1][1]["x"], -32768)
    assert mr.max() == 1 << 15
    _, mr, e = dynamic_row_quantize(cases[0][1]["x"], 0)
    assert list(e) == [-14, -8, -7, 1, 0]
    env = OpEnv(buf=lambda t, r: t, const=lambda key, a, c: key.replace(".", "_"), rows="2", family="neon",
                extensions=("neon", "dotprod"))
    for g, _ in cases:  # every case runs a fused kernel; the whole-block chunks in one call; bias 0 passed as none
        stmt, calls = emit_node_calls(g, g.nodes[0], env)
        assert any(fn.startswith(("ig_fc_grouped_dyn", "ig_fc_grouped_asym")) for fn, _ in calls)
        if g.nodes[0].op == "fully_connected_dynamic":
            assert ("b_neon" not in stmt) == (not g.constants["b"].any()), g.name
        assert ("c_ < " not in stmt) == (g.constants[g.nodes[0].inputs[1]].shape[0] % 32 == 0), g.name
    _check(cases, isa.get_target("cortex-a55"), tmp_path)
