"""The Unicorn backend: outputs, exit codes, exact native counts, faults, limits.

Programs are in tests/isa/programs/uc_*.c and are built for every target the registry says Unicorn can run.
Run as a script (`python tests/isa/test_unicorn_backend.py`) to measure counting speed instead.
"""
from __future__ import annotations

import dataclasses
import random
import struct
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import isa
from isa.elf import instruction_lengths, load_elf
from isa.errors import (BadElf, EmulatorFault, InstructionBudgetExceeded, RunTimeout, UnsupportedBackend)
from isa.targets import TARGETS, Target, get_target
from tests.isa.elf_builds import back_edges

PROGRAMS = Path(__file__).resolve().parent / "programs"
UNICORN_TARGETS = [t.name for t in TARGETS.values() if t.unicorn is not None]
SEMIHOSTING_TARGETS = [n for n in UNICORN_TARGETS if TARGETS[n].io == "semihosting"]
LINUX_TARGETS = [n for n in UNICORN_TARGETS if TARGETS[n].io == "linux"]
DOTPROD_TARGETS = [n for n in UNICORN_TARGETS if TARGETS[n].arch == "aarch64" and "dotprod" in TARGETS[n].extensions]
NO_UNICORN_TARGETS = [t.name for t in TARGETS.values() if t.unicorn is None]

# where uc_faults.c reads and writes on purpose: nothing is mapped there
BAD_ADDR = {"arm": 0x60000000, "aarch64": 0x90000000, "riscv32": 0x90000000, "riscv64": 0x90000000}


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------

def _build(out_dir: Path, cache: dict, program: str, target_name: str) -> Path:
    import toolchain
    from toolchain.errors import CompilerNotFound
    key = (program, target_name)
    if key not in cache:
        elf = out_dir / f"{Path(program).stem}-{target_name}.elf"
        try:
            toolchain.build_elf([PROGRAMS / program], get_target(target_name), elf)
        except CompilerNotFound as e:
            pytest.skip(str(e))
        cache[key] = elf
    return cache[key]


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("unicorn-elves")
    cache: dict = {}
    return lambda program, target_name: _build(out_dir, cache, program, target_name)


def run(elf: Path, target: str, case: int | None = None, **kw) -> isa.RunResult:
    kw.setdefault("max_instructions", 50_000_000)
    kw.setdefault("timeout_s", 60.0)
    inputs = {".ig_input": struct.pack("<I", case)} if case is not None else None
    return isa.run(elf, target, "unicorn", inputs=inputs, **kw)


def lcg_loop(n: int, x: int = 42) -> int:
    """uc_loop.c's uc_lcg_loop in Python."""
    acc = 0
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        acc ^= x >> 7
    return (acc + x) & 0xFFFFFFFF


def hex_line(*words: int, fmt: str = "<I") -> bytes:
    return b"".join(struct.pack(fmt, w) for w in words).hex().encode() + b"\n"


def per_instruction_counts(result: isa.RunResult, elf: Path, target: Target) -> Counter:
    """Expands block counts to executions per instruction address, from the block bytes in the ELF."""
    img = load_elf(elf)
    out: Counter = Counter()
    for addr, size, insns, count in zip(result.blocks.addr, result.blocks.size, result.blocks.insns,
                                        result.blocks.count):
        lengths = instruction_lengths(target.arch, img.read(int(addr), int(size)))
        assert len(lengths) == insns and sum(lengths) == size
        a = int(addr)
        for n in lengths:
            out[a] += int(count)
            a += n
    return out


def capstone_for(target: Target):
    from isa.disasm import disassembler
    return disassembler(target.arch, detail=True)


def loop_iteration_length(elf: Path, target: Target, function: str) -> int:
    """Instructions per iteration of the single loop of `function`, read from its disassembly: from the target
    of its one backward branch through the branch itself (the loop body is straight-line code)."""
    import capstone as cs
    img = load_elf(elf)
    sym = next(f for f in img.functions if f.name == function)
    insns = list(capstone_for(target).disasm(img.read(sym.addr, sym.size), sym.addr))

    def dest(i):
        if cs.CS_GRP_JUMP not in i.groups:
            return None
        imms = [o.imm for o in i.operands if o.type == 2]  # *_OP_IMM is 2 for arm, arm64 and riscv
        if not imms:
            return None
        return i.address + imms[-1] if target.arch.startswith("riscv") else imms[-1]
    backward = back_edges(insns, sym.addr, dest)
    assert len(backward) == 1, f"expected one loop in {function}, found back edges {backward}"
    head, branch = backward[0]
    return sum(1 for i in insns if head <= i.address <= branch)


