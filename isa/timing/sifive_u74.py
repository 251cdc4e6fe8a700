"""A SiFive-U74-like core for rv64gc: dual-issue in-order, 8-stage pipeline, branch prediction.

  [U74] SiFive U74 Core Complex Manual (21G1): chapter "U7 RISC-V Core", sections on the execution pipeline
        (dual issue, in order, late ALU), instruction latencies and branch prediction (BTB, BHT, RAS).
Numbers not read from that manual are marked "assumed".
"""
from __future__ import annotations

from isa.decode import Insn
from isa.timing.engine import CoreModel, KindTiming

_NO_PAIR = ("sys", "div", "fp_div")


def _pair(group: list[Insn], ins: Insn, m: CoreModel) -> bool:
    # [U74] two instructions per cycle in order; one memory, one multiply/divide, one FP, one branch per cycle
    # (pipes below). Assumed: CSR/system instructions and divides issue alone.
    if ins.kind in _NO_PAIR or any(g.kind in _NO_PAIR for g in group):
        return False
    return True


def scalar_kinds() -> dict[str, KindTiming]:
    return {
        "alu": KindTiming("alu", 1), "alu_shift": KindTiming("alu", 1), "nop": KindTiming("alu", 1),
        "sys": KindTiming("sys", 1),
        # [U74] integer multiply 3 cycles, pipelined; divide iterative (assumed 20 for typical operands)
        "mul": KindTiming("mul", 3), "mac": KindTiming("mul", 3), "div": KindTiming("mul", 20, 1, 20),
        # [U74] load-to-use 3 cycles for the early ALU; the late ALU hides one (assumed effective 2)
        "load": KindTiming("mem", 2), "fp_load": KindTiming("mem", 2), "store": KindTiming("mem", 1),
        "branch": KindTiming("br", 1),
        # [U74] FPU: add/mul/fused multiply-add 4-5 (assumed 5), divide/sqrt iterative (assumed 20)
        "fp": KindTiming("fp", 5), "fp_move": KindTiming("fp", 2), "fp_mac": KindTiming("fp", 5),
        "fp_div": KindTiming("fp", 20, 1, 20),
    }


SCALAR_PIPES = {"alu": 2, "mul": 1, "mem": 1, "br": 1, "fp": 1, "sys": 1}


def model() -> CoreModel:
    return CoreModel(
        name="sifive-u74", version=1,
        summary="dual issue in order (2 ALU, 1 memory, 1 mul/div, 1 FP, 1 branch per cycle), load-use 2, "
                "MUL 3, DIV 20, taken-branch bubble 1, mispredict 4, return-address stack",
        issue_width=2, pipes=dict(SCALAR_PIPES), kinds=scalar_kinds(),
        predictor="dynamic", taken_penalty=1.0, mispredict_penalty=4.0, return_stack=True,
        indirect_mispredict_rate=0.5, pair_rule=_pair,
        sources=("SiFive U74 Core Complex Manual 21G1: pipeline, latencies, branch prediction",),
        bandwidth_bytes_per_cycle=8.0, bandwidth_note="one 64-bit L1 data cache access per cycle")
