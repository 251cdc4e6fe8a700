"""The first set of targets (DESIGN.md): registry entries, analytically known counts under every backend that
runs them, and the two emulators agreeing exactly (outputs, totals, per-block tables)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import isa
from isa.profile import profile
from isa.targets import TARGETS, get_target
from tests.isa.elf_builds import Builds, run

FIRST_SET = ("cortex-m4", "cortex-m4f", "cortex-m7", "rv32imc", "cortex-a53", "cortex-a55", "rv64gc", "rv64gcv",
             "rv64gcv-vlen256", "rv64gcv-vlen512")
# loop body of tests/isa/programs/tg_count.c per architecture: instructions and their classes
BODY = {"arm": (4, {"load": 1, "int_alu": 2, "branch": 1}), "aarch64": (4, {"load": 1, "int_alu": 2, "branch": 1}),
        "riscv32": (5, {"load": 1, "int_alu": 3, "branch": 1}), "riscv64": (5, {"load": 1, "int_alu": 3, "branch": 1})}
RUNS = [(t, b) for t in FIRST_SET for b in TARGETS[t].backends]
BOTH = [t for t in FIRST_SET if len(TARGETS[t].backends) == 2]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("target-elves"))


def test_first_set_is_registered():
    assert set(FIRST_SET) <= set(TARGETS)
    m4f, m7 = get_target("cortex-m4f"), get_target("cortex-m7")
    assert m4f.has_fpu and "-mfloat-abi=hard" in m4f.arch_flags and "-mfpu=fpv4-sp-d16" in m4f.arch_flags
    assert m7.unicorn.cpu_model == "UC_CPU_ARM_CORTEX_M7" and "mps2-an500" in m7.qemu.args
    assert m7.timing_model == "cortex-m7" and m4f.timing_model == "cortex-m4"
    a53 = get_target("cortex-a53")
    assert "dotprod" not in a53.extensions and a53.arch_flags == ("-mcpu=cortex-a53",)
    assert a53.unicorn.cpu_model == "UC_CPU_ARM64_A53" and a53.qemu.args == ("-cpu", "cortex-a53")
    rv64 = get_target("rv64gc")
    assert rv64.vlen is None and "v" not in rv64.extensions and rv64.backends == ("unicorn", "qemu")
    for v in (256, 512):
        t = get_target(f"rv64gcv-vlen{v}")
        assert t.vlen == v and t.backends == ("qemu",) and f"vlen={v}" in ",".join(t.qemu.args)
        assert t.arch_flags == get_target("rv64gcv").arch_flags


@pytest.mark.parametrize("target,backend", RUNS)
def test_loop_counts_are_analytic(build, target, backend):
    """tg_count.c with 8 and 1000 trips: everything differs by exactly 992 loop bodies."""
    t = get_target(target)
    elf = build("tg_count.c", target)
    r1, r2 = run(elf, target, backend, 8), run(elf, target, backend, 1000)
    assert r1.exit_code == r2.exit_code == 0 and r1.stdout != r2.stdout
    body, classes = BODY[t.arch]
    assert r2.instructions - r1.instructions == 992 * body
    p1, p2 = profile(r1, elf, t), profile(r2, elf, t)
    f1, f2 = p1.functions["tg_sum_words"], p2.functions["tg_sum_words"]
    assert f2.instructions - f1.instructions == 992 * body
    assert f2.load_bytes - f1.load_bytes == 992 * 4 and f2.store_bytes == f1.store_bytes
    assert {c: f2.mix[c] - f1.mix[c] for c in f1.mix if f2.mix[c] != f1.mix[c]} == \
        {c: 992 * n for c, n in classes.items()}


@pytest.mark.parametrize("target", BOTH)
def test_backends_agree_exactly(build, target):
    for program, word in (("tg_count.c", 100), ("uc_float.c", None), ("tg_layers.c", 20)):
        elf = build(program, target)
        u, q = run(elf, target, "unicorn", word), run(elf, target, "qemu", word)
        assert (u.exit_code, u.stdout) == (q.exit_code, q.stdout)
        assert u.instructions == q.instructions > 0
        assert np.array_equal(u.blocks.addr, q.blocks.addr) and np.array_equal(u.blocks.count, q.blocks.count)


@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m7"])
def test_hard_float_cortex_m_enables_the_fpu(build, target):
    """The start-up code sets CPACR.CP10/CP11 (0xE000ED88) before main: FP code runs under both emulators."""
    elf = build("tg_float.c", target)
    for backend in TARGETS[target].backends:
        r = run(elf, target, backend)
        assert r.exit_code == 0 and r.stdout == b"b4000000\n"  # 180
        p = profile(r, elf, target)
        assert "ig_enable_fpu" in p.functions and p.mix["scalar_float"] > 0 and p.mix["softfloat_call"] == 0


def test_rvv_vlen_variants_run_the_same_program(build):
    outs = {}
    for v in ("rv64gcv", "rv64gcv-vlen256", "rv64gcv-vlen512"):
        r = run(build("q_rvv_add.c", v), v, "qemu")
        assert r.exit_code == 0
        lines = r.stdout.split(b"\n")
        outs[v] = lines[0]
        assert int.from_bytes(bytes.fromhex(lines[1].decode()), "little") == get_target(v).vlen // 32  # VLMAX e32m1
    assert len(set(outs.values())) == 1


def test_cortex_a53_refuses_armv82_dot_product(tmp_path):
    """sdot is ARMv8.2: the A53 (ARMv8.0) emulators raise an invalid instruction, as the core would."""
    from tests.isa.asm_snippets import AS
    import toolchain
    src = tmp_path / "sdot.c"
    src.write_text('#include "ig_platform.h"\nint main(void){ __asm__ volatile(".inst 0x4e829420"); return 0; }\n')
    elf = tmp_path / "sdot.elf"
    toolchain.build_elf([src], get_target("cortex-a53"), elf)
    for backend in ("unicorn", "qemu"):
        with pytest.raises(isa.EmulatorFault) as e:
            run(elf, "cortex-a53", backend)
        assert e.value.kind == "invalid instruction" and re.search(r"main\+", e.value.where)
    assert run(elf, "cortex-a55", "unicorn").exit_code == 0  # the same word is a valid sdot on an ARMv8.2 core
    assert AS  # the helper module imports


FOREIGN_START = {
    "aarch64": ("aarch64-linux-gnu-gcc", """
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n; register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b; register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory"); return x0; }"""),
    "riscv64": ("riscv64-linux-gnu-gcc", """
static long sys3(long n, long a, long b, long c) {
  register long a7 __asm__("a7") = n; register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b; register long a2 __asm__("a2") = c;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory"); return a0; }"""),
}


