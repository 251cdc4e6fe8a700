"""Cortex-M55: in-order scalar pipeline plus a dual-beat Helium (MVE) unit with instruction overlap.

Arm publishes no per-instruction cycle table for the Cortex-M55 in its TRM; the MVE behaviour is the architecture's
beat-wise execution as the Cortex-M55 implements it. Sources:
  [ARM]  Armv8.1-M Architecture Reference Manual (DDI 0553), "Beat-wise execution": a 128-bit MVE instruction is
         four beats; an implementation executes 1, 2 or 4 beats per tick and may overlap the beats of consecutive
         instructions (at most two in flight), beat-wise dependencies allowing a consumer to start on the beats its
         producer has finished.
  [TRM]  Arm Cortex-M55 Processor Technical Reference Manual (101051): the Cortex-M55 is a dual-beat implementation
         (2 beats per tick, so one MVE instruction keeps its unit 2 cycles); MVE load/store and the scalar
         load/store share one 64-bit memory interface (TCMs); separate MVE multiply/MAC and ALU resources.
  [SOG]  Arm Cortex-M55 Software Optimization Guide: interleave a load with an operation on another unit so that
         the two overlap (VLDR + VMLA pairs run at one instruction per cycle); two consecutive instructions on the
         same unit do not overlap.
  [M4]   Arm Cortex-M4 TRM r0p1 (DDI 0439B) Table 3-1: scalar numbers the sources above do not give (assumed).
"""
from __future__ import annotations

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

TICKS_PER_VECTOR_OP = 2  # [TRM] dual beat: 4 beats at 2 per tick
REFILL_P = 1  # assumed: a taken branch refills one stage (LE / LETP counted alike: an upper bound on a LOB loop)


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    if ins.kind in ("load_multiple", "store_multiple"):  # [M4] LDM/STM/PUSH/POP: 1 + N (64-bit bus assumed 2/beat)
        beats = (ins.transfers + 1) // 2
        return KindTiming("ls", 1 + beats, 1 + beats)
    if ins.kind == "branch" and ins.transfers:
        return KindTiming("ls", 1 + ins.transfers, 1 + ins.transfers)
    return kt


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [M4] IT folded onto a preceding 16-bit instruction; no other dual issue is claimed for the scalar pipeline
    return len(group) == 1 and ins.kind == "it" and group[0].size == 2


@timing_model("cortex-m55", version=1)
def model(target=None) -> CoreModel:
    one = KindTiming("ex", 1)
    vec = lambda pipe, lat=1: KindTiming(pipe, lat, 1, TICKS_PER_VECTOR_OP)  # noqa: E731
    kinds = {
        "alu": one, "alu_shift": one, "nop": one, "sys": one, "it": one,
        "mul": one, "mac": one, "div": KindTiming("ex", 7, 7),  # [M4]
        # scalar loads on the shared load/store unit; data one cycle after issue (assumed, as the M33's)
        "load": KindTiming("ls", 2), "fp_load": KindTiming("ls", 2), "store": KindTiming("ls", 1),
        "load_multiple": one, "store_multiple": one, "branch": one,
        "fp": one, "fp_move": one, "fp_mac": KindTiming("ex", 3, 3), "fp_div": KindTiming("ex", 14, 14),  # [M4]
        # [ARM]/[SOG] MVE: each instruction keeps its unit TICKS_PER_VECTOR_OP cycles, the next instruction on
        # another unit issues the cycle after (overlap), a vector consumer starts a cycle after its producer
        # (beat-wise dependency)
        "vec_load": vec("ls"), "vec_store": vec("ls"),
        "vec_alu": vec("valu"), "vec_red": vec("valu", TICKS_PER_VECTOR_OP + 1),
        "vec_mul": vec("vmac"), "vec_fmul": vec("vmac", TICKS_PER_VECTOR_OP),
        # a reduction's scalar result exists once all four beats are done; a following reduction into the same
        # register takes it as its accumulator when its own last beats run (accumulator forwarding, assumed)
        "vec_mac_red": KindTiming("vmac", TICKS_PER_VECTOR_OP + 1, 1, TICKS_PER_VECTOR_OP,
                                  acc_latency=TICKS_PER_VECTOR_OP),
        "vec_pred": one,  # VCTP / VPST: scalar-pipeline instructions writing or reading P0
    }
    return CoreModel(
        name="cortex-m55",
        summary="in-order scalar issue (1 per cycle, IT folding), dual-beat MVE: each vector instruction keeps its "
                "unit (load/store, MAC, ALU) 2 cycles, consecutive instructions on different units overlap, "
                "beat-wise vector dependencies (1 cycle), reductions' scalar results after 3, taken branch 1 + 1, "
                "zero wait states (TCM)",
        issue_width=2, pipes={"ex": 1, "ls": 1, "vmac": 1, "valu": 1}, kinds=kinds, predictor="none",
        taken_penalty=REFILL_P, mispredict_penalty=0, return_stack=False, pair_rule=_pair, adjust=_adjust,
        sources=("Armv8.1-M ARM (DDI 0553): beat-wise execution and overlap",
                 "Arm Cortex-M55 TRM (101051): dual-beat MVE, shared 64-bit load/store path",
                 "Arm Cortex-M55 Software Optimization Guide: load/compute interleaving",
                 "Arm Cortex-M4 TRM r0p1 (DDI 0439B) Table 3-1: scalar numbers (assumed)"),
        bandwidth_bytes_per_cycle=8.0, bandwidth_note="one 64-bit TCM access per cycle (the MVE load/store path)")
