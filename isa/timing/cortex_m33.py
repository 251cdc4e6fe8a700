"""Cortex-M33: 3-stage pipeline with limited dual issue, no branch predictor.

Arm publishes no per-instruction cycle table for the Cortex-M33. The structure is from public descriptions of its
pipeline; the per-kind numbers follow the Cortex-M4 TRM's table (the same Armv7-M/v8-M mainline class of core and
DSP extension) except where the structure says otherwise. Sources:
  [TRM]  Arm Cortex-M33 Processor Technical Reference Manual r0p4 (Arm 100230): 3-stage pipeline, DSP extension,
         FPv5-SP, Harvard AHB5 interfaces.
  [EN]   elektroniknet.de, "Cortex-M23 und M33 sind erste Armv8-M-CPUs" (2016), p. 3, from Arm's launch material:
         16-bit Thumb and branch instructions may dual-issue; address generation of loads/stores starts in stage 2
         (the M3/M4 start it in stage 3, "which is why loads take two cycles" there); branches resolve in stage 2;
         MAC, SIMD, divide and 32x32 multiply run in stage 3.
  [M4]   Arm Cortex-M4 TRM r0p1 (DDI 0439B) Table 3-1, for the numbers [EN] does not change.
"""
from __future__ import annotations

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

REFILL_P = 1  # assumed: branches resolve in stage 2 [EN], one stage earlier than the M4's (P = 1-3, midpoint 2)
DIV_CYCLES = 7  # [M4] SDIV/UDIV 2-12, midpoint (operands unknown)
_PAIRABLE = ("alu", "alu_shift", "nop", "branch")


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind in ("load_multiple", "store_multiple"):  # [M4] LDM/STM/PUSH/POP: 1 + N
        return KindTiming("ex", 1 + ins.transfers, 1 + ins.transfers)
    if ins.kind == "branch" and ins.transfers:  # POP {..., pc}: 1 + N, plus the taken refill
        return KindTiming("ex", 1 + ins.transfers, 1 + ins.transfers)
    if ins.kind == "load" and ins.transfers == 2:  # [M4] LDRD/STRD: 1 + N
        return KindTiming("ex", 3, 1)
    return kt


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [EN] dual issue of 16-bit Thumb instructions and branches; assumed: only single-cycle ALU ops and branches
    # (never two branches), and only when both are 16-bit; the IT fold of the M4 is kept.
    if len(group) != 1:
        return False
    first = group[0]
    if ins.kind == "it" and first.size == 2:
        return True
    if first.size != 2 or ins.size != 2 or first.kind not in _PAIRABLE or ins.kind not in _PAIRABLE:
        return False
    return not (first.kind == "branch" and ins.kind == "branch")


@timing_model("cortex-m33", version=1)
def model(target=None) -> CoreModel:
    one = KindTiming("ex", 1)
    kinds = {
        "alu": one, "alu_shift": one, "nop": one, "sys": one, "it": one,
        "mul": one, "mac": one,  # [M4] 1-cycle MUL/MLA and DSP multiplies (SMLAD, SMLAL*)
        "div": KindTiming("ex", DIV_CYCLES, DIV_CYCLES),
        # [EN] address generation in stage 2: a load issues in 1 cycle; assumed: its data reaches a dependent
        # instruction one cycle later (1-cycle load-use stall), as the M4's 2-cycle LDR when not pipelined
        "load": KindTiming("ex", 2), "fp_load": KindTiming("ex", 2),
        "store": one, "store_multiple": one, "load_multiple": one,
        "branch": one,
        # [M4] FPv4-SP numbers for the FPv5-SP unit (VADD/VMUL 1, VMLA/VFMA 3, VDIV/VSQRT 14): assumed unchanged
        "fp": one, "fp_move": one, "fp_mac": KindTiming("ex", 3, 3), "fp_div": KindTiming("ex", 14, 14),
    }
    return CoreModel(
        name="cortex-m33",
        summary="3-stage, dual issue of pairs of 16-bit ALU/branch instructions, no branch predictor (taken "
                "branch: 1 + P refill, P = 1), loads 1 cycle + 1 load-use stall, 1-cycle MAC, SDIV/UDIV 7, "
                "zero wait states",
        issue_width=2, pipes={"ex": 2}, kinds=kinds, predictor="none", taken_penalty=REFILL_P,
        mispredict_penalty=0, return_stack=False, pair_rule=_pair, adjust=_adjust,
        sources=("Arm Cortex-M33 TRM r0p4 (100230): structure", "elektroniknet.de Cortex-M23/M33 launch article "
                 "p. 3: dual issue, stage-2 address generation and branch resolution",
                 "Arm Cortex-M4 TRM r0p1 (DDI 0439B) Table 3-1: per-kind numbers"),
        bandwidth_bytes_per_cycle=4.0, bandwidth_note="one 32-bit AHB5 data access per cycle")
