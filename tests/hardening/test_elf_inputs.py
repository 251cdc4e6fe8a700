"""Bad ELF input to `isa.run` and `intgap run`, on both backends: not an ELF, the wrong architecture, truncated or
hand-damaged headers, and programs that fault, loop forever or write outside their memory. Each ends in one
IsaError naming the cause and the fix; never a traceback, a hang or a count."""
from __future__ import annotations

import shutil
import struct

import pytest

import isa
from intgap.cli import main
from isa.elf import load_elf
from isa.errors import BadElf, EmulatorFault, InstructionBudgetExceeded, RunTimeout, UnknownTarget, UnsupportedBackend

from .conftest import PROGRAMS, one_line_error

BACKENDS = ("unicorn", "qemu")
# one Linux-style 64-bit target, one bare-metal Cortex-M target (QEMU system mode), one 32-bit RISC-V
TARGETS = ("rv64gc", "cortex-m4", "rv32imc")


def _needs(backend: str, target: str) -> None:
    t = isa.get_target(target)
    if backend == "qemu":
        from isa.errors import EmulatorNotFound
        from isa.qemu_discovery import find_qemu
        try:
            find_qemu(t.qemu.binary)
        except EmulatorNotFound as e:
            pytest.skip(str(e))


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_an_elf(tmp_path, backend):
    p = tmp_path / "notes.txt"
    p.write_text("hello, not a program\n")
    with pytest.raises(BadElf, match="not an ELF file .*: pass a program built for the target"):
        isa.run(p, "rv64gc", backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_file_and_directory(tmp_path, backend):
    (tmp_path / "empty.elf").write_bytes(b"")
    with pytest.raises(BadElf, match="not an ELF file"):
        isa.run(tmp_path / "empty.elf", "rv64gc", backend)
    with pytest.raises(BadElf, match="cannot read .*Is a directory"):
        isa.run(tmp_path, "rv64gc", backend)
    with pytest.raises(BadElf, match="cannot read .*No such file"):
        isa.run(tmp_path / "missing.elf", "rv64gc", backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_host_elf_is_the_wrong_architecture(backend):
    host = shutil.which("ls") or shutil.which("python3")
    with pytest.raises(BadElf, match=r"64-bit EM_X86_64 ELF .*needs ELF64 EM_AARCH64: pick the target the program"):
        isa.run(host, "cortex-a53", backend)


@pytest.mark.parametrize("built,run_as,expect", [
    ("cortex-a53", "rv32imc", r"64-bit EM_AARCH64 ELF \(ELF64\), but target rv32imc needs ELF32 EM_RISCV"),
    ("rv64gc", "rv32imc", r"64-bit EM_RISCV ELF \(ELF64\), but target rv32imc needs ELF32 EM_RISCV"),
    ("cortex-m4", "cortex-a53", r"32-bit EM_ARM ELF \(ELF32\), but target cortex-a53 needs ELF64 EM_AARCH64"),
])
def test_elf_for_another_target(elfs, built, run_as, expect):
    elf = elfs("uc_hello.c", built)
    with pytest.raises(BadElf, match=expect):
        isa.run(elf, run_as)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cut", [20, 52, 300, -12])
def test_truncated_elf(elfs, tmp_path, backend, cut):
    raw = elfs("uc_hello.c", "rv64gc").read_bytes()
    p = tmp_path / "cut.elf"
    p.write_bytes(raw[:cut])
    with pytest.raises(BadElf, match="malformed ELF file .*: rebuild it"):
        isa.run(p, "rv64gc", backend)


def _phdr_field(raw: bytearray, index: int, field: str, value: int) -> None:
    """Overwrite one field of program header `index` of a little-endian ELF64."""
    phoff, = struct.unpack_from("<Q", raw, 0x20)
    phentsize, = struct.unpack_from("<H", raw, 0x36)
    off = {"p_filesz": 0x20, "p_memsz": 0x28, "p_offset": 0x08}[field]
    struct.pack_into("<Q", raw, phoff + index * phentsize + off, value)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("field,value,expect", [
    ("p_memsz", 1, "file bytes but 1 bytes of memory"),  # found by fuzzing: a UcError traceback before
    ("p_offset", 1 << 63, "malformed ELF file"),  # found by fuzzing: an OverflowError traceback before
])
def test_damaged_program_header(elfs, tmp_path, backend, field, value, expect):
    raw = bytearray(elfs("uc_hello.c", "rv64gc").read_bytes())
    img = load_elf(elfs("uc_hello.c", "rv64gc"))
    index = 0 if img.segments[0].data else 1
    _phdr_field(raw, index, field, value)
    p = tmp_path / "damaged.elf"
    p.write_bytes(bytes(raw))
    with pytest.raises(BadElf, match=expect):
        isa.run(p, "rv64gc", backend)


def test_segment_outside_the_target_memory(elfs, tmp_path):
    """A program linked for a big core does not fit a Cortex-M4's memory map: refused before running."""
    raw = bytearray(elfs("uc_hello.c", "cortex-m4").read_bytes())
    phoff, = struct.unpack_from("<I", raw, 0x1C)
    phentsize, = struct.unpack_from("<H", raw, 0x2A)
    struct.pack_into("<I", raw, phoff + 0x14, 0x7000_0000)  # p_memsz of the first segment: 1.75 GiB
    p = tmp_path / "huge.elf"
    p.write_bytes(bytes(raw))
    with pytest.raises(BadElf, match="does not fit the memory map of target cortex-m4"):
        isa.run(p, "cortex-m4", "unicorn")


def test_unknown_target_and_backend(elfs):
    elf = elfs("uc_hello.c", "rv64gc")
    with pytest.raises(UnknownTarget, match="unknown target 'cortex-z9': choose one of .*cortex-m4"):
        isa.run(elf, "cortex-z9")
    with pytest.raises(UnsupportedBackend, match="unknown backend 'spike': use unicorn or qemu"):
        isa.run(elf, "rv64gc", "spike")
    with pytest.raises(UnsupportedBackend, match="cannot run target rv64gcv .*use --backend qemu"):
        isa.run(elf, "rv64gcv", "unicorn")


# --------------------------------------------------------------------------------------- faulting programs

def _fault_run(elf, target, backend, case, **kw):
    kw.setdefault("max_instructions", 5_000_000)
    kw.setdefault("timeout_s", 30.0)
    return isa.run(elf, target, backend, inputs={".ig_input": struct.pack("<I", case)}, **kw)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS)
def test_invalid_read_faults(elfs, backend, target):
    _needs(backend, target)
    with pytest.raises(EmulatorFault) as e:
        _fault_run(elfs("uc_faults.c", target), target, backend, 1)
    assert "invalid memory read" in e.value.kind or "memory" in e.value.kind


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS)
def test_write_outside_memory_faults(elfs, backend, target):
    _needs(backend, target)
    with pytest.raises(EmulatorFault) as e:
        _fault_run(elfs("uc_faults.c", target), target, backend, 2)
    assert "write" in e.value.kind or "memory" in e.value.kind, e.value
    assert str(e.value).startswith("program fault: ")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", ("rv64gc", "cortex-a53"))
