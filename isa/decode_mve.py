"""Decoding of the Armv8.1-M instructions capstone 5 does not know: Helium (MVE) vector instructions, tail
predication (VCTP, VPST/VPT, VMRS/VMSR P0) and the low-overhead loops (DLS/DLSTP, WLS/WLSTP, LE/LETP).

Encodings from the Armv8.1-M Architecture Reference Manual (DDI 0553), checked against what GNU as assembles
(tests/isa/test_decode_mve.py). Exactly classified: contiguous and interleaving vector loads / stores, VMOV of two
lanes to or from two general-purpose registers, the
multiply-accumulate reductions (VMLADAV, VMLAV, VMLALDAV and their accumulating forms), the add / min / max
reductions, VCTP, VPST, the loop instructions. Every other MVE instruction is a vector ALU operation, or a vector
multiply where its encoding is in the 3-register multiply group (VMUL, VMLA, VQDMULH, VQRDMULH, VFMA, VMUL.F).
Bytes moved by a vector load / store are 16 (a full Q register): an upper bound for tail-predicated and for
widening / narrowing accesses (MVE_BYTES_ASSUMPTION).
"""
from __future__ import annotations

from isa.insn import Insn

MVE_BYTES_ASSUMPTION = ("MVE vector loads and stores are counted as 16 bytes each (a full Q register): an upper "
                        "bound for tail-predicated and for widening or narrowing accesses")


def _q(v: int) -> str:
    return f"q{v & 7}"


def _r(v: int) -> str:
    return {13: "sp", 14: "lr", 15: "pc"}.get(v & 15, f"r{v & 15}")


def _lob(hw1: int, hw2: int, pc: int) -> Insn | None:
    """DLS/DLSTP, WLS/WLSTP, LE/LETP (T1 encodings of the low-overhead-branch extension)."""
    if hw1 & 0xFF80 != 0xF000:
        return None
    rn = hw1 & 0xF
    if hw2 == 0xE001:  # DLS (size field 0b100) / DLSTP: loop start, lr = count
        mn = "dls" if (hw1 >> 4) & 7 == 4 else "dlstp"
        return Insn(pc, 4, mn, f"lr, {_r(rn)}", "int_alu", "alu", (_r(rn),), ("lr",))
    if hw2 & 0xF001 == 0xC001:
        off = (((hw2 >> 1) & 0x3FF) << 2) | (((hw2 >> 11) & 1) << 1)
        if rn == 0xF:  # LE / LETP: decrement lr, branch back while it is not zero
            mn = "letp" if hw1 & 0x10 else "le"
            return Insn(pc, 4, mn, "lr", "branch", "branch", ("lr",), ("lr",), branch="cond", target=pc + 4 - off)
        mn = "wls" if (hw1 >> 4) & 7 == 4 else "wlstp"  # WLS / WLSTP: skip the loop when the count is zero
        return Insn(pc, 4, mn, f"lr, {_r(rn)}", "branch", "branch", (_r(rn),), ("lr",), branch="cond",
                    target=pc + 4 + off)
    if hw2 & 0xF801 == 0xE801:  # VCTP.<size> Rn: the tail predicate
        return Insn(pc, 4, "vctp", _r(rn), "simd_int", "vec_pred", (_r(rn),), ("p0",))
    return None


def _load_store(hw1: int, hw2: int, pc: int) -> Insn | None:
    cp = (hw2 >> 9) & 7
    if cp != 7:
        return None
    qd, rn, wb, load = (hw2 >> 13) & 7, hw1 & 0xF, bool(hw1 & 0x20), bool(hw1 & 0x10)
    if hw1 & 0xFFE0 == 0xEC00 and hw2 & 0x0FE0 == 0x0F00:  # P = W = 0: VMOV two 32-bit lanes <-> two GPRs
        rt, rt2 = _r(hw2), _r(hw1)
        if load:  # to the vector: the other two lanes are kept
            return Insn(pc, 4, "vmov", f"{_q(qd)}, {rt}, {rt2}", "simd_int", "fp_move", (_q(qd), rt, rt2),
                        (_q(qd),))
        return Insn(pc, 4, "vmov", f"{rt}, {rt2}, {_q(qd)}", "simd_int", "fp_move", (_q(qd),), (rt, rt2))
    if hw1 & 0xFE00 == 0xEC00:  # VLDR{B,H,W} / VSTR{B,H,W} (contiguous, T5-T7)
        mn = "vldr" if load else "vstr"
    elif hw1 & 0xFF40 == 0xFC80 or hw1 & 0xFF40 == 0xFC00:  # VLD2x/VLD4x, VST2x/VST4x
        mn = ("vld4" if hw2 & 1 else "vld2") if load else ("vst4" if hw2 & 1 else "vst2")
    else:
        return None
    base = (_r(rn),)
    if load:
        return Insn(pc, 4, mn, f"{_q(qd)}, [{_r(rn)}]", "load", "vec_load", base + ("p0",),
                    (_q(qd),) + (base if wb else ()), load_bytes=16, transfers=1)
    return Insn(pc, 4, mn, f"{_q(qd)}, [{_r(rn)}]", "store", "vec_store", base + (_q(qd), "p0"),
                base if wb else (), store_bytes=16, transfers=1)


