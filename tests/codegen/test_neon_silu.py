"""The NEON sigmoid forms and the gate product (runtime_c/kernels/neon/ig_neon_ops.h, ig_silu.c, ig_mul.c): the
lane-wise division (ig_neon_div35: URECPE, one Newton step, one remainder correction) equals the definition's floor
division for every divisor the sigmoid makes, and silu / gelu / softcap / mul give the reference's bytes on
cortex-a55 and as ARMv8.0 code (cortex-a53) for every input of int8 and int16, every rescale form (s <= 31, s >= 32,
the int64 fallback), |x12| >= 2^16, zero points, full-range and narrow clamps, and every len % 8 tail."""
import numpy as np
import pytest

import isa
from benchmarks.op_cases import _graph
from quant.ir import Node, TensorInfo
from tests.codegen.test_transformer_ops import _a55_without_dotprod, _check
from toolchain import build_elf
from toolchain.build import RUNTIME_C

DIV_SRC = r"""
#include "ig_neon_ops.h"
#include "ig_platform.h"
/* every den of [2^20, 2^21] four lanes at a time; prints the number of lanes that differ and the first den */
int main(void) {
  uint32_t bad = 0, first = 0;
  const uint32_t step[4] = {0, 1, 2, 3};
  for (uint32_t d0 = 1u << 20; d0 <= (1u << 21); d0 += 4) {
    uint32x4_t den = vminq_u32(vaddq_u32(vdupq_n_u32(d0), vld1q_u32(step)), vdupq_n_u32(1u << 21));
    uint32_t d[4], q[4];
    vst1q_u32(d, den);
    vst1q_u32(q, vreinterpretq_u32_s32(ig_neon_div35(den)));
    for (int k = 0; k < 4; k++)
      if (q[k] != ig_udiv36_by21((1ull << 35) + (d[k] >> 1), d[k]) && !bad++) first = d[k];
  }
  uint32_t out[2] = {bad, first};
  ig_write_hex(out, sizeof out);
  ig_sys_exit(0);
}
"""


@pytest.mark.parametrize("cflags", [(), ("-mcpu=cortex-a53",)])
def test_neon_division_is_exact_for_every_divisor(cflags, tmp_path):
    t = isa.get_target("cortex-a55")
    (tmp_path / "div.c").write_text(DIV_SRC)
    build_elf([tmp_path / "div.c"], t, tmp_path / "div.elf", include_dirs=(RUNTIME_C / "kernels" / "neon",),
              extra_cflags=cflags)
    r = isa.run(tmp_path / "div.elf", t)
    assert r.exit_code == 0
    assert r.stdout.strip() == b"00000000" * 2, r.stdout


def _sweep(dt, n):
    """n values over the whole range of dt, both ends included"""
    info = np.iinfo(np.dtype(dt))
    return np.linspace(int(info.min), int(info.max), n).round().astype(np.dtype(dt))


