"""The decoded instruction every decoder (isa/decode_*.py) produces and every timing model reads.

* ``cls``: its class in the instruction mix (one of :data:`MIX_CLASSES`, exactly one per instruction);
* ``kind``: the finer operation kind the timing models look up latencies and pipes by;
* ``reads`` / ``writes``: architectural registers (normalized: ``w3``/``x3`` -> ``x3``, ``s1``/``d1``/``q1``
  -> ``v1`` on AArch64; ``flags`` for condition flags), parsed from the operand text;
* ``load_bytes`` / ``store_bytes``: bytes one execution moves, from the access size the encoding fixes
  (register width, ``b``/``h``/``w``/``d`` suffixes, register-list length, vector arrangement). RVV accesses
  have no fixed size: see :data:`isa.decode_riscv.RVV_BYTES_ASSUMPTION`;
* ``branch``: None, or "cond", "jump", "call", "return", "indirect", "indirect_call"; ``target`` for direct ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# The instruction-mix classes, in report order. "system" holds what is none of the others: system calls,
# semihosting breakpoints, barriers, hints/nops, CSR and special-register moves, Thumb IT.
MIX_CLASSES = ("int_alu", "mul_mac", "load", "store", "branch", "simd_int", "simd_float", "scalar_float",
               "softfloat_call", "system")
MIX_LABELS = {"int_alu": "integer ALU", "mul_mac": "multiply/MAC/divide", "load": "load", "store": "store",
              "branch": "branch", "simd_int": "SIMD integer", "simd_float": "SIMD float",
              "scalar_float": "scalar float", "softfloat_call": "soft-float helper call", "system": "system/other"}

@dataclass(frozen=True)
class VecInfo:
    """RVV facts of one instruction: the vtype in force (as assumed) and what the instruction does."""
    sew: int  # element width in bits in force (or EEW for memory accesses)
    lmul: float  # register-group multiplier in force (EMUL for memory accesses)
    op: str  # "cfg", "alu", "mul", "mac", "div", "fp", "fp_div", "red", "perm", "load", "store", "mask", "move"
    elements: int  # vl: the governing vsetvl site's measured mean, else VLMAX (see RVV_BYTES_ASSUMPTION)
    whole_regs: int = 0  # nf of a whole-register access


@dataclass(frozen=True)
class Insn:
    addr: int
    size: int
    mnemonic: str
    op_str: str
    cls: str
    kind: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    load_bytes: int = 0
    store_bytes: int = 0
    transfers: int = 0  # registers (beats) a load/store multiple moves; 1 for a single access
    branch: str | None = None
    target: int | None = None
    vec: VecInfo | None = None

    @property
    def text(self) -> str:
        return f"{self.mnemonic} {self.op_str}".strip()


@dataclass
class DecodedBlock:
    addr: int
    size: int
    insns: list[Insn] = field(default_factory=list)

    @property
    def last(self) -> Insn | None:
        return self.insns[-1] if self.insns else None

    @property
    def end(self) -> int:
        return self.addr + self.size


# Operand-text helpers of the two ARM decoders (capstone's syntax)

def imm_target(ops: str) -> int | None:
    m = re.search(r"#(-?0x[0-9a-f]+|-?\d+)\s*$", ops)
    return int(m.group(1), 0) if m else None


def mem_writeback(ops: str) -> bool:
    return "]!" in ops or re.search(r"\],\s*(#|[rwx]\d)", ops) is not None