# ---------------------------------------------------------------------------------------------------------------
# outputs, exit codes, counts
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_output_exit_status_and_deterministic_counts(build, target):
    elf = build("uc_hello.c", target)
    r = run(elf, target)
    assert r.backend == "unicorn" and r.target == target and r.counted
    assert r.exit_code == 7
    assert r.stdout == b"hello from intgap\n" + hex_line(285)
    assert r.instructions > 100
    assert r.instructions == r.blocks.instructions
    assert r.blocks.addr.dtype == np.uint64 and r.blocks.size.dtype == np.uint32
    assert r.blocks.insns.dtype == np.uint32 and r.blocks.count.dtype == np.uint64
    assert np.all(r.blocks.count > 0) and np.all(r.blocks.insns > 0)
    img = load_elf(elf)
    # every block lies in a function, or in the Linux start-up's _start (an assembly label without a symbol type)
    assert all(img.function_at(int(a)) is not None or 0 <= int(a) - img.entry < 32 for a in r.blocks.addr)
    again = run(elf, target)
    assert again.instructions == r.instructions
    for name in ("addr", "size", "insns", "count"):
        assert np.array_equal(getattr(again.blocks, name), getattr(r.blocks, name))


@pytest.mark.parametrize("program", ["uc_hello.c", "uc_matmul.c"])
@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_count_equals_python_per_instruction_hook(build, target, program):
    """The native block count, expanded per instruction, against Unicorn's own per-instruction hook."""
    import unicorn
    from isa.unicorn_backend import run_unicorn
    t = get_target(target)
    elf = build(program, target)  # uc_matmul.c runs one repetition (its .ig_input default): ~0.2 M instructions
    seen: Counter = Counter()
    r = run_unicorn(elf, t, max_instructions=None, timeout_s=60,
                    instrument=lambda mu: mu.hook_add(unicorn.UC_HOOK_CODE, lambda uc, a, s, u: seen.update((a,))))
    mine = per_instruction_counts(r, elf, t)
    assert sum(mine.values()) == r.instructions
    if t.arch != "arm":
        assert mine == seen
        return
    # Thumb-2: Unicorn's per-instruction hook skips an instruction of an IT block whose condition fails
    # (its hook call sits behind the condition check); the instruction is still executed (as a no-op), and
    # is counted by the block count, as by QEMU. Every other instruction must agree exactly.
    img = load_elf(elf)
    md = capstone_for(t)
    assert set(seen) <= set(mine)
    skipped = {a: mine[a] - seen[a] for a in mine if mine[a] != seen[a]}
    assert all(d > 0 for d in skipped.values())
    for a in skipped:
        f = img.function_at(a)
        insns = list(md.disasm(img.read(f.addr, f.size), f.addr))
        k = next(i for i, x in enumerate(insns) if x.address == a)
        assert any(x.mnemonic.startswith("it") for x in insns[max(0, k - 4):k]), \
            f"0x{a:x} ({img.describe(a)}) differs but is not in an IT block"


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_loop_count_changes_by_trips_times_iteration_length(build, target):
    t = get_target(target)
    elf = build("uc_loop.c", target)
    per_iteration = loop_iteration_length(elf, t, "uc_lcg_loop")
    assert 3 <= per_iteration <= 12
    short, long_ = run(elf, target, case=1000), run(elf, target, case=1700)
    assert short.stdout == hex_line(lcg_loop(1000)) and long_.stdout == hex_line(lcg_loop(1700))
    assert long_.instructions - short.instructions == 700 * per_iteration


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_uncounted_run(build, target):
    elf = build("uc_hello.c", target)
    r = run(elf, target, count=False)
    assert not r.counted and r.instructions == 0 and len(r.blocks.addr) == 0
    assert r.exit_code == 7 and r.stdout == b"hello from intgap\n" + hex_line(285)