@pytest.mark.parametrize("target", ["cortex-a53", "rv64gc"])
def test_foreign_static_linux_elf_runs_on_both_backends(tmp_path, target):
    """A Linux-style static ELF that intgap did not build (the distribution's cross gcc, -nostdlib, its own
    _start) and that uses only write and exit_group: same output, status and counts under both emulators."""
    import shutil
    import subprocess
    t = get_target(target)
    gcc, sys3 = FOREIGN_START[t.arch]
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} not installed")
    src = tmp_path / "foreign.c"
    src.write_text(sys3 + """
static const char msg[] = "foreign hello\\n";
void _start(void) {
  long sum = 0;
  for (int i = 0; i < 100; i++) sum += i;
  sys3(64, 1, (long)msg, sizeof msg - 1);
  sys3(94, sum & 0x7f, 0, 0);  /* exit_group(4950 & 0x7f = 86) */
  for (;;) {}
}
""")
    elf = tmp_path / "foreign.elf"
    subprocess.run([gcc, "-static", "-nostdlib", "-O1", "-fno-pie", "-no-pie", "-o", str(elf), str(src)],
                   check=True, timeout=60)
    u, q = (isa.run(elf, t, b, max_instructions=100_000, timeout_s=30) for b in ("unicorn", "qemu"))
    assert (u.exit_code, u.stdout) == (q.exit_code, q.stdout) == (86, b"foreign hello\n")
    assert u.instructions == q.instructions > 100
    assert np.array_equal(u.blocks.addr, q.blocks.addr) and np.array_equal(u.blocks.count, q.blocks.count)


def test_64_bit_linux_images_hold_a_half_billion_parameter_model():
    """The 64-bit Linux-style targets stand for boards with GiBs of DRAM: their image region (1.5 GiB, below the
    stack and QEMU's guard page under it) takes Qwen2.5-0.5B's 774 MB of W8A8 weights, which the former 512 MiB
    refused; rv32imc keeps 64 MiB; more than the region is still refused before anything is built."""
    from types import SimpleNamespace

    from codegen.errors import ModelDoesNotFit
    from codegen.lower import check_fits, image_region

    def needing(n):
        return SimpleNamespace(blob=SimpleNamespace(size=n), arena_size=1 << 20, kv_bytes=1 << 20, context=32,
                               graph=SimpleNamespace(name="m"))

    for name in ("cortex-a53", "cortex-a55", "rv64gc", "rv64gcv", "rv64gcv-vlen512"):
        t = get_target(name)
        region = image_region(t)
        assert region.size == 1536 * 2**20 and region.base + region.size <= t.stack_region.base - 4096
        check_fits(needing(774_437_354), t)
        with pytest.raises(ModelDoesNotFit, match=r"holds 1,610,612,736 bytes"):
            check_fits(needing(1600 * 2**20), t)
    with pytest.raises(ModelDoesNotFit, match=r"rv32imc: it needs at least"):
        check_fits(needing(774_437_354), get_target("rv32imc"))
