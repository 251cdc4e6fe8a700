"""Cortex-M7: dual-issue in-order superscalar, 6-stage pipeline, dynamic branch prediction (BTAC).

Arm publishes no per-instruction cycle table for the Cortex-M7. v2 takes its numbers from measurements on silicon
and from Arm's own compiler scheduling model; docs/timing-models.md has the table, the sources and the error left.
  [TRM]   Arm Cortex-M7 Processor TRM r1p2 (ARM DDI 0489): six-stage dual-issue pipeline, BTAC, 64-bit TCM/AXI.
  [JNK]   jnk0le, "pipeline cycle test", doc/cortex_m7.md (github.com/jnk0le/random): micro-benchmarks timed with
          DWT.CYCCNT on an STM32H743 (early and late ALU, load/store pairing, MAC, branches, FPU).
  [LLVM]  LLVM's Cortex-M7 scheduling model, llvm/lib/Target/ARM/ARMScheduleM7.td (contributed by Arm): two
          load units and one store unit, word load result in EX2, address operands read in EX1, MUL/MAC 2.
"""
from __future__ import annotations

import re

from isa.decode_arm import ARM_ALIAS as _ALIAS
from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

_NO_PAIR = ("sys", "div", "load_multiple", "store_multiple", "fp_div")
# [JNK] bitfield, extend, reverse and DSP (non-multiply) instructions: they use the early-ALU shifter, issue only as
# the older instruction of a pair, never pair with each other or with an inline-shifted operand
_BITFIELD = re.compile(r"^(u|s)xta?(b|h|b16)|^(u|s)bfx|^bf[ic]|^rev|^rbit|^clz|^pkh|^u?q(add|sub|asx|sax)|"
                       r"^(s|u|sh|uh|uq)(add|sub|asx|sax)(8|16)|^usada?8|^(u|s)sat|^sel")
# [JNK] of these, only the ones below read a source in the early ALU (plain UXTB/SXTH/SXTB16 read late, as
# [LLVM] also has it)
_EARLY_SOURCE = ("sbfx", "ubfx", "rbit", "rev", "bfi", "pkh", "sxta", "uxta")
_MEM = re.compile(r"\[([^\]]*)\]")
_SUB_WORD_LOAD = ("ldrb", "ldrh", "ldrsb", "ldrsh", "ldrexb", "ldrexh")


def _base(ins: Insn) -> str:
    return ins.mnemonic.split(".")[0]


def _bitfield(ins: Insn) -> bool:
    return ins.kind in ("alu", "alu_shift") and bool(_BITFIELD.match(_base(ins)))


def _sub_word_load(ins: Insn) -> bool:
    return ins.kind == "load" and _base(ins).startswith(_SUB_WORD_LOAD)


def _fp_transfer(ins: Insn) -> bool:
    return ins.kind in ("fp_load", "fp_move") or _base(ins).startswith(("vldr", "vstr", "vmov"))


def _address_regs(ins: Insn) -> set[str]:
    """The registers a load/store reads to form its address (the bracketed operand)."""
    m = _MEM.search(ins.op_str)
    if not m or ins.kind not in ("load", "store", "fp_load"):
        return set()
    return {_ALIAS.get(r, r) for r in re.findall(r"\b(r\d+|sp|lr|sb|sl|fp|ip)\b", m.group(1))}