def test_write_to_code_faults(elfs, backend, target):
    """Linux-style targets map code read+execute: a store to it is a fault, not a silently patched program."""
    _needs(backend, target)
    with pytest.raises(EmulatorFault):
        _fault_run(elfs("uc_faults.c", target), target, backend, 7)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS)
def test_illegal_instruction_faults(elfs, backend, target):
    _needs(backend, target)
    with pytest.raises(EmulatorFault, match="invalid instruction"):
        _fault_run(elfs("uc_faults.c", target), target, backend, 3)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS + ("cortex-a53",))
def test_breakpoint_faults(elfs, backend, target):
    """bkpt #1 / brk #1 / ebreak: the same kind, place and reason under both backends (QEMU system mode: the
    HardFault it escalates to, recognized by the instruction)."""
    _needs(backend, target)
    with pytest.raises(EmulatorFault) as e:
        _fault_run(elfs("uc_faults.c", target), target, backend, 9)
    assert (e.value.kind, e.value.where) == ("breakpoint", "uc_breakpoint+0x0")
    assert "breakpoint or trap instruction" in e.value.detail


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS)
def test_endless_loop_stops_at_the_budget(elfs, backend, target):
    _needs(backend, target)
    with pytest.raises(InstructionBudgetExceeded, match="budget of 2,000,000 .*--max-instructions"):
        _fault_run(elfs("uc_faults.c", target), target, backend, 6, max_instructions=2_000_000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_endless_loop_stops_at_the_wall_clock_limit(elfs, backend):
    """Without counting there is no budget: the wall-clock limit still ends the run."""
    _needs(backend, "rv64gc")
    with pytest.raises(RunTimeout, match="did not (exit|finish) within 0.5 s"):
        _fault_run(elfs("uc_faults.c", "rv64gc"), "rv64gc", backend, 6, count=False, timeout_s=0.5)


# --------------------------------------------------------------------------------------- through the CLI

def test_cli_run_not_an_elf(tmp_path, capsys):
    p = tmp_path / "x.bin"
    p.write_bytes(b"\0" * 64)
    assert main(["run", str(p), "--target", "rv64gc", "--backend", "unicorn"]) == 2
    assert "is not an ELF file" in one_line_error(capsys)


def test_cli_run_wrong_architecture(elfs, capsys):
    assert main(["run", str(elfs("uc_hello.c", "cortex-m4")), "--target", "rv64gc", "--backend", "unicorn"]) == 2
    assert "pick the target the program was built for" in one_line_error(capsys)


def test_cli_run_unknown_target(elfs, capsys):
    assert main(["run", str(elfs("uc_hello.c", "rv64gc")), "--target", "cortex-z9"]) == 2
    assert "unknown target 'cortex-z9'" in one_line_error(capsys)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_run_endless_loop(elfs, tmp_path, capsys, backend):
    """`intgap run` on a program that never exits: one line naming the budget and the flag to raise it."""
    from isa.elf import patch_sections
    p = tmp_path / "loop.elf"
    patch_sections(elfs("uc_faults.c", "rv64gc"), {".ig_input": struct.pack("<I", 6)}, p)
    rc = main(["run", str(p), "--target", "rv64gc", "--backend", backend, "--max-instructions", "1000000",
               "--no-profile"])
    assert rc == 2
    line = one_line_error(capsys)
    assert "budget of 1,000,000" in line and "--max-instructions" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_run_fault(elfs, tmp_path, capsys, backend):
    from isa.elf import patch_sections
    p = tmp_path / "fault.elf"
    patch_sections(elfs("uc_faults.c", "rv64gc"), {".ig_input": struct.pack("<I", 1)}, p)
    assert main(["run", str(p), "--target", "rv64gc", "--backend", backend, "--no-profile"]) == 2
    line = one_line_error(capsys)
    assert "program fault: invalid memory read" in line and "uc_bad_read" in line


# --------------------------------------------------------------------------------------- more layout errors

def test_object_file_is_not_a_program(tmp_path):
    """A relocatable object (gcc -c) of the right architecture has no loadable segment."""
    import subprocess
    from toolchain import find_compiler
    cc = find_compiler(isa.get_target("rv64gc"))
    obj = tmp_path / "hello.o"
    subprocess.run([cc.path, *cc.target_flags, "-c", "-ffreestanding", "-I", str(PROGRAMS.parent.parent.parent
                    / "runtime_c" / "include"), str(PROGRAMS / "uc_hello.c"), "-o", str(obj)], check=True, timeout=60)
    with pytest.raises(BadElf, match="has no loadable segment: it is not a program"):
        isa.run(obj, "rv64gc")


def test_inputs_for_a_program_without_an_input_section(elfs, tmp_path):
    with pytest.raises(BadElf, match="has no section '.ig_nothing' to fill: build it with the intgap harness"):
        isa.run(elfs("uc_hello.c", "rv64gc"), "rv64gc", inputs={".ig_nothing": b"\0"})
    with pytest.raises(BadElf, match=r"input of 4096 bytes does not fit section '.ig_input' of \d+ bytes"):
        isa.run(elfs("uc_faults.c", "rv64gc"), "rv64gc", inputs={".ig_input": b"\0" * 4096})


def test_cortex_m_reset_vector_not_in_the_program(elfs, tmp_path):
    elf = elfs("uc_hello.c", "cortex-m4")
    img = load_elf(elf)
    raw = bytearray(elf.read_bytes())
    seg0 = next(s for s in img.segments if s.vaddr == 0)
    off = raw.find(seg0.data[:8])
    struct.pack_into("<I", raw, off + 4, 0x0010_0000)  # even, and outside the program
    p = tmp_path / "badvec.elf"
    p.write_bytes(bytes(raw))
    with pytest.raises(BadElf, match="the reset vector .* is 0x100000, not a Thumb address in the program"):
        isa.run(p, "cortex-m4", "unicorn")


def test_segment_over_the_stack_region(elfs, tmp_path):
    """A Linux-style program whose segment lies on the emulated stack is refused (not silently overwritten)."""
    raw = bytearray(elfs("uc_hello.c", "rv64gc").read_bytes())
    img = load_elf(elfs("uc_hello.c", "rv64gc"))
    stack = isa.get_target("rv64gc").stack_region
    phoff, = struct.unpack_from("<Q", raw, 0x20)
    phentsize, = struct.unpack_from("<H", raw, 0x36)
    index = next(i for i, s in enumerate(img.segments) if s.memsz)
    struct.pack_into("<Q", raw, phoff + index * phentsize + 0x10, stack.base)  # p_vaddr onto the stack
    p = tmp_path / "onstack.elf"
    p.write_bytes(bytes(raw))
    with pytest.raises(BadElf, match="(overlaps the stack region|does not fit the memory map)"):
        isa.run(p, "rv64gc", "unicorn")


# --------------------------------------------------------------------------------------- where a limit stopped it

@pytest.mark.parametrize("target", TARGETS)
def test_budget_names_the_same_block_under_both_backends(elfs, target):
    """An endless loop past its budget: both backends name the basic block that took the count over (pc, symbol,
    instruction) and the count at that point, and they agree exactly (QEMU finds the block with a rerun under the
    plugin's per-block check, the rule of the Unicorn hook)."""
    import re
    _needs("qemu", target)
    errs = {}
    for backend in BACKENDS:
        with pytest.raises(InstructionBudgetExceeded) as e:
            _fault_run(elfs("uc_faults.c", target), target, backend, 6, max_instructions=1_000_000)
        errs[backend] = e.value
    spin = next(f for f in load_elf(elfs("uc_faults.c", target)).functions if f.name == "uc_spin_forever")
    for backend, e in errs.items():
        assert spin.addr <= e.pc < spin.addr + spin.size, (backend, e)
        assert e.where == f"uc_spin_forever+0x{e.pc - spin.addr:x}" and e.instruction
        assert f"pc=0x{e.pc:x} in {e.where} ({e.instruction})" in str(e) and "--max-instructions" in str(e)
    u, q = errs["unicorn"], errs["qemu"]
    assert (u.pc, u.instruction) == (q.pc, q.instruction)
    executed = {b: int(re.search(r"after ([\d,]+) instructions", str(e)).group(1).replace(",", ""))
                for b, e in errs.items()}
    assert executed["unicorn"] == executed["qemu"] > 1_000_000


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("target", TARGETS)
def test_timeout_names_where_the_program_was(elfs, backend, target):
    """A program that never exits, run without counting (no budget): the wall-clock limit ends it, and the error
    names a pc in its endless loop with the instruction there (QEMU: from a rerun under its gdbstub, interrupted)."""
    _needs(backend, target)
    with pytest.raises(RunTimeout) as e:
        _fault_run(elfs("uc_faults.c", target), target, backend, 6, count=False, timeout_s=0.3)
    spin = next(f for f in load_elf(elfs("uc_faults.c", target)).functions if f.name == "uc_spin_forever")
    assert spin.addr <= e.value.pc < spin.addr + spin.size
    assert e.value.where.startswith("uc_spin_forever+") and e.value.instruction
    assert f"pc=0x{e.value.pc:x} in {e.value.where} ({e.value.instruction})" in str(e.value)
    assert "--timeout" in str(e.value)
