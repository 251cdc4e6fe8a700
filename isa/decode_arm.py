"""Thumb-2 (ARMv7E-M, Armv8-M mainline, Armv6-M): capstone's text of one instruction -> :class:`isa.insn.Insn`.
Helium and the low-overhead loops, which capstone 5 does not know, are isa/decode_mve.py's."""
from __future__ import annotations

import re

from isa.insn import Insn, imm_target, mem_writeback

_ARM_REG = re.compile(r"\b(r\d{1,2}|sb|sl|fp|ip|sp|lr|pc|s\d{1,2}|d\d{1,2}|apsr_nzcv|fpscr)\b")
ARM_ALIAS = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12"}
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
        r = ARM_ALIAS.get(r, r)
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


def classify_thumb(pc: int, size: int, mn: str, ops: str, in_it: bool) -> Insn:
    base = _arm_base(mn)
    m, cond = _arm_strip_cond(base, in_it)
    regs = _arm_regs(ops)
    flag_read = ("flags",) if (cond or in_it) else ()
    mk = lambda cls, kind, reads=(), writes=(), **kw: Insn(pc, size, mn, ops, cls, kind, tuple(reads),
                                                             tuple(writes), **kw)
    # -- control flow
    if m in ("b", "bl", "blx", "bx", "cbz", "cbnz", "tbb", "tbh"):
        tgt = imm_target(ops) if m in ("b", "bl", "cbz", "cbnz") else None
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
        writes = [ARM_ALIAS.get(r, r) for r in lst]
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
        return mk("store", "store_multiple", [basereg] + _norm_d([ARM_ALIAS.get(r, r) for r in lst]) + list(flag_read),
                  [basereg] if wb else [], store_bytes=nbytes, transfers=nbytes // 4)
    if m.startswith(("ldr", "ldrex", "lda", "vldr")) or m in ("pld", "pli"):
        if m in ("pld", "pli"):
            return mk("load", "load", regs, (), load_bytes=0, transfers=1)
        nb = _arm_ldst_bytes(m, ops)
        dst = regs[:2] if m.startswith("ldrd") else regs[:1]
        base_regs = regs[len(dst):]
        wb = base_regs[:1] if mem_writeback(ops) else []
        if "pc" in dst:  # ldr pc, [sp], #4 is a return (a one-register pop)
            kind = "return" if base_regs[:1] == ["sp"] and mem_writeback(ops) else "indirect"
            return mk("branch", "branch", base_regs, wb, branch=kind, load_bytes=nb, transfers=1)
        return mk("load", "load", list(base_regs) + list(flag_read), dst + wb, load_bytes=nb,
                  transfers=2 if nb == 8 else 1)
    if m.startswith(("str", "strex", "stl", "vstr")):
        nb = _arm_ldst_bytes(m, ops)
        nsrc = 2 if m.startswith("strd") else 1
        if m.startswith("strex"):
            nsrc = 2
        base_regs = regs[nsrc:]
        wb = base_regs[:1] if mem_writeback(ops) else []
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
