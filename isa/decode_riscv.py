"""RISC-V: scalar instructions through capstone's text, control-flow targets from the encoding, and RVV 1.0 (which
capstone 5 does not decode) from the encoding alone."""
from __future__ import annotations

import re
from dataclasses import replace

from isa.elf import instruction_lengths
from isa.insn import Insn, VecInfo

RVV_BYTES_ASSUMPTION = (
    "RVV unit-stride/strided/indexed accesses are counted as vl elements of their EEW, with the vtype of their "
    "governing vsetvli/vsetivli: the one that precedes them in the same block, else the nearest one before them "
    "in address order in the same function (else LMUL=1, SEW=EEW). vl is the mean vl that governing site "
    "produced in the run, rounded to a whole element, where the run measured it (QEMU on RVV targets); else "
    "VLMAX, an upper bound on strip-mined tails. Whole-register accesses (vl<n>r/vs<n>r) are exact "
    "(n x VLEN/8 bytes).")

_RV_REG = re.compile(r"\b(zero|ra|sp|gp|tp|t[0-6]|s(?:1[01]|[0-9])|a[0-7]|ft(?:1[01]|[0-9])|fs(?:1[01]|[0-9])|"
                     r"fa[0-7]|x\d{1,2}|f\d{1,2})\b")
_RV_LOAD = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4, "lwu": 4, "ld": 8, "flw": 4, "fld": 8, "flh": 2,
            "c.lw": 4, "c.ld": 8, "c.lwsp": 4, "c.ldsp": 8, "c.flw": 4, "c.fld": 8, "c.flwsp": 4, "c.fldsp": 8}
_RV_STORE = {"sb": 1, "sh": 2, "sw": 4, "sd": 8, "fsw": 4, "fsd": 8, "fsh": 2, "c.sw": 4, "c.sd": 8,
             "c.swsp": 4, "c.sdsp": 8, "c.fsw": 4, "c.fsd": 8, "c.fswsp": 4, "c.fsdsp": 8}
_RV_MUL = ("mul", "mulh", "mulhsu", "mulhu", "mulw", "div", "divu", "rem", "remu", "divw", "divuw", "remw", "remuw",
           "c.mul")


def _rv_regs(ops: str) -> list[str]:
    return [r for r in _RV_REG.findall(ops) if r not in ("zero", "x0")]


def _sext(v: int, bits: int) -> int:
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def _rv_control(raw: bytes, pc: int, rv64: bool) -> tuple[str, int | None, list[str], list[str]] | None:
    """(branch kind, target, reads, writes) of a control-flow instruction from its encoding, else None."""
    if len(raw) == 4:
        w = int.from_bytes(raw, "little")
        op, rd, rs1 = w & 0x7F, (w >> 7) & 0x1F, (w >> 15) & 0x1F
        rs2 = (w >> 20) & 0x1F
        x = lambda i: f"x{i}"
        if op == 0x63:  # B-type
            imm = (((w >> 31) & 1) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3F) << 5) | (((w >> 8) & 0xF) << 1)
            return "cond", pc + _sext(imm, 13), [x(r) for r in (rs1, rs2) if r], []
        if op == 0x6F:  # JAL
            imm = (((w >> 31) & 1) << 20) | (((w >> 12) & 0xFF) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 0x3FF) << 1)
            return ("call" if rd else "jump"), pc + _sext(imm, 21), [], [x(rd)] if rd else []
        if op == 0x67:  # JALR
            if rd == 0 and rs1 == 1 and (w >> 20) == 0:
                return "return", None, ["x1"], []
            return ("indirect_call" if rd else "indirect"), None, [x(rs1)] if rs1 else [], [x(rd)] if rd else []
        return None
    h = int.from_bytes(raw, "little")
    quad, f3 = h & 3, (h >> 13) & 7
    if quad == 1 and (f3 == 5 or (f3 == 1 and not rv64)):  # c.j / c.jal (RV32)
        b = lambda i: (h >> i) & 1
        imm = (b(12) << 11) | (b(8) << 10) | (((h >> 9) & 3) << 8) | (b(6) << 7) | (b(7) << 6) | (b(2) << 5) | \
              (b(11) << 4) | (((h >> 3) & 7) << 1)
        return ("jump" if f3 == 5 else "call"), pc + _sext(imm, 12), [], ([] if f3 == 5 else ["x1"])
    if quad == 1 and f3 in (6, 7):  # c.beqz / c.bnez
        b = lambda i: (h >> i) & 1
        imm = (b(12) << 8) | (((h >> 5) & 3) << 6) | (b(2) << 5) | (((h >> 10) & 3) << 3) | (((h >> 3) & 3) << 1)
        return "cond", pc + _sext(imm, 9), [f"x{8 + ((h >> 7) & 7)}"], []
    if quad == 2 and f3 == 4 and ((h >> 2) & 0x1F) == 0:  # c.jr / c.jalr / c.ebreak
        rs1, link = (h >> 7) & 0x1F, (h >> 12) & 1
        if rs1 == 0:
            return None  # c.ebreak
        if link:
            return "indirect_call", None, [f"x{rs1}"], ["x1"]
        return ("return" if rs1 == 1 else "indirect"), None, [f"x{rs1}"], []
    return None


