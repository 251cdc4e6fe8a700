"""Decoding of executed basic blocks into classified instructions, once per distinct block, after the run.

Each instruction of a counted block is disassembled with capstone (RVV, which capstone 5 does not decode, with
the small decoder below) and described by an :class:`Insn`:

* ``cls``: its class in the instruction mix (one of :data:`MIX_CLASSES`, exactly one per instruction);
* ``kind``: the finer operation kind the timing models look up latencies and pipes by;
* ``reads`` / ``writes``: architectural registers (normalized: ``w3``/``x3`` -> ``x3``, ``s1``/``d1``/``q1``
  -> ``v1`` on AArch64; ``flags`` for condition flags), parsed from the operand text;
* ``load_bytes`` / ``store_bytes``: bytes one execution moves, from the access size the encoding fixes
  (register width, ``b``/``h``/``w``/``d`` suffixes, register-list length, vector arrangement). RVV accesses
  have no fixed size: see :data:`RVV_BYTES_ASSUMPTION`;
* ``branch``: None, or "cond", "jump", "call", "return", "indirect", "indirect_call"; ``target`` for direct ones.

Soft-float helper calls are classified later (:func:`isa.profile.classify_calls`), since that needs symbols.
Nothing here runs per executed block: a block is decoded once whatever its execution count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from isa.elf import ElfImage, instruction_lengths

# The instruction-mix classes, in report order. "system" holds what is none of the others: system calls,
# semihosting breakpoints, barriers, hints/nops, CSR and special-register moves, Thumb IT.
MIX_CLASSES = ("int_alu", "mul_mac", "load", "store", "branch", "simd_int", "simd_float", "scalar_float",
               "softfloat_call", "system")
MIX_LABELS = {"int_alu": "integer ALU", "mul_mac": "multiply/MAC/divide", "load": "load", "store": "store",
              "branch": "branch", "simd_int": "SIMD integer", "simd_float": "SIMD float",
              "scalar_float": "scalar float", "softfloat_call": "soft-float helper call", "system": "system/other"}

RVV_BYTES_ASSUMPTION = (
    "RVV unit-stride/strided/indexed accesses are counted as vl elements of their EEW, with the vtype of their "
    "governing vsetvli/vsetivli: the one that precedes them in the same block, else the nearest one before them "
    "in address order in the same function (else LMUL=1, SEW=EEW). vl is the mean vl that governing site "
    "produced in the run, rounded to a whole element, where the run measured it (QEMU on RVV targets); else "
    "VLMAX, an upper bound on strip-mined tails. Whole-register accesses (vl<n>r/vs<n>r) are exact "
    "(n x VLEN/8 bytes).")


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


class BlockDecoder:
    """Decodes blocks of one ELF for one architecture; caches by (address, size)."""

    def __init__(self, img: ElfImage, arch: str, vlen: int | None = None, mclass: bool = True,
                 vl_by_site: dict[int, float] | None = None, mve: bool = False):
        import capstone as cs
        self.img, self.arch, self.vlen = img, arch, vlen or 128
        self.mve = None  # Armv8.1-M: Helium and low-overhead loops, which capstone 5 does not decode
        if mve:
            from isa.decode_mve import decode_mve
            self.mve = decode_mve
        self.vl_by_site = vl_by_site or {}  # vsetvl* address -> mean vl it produced (RunResult.vl_sites)
        if arch == "arm":
            mode = cs.CS_MODE_THUMB | (cs.CS_MODE_MCLASS if mclass else 0)
            self.cs = cs.Cs(cs.CS_ARCH_ARM, mode)
        elif arch == "aarch64":
            self.cs = cs.Cs(cs.CS_ARCH_ARM64, cs.CS_MODE_ARM)
        elif arch.startswith("riscv"):
            bits = cs.CS_MODE_RISCV64 if arch == "riscv64" else cs.CS_MODE_RISCV32
            self.cs = cs.Cs(cs.CS_ARCH_RISCV, bits | cs.CS_MODE_RISCVC)
        else:
            raise ValueError(f"no decoder for architecture {arch!r}")
        self._cache: dict[tuple[int, int], DecodedBlock] = {}
        self._vtype_by_addr: list[tuple[int, int, float]] = []  # (addr, sew, lmul) of every vsetvli seen

    def block(self, addr: int, size: int) -> DecodedBlock:
        key = (addr, size)
        b = self._cache.get(key)
        if b is None:
            b = self._decode(addr, size)
            self._cache[key] = b
        return b

    # -- decoding ---------------------------------------------------------------------------------------------
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
        for step in instruction_lengths(self.arch, code):
            raw = code[off:off + step]
            insn = None
            if self.arch.startswith("riscv") and step == 4:
                word = int.from_bytes(raw, "little")
                if _is_rvv(word):
                    if vtype is None:
                        vtype = self._vtype_before(pc)
                    vl = self.vl_by_site.get(vtype[2]) if vtype else None
                    insn, new_vtype = _decode_rvv(word, pc, vtype[:2] if vtype else None, self.vlen, vl)
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
                        insn = _classify_arm(pc, step, mn, ops, in_it=it_left > 0)
                        if mn.startswith("it"):
                            it_left = len(mn) - 1  # it, itt, ite, ittt, ...
                        elif it_left:
                            it_left -= 1
                    elif self.arch == "aarch64":
                        insn = _classify_a64(pc, step, mn, ops)
                    else:
                        insn = _classify_riscv(pc, step, mn, ops, raw, self.arch == "riscv64")
            if self.arch.startswith("riscv") and insn.branch in ("indirect_call", "indirect") and out.insns:
                insn = _rv_auipc_pair(out.insns[-1], code[off - out.insns[-1].size:off], insn, raw)
            out.insns.append(insn)
            pc += step
            off += step
        return out

    def _vtype_before(self, pc: int) -> tuple[int, float, int] | None:
        """(sew, lmul, address) of the vsetvli/vsetivli governing pc (see RVV_BYTES_ASSUMPTION)."""
        f = self.img.function_at(pc)
        lo = f.addr if f else 0
        best = None
        for a, sew, lmul in self._vtype_by_addr:
            if lo <= a < pc and (best is None or a > best[0]):
                best = (a, sew, lmul)
        if best is None and f is not None:
            # decode the function's bytes statically for the closest preceding vsetvli
            try:
                code = self.img.read(f.addr, pc - f.addr)
            except Exception:
                code = b""
            off = 0
            for step in instruction_lengths(self.arch, code) if code else []:
                if step == 4:
                    w = int.from_bytes(code[off:off + 4], "little")
                    if _is_rvv(w) and (w & 0x7F) == 0x57 and ((w >> 12) & 7) == 7:
                        vt = _vsetvl_vtype(w)
                        if vt is not None:
                            best = (f.addr + off, vt[0], vt[1])
                off += step
        return (best[1], best[2], best[0]) if best else None


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------

def _imm_target(ops: str) -> int | None:
    m = re.search(r"#(-?0x[0-9a-f]+|-?\d+)\s*$", ops)
    return int(m.group(1), 0) if m else None


def _mem_writeback(ops: str) -> bool:
    return "]!" in ops or re.search(r"\],\s*(#|[rwx]\d)", ops) is not None


# ---------------------------------------------------------------------------------------------------------------
# Thumb-2 (ARMv7E-M)
# ---------------------------------------------------------------------------------------------------------------

_ARM_REG = re.compile(r"\b(r\d{1,2}|sb|sl|fp|ip|sp|lr|pc|s\d{1,2}|d\d{1,2}|apsr_nzcv|fpscr)\b")
_ARM_ALIAS = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12"}
_ARM_COND = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al")
_ARM_MUL = ("mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "umaal", "smla", "smlaw", "smlsd", "smlad",
            "smlald", "smlsld", "smul", "smulw", "smuad", "smusd", "smmul", "smmla", "smmls", "sdiv", "udiv")
_ARM_SIMD_INT = ("sadd16", "sadd8", "ssub16", "ssub8", "uadd16", "uadd8", "usub16", "usub8", "qadd16", "qadd8",
                 "qsub16", "qsub8", "uqadd16", "uqadd8", "uqsub16", "uqsub8", "shadd16", "shadd8", "shsub16",
                 "shsub8", "uhadd16", "uhadd8", "uhsub16", "uhsub8", "sasx", "ssax", "uasx", "usax", "qasx",
                 "qsax", "shasx", "shsax", "uhasx", "uhsax", "uqasx", "uqsax", "sel", "sxtb16", "uxtb16",
                 "sxtab16", "uxtab16", "ssat16", "usat16", "usad8", "usada8", "pkhbt", "pkhtb")
_ARM_ACCUM = ("mla", "mls", "smlal", "umlal", "umaal", "smla", "smlaw", "smlsd", "smlad", "smlald", "smlsld",
              "smmla", "smmls", "usada8", "bfi", "bfc", "movt", "vmla", "vmls", "vfma", "vfms", "vnmla", "vnmls",
              "vfnma", "vfnms")
_ARM_SYSTEM = ("bkpt", "svc", "nop", "dsb", "dmb", "isb", "wfi", "wfe", "sev", "yield", "cpsie", "cpsid", "mrs",
               "msr", "udf", "clrex", "it", "vmrs", "vmsr")


def _arm_base(mn: str) -> str:
    """The mnemonic without width qualifier and (outside IT ambiguity) without condition suffix."""
    m = mn.split(".")[0]
    return m


def _arm_strip_cond(m: str, in_it: bool) -> tuple[str, bool]:
    if len(m) > 2 and m[-2:] in _ARM_COND and (in_it or m.startswith("b")) and m not in ("bics", "bl"):
        return m[:-2], True
    return m, False


def _arm_regs(ops: str) -> list[str]:
    out = []
    for r in _ARM_REG.findall(ops):
        r = _ARM_ALIAS.get(r, r)
        if r.startswith("d") and r[1:].isdigit():  # d<n> aliases s<2n>, s<2n+1>; keep the even one
            r = f"s{2 * int(r[1:])}"
        out.append(r)
    return out


def _arm_reglist(ops: str) -> list[str]:
    m = re.search(r"\{([^}]*)\}", ops)
    if not m:
        return []
    regs = []
    for part in m.group(1).split(","):
        part = part.strip()
        if "-" in part:  # vpush {d8-d15}
            a, b = part.split("-")
            kind = a[0]
            regs += [f"{kind}{i}" for i in range(int(a[1:]), int(b.strip()[1:]) + 1)]
        elif part:
            regs.append(part)
    return regs


def _classify_arm(pc: int, size: int, mn: str, ops: str, in_it: bool) -> Insn:
    base = _arm_base(mn)
    m, cond = _arm_strip_cond(base, in_it)
    regs = _arm_regs(ops)
    flag_read = ("flags",) if (cond or in_it) else ()
    mk = lambda cls, kind, reads=(), writes=(), **kw: Insn(pc, size, mn, ops, cls, kind, tuple(reads),
                                                             tuple(writes), **kw)
    # -- control flow
    if m in ("b", "bl", "blx", "bx", "cbz", "cbnz", "tbb", "tbh"):
        tgt = _imm_target(ops) if m in ("b", "bl", "cbz", "cbnz") else None
        if m == "bl" or (m == "blx" and tgt is not None):
            return mk("branch", "branch", regs, ("lr",), branch="call", target=tgt)
        if m == "blx":
            return mk("branch", "branch", regs, ("lr",), branch="indirect_call")
        if m == "bx":
            return mk("branch", "branch", regs, (), branch="return" if regs == ["lr"] else "indirect")
        if m in ("tbb", "tbh"):
            nb = 1 if m == "tbb" else 2
            return mk("branch", "branch", regs, (), branch="indirect", load_bytes=nb, transfers=1)
        if m in ("cbz", "cbnz"):
            return mk("branch", "branch", regs[:1], (), branch="cond", target=tgt)
        return mk("branch", "branch", flag_read, (), branch="cond" if cond else "jump", target=tgt)
    if m in ("pop", "ldm", "ldmia", "ldmdb", "ldmfd", "ldmea", "vpop", "vldm", "vldmia", "vldmdb"):
        lst = _arm_reglist(ops)
        basereg = regs[0] if not m.endswith("pop") and m != "pop" else "sp"
        writes = [_ARM_ALIAS.get(r, r) for r in lst]
        wb = m in ("pop", "vpop") or "!" in ops
        per = 8 if any(r.startswith("d") for r in lst) else 4
        nbytes = per * len(lst)
        words = nbytes // 4
        ws = ([basereg] if wb else [])
        if "pc" in writes:
            return mk("branch", "branch", [basereg] + list(flag_read), [w for w in writes if w != "pc"] + ws,
                      branch="return", load_bytes=nbytes, transfers=words)
        return mk("load", "load_multiple", [basereg] + list(flag_read), _norm_d(writes) + ws,
                  load_bytes=nbytes, transfers=words)
    if m in ("push", "stm", "stmia", "stmdb", "stmfd", "stmea", "vpush", "vstm", "vstmia", "vstmdb"):
        lst = _arm_reglist(ops)
        basereg = "sp" if m in ("push", "vpush") else regs[0]
        per = 8 if any(r.startswith("d") for r in lst) else 4
        nbytes = per * len(lst)
        wb = m in ("push", "vpush") or "!" in ops
        return mk("store", "store_multiple", [basereg] + _norm_d([_ARM_ALIAS.get(r, r) for r in lst]) + list(flag_read),
                  [basereg] if wb else [], store_bytes=nbytes, transfers=nbytes // 4)
    if m.startswith(("ldr", "ldrex", "lda", "vldr")) or m in ("pld", "pli"):
        if m in ("pld", "pli"):
            return mk("load", "load", regs, (), load_bytes=0, transfers=1)
        nb = _arm_ldst_bytes(m, ops)
        dst = regs[:2] if m.startswith("ldrd") else regs[:1]
        base_regs = regs[len(dst):]
        wb = base_regs[:1] if _mem_writeback(ops) else []
        if "pc" in dst:  # ldr pc, [sp], #4 is a return (a one-register pop)
            kind = "return" if base_regs[:1] == ["sp"] and _mem_writeback(ops) else "indirect"
            return mk("branch", "branch", base_regs, wb, branch=kind, load_bytes=nb, transfers=1)
        return mk("load", "load", list(base_regs) + list(flag_read), dst + wb, load_bytes=nb,
                  transfers=2 if nb == 8 else 1)
    if m.startswith(("str", "strex", "stl", "vstr")):
        nb = _arm_ldst_bytes(m, ops)
        nsrc = 2 if m.startswith("strd") else 1
        if m.startswith("strex"):
            nsrc = 2
        base_regs = regs[nsrc:]
        wb = base_regs[:1] if _mem_writeback(ops) else []
        return mk("store", "store", regs + list(flag_read), wb, store_bytes=nb, transfers=2 if nb == 8 else 1)
    if m.startswith("it") and m.strip("ite") == "" or m in _ARM_SYSTEM:
        kind = "it" if m.startswith("it") and m.strip("ite") == "" else ("nop" if m == "nop" else "sys")
        return mk("system", kind)
    # -- floating point (VFP) and data movement between core and FP registers
    if m.startswith("v"):
        vm = m.split(".")[0] if "." in m else m
        name = base.split(".")[0]
        dst, src = regs[:1], regs[1:]
        if any(name.startswith(a) for a in ("vmla", "vmls", "vfma", "vfms", "vnmla", "vnmls", "vfnma", "vfnms")):
            src = regs
            kind = "fp_mac"
        elif name.startswith(("vdiv", "vsqrt")):
            kind = "fp_div"
        elif name.startswith(("vmov", "vneg", "vabs")):
            kind = "fp_move"
        elif name.startswith("vcmp"):
            return mk("scalar_float", "fp", regs, ("fpscr",))
        else:
            kind = "fp"
        del vm
        return mk("scalar_float", kind, list(src) + list(flag_read), dst)
    # -- integer
    dst, src = regs[:1], regs[1:]
    sets_flags = m in ("cmp", "cmn", "tst", "teq")
    if sets_flags:
        return mk("int_alu", "alu", regs + list(flag_read), ("flags",))
    mm = m[:-1] if (m.endswith("s") and not in_it and m[:-1] in _ARM_ALU_S) else m
    writes = list(dst) + (["flags"] if mm != m else [])
    if mm.startswith(_ARM_MUL):
        if mm in ("smull", "umull", "smlal", "umlal", "umaal", "smlald", "smlsld", "smlalbb", "smlalbt",
                  "smlaltb", "smlaltt"):
            dst, src = regs[:2], regs[2:]
            writes = list(dst)
        if mm.startswith(_ARM_ACCUM):
            src = regs
        kind = "div" if mm in ("sdiv", "udiv") else ("mac" if mm.startswith(_ARM_ACCUM) else "mul")
        return mk("mul_mac", kind, list(src) + list(flag_read), writes)
    if mm in _ARM_SIMD_INT:
        return mk("simd_int", "alu", (regs if mm.startswith("usada") else src) + list(flag_read), writes)
    if mm.startswith(_ARM_ACCUM):  # bfi, movt: read-modify-write of the destination
        src = regs
    if mm in _ARM_TWO_OPERAND and len([o for o in ops.split(",") if o.strip()]) == 2:
        src = regs  # Thumb two-operand form: "adds r0, #1", "bics r0, r1" read their destination
    shifted = bool(re.search(r",\s*(lsl|lsr|asr|ror)\s", ops)) and mm not in ("lsl", "lsr", "asr", "ror")
    return mk("int_alu", "alu_shift" if shifted else "alu", list(src) + list(flag_read), writes)


_ARM_TWO_OPERAND = {"add", "adc", "sub", "sbc", "and", "orr", "orn", "eor", "bic", "lsl", "lsr", "asr", "ror", "mul"}
_ARM_ALU_S = {"add", "adc", "sub", "sbc", "rsb", "and", "orr", "orn", "eor", "bic", "mov", "mvn", "lsl", "lsr",
              "asr", "ror", "rrx", "mul", "neg"}


def _norm_d(regs: list[str]) -> list[str]:
    return [f"s{2 * int(r[1:])}" if r.startswith("d") and r[1:].isdigit() else r for r in regs]


def _arm_ldst_bytes(m: str, ops: str) -> int:
    if m.startswith(("vldr", "vstr")):
        return 8 if re.match(r"\s*d\d", ops) else 4
    core = m
    for p in ("ldrex", "strex", "ldaex", "stlex", "lda", "stl", "ldr", "str"):
        if core.startswith(p):
            core = core[len(p):]
            break
    if core.startswith("d"):
        return 8
    if core.startswith(("b", "sb")):
        return 1
    if core.startswith(("h", "sh")):
        return 2
    return 4


# ---------------------------------------------------------------------------------------------------------------
# AArch64
# ---------------------------------------------------------------------------------------------------------------

_A64_REG = re.compile(r"\b([wx](?:\d{1,2}|zr)|sp|wsp|[bhsdqv]\d{1,2}(?:\.\d*[bhsd])?|nzcv)\b")
_A64_ARR = {"b": 1, "h": 2, "s": 4, "d": 8}
_A64_MUL = ("mul", "madd", "msub", "mneg", "smull", "umull", "smulh", "umulh", "smaddl", "umaddl", "smsubl",
            "umsubl", "smnegl", "umnegl", "sdiv", "udiv")
_A64_FLAGSET = ("cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fcmpe", "fccmp", "fccmpe")
_A64_FLAGREAD = ("csel", "csinc", "csinv", "csneg", "cset", "csetm", "cinc", "cinv", "cneg", "adc", "adcs", "sbc",
                 "sbcs", "ngc", "ngcs", "ccmp", "ccmn", "fcsel", "fccmp", "fccmpe")
_A64_ACCUM_SIMD = ("mla", "mls", "sdot", "udot", "usdot", "smlal", "smlal2", "umlal", "umlal2", "smlsl", "smlsl2",
                   "umlsl", "umlsl2", "sadalp", "uadalp", "saba", "uaba", "sabal", "sabal2", "uabal", "uabal2",
                   "ssra", "usra", "srsra", "ursra", "fmla", "fmls", "bsl", "bit", "bif", "ins", "mov",
                   "sqdmlal", "sqdmlal2", "sqdmlsl", "sqdmlsl2", "sqrdmlah", "sqrdmlsh", "sli", "sri", "tbx",
                   "movk", "bfi", "bfxil", "bfm")
_A64_SIMD_MUL = ("mul", "mla", "mls", "sdot", "udot", "usdot", "smull", "smull2", "umull", "umull2", "smlal",
                 "smlal2", "umlal", "umlal2", "smlsl", "smlsl2", "umlsl", "umlsl2", "sqdmulh", "sqrdmulh",
                 "sqdmull", "sqdmull2", "sqdmlal", "sqdmlal2", "sqrdmlah", "pmul", "pmull", "pmull2")
_A64_SYSTEM = ("svc", "hvc", "smc", "brk", "hlt", "nop", "yield", "wfi", "wfe", "sev", "sevl", "dmb", "dsb", "isb",
               "mrs", "msr", "hint", "clrex", "sys", "sysl", "prfm", "prfum", "bti", "paciasp", "autiasp", "udf")


def _a64_norm(r: str) -> str | None:
    r = r.split(".")[0]
    if r in ("xzr", "wzr"):
        return None
    if r == "wsp":
        return "sp"
    if r[0] in "wx" and r[1:].isdigit():
        return "x" + r[1:]
    if r[0] in "bhsdqv" and r[1:].isdigit():
        return "v" + r[1:]
    return r


def _a64_regs(ops: str) -> list[str]:
    out = []
    for r in _A64_REG.findall(ops):
        n = _a64_norm(r)
        if n is not None:
            out.append(n)
    return out


def _a64_reg_bytes(tok: str) -> int:
    tok = tok.strip()
    if tok[0] in "wx":
        return 4 if tok[0] == "w" else 8
    return {"b": 1, "h": 2, "s": 4, "d": 8, "q": 16}.get(tok[0], 8)


def _a64_vector_list_bytes(ops: str, replicate: bool = False) -> int:
    """Bytes of a NEON structure load/store: the register list and its arrangement (or a single lane)."""
    m = re.search(r"\{([^}]*)\}(\[\d+\])?", ops)
    if not m:
        return 16
    regs = [p.strip() for p in m.group(1).split(",") if p.strip()]
    if "-" in m.group(1):  # {v0.16b - v3.16b}
        a, b = m.group(1).split("-")
        regs = [a.strip()] * (int(b.strip()[1:].split(".")[0]) - int(a.strip()[1:].split(".")[0]) + 1)
    arr = regs[0].split(".")[1] if "." in regs[0] else "16b"
    lanes = re.match(r"(\d*)([bhsd])", arr)
    esize = _A64_ARR[lanes.group(2)]
    if m.group(2) or not lanes.group(1) or replicate:  # one lane per register (ld1r: one element, replicated)
        return esize * len(regs)
    return esize * int(lanes.group(1)) * len(regs)


def _classify_a64(pc: int, size: int, mn: str, ops: str) -> Insn:
    regs = _a64_regs(ops)
    mk = lambda cls, kind, reads=(), writes=(), **kw: Insn(pc, size, mn, ops, cls, kind, tuple(reads),
                                                             tuple(writes), **kw)
    m = mn
    # -- control flow
    if m in ("b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz", "tbnz") or m.startswith("b."):
        tgt = _imm_target(ops) if m in ("b", "bl", "cbz", "cbnz", "tbz", "tbnz") or m.startswith("b.") else None
        if m == "bl":
            return mk("branch", "branch", (), ("x30",), branch="call", target=tgt)
        if m == "blr":
            return mk("branch", "branch", regs, ("x30",), branch="indirect_call")
        if m == "ret":
            return mk("branch", "branch", regs or ("x30",), (), branch="return")
        if m == "br":
            return mk("branch", "branch", regs, (), branch="indirect")
        if m == "b":
            return mk("branch", "branch", (), (), branch="jump", target=tgt)
        if m.startswith("b."):
            return mk("branch", "branch", ("flags",), (), branch="cond", target=tgt)
        return mk("branch", "branch", regs[:1], (), branch="cond", target=tgt)
    if m in _A64_SYSTEM:
        return mk("system", "nop" if m in ("nop", "hint", "bti") else "sys", regs, ())
    # -- memory
    is_struct = m.startswith(("ld1", "ld2", "ld3", "ld4", "st1", "st2", "st3", "st4"))
    if is_struct:
        nb = _a64_vector_list_bytes(ops, replicate=m.endswith("r"))
        listed = _a64_regs(ops.split("}")[0])
        base = _a64_regs(ops.split("}", 1)[1])
        wb = base[:1] if re.search(r"\],\s*(#|x)", ops) else []
        if m.startswith("ld"):
            lane = bool(re.search(r"\}\[\d+\]", ops))
            return mk("load", "simd_load", base + (listed if lane else []), listed + wb, load_bytes=nb,
                      transfers=max(1, nb // 16))
        return mk("store", "simd_store", listed + base, wb, store_bytes=nb, transfers=max(1, nb // 16))
    if m.startswith(("ld", "st")) and not m.startswith(("ldadd", "stadd")) or m.startswith(("ldadd", "stadd", "swp", "cas")):
        toks = [t.strip() for t in ops.split("[")[0].split(",") if t.strip()]
        pair = m.startswith(("ldp", "stp", "ldnp", "stnp", "ldxp", "stxp", "ldaxp", "stlxp")) or m == "ldpsw"
        status = m.startswith(("stxr", "stlxr", "stxp", "stlxp", "stxrb", "stlxrb", "stxrh", "stlxrh"))
        data_toks = toks[1:] if status else toks
        data_toks = data_toks[:2] if pair else data_toks[:1]
        if not data_toks:
            return mk("int_alu", "alu", regs, ())
        core = m
        if m.endswith(("b",)) and m not in ("ldp", "stp"):
            w = 1
        elif m.endswith("h") and not m.startswith(("ldaxp",)):
            w = 2
        elif m in ("ldrsw", "ldursw", "ldpsw"):
            w = 4
        else:
            w = _a64_reg_bytes(data_toks[0])
        del core
        if m.startswith(("ldrsb", "ldursb", "ldrb", "ldurb", "strb", "sturb", "ldxrb", "ldaxrb", "ldarb", "stlrb",
                         "stxrb", "stlxrb")):
            w = 1
        if m.startswith(("ldrsh", "ldursh", "ldrh", "ldurh", "strh", "sturh", "ldxrh", "ldaxrh", "ldarh", "stlrh",
                         "stxrh", "stlxrh")):
            w = 2
        nb = w * len(data_toks)
        data = [r for r in (_a64_norm(t) for t in data_toks) if r]
        base = _a64_regs("[" + ops.split("[", 1)[1]) if "[" in ops else []
        wb = base[:1] if _mem_writeback(ops) else []
        simd = any(t[0] in "bhsdq" for t in data_toks)
        if m.startswith("ld") and not m.startswith("ldadd"):
            return mk("load", "simd_load" if simd else "load", base, data + wb, load_bytes=nb,
                      transfers=2 if pair else 1)
        if m.startswith(("swp", "cas", "ldadd")):
            return mk("load", "load", base + data, data, load_bytes=nb, store_bytes=nb, transfers=1)
        status_reg = [r for r in (_a64_norm(toks[0]),) if r] if status else []
        return mk("store", "simd_store" if simd else "store", data + base, wb + status_reg, store_bytes=nb,
                  transfers=2 if pair else 1)
    # -- SIMD / FP
    vector = bool(re.search(r"\bv\d{1,2}\.\d*[bhsd]\b", ops)) or bool(re.search(r"\bv\d{1,2}\.[bhsd]\[", ops))
    fpregs = bool(re.search(r"\b[hsd]\d{1,2}\b", ops))
    dst, src = regs[:1], regs[1:]
    if m in _A64_ACCUM_SIMD and (vector or m in ("movk", "bfi", "bfxil", "bfm")):
        src = regs
    if m in ("movk", "bfi", "bfxil", "bfm"):
        return mk("int_alu", "alu", regs, dst)
    if vector:
        fl = m.startswith("f") or m in ("scvtf", "ucvtf", "fcvtzs", "fcvtzu", "frecpe", "frsqrte")
        if fl:
            kind = "simd_fmac" if m in ("fmla", "fmls") else ("simd_fdiv" if m in ("fdiv", "fsqrt") else "simd_fp")
            return mk("simd_float", kind, src, dst)
        kind = "simd_mac" if m in _A64_SIMD_MUL and m in _A64_ACCUM_SIMD else (
            "simd_mul" if m in _A64_SIMD_MUL else ("simd_move" if m in ("mov", "dup", "ins", "umov", "smov")
                                                   else "simd_alu"))
        if m in ("umov", "smov", "mov") and dst and dst[0].startswith("x"):
            kind = "simd_move"
        return mk("simd_int", kind, src, dst)
    if m.startswith("f") or m in ("scvtf", "ucvtf") or (fpregs and m in ("fmov", "fcvt")):
        if m in _A64_FLAGSET:
            return mk("scalar_float", "fp", regs, ("flags",))
        kind = "fp_mac" if m in ("fmadd", "fmsub", "fnmadd", "fnmsub") else (
            "fp_div" if m in ("fdiv", "fsqrt") else ("fp_move" if m == "fmov" else "fp"))
        return mk("scalar_float", kind, src + (["flags"] if m in _A64_FLAGREAD else []), dst)
    if fpregs and m in ("dup", "mov", "addp", "addv", "umov", "smov", "cnt", "uaddlv", "saddlv", "shl", "ushr",
                        "sshr", "add", "sub", "neg", "abs", "cmeq", "sqxtn", "uqxtn", "sqadd", "uqadd"):
        return mk("simd_int", "simd_alu", src, dst)
    # -- integer
    if m in _A64_FLAGSET:
        return mk("int_alu", "alu", regs + (["flags"] if m in _A64_FLAGREAD else []), ("flags",))
    flags_w = ["flags"] if m.endswith("s") and m in ("adds", "subs", "ands", "bics", "adcs", "sbcs", "negs",
                                                      "ngcs") else []
    flags_r = ["flags"] if m in _A64_FLAGREAD else []
    if m in _A64_MUL:
        kind = "div" if m in ("sdiv", "udiv") else ("mac" if m in ("madd", "msub", "smaddl", "umaddl", "smsubl",
                                                                    "umsubl") else "mul")
        return mk("mul_mac", kind, src, dst)
    shifted = bool(re.search(r",\s*(lsl|lsr|asr|ror|[su]xt[bhwx])\b", ops))
    return mk("int_alu", "alu_shift" if shifted else "alu", src + flags_r, dst + flags_w)


# ---------------------------------------------------------------------------------------------------------------
# RISC-V (scalar through capstone; control flow targets and RVV from the encoding)
# ---------------------------------------------------------------------------------------------------------------

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


def _rv_auipc_pair(prev: Insn, prev_raw: bytes, insn: Insn, raw: bytes) -> Insn:
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


def _rv_norm(r: str) -> str:
    if r in _RV_ABI:
        return f"x{_RV_ABI[r]}"
    return r  # f-registers keep their ABI names (distinct from x-registers)


def _classify_riscv(pc: int, size: int, mn: str, ops: str, raw: bytes, rv64: bool) -> Insn:
    regs = [_rv_norm(r) for r in _rv_regs(ops)]
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

def _is_rvv(w: int) -> bool:
    op = w & 0x7F
    if op == 0x57:
        return True
    if op in (0x07, 0x27):
        return ((w >> 12) & 7) in (0, 5, 6, 7)  # vector widths; 1-4 are scalar FP loads/stores
    return False


def _vsetvl_vtype(w: int) -> tuple[int, float] | None:
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


def _decode_rvv(w: int, pc: int, vtype: tuple[int, float] | None, vlen: int,
                vl: float | None = None) -> tuple[Insn, tuple[int, float] | None]:
    op = w & 0x7F
    vd, rs1, vs2 = (w >> 7) & 0x1F, (w >> 15) & 0x1F, (w >> 20) & 0x1F
    f3 = (w >> 12) & 7
    sew, lmul = vtype if vtype else (None, 1.0)
    if op == 0x57 and f3 == 7:  # vsetvli / vsetivli / vsetvl
        vt = _vsetvl_vtype(w)
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


def decoder_for(img: ElfImage, target, vl_by_site: dict[int, float] | None = None) -> BlockDecoder:
    """`vl_by_site`: the run's measured mean vl per vsetvl* address (RunResult.vl_sites.mean_vl())."""
    mclass = target.unicorn is not None and "MCLASS" in (target.unicorn.mode or ()) if target.arch == "arm" else True
    return BlockDecoder(img, target.arch, getattr(target, "vlen", None), mclass=mclass or target.io == "semihosting",
                        vl_by_site=vl_by_site, mve="mve" in getattr(target, "extensions", ()))