def test_block_table_grows(build, monkeypatch):
    import isa.unicorn_backend as ub
    target = UNICORN_TARGETS[0]
    elf = build("uc_hello.c", target)
    reference = run(elf, target)
    assert len(reference.blocks.addr) > 16
    monkeypatch.setattr(ub, "INITIAL_TABLE_CAPACITY", 16)
    small = run(elf, target)
    assert small.instructions == reference.instructions
    for name in ("addr", "size", "insns", "count"):
        assert np.array_equal(getattr(small.blocks, name), getattr(reference.blocks, name))


@pytest.mark.parametrize("arch", ["arm", "aarch64", "riscv32", "riscv64"])
def test_native_decoder_agrees_with_python_lengths(arch):
    from isa.unicorn_backend import native_instruction_count
    rng = random.Random(arch)
    for _ in range(300):
        code = bytes(rng.randrange(256) for _ in range(2 * rng.randrange(1, 40)))
        lengths = instruction_lengths(arch, code)
        expected = len(lengths) if sum(lengths) == len(code) else -1
        assert native_instruction_count(arch, code) == expected


# ---------------------------------------------------------------------------------------------------------------
# I/O conventions
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", SEMIHOSTING_TARGETS)
@pytest.mark.parametrize("case, status, stdout", [
    (1, 0, b"ok\n"),  # SYS_WRITEC + SYS_EXIT(ADP_Stopped_ApplicationExit)
    (2, 1, b""),  # SYS_EXIT with another reason
    (3, 300 & 0xFF, b""),  # SYS_EXIT_EXTENDED: subcode & 0xff
    (4, 1, b""),  # SYS_EXIT_EXTENDED with another reason
])
def test_semihosting_exit_codes_match_qemu(build, target, case, status, stdout):
    r = run(build("uc_semihosting.c", target), target, case=case)
    assert (r.exit_code, r.stdout) == (status, stdout)


@pytest.mark.parametrize("target", SEMIHOSTING_TARGETS)
def test_semihosting_console_handles(build, target):
    r = run(build("uc_semihosting.c", target), target, case=5)
    assert r.exit_code == 0
    # handles numbered from 1 as QEMU 7.2 allocates them; SYS_WRITE returns the bytes not written
    assert r.stdout == b"to stdout\n" + hex_line(1, 2, 3) + hex_line(0, 0)
    assert r.stderr == b"to stderr\n"


@pytest.mark.parametrize("target", SEMIHOSTING_TARGETS)
@pytest.mark.parametrize("case, words", [(6, ("SYS_WRITE to handle 1", "SYS_OPEN")), (7, ("SYS_READC", "0x07"))])
def test_semihosting_unsupported(build, target, case, words):
    with pytest.raises(EmulatorFault) as e:
        run(build("uc_semihosting.c", target), target, case=case)
    assert e.value.kind == "unsupported semihosting call"
    assert e.value.where.startswith("main+")
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize("target", [n for n in SEMIHOSTING_TARGETS if TARGETS[n].arch == "arm"])
def test_m_profile_cpacr_and_other_system_registers(build, target):
    elf = build("uc_semihosting.c", target)
    r = run(elf, target, case=8)
    assert r.exit_code == 0 and r.stdout == hex_line(0x00F00000)  # as QEMU's mps2-an386 reads it back
    with pytest.raises(EmulatorFault, match="0xe000e010") as e:
        run(elf, target, case=9)
    assert e.value.kind == "unsupported system register" and e.value.where.startswith("main+")


def test_riscv_float_follows_has_fpu(tmp_path):
    """A future rv64gc-like target (made here from the registry's RV64 entry): FP runs with has_fpu, traps without."""
    import toolchain
    from toolchain.errors import CompilerNotFound
    from isa.targets import UnicornSettings
    from isa.unicorn_backend import run_unicorn
    rv64 = next((t for t in TARGETS.values() if t.arch == "riscv64"), None)
    if rv64 is None:
        pytest.skip("no riscv64 target in the registry")
    t = dataclasses.replace(rv64, name="rv64gc-test", extensions=("m", "a", "f", "d", "c"), vlen=None, has_fpu=True,
                            compiler="gcc", triple="riscv64-unknown-elf", arch_flags=("-march=rv64gc", "-mabi=lp64d"),
                            unicorn=UnicornSettings("RISCV", ("RISCV64",), "UC_CPU_RISCV64_BASE64"))
    elf = tmp_path / "uc_float.elf"
    try:
        toolchain.build_elf([PROGRAMS / "uc_float.c"], t, elf)
    except CompilerNotFound as e:
        pytest.skip(str(e))
    r = run_unicorn(elf, t, max_instructions=1_000_000, timeout_s=10)
    assert r.exit_code == 0 and r.stdout == hex_line(15)
    with pytest.raises(EmulatorFault) as e:
        run_unicorn(elf, dataclasses.replace(t, has_fpu=False), max_instructions=1_000_000, timeout_s=10)
    assert e.value.kind == "invalid instruction" and e.value.where.startswith("main+")