def _act(op, x, ydt, mi, si, mo=1 << 29, so=20, xzp=0, yzp=0, narrow=False):
    info = np.iinfo(np.dtype(ydt))
    lo, hi = (int(info.min) // 2, int(info.max) // 3) if narrow else (int(info.min), int(info.max))
    attrs = {"x_zero_point": xzp, "in_multiplier": mi, "in_shift": si, "out_multiplier": mo, "out_shift": so,
             "y_zero_point": yzp, "act_min": lo, "act_max": hi}
    shape = (1, x.size)
    g = _graph(f"{op}_{x.dtype}_{ydt}_{x.size}_{mi}_{si}_{mo}_{so}_{xzp}_{yzp}", {"x": (shape, str(x.dtype))},
               [Node(op, op, ["x"], ["y"], attrs)], {"y": TensorInfo("y", shape, ydt, 1.0, yzp)}, {}, "y")
    return g, {"x": x.reshape(shape)}


def silu_cases(ops=("silu", "gelu", "softcap")):
    rng = np.random.default_rng(55)
    cases = []
    for op in ops:
        # every input value of int8; int16 swept densely (every sigmoid exponent plan and |x12| up past 2^16)
        for xdt, n in (("int8", 256), ("int16", 4099)):
            x = _sweep(xdt, n)
            # x12 ~ x / 2^8 .. x 2^2: HR in (s <= 31), |x12| past 2^16 for the larger ones
            for mi, si, mo, so in ((15303011, 24 if xdt == "int16" else 16, 15480130, 23),
                                   (8409227, 21 if xdt == "int16" else 13, 16412304, 25),
                                   (1 << 30, 40 if xdt == "int16" else 32, (1 << 30) - 1, 34),
                                   ((1 << 31) - 1, 29, 1234567, 33),
                                   (1 << 30, 31, (1 << 30) - 1, 31)):
                cases.append(_act(op, x, "int16", mi, si, mo, so))
        cases.append(_act(op, _sweep("int16", 257), "int8", 10040216, 30, 13972021, 37, xzp=0, yzp=-58))
        cases.append(_act(op, _sweep("int8", 256), "int16", 12345678, 18, 1 << 20, 12, xzp=-7, yzp=3, narrow=True))
    # x12 = x around the sigmoid cap of ig_neon_gated_f (s reaches 2^15 at |x12| = 45300)
    near = np.concatenate([np.arange(-46000, -44000, 3), np.arange(44000, 46000, 3)]).astype(np.int16)
    cases.append(_act("silu", near, "int16", 1 << 30, 30, 1 << 29, 31))
    # tails: every length 1..17 plus 31, 33, random values, zero points
    for n in (*range(1, 18), 31, 33):
        for xdt in ("int8", "int16"):
            x = rng.integers(np.iinfo(xdt).min, np.iinfo(xdt).max + 1, n).astype(xdt)
            cases.append(_act("silu", x, "int16", 11694983, 27 if xdt == "int16" else 19, 9013773, 19, xzp=3, yzp=2))
    # extreme plans: a shift of 0 (x12 = x m), 62 (the FLOOR form's widest shift), an output past 2^30 (the
    # int64 fallback), a zero multiplier, y_zp near 2^30 (int32 output, the fallback), shift 32 exactly
    x16 = _sweep("int16", 203)
    for mi, si, mo, so, ydt, yzp in ((3, 0, 1 << 29, 36, "int16", 0), ((1 << 31) - 1, 62, (1 << 30) - 1, 40, "int16", 0),
                                     (1 << 30, 25, (1 << 30) - 1, 1, "int32", 0), (0, 10, (1 << 30) - 1, 30, "int16", 5),
                                     (1 << 28, 28, (1 << 29) - 1, 3, "int32", (1 << 30) - 3),
                                     (1 << 30, 32, (1 << 30) - 1, 32, "int32", -100000)):
        cases.append(_act("silu", x16, ydt, mi, si, mo, so, yzp=yzp))
        cases.append(_act("gelu", x16, ydt, mi, si, mo, so, yzp=yzp))
    return cases


def _mul(a, b, ydt, m, sh, za=0, zb=0, yzp=0, narrow=False):
    info = np.iinfo(np.dtype(ydt))
    lo, hi = (int(info.min) // 2, int(info.max) // 3) if narrow else (int(info.min), int(info.max))
    attrs = {"a_zero_point": za, "b_zero_point": zb, "multiplier": m, "shift": sh, "y_zero_point": yzp,
             "act_min": lo, "act_max": hi}
    shape = (1, a.size)
    g = _graph(f"mul_{a.dtype}_{b.dtype}_{ydt}_{a.size}_{m}_{sh}_{za}_{zb}_{yzp}_{int(narrow)}",
               {"a": (shape, str(a.dtype)), "b": (shape, str(b.dtype))}, [Node("mul", "mul", ["a", "b"], ["y"], attrs)],
               {"y": TensorInfo("y", shape, ydt, 1.0, yzp)}, {}, "y")
    return g, {"a": a.reshape(shape), "b": b.reshape(shape)}


def mul_cases():
    """mul (ig_mul.c): int16 products with zero points 0 (SMULL from the halves) and not, both rescale forms
    (s <= 31, s >= 32), a saturating narrowing (full clamp) and a narrow clamp, the int64 fallback, len % 8 tails"""
    rng = np.random.default_rng(56)
    cases = []
    for n in (5, 8, 13, 16, 47, 300):
        for adt, bdt in (("int16", "int16"), ("int8", "int16"), ("int8", "int8")):
            a = rng.integers(np.iinfo(adt).min, np.iinfo(adt).max + 1, n).astype(adt)
            b = rng.integers(np.iinfo(bdt).min, np.iinfo(bdt).max + 1, n).astype(bdt)
            a[:2], b[:2] = np.iinfo(adt).min, np.iinfo(bdt).min  # the largest product
            for ydt, m, sh, za, zb, yzp, narrow in (("int8", 250414614, 39, 0, 0, 0, False),
                                                    ("int16", 225897125, 38, 0, 0, 0, False),
                                                    ("int16", (1 << 28) - 1, 30, 0, 0, 0, False),
                                                    ("int16", 1 << 20, 14, 0, 0, 0, False),
                                                    ("int8", 150000000, 36, 3, -2, -6, False),
                                                    ("int16", 1 << 25, 33, 0, 0, 7, True),
                                                    ("int32", (1 << 28) - 1, 2, 0, 0, -100000, False),
                                                    ("int32", 1 << 20, 0, 0, 0, 2000000000, False),
                                                    ("int8", 1 << 20, 62 - 32, 0, 0, 0, False)):
                cases.append(_mul(a, b, ydt, m, sh, za, zb, yzp, narrow))
    return cases


def _linked_on(cpu, cases, tmp_path) -> set[str]:
    """runs the cases on cortex-a55 (dot product) or as ARMv8.0 code (cortex-a53); the kernel files they linked"""
    if cpu == "cortex-a55":
        kc = _check(cases, isa.get_target("cortex-a55"), tmp_path)
    else:
        kc = _check(cases, _a55_without_dotprod(), tmp_path, extra_cflags=("-mcpu=cortex-a53",))
    return {part for stems in kc.kernel_stems for part in stems.split("+")}


@pytest.mark.parametrize("cpu", ["cortex-a55", "cortex-a53"])
def test_neon_mul_bit_exact(cpu, tmp_path):
    assert "neon/ig_mul" in _linked_on(cpu, mul_cases(), tmp_path)


@pytest.mark.parametrize("cpu", ["cortex-a55", "cortex-a53"])
def test_neon_sigmoid_forms_bit_exact(cpu, tmp_path):
    linked = _linked_on(cpu, silu_cases(), tmp_path)
    assert {"neon/ig_silu", "neon/ig_gelu", "neon/ig_softcap"} <= linked, sorted(linked)
