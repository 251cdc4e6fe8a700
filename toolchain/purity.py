"""The integer purity check (DESIGN invariant 1): an integer build must execute no floating-point instruction and
call no soft-float helper. The ELF is disassembled (capstone) from the model's entry points along direct calls and
jumps; every function reached is scanned for floating-point instructions, and any soft-float helper reached is
named. Data in code (literal pools, marked by the ARM/AArch64/RISC-V mapping symbols `$d`) is not decoded.

Allowed: register moves between general-purpose and SIMD registers that AArch64 spells `fmov` (a bit copy, no
float arithmetic); integer SIMD (NEON, RVV integer ops, ARMv7E-M DSP, Armv8.1-M Helium integer ops and the
register moves they need)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import capstone as cs
from elftools.elf.elffile import ELFFile

from isa.disasm import disassembler
from toolchain.errors import ToolchainError


class FloatInIntegerBuild(ToolchainError):
    """A floating-point instruction or soft-float helper is reachable from an integer model."""


# Entry points of the model's own code (the run harness and platform layer are not part of the model).
MODEL_ROOTS = re.compile(r"^(ig_model_invoke|ig_model_init|ig_model_forward|ig_model_generate|ig_layer_\w+|ig_case_\d+)$")
SOFT_FLOAT = re.compile(r"^__(aeabi_[fd]\w*|\w*?(sf|df|tf|hf)\d*\w*)$")


@dataclass
class Finding:
    function: str
    address: int
    instruction: str  # "mnemonic operands", or "call to <helper>"

    def __str__(self) -> str:
        return f"{self.function} at 0x{self.address:x}: {self.instruction}"


# Armv8.1-M Helium (an ELF whose attributes say MVE) shares the FPU's registers: integer MVE code moves q, d and s
# registers (VLDR of a vector constant, VMOV of a lane, VPUSH of q4-q7) without computing in float, so there an
# instruction is float when it has a float data type (.f16 / .f32 / .f64: arithmetic, conversions, FP immediates).
# Helium instructions capstone 5 cannot decode (it has no MVE) are skipped as data; the float ones it does decode
# (VFMA / VMUL / VADD .f32, VCVT) are caught.
_ARM_FLOAT_TYPE = re.compile(r"\.f(16|32|64)\b")


def _has_mve(ef) -> bool:
    sec = ef.get_section_by_name(".ARM.attributes")
    if sec is None:
        return False
    return any(a.tag == "TAG_MVE_ARCH" and a.value for ss in sec.iter_subsections()
               for sss in ss.iter_subsubsections() for a in sss.iter_attributes())


_ARM_ARCH = {"EM_ARM": "arm", "EM_AARCH64": "aarch64"}


def _arch(machine: str, elfclass: int) -> str:
    """The isa architecture name (isa.disasm) of an ELF machine."""
    if machine == "EM_RISCV":
        return "riscv64" if elfclass == 64 else "riscv32"
    if machine in _ARM_ARCH:
        return _ARM_ARCH[machine]
    raise ToolchainError(f"the purity check does not know ELF machine {machine}")


def is_float_instruction(machine: str, mnemonic: str, op_str: str, mve: bool = False) -> bool:
    m = mnemonic.lower()
    if machine == "EM_ARM":
        if mve:  # Helium shares the FPU's registers: only an instruction with a float data type computes in float
            return m.startswith("v") and _ARM_FLOAT_TYPE.search(m) is not None
        return m.startswith("v")  # M-profile without MVE: every VFP/FPU instruction starts with v (no NEON)
    if machine == "EM_AARCH64":
        if m == "fmov":  # a bit copy between registers is no float arithmetic; an FP immediate is
            return "#" in op_str
        return m.startswith("f") or m in ("scvtf", "ucvtf") or m.startswith(("scvtf", "ucvtf"))
    # RISC-V: F/D/Zfh instructions and vector float instructions
    if m.startswith("fence"):
        return False
    return m.startswith("f") or m.startswith("vf") or m.startswith("c.f")


def _sext(v: int, bits: int) -> int:
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def _riscv_walk(code: bytes, base: int, xlen: int):
    """(address, length, is_float, description, branch target or None, auipc (rd, value) or None, jalr (rs1, imm)
    or None) per instruction. Decoded here from the encodings, because capstone 5 knows no RVV and would
    misdecode vector instructions as compressed ones."""
    i = 0
    while i + 2 <= len(code):
        h = code[i] | code[i + 1] << 8
        addr = base + i
        if h & 3 != 3:  # 16-bit compressed
            q, f3 = h & 3, h >> 13
            fl = (q in (0, 2) and f3 in (1, 5)) or (xlen == 32 and q in (0, 2) and f3 in (3, 7))
            target = None
            if q == 1 and (f3 == 5 or (f3 == 1 and xlen == 32)):  # c.j / c.jal
                imm = ((h >> 12 & 1) << 11 | (h >> 11 & 1) << 4 | (h >> 9 & 3) << 8 | (h >> 8 & 1) << 10 |
                       (h >> 7 & 1) << 6 | (h >> 6 & 1) << 7 | (h >> 3 & 7) << 1 | (h >> 2 & 1) << 5)
                target = addr + _sext(imm, 12)
            yield addr, 2, fl, f"compressed instruction 0x{h:04x}", target, None, None
            i += 2
            continue
        if i + 4 > len(code):
            break
        w = int.from_bytes(code[i:i + 4], "little")
        op, f3 = w & 0x7F, w >> 12 & 7
        fl = (op == 0x57 and f3 in (1, 5)) or (op in (0x07, 0x27) and f3 in (1, 2, 3, 4)) or \
            op in (0x53, 0x43, 0x47, 0x4B, 0x4F)
        target = auipc = jalr = None
        if op == 0x6F:  # jal
            imm = (w >> 31 & 1) << 20 | (w >> 12 & 0xFF) << 12 | (w >> 20 & 1) << 11 | (w >> 21 & 0x3FF) << 1
            target = addr + _sext(imm, 21)
        elif op == 0x17:  # auipc
            auipc = (w >> 7 & 31, addr + _sext(w & 0xFFFFF000, 32))
        elif op == 0x67:  # jalr
            jalr = (w >> 15 & 31, _sext(w >> 20, 12))
        yield addr, 4, fl, f"instruction 0x{w:08x}", target, auipc, jalr
        i += 4


def check_integer_purity(elf: str | Path) -> list[Finding]:
    """Findings (empty: pure) for the functions reachable from the model's entry points."""
    with open(elf, "rb") as f:
        ef = ELFFile(f)
        machine = ef["e_machine"]
        symtab = ef.get_section_by_name(".symtab")
        if symtab is None:
            raise ToolchainError(f"{Path(elf).name} has no symbol table: the purity check needs an unstripped ELF")
        funcs: dict[int, tuple[str, int]] = {}
        data_marks: list[tuple[int, bool]] = []  # (address, is_data) from mapping symbols
        for s in symtab.iter_symbols():
            if s.name.startswith("$"):
                data_marks.append((s["st_value"], s.name.startswith("$d")))
            elif s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] != "SHN_UNDEF":
                addr = s["st_value"] & ~1 if machine == "EM_ARM" else s["st_value"]
                if addr not in funcs or s["st_info"]["bind"] == "STB_GLOBAL":
                    funcs[addr] = (s.name, s["st_size"])
        segs = [(seg["p_vaddr"], seg.data()) for seg in ef.iter_segments() if seg["p_type"] == "PT_LOAD"]
        elfclass = ef.elfclass
        mve = machine == "EM_ARM" and _has_mve(ef)
    md = disassembler(_arch(machine, elfclass), detail=True, skipdata=True)
    data_marks.sort()
    starts = sorted(funcs)

    def read(addr: int, size: int) -> bytes:
        for base, data in segs:
            if base <= addr and addr + size <= base + len(data):
                return data[addr - base:addr - base + size]
        return b""

    def is_data(addr: int) -> bool:
        last = None
        for a, d in data_marks:  # small lists: linear is fine
            if a > addr:
                break
            last = d
        return bool(last)

    def function_of(addr: int) -> int | None:
        import bisect
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < starts[i] + max(funcs[starts[i]][1], 1):
            return starts[i]
        return None

    findings: list[Finding] = []
    seen: set[int] = set()
    todo = [a for a, (n, _) in funcs.items() if MODEL_ROOTS.match(n)]
    if not todo:
        raise ToolchainError(f"{Path(elf).name} has no model entry point (ig_model_invoke / ig_model_forward / ig_layer_*) to check")
    while todo:
        fa = todo.pop()
        if fa in seen:
            continue
        seen.add(fa)
        name, size = funcs[fa]
        if SOFT_FLOAT.match(name):
            findings.append(Finding(name, fa, f"soft-float helper {name} is called"))
            continue
        code = read(fa, size)
        targets: list[int] = []
        if machine == "EM_RISCV":
            auipc: dict[int, int] = {}  # calls are auipc + jalr (or jal)
            for addr, length, fl, desc, target, au, jr in _riscv_walk(code, fa, 64 if elfclass == 64 else 32):
                if fl and not is_data(addr):
                    text = next((f"{x.mnemonic} {x.op_str}" for x in md.disasm(code[addr - fa:addr - fa + length], addr)
                                 if x.id != 0), desc)
                    findings.append(Finding(name, addr, text.strip()))
                if target is not None:
                    targets.append(target)
                if au is not None:
                    auipc[au[0]] = au[1]
                if jr is not None and jr[0] in auipc:
                    targets.append(auipc[jr[0]] + jr[1])
        else:
            for insn in md.disasm(code, fa):
                if insn.id == 0 or is_data(insn.address):  # skipped data
                    continue
                if is_float_instruction(machine, insn.mnemonic, insn.op_str, mve):
                    findings.append(Finding(name, insn.address, f"{insn.mnemonic} {insn.op_str}".strip()))
                if insn.group(cs.CS_GRP_JUMP) or insn.group(cs.CS_GRP_CALL):
                    targets += [op.imm & ~1 if machine == "EM_ARM" else op.imm for op in insn.operands if op.type == 2]
        for t in targets:
            target = function_of(t)
            if target is not None and target != fa:
                todo.append(target)
    return findings


def require_integer_purity(elf: str | Path) -> None:
    """Raises FloatInIntegerBuild naming each offending function and instruction."""
    findings = check_integer_purity(elf)
    if findings:
        shown = "; ".join(str(f) for f in findings[:8]) + (f"; and {len(findings) - 8} more" if len(findings) > 8 else "")
        raise FloatInIntegerBuild(
            f"{Path(elf).name} is an integer build but floating point is reachable from the model: {shown}. "
            "Fix the kernel or lowering that uses float (integer builds must be integer-only)")
