"""Errors of the isa package. Each message names the cause and the fix."""
from __future__ import annotations


class IsaError(Exception):
    """Base class: the CLI prints the message as one line."""


class UnknownTarget(IsaError):
    pass


class UnsupportedBackend(IsaError):
    """A backend cannot run a target's ISA (e.g. Unicorn and RVV); raised before anything runs."""


class EmulatorNotFound(IsaError):
    pass


class BadElf(IsaError):
    """Not an ELF, or an ELF for another architecture than the target's."""


class EmulatorFault(IsaError):
    """The program faulted: invalid memory access, illegal instruction, unsupported system call."""

    def __init__(self, kind: str, pc: int | None, where: str, detail: str = ""):
        self.kind = kind
        self.pc = pc
        self.where = where
        self.detail = detail
        pc_text = f" at pc=0x{pc:x}" if pc is not None else ""
        where_text = f" in {where}" if where else ""
        super().__init__(f"program fault: {kind}{pc_text}{where_text}{': ' + detail if detail else ''}")

    def __reduce__(self):  # pickled by its fields (a process-pool worker's fault reaches the user as itself)
        return type(self), (self.kind, self.pc, self.where, self.detail)


class _Located(IsaError):
    """A run stopped by a limit: where it was (pc, ``symbol+offset``, the instruction there), when known."""

    def __init__(self, message: str, *, pc: int | None = None, where: str = "", instruction: str = ""):
        self.pc = pc
        self.where = where
        self.instruction = instruction
        super().__init__(message)

    def __reduce__(self):  # the keyword fields are state: pickling calls cls(message) then restores them
        return type(self), self.args, self.__dict__


class InstructionBudgetExceeded(_Located):
    """The run executed more instructions than its budget. ``pc`` is the start of the basic block that took the
    count past the budget (both backends check the budget per block, with the same rule)."""


class RunTimeout(_Located):
    """The run did not end within its wall-clock limit. ``pc`` is where the program was when it was stopped
    (Unicorn), or where a rerun under QEMU's gdbstub was after a short time (QEMU)."""


def located(pc: int | None, where: str, instruction: str) -> str:
    """"pc=0x.. in fn+0x.. (insn)" for a limit's message; "" if the place is unknown."""
    if pc is None:
        return ""
    return f"pc=0x{pc:x} in {where or '(no symbol)'}" + (f" ({instruction})" if instruction else "")


class UnknownBoard(IsaError):
    """A board name that is not in the registry (isa/boards.py)."""


class BoardMismatch(IsaError):
    """A board whose core cannot host the target (e.g. a Cortex-M4 board for an AArch64 target)."""


class ProgramDoesNotFitBoard(IsaError):
    """The program's code, constants, data or stack exceed the board's flash / SRAM."""