@pytest.mark.parametrize("target", LINUX_TARGETS)
def test_linux_write_fds_and_exit_group(build, target):
    elf = build("uc_linux_io.c", target)
    r = run(elf, target, case=1)
    assert r.exit_code == 300 & 0xFF
    assert r.stdout == b"to stdout\n" + hex_line(10, 10)  # write returns the bytes written
    assert r.stderr == b"to stderr\n"
    with pytest.raises(EmulatorFault, match="file descriptor 3") as e:
        run(elf, target, case=2)
    assert e.value.kind == "unsupported system call"


@pytest.mark.parametrize("target", DOTPROD_TARGETS)
def test_aarch64_simd_fp_and_sdot_run(build, target):
    r = run(build("uc_neon.c", target), target)
    assert r.exit_code == 0
    assert r.stdout == hex_line(30, 174, 446, 846, 6)


# ---------------------------------------------------------------------------------------------------------------
# faults and limits
# ---------------------------------------------------------------------------------------------------------------

def fault(build, target: str, case: int, **kw) -> EmulatorFault:
    with pytest.raises(EmulatorFault) as e:
        run(build("uc_faults.c", target), target, case=case, **kw)
    assert e.value.where in str(e.value)
    return e.value


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_invalid_read(build, target):
    e = fault(build, target, 1)
    assert e.kind == "invalid memory read"
    assert e.where.startswith("uc_bad_read+")
    assert f"address 0x{BAD_ADDR[get_target(target).arch]:x}" in e.detail


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_invalid_write_names_the_store(build, target):
    e = fault(build, target, 2)
    assert e.kind == "invalid memory write"
    assert e.where.startswith("uc_bad_write+")
    insn = e.detail.split(";")[0]
    mnemonic = insn.split()[0].removeprefix("c.").split(".")[0]
    assert mnemonic in ("str", "sw"), f"the PC must be the store's, not {insn!r}"
    assert f"address 0x{BAD_ADDR[get_target(target).arch]:x}" in e.detail


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_illegal_instruction(build, target):
    e = fault(build, target, 3)
    assert e.kind == "invalid instruction"
    assert e.where.startswith("uc_illegal+")
    assert ("udf" in e.detail) or ("unimp" in e.detail)


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_call_to_unmapped_memory(build, target):
    e = fault(build, target, 4)
    assert e.kind == "fetch from unmapped memory"
    assert e.pc == BAD_ADDR[get_target(target).arch]
    assert "uc_call_unmapped" in str(e)  # through the return address


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_unsupported_system_call(build, target):
    e = fault(build, target, 5)
    assert e.where.startswith("uc_unsupported_call+")
    if get_target(target).io == "linux":
        assert e.kind == "unsupported system call"
        assert "172" in e.detail and "getpid" in e.detail
    else:
        assert e.kind == "unsupported semihosting call"
        assert "SYS_READC" in e.detail


@pytest.mark.parametrize("target", LINUX_TARGETS)
def test_fault_write_to_code(build, target):
    e = fault(build, target, 7)
    assert e.kind == "write to read-only memory"
    assert e.where.startswith("uc_write_code+")


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_stack_overflow(build, target):
    e = fault(build, target, 8)
    assert e.kind == "invalid memory write"
    assert "uc_recurse" in e.where and "stack overflow" in e.detail


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_breakpoint(build, target):
    e = fault(build, target, 9)
    assert e.kind == "breakpoint" and e.where == "uc_breakpoint+0x0"
    assert "breakpoint or trap instruction" in e.detail and e.detail.split()[0].removeprefix("c.") in (
        "bkpt", "brk", "ebreak")


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_fault_system_call_buffer_not_mapped(build, target):
    """write(1, <unmapped>, 8) / SYS_WRITE0 of an unmapped string: a fault naming the argument (QEMU user mode
    returns -EFAULT to the program instead)."""
    e = fault(build, target, 10)
    assert e.kind == "invalid system call argument" and e.where.startswith("uc_bad_buffer+")
    assert f"at 0x{BAD_ADDR[get_target(target).arch]:x}" in e.detail and "is not in mapped memory" in e.detail


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_halt_without_exit_is_a_fault(build, target):
    """wfi with no interrupt to wake it: Unicorn stops; the run is a fault, not a result."""
    e = fault(build, target, 11)
    assert e.kind == "stopped without exiting" and e.where.startswith("uc_halt+")
    assert "never called exit" in e.detail and "wfi" in e.detail


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_endless_loop_hits_the_instruction_budget(build, target):
    with pytest.raises(InstructionBudgetExceeded) as e:
        run(build("uc_faults.c", target), target, case=6, max_instructions=20_000)
    msg = str(e.value)
    assert "20,000" in msg and "--max-instructions" in msg and "uc_spin_forever" in msg


