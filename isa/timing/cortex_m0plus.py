"""Cortex-M0+: single issue, 2-stage pipeline (fetch/pre-decode, decode/execute), no branch predictor.

Source: [TRM] Arm Cortex-M0+ Processor Technical Reference Manual r0p1 (ARM DDI 0484C), 3.3 "Cortex-M0+
instruction summary" (cycle counts at zero wait states), as the NXP LPC800 user manual reproduces it.
"""
from __future__ import annotations

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

TAKEN_EXTRA = 1  # [TRM] B<cond>: 2 taken, 1 not taken; B: 2 -> a taken branch costs 1 more cycle


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind in ("load_multiple", "store_multiple"):  # [TRM] LDM/STM/PUSH/POP: 1 + N
        return KindTiming("ex", 1 + ins.transfers, 1 + ins.transfers)
    if ins.kind == "branch" and ins.transfers:  # [TRM] POP {..., pc}: 3 + N = (2 + N) + the taken extra
        return KindTiming("ex", 2 + ins.transfers, 2 + ins.transfers)
    if ins.kind == "branch" and ins.branch in ("call", "indirect_call"):  # [TRM] BL 3, BLX 2 (+1 taken each)
        n = 2 if ins.branch == "call" else 1
        return KindTiming("ex", n, n)
    return kt


@timing_model("cortex-m0plus", version=1)
def model(target=None) -> CoreModel:
    one = KindTiming("ex", 1)
    kinds = {
        "alu": one, "alu_shift": one, "nop": one, "it": one,
        # [TRM] DMB/DSB/ISB 3; MRS/MSR 3 (SVC/BKPT and the rest of "sys": counted as 3 too)
        "sys": KindTiming("ex", 3, 3),
        # [TRM] MULS: 1 with the fast multiplier (the option RP2040 and STM32G0 implement), 32 with the small one
        "mul": one, "mac": one,
        # [TRM] LDR/LDRH/LDRB/STR/STRH/STRB: 2 cycles each, no pipelining between neighbours
        "load": KindTiming("ex", 2, 2), "store": KindTiming("ex", 2, 2),
        "load_multiple": one, "store_multiple": one,  # see _adjust
        "branch": one,  # [TRM] B / BX / MOV PC: 2 = 1 + TAKEN_EXTRA
        # no FPU and no divider on Armv6-M: soft-float and division are libgcc calls made of the kinds above
    }
    return CoreModel(
        name="cortex-m0plus",
        summary="single issue, no branch predictor (taken branch 1 extra, BL 3), loads and stores 2 cycles, "
                "LDM/STM/PUSH/POP 1 + N, 1-cycle MULS (fast multiplier), zero wait states",
        issue_width=1, pipes={"ex": 1}, kinds=kinds, predictor="none", taken_penalty=TAKEN_EXTRA,
        mispredict_penalty=0, return_stack=False, adjust=_adjust,
        sources=("Arm Cortex-M0+ TRM r0p1 (DDI 0484C) 3.3, instruction summary table",),
        bandwidth_bytes_per_cycle=2.0, bandwidth_note="one 32-bit AHB-Lite access per 2-cycle load/store")