def auipc_pair(prev: Insn, prev_raw: bytes, insn: Insn, raw: bytes) -> Insn:
    """`auipc rX, hi` then `jalr rd, lo(rX)` is a direct call (rd = ra) or tail call (rd = zero) to a fixed
    address: the form compilers use for calls out of jal's +-1 MiB reach (clang without linker relaxation). Its
    target is resolved so that the profile sees the call; any other JALR stays indirect."""
    if len(prev_raw) != 4 or len(raw) != 4:
        return insn
    a, j = int.from_bytes(prev_raw, "little"), int.from_bytes(raw, "little")
    if a & 0x7F != 0x17 or (a >> 7) & 0x1F != (j >> 15) & 0x1F or (a >> 7) & 0x1F == 0:
        return insn
    target = (prev.addr + _sext(a & 0xFFFFF000, 32) + _sext(j >> 20, 12)) & ~1
    rd = (j >> 7) & 0x1F
    return replace(insn, branch="call" if rd else "jump", target=target)


_RV_ABI = {"zero": 0, "ra": 1, "sp": 2, "gp": 3, "tp": 4, "t0": 5, "t1": 6, "t2": 7, "s0": 8, "fp": 8, "s1": 9,
           **{f"a{i}": 10 + i for i in range(8)}, **{f"s{i}": 16 + i for i in range(2, 12)},
           **{f"t{i}": 25 + i for i in range(3, 7)}}


def rv_norm(r: str) -> str:
    if r in _RV_ABI:
        return f"x{_RV_ABI[r]}"
    return r  # f-registers keep their ABI names (distinct from x-registers)


def classify_riscv(pc: int, size: int, mn: str, ops: str, raw: bytes, rv64: bool) -> Insn:
    regs = [rv_norm(r) for r in _rv_regs(ops)]
    mk = lambda cls, kind, reads=(), writes=(), **kw: Insn(pc, size, mn, ops, cls, kind, tuple(reads),
                                                             tuple(writes), **kw)
    ctl = _rv_control(raw, pc, rv64)
    if ctl is not None:
        kind, tgt, rd, wr = ctl
        return mk("branch", "branch", rd, wr, branch=kind, target=tgt)
    m = mn
    if m in _RV_LOAD:
        return mk("load", "fp_load" if m.startswith(("fl", "c.fl")) else "load", regs[1:], regs[:1],
                  load_bytes=_RV_LOAD[m], transfers=1)
    if m in _RV_STORE:
        return mk("store", "store", regs, (), store_bytes=_RV_STORE[m], transfers=1)
    if m.startswith(("lr.", "sc.", "amo")):
        nb = 8 if m.split(".")[1].startswith("d") else 4
        if m.startswith("lr."):
            return mk("load", "load", regs[1:], regs[:1], load_bytes=nb, transfers=1)
        if m.startswith("sc."):
            return mk("store", "store", regs[1:], regs[:1], store_bytes=nb, transfers=1)
        return mk("load", "load", regs[1:], regs[:1], load_bytes=nb, store_bytes=nb, transfers=1)
    if m in ("ecall", "ebreak", "c.ebreak", "fence", "fence.i", "wfi", "c.nop", "nop", "unimp", "c.unimp") or \
            m.startswith("csr") or m.startswith(("frcsr", "fscsr", "frrm", "fsrm", "frflags", "fsflags")):
        return mk("system", "nop" if m in ("c.nop", "nop") else "sys", regs[1:], regs[:1])
    if m in _RV_MUL:
        return mk("mul_mac", "div" if m.startswith(("div", "rem")) else "mul", regs[1:] if m != "c.mul" else regs,
                  regs[:1])
    if m.startswith("f"):
        kind = "fp_mac" if m.startswith(("fmadd", "fmsub", "fnmadd", "fnmsub")) else (
            "fp_div" if m.startswith(("fdiv", "fsqrt")) else ("fp_move" if m.startswith(("fmv", "fsgnj")) else "fp"))
        writes = regs[:1]
        return mk("scalar_float", kind, regs[1:], writes)
    if m.startswith("c.") and m in ("c.addi", "c.addiw", "c.slli", "c.srli", "c.srai", "c.andi", "c.add", "c.addw",
                                     "c.sub", "c.subw", "c.and", "c.or", "c.xor", "c.addi16sp"):
        return mk("int_alu", "alu", regs, regs[:1])
    return mk("int_alu", "alu", regs[1:], regs[:1])


