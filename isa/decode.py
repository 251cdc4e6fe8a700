"""Decoding of executed basic blocks into classified instructions (:class:`isa.insn.Insn`), once per distinct
block, after the run.

Each instruction of a counted block is disassembled with capstone (isa/disasm.py) and classified by its ISA's
decoder: isa/decode_arm.py (Thumb-2), isa/decode_mve.py (Helium and low-overhead loops, which capstone 5 does not
know), isa/decode_aarch64.py, isa/decode_riscv.py (scalar, and RVV from the encoding). Soft-float helper calls are
classified later (:func:`isa.profile.classify_calls`), since that needs symbols. Nothing here runs per executed
block: a block is decoded once whatever its execution count.
"""
from __future__ import annotations

from isa.decode_aarch64 import classify_a64
from isa.decode_arm import classify_thumb
from isa.decode_riscv import RVV_BYTES_ASSUMPTION, auipc_pair, classify_riscv, decode_rvv, is_rvv, vtype_before
from isa.disasm import disassembler
from isa.elf import ElfImage, instruction_lengths
from isa.insn import MIX_CLASSES, MIX_LABELS, DecodedBlock, Insn

__all__ = ["BlockDecoder", "decoder_for", "DecodedBlock", "Insn", "MIX_CLASSES", "MIX_LABELS",
           "RVV_BYTES_ASSUMPTION"]


class BlockDecoder:
    """Decodes blocks of one ELF for one architecture; caches by (address, size)."""

    def __init__(self, img: ElfImage, arch: str, vlen: int | None = None,
                 vl_by_site: dict[int, float] | None = None, mve: bool = False):
        self.img, self.arch, self.vlen = img, arch, vlen or 128
        self.mve = None  # Armv8.1-M: Helium and low-overhead loops, which capstone 5 does not decode
        if mve:
            from isa.decode_mve import decode_mve
            self.mve = decode_mve
        self.vl_by_site = vl_by_site or {}  # vsetvl* address -> mean vl it produced (RunResult.vl_sites)
        self.cs = disassembler(arch)
        self._cache: dict[tuple[int, int], DecodedBlock] = {}
        self._vtype_by_addr: list[tuple[int, int, float]] = []  # (addr, sew, lmul) of every vsetvli seen

    def block(self, addr: int, size: int) -> DecodedBlock:
        key = (addr, size)
        b = self._cache.get(key)
        if b is None:
            b = self._decode(addr, size)
            self._cache[key] = b
        return b

    def _decode(self, addr: int, size: int) -> DecodedBlock:
        try:
            code = self.img.read(addr, size)
        except Exception:
            code = b""
        out = DecodedBlock(addr, size)
        if not code:  # code outside the ELF image: counted as unknown ALU work (never happens for our programs)
            n = max(size // 4, 1)
            out.insns = [Insn(addr + 4 * i, 4, "(unknown)", "", "int_alu", "alu") for i in range(n)]
            return out
        pc, off = addr, 0
        vtype: tuple[int, float, int] | None = None  # (sew, lmul, address of the governing vsetvl*)
        it_left = 0
        riscv = self.arch.startswith("riscv")
        for step in instruction_lengths(self.arch, code):
            raw = code[off:off + step]
            insn = None
            if riscv and step == 4:
                word = int.from_bytes(raw, "little")
                if is_rvv(word):
                    if vtype is None:
                        vtype = vtype_before(self.img, self.arch, pc, self._vtype_by_addr)
                    vl = self.vl_by_site.get(vtype[2]) if vtype else None
                    insn, new_vtype = decode_rvv(word, pc, vtype[:2] if vtype else None, self.vlen, vl)
                    if new_vtype is not None:
                        vtype = (*new_vtype, pc)
                        self._vtype_by_addr.append((pc, new_vtype[0], new_vtype[1]))
            if insn is None and self.arch == "arm" and step == 4 and self.mve:
                insn = self.mve(raw, pc)
            if insn is None:
                ci = next(self.cs.disasm(raw, pc, 1), None)
                if ci is None:
                    insn = Insn(pc, step, "(undecoded)", raw.hex(), "int_alu", "alu")
                else:
                    mn, ops = ci.mnemonic, ci.op_str
                    if self.arch == "arm":
                        insn = classify_thumb(pc, step, mn, ops, in_it=it_left > 0)
                        if mn.startswith("it"):
                            it_left = len(mn) - 1  # it, itt, ite, ittt, ...
                        elif it_left:
                            it_left -= 1
                    elif self.arch == "aarch64":
                        insn = classify_a64(pc, step, mn, ops)
                    else:
                        insn = classify_riscv(pc, step, mn, ops, raw, self.arch == "riscv64")
            if riscv and insn.branch in ("indirect_call", "indirect") and out.insns:
                insn = auipc_pair(out.insns[-1], code[off - out.insns[-1].size:off], insn, raw)
            out.insns.append(insn)
            pc += step
            off += step
        return out


def decoder_for(img: ElfImage, target, vl_by_site: dict[int, float] | None = None) -> BlockDecoder:
    """`vl_by_site`: the run's measured mean vl per vsetvl* address (RunResult.vl_sites.mean_vl())."""
    return BlockDecoder(img, target.arch, getattr(target, "vlen", None), vl_by_site=vl_by_site,
                        mve="mve" in getattr(target, "extensions", ()))
