"""The one capstone set-up: a disassembler per architecture (``Target.arch``), and one instruction as text.

Every user (block decoding, fault messages of both backends, the purity check in toolchain/) asks here, so an
architecture's mode is decided once. "arm" is always Thumb-2 M-profile (isa/targets.py has no A-profile 32-bit
target). Capstone 5 knows neither Helium nor RVV: isa/decode_mve.py and isa/decode_riscv.py decode those.
"""
from __future__ import annotations

import capstone as cs

from isa.errors import UnsupportedBackend

_MODES = {
    "arm": (cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS),
    "aarch64": (cs.CS_ARCH_ARM64, cs.CS_MODE_ARM),
    "riscv32": (cs.CS_ARCH_RISCV, cs.CS_MODE_RISCV32 | cs.CS_MODE_RISCVC),
    "riscv64": (cs.CS_ARCH_RISCV, cs.CS_MODE_RISCV64 | cs.CS_MODE_RISCVC),
}


def disassembler(arch: str, *, detail: bool = False, skipdata: bool = False) -> cs.Cs:
    """A new capstone instance for `arch` (new, since `detail` / `skipdata` are per-instance state)."""
    try:
        md = cs.Cs(*_MODES[arch])
    except KeyError:
        raise UnsupportedBackend(f"no disassembler for architecture {arch!r}: isa/disasm.py knows "
                                 f"{', '.join(_MODES)}") from None
    md.detail = detail
    md.skipdata = skipdata
    return md


def first_instruction(arch: str, code: bytes, addr: int) -> tuple[str, str, int] | None:
    """(mnemonic, operands, size) of the instruction at the start of `code`, None if it does not decode. A
    disassembler problem is never raised: callers are composing an error message about something else."""
    try:
        for insn in disassembler(arch).disasm(code, addr, 1):
            return insn.mnemonic, insn.op_str, insn.size
    except Exception:  # capstone errors must not hide the fault being reported
        return None
    return None
