"""Where a run's instructions go: every executed instruction (run harness excluded) in exactly one cost category,
so the categories sum to the measured total. The rule, in order: docs/modules.md."""
from __future__ import annotations

import re

from isa.profile import is_softfloat_helper

CATEGORIES = ("mac", "unpack", "requant", "nonlinear", "data_movement", "softfloat", "other")
CATEGORY_LABELS = {"mac": "MAC instructions", "unpack": "sub-byte unpacking",
                   "requant": "per-output epilogue (requant., zero point, bias, clamp)", "nonlinear": "nonlinear ops",
                   "data_movement": "data movement (loads/stores)", "softfloat": "soft-float helpers",
                   "other": "loop control, addressing, widening"}

_CLONE = re.compile(r"(\.(constprop|isra|part|cold|lto_priv|clone)(\.\d+)?)+$")
_MAC_INT = re.compile(r"^(v?w?s?u?mul|v?mla|mls|smla|smul|smua|smus|umla|umul|umaal|sdot|udot|v?madd|v?msub|"
                      r"v?s?u?mull|v?s?u?mlal|v?s?u?mlsl|s?u?adalp|vw?macc|vw?maccu|vw?maccsu|vnmsac|vmadd|vnmsub|"
                      r"vwmul|vmul)")
_PACKED_MAC = re.compile(r"^(smlad|smlsd|smuad|smusd|smlald|smlsld|sdot|udot)")
_FLOAT_ARITH = re.compile(r"(mul|mla|mls|fma|fms|madd|msub|macc|add|nmac|nmsac)")
_UNPACK = re.compile(r"^(v?s?u?shr|v?ushr|v?sshr|asr|lsr|lsl|sll|srl|sra|sb?fx|ubfx|and|bic|v?and|vbic|"
                     r"sxt|uxt|sshll|ushll|v?xtn|shl|sshl|vsra|vsrl|vsll|vsext|vzext|vnsra|vnsrl|ror|pkh|zip|uzp|"
                     r"trn|ext|sbfiz|ubfiz|c\.s|c\.and|andi|slli|srli|srai|sext|zext)")
_NONLINEAR = re.compile(r"^ig_(relu|gelu|silu|softmax|exp|layernorm|rmsnorm|tanh|sigmoid)")
_FIXEDPOINT = re.compile(r"^ig_(sum_|output_|requant|srdhm|rdivpot|sat|mul_by_quantized|wadd)")


# RVV arithmetic is decoded by funct6 (isa/decode.py names it vi.op / vm.op / vf.op with "f6=0x..")
_RVV_FP_MAC = {0x00, 0x02, 0x24, 0x38, 0x30, 0x32} | set(range(0x28, 0x30)) | set(range(0x3C, 0x40))
_RVV_INT_UNPACK = {0x09, 0x25, 0x28, 0x29, 0x2C, 0x2D}  # vand, vsll, vsrl, vsra, vnsrl, vnsra (OPIVV/X/I)
_RVV_EXT = 0x12  # vzext / vsext (OPMVV VXUNARY0)


def _rvv_funct6(ins) -> int | None:
    if ins.mnemonic in ("vi.op", "vm.op", "vf.op") and ins.op_str.startswith("f6="):
        return int(ins.op_str[3:], 16)
    return None


def classify(fn: str, ins, count: int, outputs_of_kernel: dict[str, int]) -> str:
    name = _CLONE.sub("", fn)
    # the mnemonic up to its first dot (compressed c.* whole): the patterns have no dot but c\.*
    m = ins.mnemonic.lower().split(".")[0] if not ins.mnemonic.lower().startswith("c.") else ins.mnemonic.lower()
    if is_softfloat_helper(name) or ins.cls == "softfloat_call":
        return "softfloat"
    if _NONLINEAR.match(name):
        return "nonlinear"
    if ins.cls in ("load", "store") or ins.load_bytes or ins.store_bytes or name in ("memcpy", "memset", "memmove"):
        return "data_movement"
    if _FIXEDPOINT.match(name):
        return "requant"
    if ins.cls in ("scalar_float", "simd_float") and _FLOAT_ARITH.search(m) and "cvt" not in m \
            and not m.startswith(("fmov", "vmov", "fmv")):
        return "mac"  # FP32 kernels: float multiply/add/FMA are the MACs, whatever block they are in
    scalar = ins.cls in ("int_alu", "mul_mac", "branch", "scalar_float", "system") and ins.vec is None
    if name in outputs_of_kernel and scalar and count <= outputs_of_kernel[name] and not _PACKED_MAC.match(m):
        return "requant"
    f6 = _rvv_funct6(ins)
    if f6 is not None:
        if ins.vec is not None and ins.vec.op in ("mul", "mac"):
            return "mac"
        if ins.mnemonic == "vf.op" and f6 in _RVV_FP_MAC:
            return "mac"
        if name in outputs_of_kernel and "w4" in name and (
                (ins.mnemonic == "vi.op" and f6 in _RVV_INT_UNPACK) or (ins.mnemonic == "vm.op" and f6 == _RVV_EXT)):
            return "unpack"
        return "other"
    if ins.cls == "mul_mac" or ins.cls not in ("scalar_float", "simd_float") and _MAC_INT.match(m):
        return "mac"  # (float MACs returned above)
    if name in outputs_of_kernel and "w4" in name and _UNPACK.match(m):
        return "unpack"
    return "other"


def attribute(analysis, excluded: frozenset[str] | set[str], outputs_of_kernel: dict[str, int]
              ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """(totals per category, per function: category -> instructions) over the run's executed blocks, skipping
    the functions in `excluded` (the run harness). `outputs_of_kernel`: kernel function -> output elements its
    calls produce in one inference (the per-output-block threshold of rule 5)."""
    img = analysis.img
    totals = {c: 0 for c in CATEGORIES}
    per_fn: dict[str, dict[str, int]] = {}
    fn_cache: dict[int, str] = {}
    for node in analysis.edges.nodes:
        c = node.count
        if not c:
            continue
        for ins in node.block.insns:
            fn = fn_cache.get(ins.addr)
            if fn is None:
                f = img.function_at(ins.addr)
                fn = fn_cache[ins.addr] = f.name if f else "(no symbol)"
            if fn in excluded:
                continue
            cls = ins.cls
            if ins.branch == "call" and ins.target is not None:
                callee = img.function_at(ins.target)
                if callee is not None and is_softfloat_helper(callee.name):
                    cls = "softfloat_call"
            cat = "softfloat" if cls == "softfloat_call" else classify(fn, ins, c, outputs_of_kernel)
            totals[cat] += c
            d = per_fn.setdefault(fn, {k: 0 for k in CATEGORIES})
            d[cat] += c
    return totals, per_fn
