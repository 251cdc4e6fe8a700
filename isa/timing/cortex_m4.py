"""Cortex-M4 (and Cortex-M4F): single-issue, 3-stage pipeline, no branch predictor.

Sources (cited per parameter below):
  [TRM]  Arm Cortex-M4 Processor Technical Reference Manual r0p1 (ARM DDI 0439B), 3.3.1 "Cortex-M4 instruction
         set summary", Table 3-1 (cycle counts, the P refill term, load/store pipelining notes).
  [FPU]  same manual, chapter 7 "Floating Point Unit", Table 7-1 "FPU instruction set" (FPv4-SP cycle counts).
"""
from __future__ import annotations

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

_LSU = ("load", "store", "load_multiple", "store_multiple", "fp_load")

# [TRM] "B: 1 + P ... P: the number of cycles required for a pipeline refill. This ranges from 1 to 3 depending
# on the alignment and width of the target instruction, and whether the processor manages to speculate the
# address early." The model takes the midpoint.
REFILL_P = 2
DIV_CYCLES = 7  # [TRM] SDIV/UDIV: 2-12 cycles (early termination on operand size); midpoint, operands unknown


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind == "load_multiple" or ins.kind == "store_multiple":  # [TRM] LDM/STM/PUSH/POP: 1 + N
        return KindTiming("ex", 1 + ins.transfers, 1 + ins.transfers)
    if ins.kind == "branch" and ins.transfers:  # POP {..., pc} / LDR pc: 1 + N (+ P, charged as a taken branch)
        return KindTiming("ex", 1 + ins.transfers, 1 + ins.transfers)
    if ins.kind == "branch" and ins.mnemonic.startswith(("tbb", "tbh")):  # [TRM] TBB/TBH: 2 + P
        return KindTiming("ex", 2, 2)
    if ins.kind == "load" and ins.transfers == 2:  # [TRM] LDRD/STRD: 1 + N (N = 2)
        return KindTiming("ex", 3, 1)
    return kt


def _extra_stall(prev: Insn, ins: Insn, m: CoreModel) -> int:
    # [TRM] LDR is 2 cycles, but "neighboring load and store single instructions can pipeline their address and
    # data phases": a load followed by another load/store costs 1 more cycle, followed by anything else 2.
    if prev.kind in ("load", "fp_load") and prev.transfers <= 1 and ins.kind not in _LSU:
        return 2
    return 0


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [TRM] "IT instructions can be folded onto a preceding 16-bit Thumb instruction" (0 cycles then).
    return len(group) == 1 and ins.kind == "it" and group[0].size == 2


@timing_model("cortex-m4", version=1)
def model(target=None) -> CoreModel:
    one = lambda lat=1: KindTiming("ex", lat)
    kinds = {
        "alu": one(), "alu_shift": one(), "nop": one(), "sys": one(), "it": one(),
        # [TRM] MUL, MLA, MLS, SMULL, UMULL, SMLAL, UMLAL and the DSP multiplies (SMLAD, SMUAD, SMLAL*): 1 cycle
        "mul": one(), "mac": one(),
        "div": KindTiming("ex", DIV_CYCLES, DIV_CYCLES),
        # [TRM] LDR: 2 (data available to the next instruction after the data phase); see _extra_stall
        "load": KindTiming("ex", 2), "fp_load": KindTiming("ex", 2),
        # [TRM] "STR Rx,[Ry,#imm] is always one cycle ... the data store is performed at the same time as the next
        # instruction is executing"
        "store": one(), "store_multiple": one(), "load_multiple": one(),
        "branch": one(),
        # [FPU] VADD/VSUB/VMUL/VCVT/VMOV 1, VMLA/VMLS/VFMA 3, VDIV/VSQRT 14, VLDR/VSTR 2 (as loads/stores above)
        "fp": KindTiming("ex", 1), "fp_move": KindTiming("ex", 1), "fp_mac": KindTiming("ex", 3, 3),
        "fp_div": KindTiming("ex", 14, 14),
    }
    return CoreModel(
        name="cortex-m4",
        summary="single issue, no branch predictor (taken branch: 1 + P refill, P = 2), loads 2 cycles "
                "pipelined with neighbouring loads/stores, 1-cycle 32x32 MAC, SDIV/UDIV 7, zero wait states",
        issue_width=2,  # a second "slot" exists only for a folded IT (see _pair); everything else is single issue
        pipes={"ex": 2}, kinds=kinds, predictor="none", taken_penalty=REFILL_P, mispredict_penalty=0,
        return_stack=False, wait_states_per_access=0.0, pair_rule=_pair, adjust=_adjust,
        extra_stall=_extra_stall,
        sources=("Arm Cortex-M4 TRM r0p1 (DDI 0439B) Table 3-1", "ibid. chapter 7, Table 7-1 (FPv4-SP)"),
        bandwidth_bytes_per_cycle=4.0,
        bandwidth_note="one 32-bit data bus access per cycle (AHB-Lite D-code/System bus)")