# -- RVV -----------------------------------------------------------------------------------------------------------

def is_rvv(w: int) -> bool:
    op = w & 0x7F
    if op == 0x57:
        return True
    if op in (0x07, 0x27):
        return ((w >> 12) & 7) in (0, 5, 6, 7)  # vector widths; 1-4 are scalar FP loads/stores
    return False


def vsetvl_vtype(w: int) -> tuple[int, float] | None:
    if (w >> 31) == 0:  # vsetvli: zimm[10:0] at 30:20
        vtype = (w >> 20) & 0x7FF
    elif (w >> 30) == 0b11:  # vsetivli: zimm[9:0] at 29:20
        vtype = (w >> 20) & 0x3FF
    else:
        return None  # vsetvl: vtype from a register, unknown statically
    sew = 8 << ((vtype >> 3) & 7)
    lm = vtype & 7
    lmul = {0: 1, 1: 2, 2: 4, 3: 8, 5: 0.125, 6: 0.25, 7: 0.5}.get(lm, 1)
    return sew, lmul


_OPMV_MUL = {0x24: "mul", 0x25: "mul", 0x26: "mul", 0x27: "mul", 0x2D: "mac", 0x2F: "mac", 0x29: "mac", 0x2B: "mac",
             0x38: "mul", 0x3A: "mul", 0x3B: "mul", 0x3C: "mac", 0x3D: "mac", 0x3E: "mac", 0x3F: "mac",
             0x20: "div", 0x21: "div", 0x22: "div", 0x23: "div"}
_OPMV_RED = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}
_OPI_PERM = {0x0C, 0x0E, 0x0F, 0x17}  # vrgather, vslideup, vslidedown, vmerge/vmv


def _elements(vlmax: int, vl: float | None) -> int:
    """Elements one execution processes: the measured mean vl (whole elements, at most VLMAX), else VLMAX."""
    return vlmax if vl is None else max(1, min(vlmax, int(vl + 0.5)))


