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


class InstructionBudgetExceeded(IsaError):
    pass


class RunTimeout(IsaError):
    pass
