"""Cortex-A53 and Cortex-A55: dual-issue in-order AArch64 cores, 8-stage pipeline, dynamic branch prediction.

  [A55SOG] Arm Cortex-A55 Software Optimization Guide: the instruction characteristics tables (execution
           latencies and pipelines per instruction group) and the pipeline overview (dual issue, two integer
           ALU pipes, one MAC, one divide, one load and one store pipe, two 64-bit NEON/FP pipes). The values
           below are rounded to one per instruction group; check them against the guide's tables before
           relying on a single instruction's figure.
  [A53TRM] Arm Cortex-A53 MPCore Processor TRM (DDI 0500): "in-order, 8-stage, dual-issue" pipeline; the
           A53 has a single load/store pipe. Arm published no A53 latency table: the A53 model reuses the
           A55 guide's latencies where the pipelines are the same (stated as an assumption).
Numbers not in those documents are marked "assumed".
"""
from __future__ import annotations

import re
from dataclasses import replace

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

_Q_FORM = re.compile(r"\bv\d{1,2}\.(16b|8h|4s|2d)\b")
_NO_PAIR = ("sys", "div", "fp_div", "simd_fdiv")


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    # [A55SOG] 128-bit (Q-form) ASIMD operations use both 64-bit NEON pipes: one per cycle
    if kt.pipe == "neon" and _Q_FORM.search(ins.op_str):
        return replace(kt, pipe="neonq")
    if ins.kind == "load" and ins.transfers == 2 and ins.load_bytes > 8 and m.params.get("single_ls"):
        return KindTiming(kt.pipe, kt.latency + 1, 2)  # assumed: A53 LDP of two X registers takes two cycles
    return kt


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    if ins.kind in _NO_PAIR or any(g.kind in _NO_PAIR for g in group):
        return False
    pipes = [m.timing(g).pipe for g in group] + [m.timing(ins).pipe]
    if "neonq" in pipes and any(p in ("neon", "neonq") for p in pipes[:-1] + pipes[-1:]) and \
            sum(p in ("neon", "neonq") for p in pipes) > 1:
        return False
    if m.params.get("single_ls") and sum(p in ("ld", "st") for p in pipes) > 1:
        return False  # [A53TRM] one load/store pipe
    return True


def _model(name: str, single_ls: bool, summary: str, sources: tuple[str, ...]) -> CoreModel:
    kinds = {
        # [A55SOG] ALU basic 1, with shift/extend 2
        "alu": KindTiming("alu", 1), "alu_shift": KindTiming("alu", 2), "nop": KindTiming("alu", 1),
        "sys": KindTiming("sys", 1),
        # [A55SOG] MUL/MADD (W) 3 in the MAC pipe; 64-bit the same; SDIV/UDIV W 4-12, X 4-20 (iterative)
        "mul": KindTiming("mac", 3), "mac": KindTiming("mac", 3, acc_latency=1), "div": KindTiming("div", 12, 1, 10),
        # [A55SOG] load to integer use 3 (L1 hit); store issues in the store pipe
        "load": KindTiming("ld", 3), "simd_load": KindTiming("ld", 3), "store": KindTiming("st", 1),
        "simd_store": KindTiming("st", 1),
        "branch": KindTiming("br", 1),
        # [A55SOG] FP add/mul/FMA 4, FMOV 1-3, FDIV S ~ 8-13 (iterative)
        "fp": KindTiming("neon", 4), "fp_move": KindTiming("neon", 2), "fp_mac": KindTiming("neon", 4),
        "fp_div": KindTiming("neon", 13, 1, 10),
        # [A55SOG] ASIMD integer basic 2, multiply / multiply-accumulate / dot product 4, moves 2
        "simd_alu": KindTiming("neon", 2), "simd_move": KindTiming("neon", 2), "simd_mul": KindTiming("neon", 4),
        # [A55SOG] multiply-accumulate pipelines late-forward the accumulator of a dependent MAC of the same kind
        "simd_mac": KindTiming("neon", 4, acc_latency=1), "simd_fp": KindTiming("neon", 4), "simd_fmac": KindTiming("neon", 4),
        "simd_fdiv": KindTiming("neon", 13, 1, 10),
    }
    pipes = {"alu": 2, "mac": 1, "div": 1, "br": 1, "neon": 2, "neonq": 1, "sys": 1,
             "ld": 1, "st": 1}
    return CoreModel(
        name=name, summary=summary, issue_width=2, pipes=pipes, kinds=kinds,
        # assumed: taken branches predicted without a bubble (the cores' branch target instruction cache),
        # mispredict 8 (about the fetch-to-execute depth of the 8-stage pipeline)
        predictor="dynamic", taken_penalty=0.0, mispredict_penalty=8.0, return_stack=True,
        indirect_mispredict_rate=0.5, pair_rule=_pair, adjust=_adjust, params={"single_ls": single_ls},
        sources=sources, bandwidth_bytes_per_cycle=16.0 if not single_ls else 8.0,
        bandwidth_note=("L1 data cache: one 64-bit load per cycle" if single_ls
                        else "L1 data cache: one 64-bit load + one 64-bit store per cycle"))


@timing_model("cortex-a53", version=1)
def model_a53(target=None) -> CoreModel:
    return _model("cortex-a53", True,
                  "dual issue in order, one load/store pipe, ALU 1 (shifted 2), MUL/MADD 3, load-use 3, "
                  "Q-form NEON single issue, mispredict 8 (assumed), latencies from the A55 guide (assumed same)",
                  ("Arm Cortex-A53 MPCore TRM (DDI 0500): pipeline structure",
                   "Arm Cortex-A55 Software Optimization Guide: latencies (assumed to hold for the A53)"))


@timing_model("cortex-a55", version=1)
def model_a55(target=None) -> CoreModel:
    return _model("cortex-a55", False,
                  "dual issue in order, separate load and store pipes, ALU 1 (shifted 2), MUL/MADD 3, "
                  "load-use 3, ASIMD MAC/SDOT 4, Q-form NEON single issue, mispredict 8 (assumed)",
                  ("Arm Cortex-A55 Software Optimization Guide: pipelines and latencies",))