def _word_slot(ins: Insn) -> tuple[str, int] | None:
    """(base register, word index parity) of a single load with an immediate offset, else None."""
    m = _MEM.search(ins.op_str)
    if not m or ins.transfers != 1:
        return None
    parts = [p.strip() for p in m.group(1).split(",")]
    off = 0
    if len(parts) == 2 and parts[1].startswith("#"):
        off = int(parts[1][1:], 0)
    elif len(parts) != 1:
        return None
    return _ALIAS.get(parts[0], parts[0]), (off // 4) & 1


def _early_reader(ins: Insn, reg: str) -> bool:
    """Does `ins` consume `reg` in EX1 (the early ALU / AGU) rather than in the late ALU?"""
    if reg in _address_regs(ins):
        return True  # [LLVM] address operands are read at EX1 (M7Read_ISS)
    if ins.kind == "alu_shift":
        return True  # [JNK] an inline-shifted operand is consumed in the early ALU
    if _bitfield(ins) and _base(ins).startswith(_EARLY_SOURCE):
        # [JNK] an instruction with any early-ALU source cannot take a word load's result the next cycle even in
        # its late-read operand, so every operand counts
        return True
    if ins.kind in ("mul", "mac"):  # [JNK] multiplies cannot consume an ldr result of the previous cycle ...
        return not (ins.kind == "mac" and ins.writes and reg in ins.writes)  # ... but the accumulator is read late
    return False


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind in ("load_multiple", "store_multiple") or (ins.kind == "branch" and ins.transfers):
        beats = (ins.transfers + 1) // 2  # [JNK] LDM/STM/PUSH/POP/LDRD/STRD: ceil(registers / 2) cycles, issue alone
        return KindTiming("ld" if ins.kind != "store_multiple" else "st", beats + 1, beats)
    if ins.kind in ("load", "store") and ins.transfers == 2:
        return KindTiming("ld" if ins.kind == "load" else "st", 2, 1)  # LDRD/STRD: one 64-bit beat, issue alone
    if _sub_word_load(ins):
        return KindTiming("ld", 2)  # [JNK] byte/halfword loads: one more cycle of result latency than LDR
    return kt


def _extra_stall(prev: Insn, ins: Insn, m: CoreModel) -> int:
    """Earliest issue of `ins`, in cycles after `prev` issued, where `ins` reads `prev`'s result early (EX1)."""
    produced = [w for w in prev.writes if w != "flags" and w in ins.reads]
    if not produced or not any(_early_reader(ins, r) for r in produced):
        return 0
    if prev.kind in ("load", "fp_load") and prev.transfers <= 1:
        return m.timing(prev).latency + 1  # word load 2, byte/halfword load 3
    if _bitfield(prev) and any(r in _address_regs(ins) for r in produced):
        return 2  # [JNK] a bitfield/DSP result used as an address or index the next cycle: 1 extra cycle
    return 0


def _alone(ins: Insn) -> bool:
    # [JNK] LDM/STM/PUSH/POP (POP {..., pc} included), LDRD/STRD, VLDR.64; divides, system instructions: assumed
    return ins.kind in _NO_PAIR or ins.transfers >= 2 or (ins.kind == "branch" and ins.transfers > 0)


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [TRM] dual issue of most pairs, within the limits [JNK] measured
    if _alone(ins) or any(_alone(g) for g in group):
        return False
    older = group[-1]
    # [JNK] bitfield/DSP ops only as the older instruction, never two of them, never beside an inline shift
    if _bitfield(ins) or (_bitfield(older) and ins.kind == "alu_shift"):
        return False
    if older.kind == "alu_shift" and ins.kind == "alu_shift":
        return False  # [JNK], [LLVM] one shifter: two inline-shifted operands do not pair
    if older.kind in ("mul", "mac") and ins.kind == "store" or older.kind == "store" and ins.kind in ("mul", "mac"):
        return False  # [JNK] a multiply does not pair with a store
    if older.kind == "fp_mac" and _fp_transfer(ins) or _fp_transfer(older) and ins.kind == "fp_mac":
        return False  # [JNK] VFMA/VMLA do not pair with VLDR, VSTR or VMOV
    if older.kind in ("load", "fp_load") and ins.kind in ("load", "fp_load"):
        # [JNK] two loads pair when they hit different banks (even and odd words): known here only for two
        # immediate offsets from the same base register; otherwise assumed to conflict
        a, b = _word_slot(older), _word_slot(ins)
        return a is not None and b is not None and a[0] == b[0] and a[1] != b[1]
    return True


@timing_model("cortex-m7", version=2)
def model(target=None) -> CoreModel:
    kinds = {
        "alu": KindTiming("alu", 1), "alu_shift": KindTiming("alu", 1), "nop": KindTiming("alu", 1),
        "it": KindTiming("alu", 1), "sys": KindTiming("sys", 1),
        # [JNK], [LLVM] multiplies: result one cycle later than the ALU's; accumulator chains run at 1 per cycle
        "mul": KindTiming("mac", 2), "mac": KindTiming("mac", 2, acc_latency=1),
        "div": KindTiming("div", 7, 7, 7),  # [LLVM] WriteDIV latency 7, single issue
        # [JNK], [LLVM] word loads feed the late ALU the next cycle (no stall); early readers: _extra_stall
        "load": KindTiming("ld", 1), "fp_load": KindTiming("ld", 1),
        "store": KindTiming("st", 1), "load_multiple": KindTiming("ld", 2), "store_multiple": KindTiming("st", 1),
        "branch": KindTiming("br", 1),
        # [JNK] VADD/VMUL result 3; VFMA/VMLA result 6 to a multiplicand, 3 to a following accumulate
        "fp": KindTiming("fp", 3), "fp_move": KindTiming("fp", 3), "fp_mac": KindTiming("fp", 6, acc_latency=3),
        "fp_div": KindTiming("fp", 16, 16, 16),  # [JNK] VDIV.F32 16 cycles, locks the pipeline; [LLVM] 16
    }
    return CoreModel(
        name="cortex-m7",
        summary="dual issue (2 ALU, 2 loads to different banks or 1 load + 1 store, 1 MAC, 1 branch, 1 FP per "
                "cycle), word load to ALU use 0 stalls (to address / shifted operand / multiply 1), LDRB/LDRH 1, "
                "MAC 2, predicted-taken branch 0 bubbles, mispredict 8, zero wait states (TCM)",
        issue_width=2, pipes={"alu": 2, "ld": 2, "st": 1, "mac": 1, "br": 1, "fp": 1, "div": 1, "sys": 1},
        kinds=kinds,
        # [JNK] a predicted taken branch dual-issues with the first instruction at its target (no bubble); a
        # mispredict costs 8 (6 when the flags are set at least 3 cycles before the branch, which compiled
        # compare-and-branch pairs rarely do)
        predictor="dynamic", taken_penalty=0.0, mispredict_penalty=8.0, return_stack=True,
        indirect_mispredict_rate=0.5, pair_rule=_pair, adjust=_adjust, extra_stall=_extra_stall,
        sources=("jnk0le pipeline cycle test, doc/cortex_m7.md: STM32H743 micro-benchmarks",
                 "LLVM ARMScheduleM7.td (Arm): pipes, read stages, latencies",
                 "Arm Cortex-M7 TRM r1p2 (DDI 0489): pipeline structure"),
        bandwidth_bytes_per_cycle=8.0, bandwidth_note="one 64-bit DTCM/AXI access per cycle")
