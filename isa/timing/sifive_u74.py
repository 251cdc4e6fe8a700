"""A SiFive-U74-like core for rv64gc: dual-issue in-order, 8-stage pipeline, branch prediction.

  [U74]  SiFive U74 Core Complex Manual (21G1): chapter "U7 RISC-V Core", sections on the execution pipeline
         (dual issue, in order; ALU and branch instructions execute in AG or, when an operand is late, in M2;
         addresses are always formed in AG), instruction latencies and branch prediction (BTB, BHT, RAS).
  [LLVM] LLVM's SiFive 7-series scheduling model, llvm/lib/Target/RISCV/RISCVSchedSiFive7.td (maintained by
         SiFive): loads 3 cycles, bypassed by 2 to ALU, shift and branch operands (the late ALU); address,
         multiply and divide operands get no bypass.
  [WC]   WikiChip, SiFive 7 Series: "0-cycle load-to-use latency (down from 1 cycle)" for the late ALU.
Numbers not read from these are marked "assumed". docs/timing-models.md has the table and the error left.
"""
from __future__ import annotations

import re

from isa.decode_riscv import rv_norm as _rv_norm
from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model

_NO_PAIR = ("sys", "div", "fp_div")
_MEM = re.compile(r"\((\w+)\)")
LOAD_TO_AG = 3  # [U74], [LLVM] a load result reaches AG-stage readers (addresses, multiplier, divider) after 3


def _early_reader(ins: Insn, reg: str) -> bool:
    """Does `ins` read `reg` in AG (address, multiplier/divider operand, indirect jump target)?"""
    if ins.kind in ("mul", "mac", "div"):
        return True
    if ins.kind in ("load", "store", "fp_load") or (ins.kind == "branch" and ins.mnemonic in ("jalr", "jr", "c.jr",
                                                                                              "c.jalr")):
        m = _MEM.search(ins.op_str)
        base = _rv_norm(m.group(1)) if m else (ins.reads[0] if ins.kind == "branch" and ins.reads else None)
        return reg == base
    return False


def extra_stall(prev: Insn, ins: Insn, m: CoreModel) -> int:
    """Earliest issue of `ins`, in cycles after `prev` issued, when it reads a just-loaded register in AG."""
    if prev.kind not in ("load", "fp_load"):
        return 0
    return LOAD_TO_AG if any(_early_reader(ins, w) for w in prev.writes if w in ins.reads) else 0


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
        # [U74], [LLVM], [WC] loads: the late ALU (M2) takes the result the next cycle, no stall; AG-stage readers
        # wait LOAD_TO_AG (extra_stall). FP loads: 3 to every FP reader, there is no late FP unit ([LLVM] since 2025)
        "load": KindTiming("mem", 1), "fp_load": KindTiming("mem", LOAD_TO_AG), "store": KindTiming("mem", 1),
        "branch": KindTiming("br", 1),
        # [U74] FPU: add/mul/fused multiply-add 4-5 (assumed 5), divide/sqrt iterative (assumed 20)
        "fp": KindTiming("fp", 5), "fp_move": KindTiming("fp", 2), "fp_mac": KindTiming("fp", 5),
        "fp_div": KindTiming("fp", 20, 1, 20),
    }


SCALAR_PIPES = {"alu": 2, "mul": 1, "mem": 1, "br": 1, "fp": 1, "sys": 1}


@timing_model("rv64gc", version=2)
def model(target=None) -> CoreModel:
    return CoreModel(
        name="sifive-u74",
        summary="dual issue in order (2 ALU, 1 memory, 1 mul/div, 1 FP, 1 branch per cycle), load to ALU use "
                "0 stalls (late ALU), load to address/multiply 2 stalls, "
                "MUL 3, DIV 20, taken-branch bubble 1, mispredict 4, return-address stack",
        issue_width=2, pipes=dict(SCALAR_PIPES), kinds=scalar_kinds(),
        predictor="dynamic", taken_penalty=1.0, mispredict_penalty=4.0, return_stack=True,
        indirect_mispredict_rate=0.5, pair_rule=_pair, extra_stall=extra_stall,
        sources=("SiFive U74 Core Complex Manual 21G1: pipeline, latencies, branch prediction",
                 "LLVM RISCVSchedSiFive7.td (SiFive): load latency and late-ALU bypass"),
        bandwidth_bytes_per_cycle=8.0, bandwidth_note="one 64-bit L1 data cache access per cycle")
