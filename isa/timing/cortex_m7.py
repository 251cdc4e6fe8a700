"""Cortex-M7: dual-issue in-order superscalar, 6-stage pipeline, dynamic branch prediction (BTAC).

Arm does not publish a per-instruction cycle table for the Cortex-M7. The structure is from the TRM, the
numbers marked "assumed" are the project's, chosen to be consistent with that structure; see
docs/timing-models.md for the error this leaves.
  [TRM]  Arm Cortex-M7 Processor Technical Reference Manual r1p2 (ARM DDI 0489), chapter 1-2 (features:
         "six-stage superscalar pipeline", "dual-issue of most instruction pairs", branch target address cache,
         64-bit AXI/TCM interfaces, FPv5), and 3.x on the prefetch unit and branch prediction.
"""
from __future__ import annotations

from isa.decode import Insn
from isa.timing.engine import CoreModel, KindTiming

_NO_PAIR = ("sys", "div", "load_multiple", "store_multiple", "fp_div")


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind in ("load_multiple", "store_multiple") or (ins.kind == "branch" and ins.transfers):
        beats = (ins.transfers + 1) // 2  # [TRM] 64-bit load/store data path: two registers per beat
        return KindTiming("ls", 2 + beats, 1 + beats)
    return kt


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [TRM] dual issue of most pairs; one load/store, one MAC, one branch, one FP op per cycle (pipes below).
    # Assumed: system instructions, divides and load/store-multiple issue alone.
    if ins.kind in _NO_PAIR or any(g.kind in _NO_PAIR for g in group):
        return False
    return True


def model() -> CoreModel:
    kinds = {
        "alu": KindTiming("alu", 1), "alu_shift": KindTiming("alu", 1), "nop": KindTiming("alu", 1),
        "it": KindTiming("alu", 1), "sys": KindTiming("sys", 1),
        # assumed: MAC pipeline EX1-EX2, 2-cycle result, accumulate forwarded to a following MAC in 1
        "mul": KindTiming("mac", 2), "mac": KindTiming("mac", 2, acc_latency=1),
        "div": KindTiming("div", 7, 7, 7),  # assumed, as the M4's 2-12 midpoint
        "load": KindTiming("ls", 2), "fp_load": KindTiming("ls", 2),  # assumed: data at EX2 (1-cycle load-use stall)
        "store": KindTiming("ls", 1), "load_multiple": KindTiming("ls", 2), "store_multiple": KindTiming("ls", 1),
        "branch": KindTiming("br", 1),
        "fp": KindTiming("fp", 3), "fp_move": KindTiming("fp", 1), "fp_mac": KindTiming("fp", 6),  # assumed
        "fp_div": KindTiming("fp", 14, 14, 14),  # assumed, as FPv4-SP VDIV.F32
    }
    return CoreModel(
        name="cortex-m7", version=1,
        summary="dual issue (2 ALU, 1 load/store, 1 MAC, 1 branch, 1 FP per cycle), load-use 1 stall, MAC 2, "
                "dynamic predictor: predicted-taken bubble 1, mispredict 5 (assumed), zero wait states (TCM)",
        issue_width=2, pipes={"alu": 2, "ls": 1, "mac": 1, "br": 1, "fp": 1, "div": 1, "sys": 1}, kinds=kinds,
        # assumed: a BTAC hit still costs one fetch bubble; a mispredict refetches from EX1 of the 6-stage pipeline
        predictor="dynamic", taken_penalty=1.0, mispredict_penalty=5.0, return_stack=True,
        indirect_mispredict_rate=0.5, pair_rule=_pair, adjust=_adjust,
        sources=("Arm Cortex-M7 TRM r1p2 (DDI 0489): pipeline structure; per-instruction numbers assumed",),
        bandwidth_bytes_per_cycle=8.0, bandwidth_note="one 64-bit DTCM/AXI access per cycle")
