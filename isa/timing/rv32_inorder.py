"""A simple in-order RV32IMC microcontroller core: single issue, 5-stage pipeline, static prediction.

This is a generic textbook model (no vendor core is claimed): the numbers are of the classic 5-stage
integer pipeline (IF ID EX MEM WB) with full forwarding, an iterative divider, and static
backward-taken / forward-not-taken branch prediction resolved in EX. All parameters are assumed and
stated in docs/timing-models.md; small MCU cores of this shape (e.g. SiFive E31-class, PicoRV32 is slower,
Ibex is close) differ mostly in the multiplier and divider.
"""
from __future__ import annotations

from isa.timing.engine import CoreModel, KindTiming, timing_model


@timing_model("rv32imc", version=1)
def model(target=None) -> CoreModel:
    kinds = {
        "alu": KindTiming("ex", 1), "alu_shift": KindTiming("ex", 1), "nop": KindTiming("ex", 1),
        "sys": KindTiming("ex", 1),
        "mul": KindTiming("ex", 2), "mac": KindTiming("ex", 2),  # pipelined 2-cycle multiplier
        "div": KindTiming("ex", 34, 34),  # radix-2 iterative: 32 steps + 2
        "load": KindTiming("ex", 2), "fp_load": KindTiming("ex", 2),  # load-use: one stall cycle
        "store": KindTiming("ex", 1), "branch": KindTiming("ex", 1),
        "fp": KindTiming("ex", 1), "fp_move": KindTiming("ex", 1), "fp_mac": KindTiming("ex", 1),
        "fp_div": KindTiming("ex", 1),
    }
    return CoreModel(
        name="rv32-inorder",
        summary="single issue 5-stage, load-use 1 stall, MUL 2, DIV 34, static backward-taken/forward-not-taken "
                "prediction: predicted-taken bubble 1, mispredict 2, register jumps 2",
        issue_width=1, pipes={"ex": 1}, kinds=kinds, predictor="btfn", taken_penalty=1.0,
        mispredict_penalty=2.0, return_stack=False,
        sources=("generic 5-stage in-order pipeline (assumed parameters)",),
        bandwidth_bytes_per_cycle=4.0, bandwidth_note="one 32-bit data access per cycle")