def decode_rvv(w: int, pc: int, vtype: tuple[int, float] | None, vlen: int,
                vl: float | None = None) -> tuple[Insn, tuple[int, float] | None]:
    op = w & 0x7F
    vd, rs1, vs2 = (w >> 7) & 0x1F, (w >> 15) & 0x1F, (w >> 20) & 0x1F
    f3 = (w >> 12) & 7
    sew, lmul = vtype if vtype else (None, 1.0)
    if op == 0x57 and f3 == 7:  # vsetvli / vsetivli / vsetvl
        vt = vsetvl_vtype(w)
        reads = [f"x{rs1}"] if rs1 and (w >> 30) != 0b11 else []
        ins = Insn(pc, 4, "vsetvl" if vt is None else ("vsetivli" if (w >> 30) == 0b11 else "vsetvli"),
                   f"x{vd}, ...", "simd_int", "vec_cfg", tuple(reads), (f"x{vd}",) if vd else (),
                   vec=VecInfo(vt[0] if vt else 8, vt[1] if vt else 1.0, "cfg", 0))
        return ins, vt
    if op in (0x07, 0x27):
        eew = {0: 8, 5: 16, 6: 32, 7: 64}[f3]
        mop = (w >> 26) & 3
        lumop = (w >> 20) & 0x1F
        nf = ((w >> 29) & 7) + 1
        load = op == 0x07
        if mop == 0 and lumop == 8:  # whole-register load/store
            nb = nf * vlen // 8
            vi = VecInfo(eew, nf, "load" if load else "store", nb * 8 // eew, whole_regs=nf)
            regs = [f"v{vd + i}" for i in range(nf)]
        else:
            emul = (lmul * eew / sew) if sew else 1.0
            elements = _elements(int(max(1, vlen * (lmul if sew else 1.0) // (sew or eew))), vl)
            nb = elements * eew // 8 * (nf if mop == 0 else nf)
            if mop == 0 and lumop == 0x0B:  # mask load/store vlm/vsm: ceil(vl/8) bytes
                nb = max(1, -(-elements // 8))
            vi = VecInfo(eew, emul, "load" if load else "store", elements)
            regs = [f"v{vd}"]
        base = [f"x{rs1}"]
        idx = [f"v{vs2}"] if mop in (1, 3) else ([f"x{vs2}"] if mop == 2 else [])
        mn = ("vl" if load else "vs") + ("" if mop == 0 else "s" if mop == 2 else "x") + f"e{eew}.v"
        if load:
            return Insn(pc, 4, mn, "", "load", "vec_load", tuple(base + idx), tuple(regs), load_bytes=nb,
                        transfers=1, vec=vi), None
        return Insn(pc, 4, mn, "", "store", "vec_store", tuple(regs + base + idx), (), store_bytes=nb,
                    transfers=1, vec=vi), None
    # OP-V arithmetic
    funct6 = w >> 26
    elements = _elements(int(max(1, vlen * lmul // sew)) if sew else vlen // 8, vl)
    vi_sew = sew or 8
    vs1 = f"v{rs1}"
    scalar = {3: [], 4: [f"x{rs1}"], 5: [f"f{rs1}"], 6: [f"x{rs1}"]}.get(f3, [vs1])
    srcs = [f"v{vs2}"] + (scalar if f3 in (3, 4, 5, 6) else [vs1])
    if f3 in (1, 5):  # OPFVV / OPFVF
        fop = "fp_div" if funct6 in (0x20, 0x21) else ("mac" if funct6 >= 0x28 and funct6 not in (0x30, 0x31, 0x32, 0x33) and funct6 <= 0x3F else "fp")
        if funct6 in (0x00, 0x01, 0x03, 0x05, 0x07, 0x31, 0x33):
            fop = "red" if funct6 in (0x01, 0x03, 0x05, 0x07, 0x31, 0x33) else fop
        if fop == "mac":
            srcs = srcs + [f"v{vd}"]
        return Insn(pc, 4, "vf.op", f"f6={funct6:#x}", "simd_float", "vec_fp", tuple(srcs), (f"v{vd}",),
                    vec=VecInfo(vi_sew, lmul, "fp_div" if fop == "fp_div" else ("fp" if fop != "red" else "red"),
                                elements)), None
    if f3 in (2, 6):  # OPMVV / OPMVX
        vop = _OPMV_MUL.get(funct6)
        if vop == "mac":
            srcs = srcs + [f"v{vd}"]
        if vop is None:
            vop = "red" if (f3 == 2 and funct6 in _OPMV_RED) else ("move" if funct6 == 0x10 else "alu")
        wr = (f"v{vd}",)
        if funct6 == 0x10 and f3 == 2:  # vmv.x.s, vcpop, vfirst: write an x register
            wr = (f"x{vd}",) if vd else ()
        return Insn(pc, 4, "vm.op", f"f6={funct6:#x}", "simd_int", f"vec_{vop}" if vop in ("mul", "mac", "div") else "vec_alu",
                    tuple(srcs), wr, vec=VecInfo(vi_sew, lmul, vop, elements)), None
    vop = "perm" if funct6 in _OPI_PERM else "alu"
    return Insn(pc, 4, "vi.op", f"f6={funct6:#x}", "simd_int", "vec_alu", tuple(srcs), (f"v{vd}",),
                vec=VecInfo(vi_sew, lmul, vop, elements)), None


def vtype_before(img, arch: str, pc: int, seen: list[tuple[int, int, float]]) -> tuple[int, float, int] | None:
    """(sew, lmul, address) of the vsetvli/vsetivli governing pc (see RVV_BYTES_ASSUMPTION): the nearest one
    before pc in its function among those decoded so far (`seen`: address, sew, lmul), else from the function's
    bytes."""
    f = img.function_at(pc)
    lo = f.addr if f else 0
    best = None
    for a, sew, lmul in seen:
        if lo <= a < pc and (best is None or a > best[0]):
            best = (a, sew, lmul)
    if best is None and f is not None:
        try:
            code = img.read(f.addr, pc - f.addr)
        except Exception:
            code = b""
        off = 0
        for step in instruction_lengths(arch, code) if code else []:
            if step == 4:
                w = int.from_bytes(code[off:off + 4], "little")
                if is_rvv(w) and (w & 0x7F) == 0x57 and ((w >> 12) & 7) == 7:
                    vt = vsetvl_vtype(w)
                    if vt is not None:
                        best = (f.addr + off, vt[0], vt[1])
            off += step
    return (best[1], best[2], best[0]) if best else None
