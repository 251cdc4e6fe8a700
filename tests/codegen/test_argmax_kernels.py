"""The integer argmax kernels (greedy decoding over the logits) of every family the kernel table lists return
numpy's argmax, the first largest: ties inside and across blocks, all-equal rows, the type's extremes, every length
1..67 (the vector tails), rows that do not start on a vector boundary, a vocabulary-sized row; and the SIMD ones stay
well under one instruction per logit."""
from __future__ import annotations

import numpy as np
import pytest

import isa
from codegen.op_calls import RUNTIME_C, kernel_for
from isa.attribution import per_function
from isa.elf import load_elf
from toolchain import build_elf

CTYPE = {"s8": "int8_t", "s16": "int16_t", "s32": "int32_t"}
DTYPE = {"s8": np.int8, "s16": np.int16, "s32": np.int32}
SIMD_TARGETS = ["cortex-a55", "cortex-a53", "rv64gcv", "rv64gcv-vlen256", "rv64gcv-vlen512", "cortex-m55"]


def argmax_rows(x: str, seed: int = 0) -> list[np.ndarray]:
    """rows with the edge cases of a blocked argmax"""
    dt = DTYPE[x]
    lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(1, 68):
        rows.append(rng.integers(-3, 4, n))  # many ties
        rows.append(rng.integers(lo, hi, n, endpoint=True))
        rows.append(np.where(rng.random(n) < 0.3, hi, lo) if n % 3 else np.full(n, lo))
    for n in (1, 16, 64, 65, 128, 129, 300):
        for v in (lo, hi, 0):
            rows.append(np.full(n, v))
    for n, at in ((300, (299,)), (300, (0, 299)), (300, (130, 5)), (515, (514, 300, 257)), (200, (64, 63))):
        r = rng.integers(lo, hi // 2, n)  # the largest several times: the first wins
        r[list(at)] = hi - 1
        rows.append(r)
    rows.append(rng.integers(lo, hi, 49157, endpoint=True))
    return [r.astype(dt) for r in rows]


def _run_rows(target_name: str, x: str, rows: list[np.ndarray], tmp_path, offset: int = 1):
    """each row's index from the family's ig_argmax_<x>, every row starting `offset` elements past an aligned start;
    the kernel's instructions over all rows"""
    t = isa.get_target(target_name)
    flat, starts = [], []
    pos = 0
    for r in rows:
        pad = (-pos) % 16 + offset
        flat += [0] * pad
        starts.append(pos + pad)
        flat += r.tolist()
        pos += pad + r.size
    main = tmp_path / "main.c"
    calls = "\n".join(f"  out[{i}] = ig_argmax_{x}(buf + {s}, {r.size});" for i, (s, r) in enumerate(zip(starts, rows)))
    main.write_text('#include "ig_platform.h"\n#include "ig_ops.h"\n'
                    f"static const {CTYPE[x]} buf[{len(flat)}] __attribute__((aligned(16))) = "
                    f"{{{', '.join(map(str, flat))}}};\n"
                    f"static int32_t out[{len(rows)}];\n"
                    f"int main(void) {{\n{calls}\n  ig_write_hex(out, sizeof out);\n  return 0;\n}}\n")
    src = kernel_for(f"ig_argmax_{x}", "ig_argmax", t.kernel_family)
    elf = tmp_path / f"argmax_{x}.elf"
    build_elf([main, src], t, elf)
    r = isa.run(elf, t)
    got = np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), "<i4").tolist()
    return got, src, per_function(r.blocks, load_elf(elf), t.arch).get(f"ig_argmax_{x}", 0)


@pytest.mark.parametrize("target_name", ["cortex-m4", *SIMD_TARGETS])
@pytest.mark.parametrize("x", ["s8", "s16", "s32"])
def test_argmax_is_the_first_largest(target_name, x, tmp_path):
    rows = argmax_rows(x)
    got, src, _ = _run_rows(target_name, x, rows, tmp_path)
    assert got == [int(np.argmax(r)) for r in rows]
    family = isa.get_target(target_name).kernel_family
    assert src == RUNTIME_C / "kernels" / (family if family != "armdsp" else "scalar") / "ig_argmax.c"


@pytest.mark.parametrize("target_name", SIMD_TARGETS)
def test_simd_argmax_costs_well_under_an_instruction_per_logit(target_name, tmp_path):
    """SmolLM2's 49,152 int16 logits per decoded token: 7 instructions each in portable C"""
    row = np.random.default_rng(1).integers(-30000, 30000, 49152).astype(np.int16)
    got, _, instructions = _run_rows(target_name, "s16", [row], tmp_path, offset=0)
    assert got == [int(np.argmax(row))]
    assert instructions / row.size < 0.5, instructions
