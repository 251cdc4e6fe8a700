"""What both backends say about a run that went wrong: the budget error, the faulting instruction and whether it
read or wrote, the names of semihosting calls. One module, so that Unicorn and QEMU name a fault alike."""
from __future__ import annotations

from isa.disasm import first_instruction
from isa.elf import ElfImage, instruction_lengths
from isa.errors import InstructionBudgetExceeded, located
from isa.targets import Target

BREAKPOINT_DETAIL = "the program executed a breakpoint or trap instruction"

SEMIHOSTING_NAMES = {
    0x01: "SYS_OPEN", 0x02: "SYS_CLOSE", 0x03: "SYS_WRITEC", 0x04: "SYS_WRITE0", 0x05: "SYS_WRITE",
    0x06: "SYS_READ", 0x07: "SYS_READC", 0x08: "SYS_ISERROR", 0x09: "SYS_ISTTY", 0x0A: "SYS_SEEK",
    0x0C: "SYS_FLEN", 0x0D: "SYS_TMPNAM", 0x0E: "SYS_REMOVE", 0x0F: "SYS_RENAME", 0x10: "SYS_CLOCK",
    0x11: "SYS_TIME", 0x12: "SYS_SYSTEM", 0x13: "SYS_ERRNO", 0x15: "SYS_GET_CMDLINE", 0x16: "SYS_HEAPINFO",
    0x18: "SYS_EXIT", 0x19: "SYS_SYNCCACHE", 0x20: "SYS_EXIT_EXTENDED", 0x30: "SYS_ELAPSED",
    0x31: "SYS_TICKFREQ",
}


def budget_exceeded(target: Target, img: ElfImage, budget: int, pc: int, executed: int, insn: str,
                    how: str = "") -> InstructionBudgetExceeded:
    """The budget error both backends raise: the block that took the count past the budget, named alike."""
    where = img.describe(pc)
    return InstructionBudgetExceeded(
        f"{img.path.name} on {target.name} ran past the instruction budget of {budget:,} instructions: the basic"
        f" block at {located(pc, where, insn)} took it over, after {executed:,} instructions (the budget is checked"
        f" per basic block{how}): raise it with --max-instructions, or look for an endless loop there",
        pc=pc, where=where, instruction=insn)


def disassemble_one(arch: str, code: bytes, addr: int) -> str:
    """The first instruction of `code` as text with its bytes, or its raw bytes if it does not decode."""
    if not code:
        return "(no code mapped at this address)"
    insn = first_instruction(arch, code, addr)
    if insn is not None:
        return f"{insn[0]} {insn[1]}".strip() + f" ({code[:insn[2]].hex(' ')})"
    n = instruction_lengths(arch, code)[0]
    return f"undecodable instruction ({code[:n].hex(' ')})"


def in_code(img: ElfImage, pc: int) -> bool:
    return any(s.flags & 1 and s.vaddr <= pc < s.vaddr + s.memsz for s in img.segments)


def instruction_at(arch: str, img: ElfImage, pc: int) -> tuple[str, str] | None:
    """(mnemonic, operands) of the instruction at pc, from the ELF's bytes; None if there is none."""
    if not in_code(img, pc):
        return None
    try:
        code = img.read(pc, 4)
    except Exception:  # a short read at the end of a segment must not hide the fault itself
        return None
    insn = first_instruction(arch, code, pc)
    return insn[:2] if insn else None


def memory_access(arch: str, mnemonic: str) -> str | None:
    """"read" or "write" for a load/store mnemonic (the faulting instruction of a memory fault)."""
    m = mnemonic.lower()
    if arch.startswith("riscv"):
        m = m.removeprefix("c.")
        if m.startswith(("sc.", "amo")) or m in ("sb", "sh", "sw", "sd", "fsw", "fsd", "fsh", "swsp", "sdsp",
                                                  "fswsp", "fsdsp") or (m.startswith("vs") and ".v" in m):
            return "write"
        if m.startswith(("lr.", "fl", "vl")) or m in ("lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "lwsp",
                                                      "ldsp"):
            return "read"
        return None
    if arch == "arm":
        if m.startswith(("str", "stm", "push", "vstr", "vstm", "vpush", "stl", "stc")):
            return "write"
        if m.startswith(("ldr", "ldm", "pop", "vldr", "vldm", "vpop", "lda", "ldc", "tbb", "tbh")):
            return "read"
        return None
    if arch == "aarch64":
        if m.startswith("st"):
            return "write"
        if m.startswith(("ld", "prfm")):
            return "read"
    return None
