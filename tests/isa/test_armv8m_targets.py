"""The Armv8-M family targets (issue 17): cortex-m33 (both emulators, identical counts), cortex-m0plus (Unicorn:
QEMU has no machine for it), cortex-m55 (QEMU mps3-an547 only): registry entries, analytic loop counts, FP32 on
each core's float unit or in soft-float, and the board each one runs on by default."""
from __future__ import annotations

import numpy as np
import pytest

import isa
from isa.boards import board_for
from isa.profile import profile
from isa.targets import TARGETS, get_target
from tests.isa.elf_builds import Builds, run

NEW = ("cortex-m33", "cortex-m0plus", "cortex-m55")
RUNS = [(t, b) for t in NEW for b in TARGETS[t].backends]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("armv8m-elves"))


def test_registry_entries():
    m33, m0, m55 = (get_target(n) for n in NEW)
    assert m33.backends == ("unicorn", "qemu") and "mps2-an505" in m33.qemu.args
    assert m33.unicorn.cpu_model == "UC_CPU_ARM_CORTEX_M33" and m33.kernel_family == "armdsp" and m33.has_fpu
    assert m33.link_base == 0x10000000 and m33.linker_script == "link-an505.ld"
    assert m0.backends == ("unicorn",) and m0.qemu is None and m0.kernel_family == "scalar" and not m0.has_fpu
    assert "dsp" not in m0.extensions and "-mfloat-abi=soft" in m0.arch_flags
    assert m55.backends == ("qemu",) and "mps3-an547" in m55.qemu.args and "mve" in m55.extensions
    assert {n: board_for(get_target(n), None).name for n in NEW} == \
        {"cortex-m33": "mps2-an505", "cortex-m0plus": "m0plus-sram", "cortex-m55": "mps3-an547"}
    assert {get_target(n).timing_model for n in NEW} == {"cortex-m33", "cortex-m0plus", "cortex-m55"}


def test_unicorn_refuses_cortex_m55_and_qemu_cortex_m0plus(build):
    with pytest.raises(isa.UnsupportedBackend, match="cannot run target cortex-m0plus .*use --backend unicorn"):
        isa.run(build("tg_count.c", "cortex-m0plus"), "cortex-m0plus", "qemu")
    with pytest.raises(isa.UnsupportedBackend, match="cannot run target cortex-m55 .*use --backend qemu"):
        isa.run(build("tg_count.c", "cortex-m55"), "cortex-m55", "unicorn")


@pytest.mark.parametrize("target,backend", RUNS)
def test_loop_counts_are_analytic(build, target, backend):
    """tg_count.c: 8 against 1000 trips differ by 992 loop bodies of 4 instructions, all in tg_sum_words."""
    t = get_target(target)
    elf = build("tg_count.c", target)
    r1, r2 = run(elf, target, backend, 8), run(elf, target, backend, 1000)
    assert r1.exit_code == r2.exit_code == 0 and r1.stdout != r2.stdout
    assert r2.instructions - r1.instructions == 992 * 4
    p1, p2 = profile(r1, elf, t), profile(r2, elf, t)
    f1, f2 = p1.functions["tg_sum_words"], p2.functions["tg_sum_words"]
    assert f2.load_bytes - f1.load_bytes == 992 * 4
    assert {c: f2.mix[c] - f1.mix[c] for c in f1.mix if f2.mix[c] != f1.mix[c]} == \
        {"load": 992, "int_alu": 2 * 992, "branch": 992}


def test_cortex_m33_emulators_agree_exactly(build):
    for program, word in (("tg_count.c", 100), ("uc_float.c", None), ("tg_layers.c", 20), ("tg_float.c", None)):
        elf = build(program, "cortex-m33")
        u, q = run(elf, "cortex-m33", "unicorn", word), run(elf, "cortex-m33", "qemu", word)
        assert (u.exit_code, u.stdout) == (q.exit_code, q.stdout)
        assert u.instructions == q.instructions > 0
        assert np.array_equal(u.blocks.addr, q.blocks.addr) and np.array_equal(u.blocks.count, q.blocks.count)


@pytest.mark.parametrize("target,soft", [("cortex-m33", False), ("cortex-m55", False), ("cortex-m0plus", True)])
def test_fp32_runs_on_the_float_unit_or_in_soft_float(build, target, soft):
    elf = build("tg_float.c", target)
    r = run(elf, target, get_target(target).default_backend)
    assert r.exit_code == 0 and r.stdout == b"b4000000\n"  # 180
    p = profile(r, elf, target)
    assert (p.mix["softfloat_call"] > 0) == soft and (p.mix["scalar_float"] > 0) == (not soft)