@pytest.mark.parametrize("target", UNICORN_TARGETS[:1])
def test_budget_is_exact_at_block_granularity(build, target):
    elf = build("uc_hello.c", target)
    total = run(elf, target).instructions
    assert run(elf, target, max_instructions=total).instructions == total
    with pytest.raises(InstructionBudgetExceeded):
        run(elf, target, max_instructions=total - 1)


@pytest.mark.parametrize("target", UNICORN_TARGETS)
def test_endless_loop_hits_the_timeout(build, target):
    with pytest.raises(RunTimeout) as e:
        run(build("uc_faults.c", target), target, case=6, max_instructions=None, timeout_s=0.2)
    assert "uc_spin_forever" in str(e.value) and "--timeout" in str(e.value)


# ---------------------------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", NO_UNICORN_TARGETS)
def test_refuses_targets_unicorn_cannot_run(tmp_path, target):
    from isa.unicorn_backend import run_unicorn
    with pytest.raises(UnsupportedBackend, match="qemu"):
        run_unicorn(tmp_path / "never-read.elf", get_target(target), max_instructions=None, timeout_s=1)


def test_program_larger_than_the_memory_map(build):
    from isa.unicorn_backend import run_unicorn
    target = get_target(UNICORN_TARGETS[0])
    elf = build("uc_hello.c", target.name)
    tiny = dataclasses.replace(target, memory=tuple(dataclasses.replace(r, size=64) for r in target.memory))
    with pytest.raises(BadElf, match="does not fit the memory map"):
        run_unicorn(elf, tiny, max_instructions=None, timeout_s=10)


# ---------------------------------------------------------------------------------------------------------------
# speed (a script, not a test): python tests/isa/test_unicorn_backend.py [instructions]
# ---------------------------------------------------------------------------------------------------------------

def measure_speed(instructions: int = 20_000_000) -> None:
    """Counted and uncounted MIPS on ~`instructions`-instruction runs of uc_loop.c (one tight loop) and
    uc_matmul.c (an int8 matrix product: loads, nested loops, calls), best of three runs each."""
    import tempfile
    out_dir = Path(tempfile.mkdtemp(prefix="uc-speed-"))
    cache: dict = {}
    for name in UNICORN_TARGETS:
        t = get_target(name)
        for program in ("uc_loop.c", "uc_matmul.c"):
            elf = _build(out_dir, cache, program, name)
            if program == "uc_loop.c":
                case = instructions // loop_iteration_length(elf, t, "uc_lcg_loop")
            else:
                one, two = run(elf, name, case=1).instructions, run(elf, name, case=2).instructions
                case = max(1, (instructions - one) // (two - one) + 1)
            run(elf, name, case=1, count=False)  # warm-up: native helper built, caches hot
            counted = min((run(elf, name, case=case, max_instructions=None) for _ in range(3)),
                          key=lambda r: r.wall_seconds)
            uncounted = min((run(elf, name, case=case, count=False) for _ in range(3)), key=lambda r: r.wall_seconds)
            assert counted.stdout == uncounted.stdout and counted.exit_code == uncounted.exit_code == 0
            n = counted.instructions
            print(f"{name:12s} {program:12s} {n:>12,} instructions  counted {n / counted.wall_seconds / 1e6:7.1f} MIPS"
                  f"  uncounted {n / uncounted.wall_seconds / 1e6:7.1f} MIPS  ({len(counted.blocks.addr)} blocks)")


if __name__ == "__main__":
    measure_speed(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000)
