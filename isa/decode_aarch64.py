"""AArch64 (ARMv8.0, ARMv8.2 with NEON and dot product): capstone's text of one instruction -> an Insn."""
from __future__ import annotations

import re

from isa.insn import Insn, imm_target, mem_writeback

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


def classify_a64(pc: int, size: int, mn: str, ops: str) -> Insn:
    regs = _a64_regs(ops)
    mk = lambda cls, kind, reads=(), writes=(), **kw: Insn(pc, size, mn, ops, cls, kind, tuple(reads),
                                                             tuple(writes), **kw)
    m = mn
    # -- control flow
    if m in ("b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz", "tbnz") or m.startswith("b."):
        tgt = imm_target(ops) if m in ("b", "bl", "cbz", "cbnz", "tbz", "tbnz") or m.startswith("b.") else None
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
        wb = base[:1] if mem_writeback(ops) else []
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