def _reduction(hw1: int, hw2: int, pc: int) -> Insn | None:
    """VMLADAV/VMLAV/VADDV/VMINV/VMAXV (to one register) and VMLALDAV/VADDLV (to a register pair)."""
    if hw1 & 0xFF80 != 0xEE80 or (hw2 >> 9) & 7 != 7 or hw2 & 0x41:
        return None
    group = (hw1 >> 4) & 7
    rda, qm, qn, acc = _r(((hw2 >> 13) & 7) * 2), _q(hw2 >> 1), _q(hw1 >> 1), bool(hw2 & 0x20)
    if group == 7:  # one 32-bit result: hw1 bit 0 set = VADDV, clear = VMLADAV / VMLAV
        if hw1 & 1:
            return Insn(pc, 4, "vaddv", f"{rda}, {qm}", "simd_int", "vec_red",
                        (qm, "p0") + ((rda,) if acc else ()), (rda,))
        return Insn(pc, 4, "vmladav", f"{rda}, {qn}, {qm}", "simd_int", "vec_mac_red",
                    (qn, qm, "p0") + ((rda,) if acc else ()), (rda,))
    if group == 6:  # VMINV / VMAXV (the scalar operand is always read)
        return Insn(pc, 4, "vminmaxv", f"{rda}, {qm}", "simd_int", "vec_red", (rda, qm, "p0"), (rda,))
    rdahi = _r(group * 2 + 1)  # VMLALDAV / VADDLV: RdaHi = 2 * group + 1
    if hw1 & 1:
        return Insn(pc, 4, "vaddlv", f"{rda}, {rdahi}, {qm}", "simd_int", "vec_red",
                    (qm, "p0") + ((rda, rdahi) if acc else ()), (rda, rdahi))
    return Insn(pc, 4, "vmlaldav", f"{rda}, {rdahi}, {qn}, {qm}", "simd_int", "vec_mac_red",
                (qn, qm, "p0") + ((rda, rdahi) if acc else ()), (rda, rdahi))


def decode_mve(raw: bytes, pc: int) -> Insn | None:
    """The Insn of a 4-byte Armv8.1-M instruction this module knows, else None (capstone decodes it)."""
    hw1, hw2 = int.from_bytes(raw[:2], "little"), int.from_bytes(raw[2:4], "little")
    for part in (_lob, _load_store, _reduction):
        insn = part(hw1, hw2, pc)
        if insn is not None:
            return insn
    if hw1 in (0xEEFD, 0xEEED) and hw2 & 0x0FFF == 0x0A10:  # VMRS Rt, P0 / VMSR P0, Rt
        rt = _r(hw2 >> 12)
        if hw1 == 0xEEFD:
            return Insn(pc, 4, "vmrs", f"{rt}, p0", "system", "sys", ("p0",), (rt,))
        return Insn(pc, 4, "vmsr", f"p0, {rt}", "system", "sys", (rt,), ("p0",))
    space = hw1 & 0xEF00
    if space not in (0xEE00, 0xEF00) or (space == 0xEE00 and (hw2 >> 9) & 7 == 5):
        return None  # not MVE: in the 0xEE/0xFE space coprocessors 10/11 are the scalar FPU's (capstone decodes them)
    if hw1 & 0xFFB1 == 0xFE31 and hw2 & 0x1FFF == 0x0F4D:  # VPST: opens a VPT block on the current P0
        return Insn(pc, 4, "vpst", "", "simd_int", "vec_pred", ("p0",), ())
    qd, qn, qm = _q(hw2 >> 13), _q(hw1 >> 1), _q(hw2 >> 1)
    if hw1 & 0xFF80 == 0xFE00 and hw2 & 0x0F00 == 0x0F00 and not hw2 & 1:  # VCMP / VPT: write the predicate
        return Insn(pc, 4, "vcmp", f"{qn}, {qm}", "simd_int", "vec_alu", (qn, qm), ("p0",))
    if hw1 & 0xEF80 == 0xEF00 and (hw2 >> 8) & 0xF in (0x9, 0xB, 0xC, 0xD):
        fp = (hw2 >> 8) & 0xF in (0xC, 0xD)  # VFMA / VMUL.F (float), VMUL / VMLA / VQ(R)DMULH (integer)
        return Insn(pc, 4, "vmul.f" if fp else "vmul", f"{qd}, {qn}, {qm}", "simd_float" if fp else "simd_int",
                    "vec_fmul" if fp else "vec_mul", (qn, qm, qd, "p0"), (qd,))
    return Insn(pc, 4, "mve", f"{qd}, {qn}, {qm}", "simd_int", "vec_alu", (qn, qm, "p0"), (qd,))
