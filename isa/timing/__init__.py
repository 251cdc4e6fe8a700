"""Estimated cycles from exact block counts: the project's own timing models, one module per core.

Instructions are exact; cycles are estimates. Every figure carries the model's label,
e.g. "est. cycles (intgap cortex-m4 model v1)". See :mod:`isa.timing.engine` for how an estimate is made and
docs/timing-models.md for each model's parameters, their sources, and the error to expect.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from dataclasses import dataclass, field

from isa.errors import IsaError
from isa.result import RunResult
from isa.targets import Target, get_target
from isa.timing.engine import TIMING_MODELS, CoreModel, TimingModelEntry, block_cycles


class UnknownTimingModel(IsaError):
    pass


def registered_models() -> dict[str, TimingModelEntry]:
    """Every timing model, by the name targets give it. Each module of this package registers its own with
    :func:`isa.timing.engine.timing_model` when imported; they are imported here, on first use."""
    for info in pkgutil.iter_modules(__path__):  # a no-op once imported
        importlib.import_module(f"{__name__}.{info.name}")
    return TIMING_MODELS


def get_model(name: str, target: Target | None = None) -> CoreModel:
    """The timing model `name` (a target's ``timing_model``), built for `target`."""
    table = registered_models()
    if name not in table:
        raise UnknownTimingModel(f"no timing model {name!r}: choose one of {', '.join(sorted(table))} "
                                 f"(set Target.timing_model in isa/targets.py)")
    return table[name].model(target)


@dataclass
class CycleEstimate:
    model: str  # the label: "intgap <core> model v<n>"
    cycles: int
    issue_cycles: int  # in-order issue incl. dependency stalls, pairing, multi-cycle ops
    branch_cycles: int  # taken-branch refills/bubbles
    mispredict_cycles: int
    wait_state_cycles: int
    instructions: int
    per_function: dict[str, int] = field(default_factory=dict)
    # the separate memory roofline bound: bytes moved / stated bandwidth (not folded into `cycles`)
    bytes_moved: int = 0
    roofline_cycles: int = 0
    bandwidth_bytes_per_cycle: float = 0.0
    bandwidth_note: str = ""
    inferred_branch_executions: int = 0  # conditional branches whose taken split is a proportional guess
    notes: list[str] = field(default_factory=list)
    # the board (isa/boards.py) and its memory system; board "" = core only (zero-wait memory, as before boards)
    board: str = ""
    clock_mhz: float = 0.0  # the board's clock (the target's nominal clock without a board): for tokens/s
    core_cycles: int = 0  # the pipeline model's cycles (= cycles when no memory system is modelled)
    memory_stall_cycles: int = 0  # cycles - core_cycles
    limiting_level: str = "core"  # "core", a cache level ("L2") or a memory ("dram", "flash")
    limited_by: str = "core"  # "core", "latency" (stalls exceed core cycles) or "bandwidth" (bytes / bandwidth)
    memory_bandwidth_cycles: dict[str, int] = field(default_factory=dict)  # memory -> bytes moved / its bandwidth
    memory: dict = field(default_factory=dict)  # the run's memory statistics (MemoryStats.to_json()), {} without
    per_function_memory_stalls: dict[str, int] = field(default_factory=dict)
    # for differences of runs (isa.timing.memory.step_difference): per function, the core model's cycles, the
    # latency stalls, the bytes from memories, and the run's cycles per byte at its limiting memory
    per_function_core: dict[str, int] = field(default_factory=dict)
    per_function_latency_stalls: dict[str, float] = field(default_factory=dict)
    per_function_memory_bytes: dict[str, float] = field(default_factory=dict)
    memory_cycles_per_byte: float = 0.0

    @property
    def ipc(self) -> float:
        return self.instructions / self.cycles if self.cycles else 0.0

    @property
    def heading(self) -> str:
        return f"est. cycles ({self.model})"

    def to_json(self) -> dict:
        return {"model": self.model, "estimated_cycles": self.cycles, "label": self.heading,
                "issue_cycles": self.issue_cycles, "branch_cycles": self.branch_cycles,
                "mispredict_cycles": self.mispredict_cycles, "wait_state_cycles": self.wait_state_cycles,
                "instructions": self.instructions, "est_ipc": round(self.ipc, 4),
                "per_function_estimated_cycles": self.per_function,
                "roofline": {"bytes_moved": self.bytes_moved, "bound_cycles": self.roofline_cycles,
                             "bandwidth_bytes_per_cycle": self.bandwidth_bytes_per_cycle,
                             "note": self.bandwidth_note},
                "inferred_branch_executions": self.inferred_branch_executions, "notes": self.notes,
                "board": self.board, "clock_mhz": self.clock_mhz, "core_cycles": self.core_cycles,
                "memory_stall_cycles": self.memory_stall_cycles, "limiting_level": self.limiting_level,
                "limited_by": self.limited_by, "memory_bandwidth_cycles": self.memory_bandwidth_cycles,
                "memory": self.memory, "per_function_memory_stall_cycles": self.per_function_memory_stalls,
                "memory_cycles_per_byte": self.memory_cycles_per_byte}


def estimate(result: RunResult, elf, target: Target | str | None = None, *, model: CoreModel | str | None = None,
             analysis=None, board=None) -> CycleEstimate:
    """Estimated cycles of a counted run (see isa.timing.engine for the method).

    With `board` (a name or an isa.boards.Board) the estimate is memory-aware (isa.timing.memory): the run must
    have been made on that board (``isa.run(..., board=...)``). A zero-wait board adds nothing; a run without a
    memory capture (the QEMU backend, for now) stays core-only and says so in its label and notes. Without a board
    the estimate is core-only (zero-wait memory), as before boards existed."""
    from isa.profile import analyze
    target = get_target(target or result.target) if not isinstance(target, Target) else target
    if model is None or isinstance(model, str):
        model = get_model(model or target.timing_model, target)
    an = analysis or analyze(result, elf, target)
    img, edges = an.img, an.edges
    nodes = edges.nodes
    cache: dict[tuple[int, int, int], int] = {}
    issue = 0
    branch = 0.0
    mispred = 0.0
    waits = 0.0
    per_fn: dict[str, float] = defaultdict(float)
    moved = 0
    for i, node in enumerate(nodes):
        p = edges.dominant_pred(i)
        key = (node.addr, node.size, p if p is not None else -1)
        cost = cache.get(key)
        if cost is None:
            warm = nodes[p].block.insns if p is not None else None
            cost = block_cycles(model, node.block.insns, warm)
            cache[key] = cost
        issue += cost * node.count
        insns = node.block.insns
        fn_of = [(img.function_at(x.addr).name if img.function_at(x.addr) else "(no symbol)") for x in insns]
        if insns:
            share = cost * node.count / len(insns)
            for f in fn_of:
                per_fn[f] += share
        acc = sum(max(x.transfers, 1 if (x.load_bytes or x.store_bytes) else 0) for x in insns)
        w = acc * node.count * model.wait_states_per_access
        waits += w
        moved += sum(x.load_bytes + x.store_bytes for x in insns) * node.count
        if insns:
            per_fn[fn_of[-1]] += w
    for k, site in enumerate(edges.sites):
        b, mp = _branch_cost(model, site, edges.taken[k], edges.not_taken[k])
        branch += b
        mispred += mp
        f = img.function_at(site.addr)
        per_fn[f.name if f else "(no symbol)"] += b + mp
    total = issue + branch + mispred + waits
    bw = model.bandwidth_bytes_per_cycle
    notes = []
    if edges.inferred:
        notes.append(f"{edges.inferred:,} conditional-branch executions have a taken/not-taken split inferred "
                     f"proportionally (flow conservation left it open)")
    est = CycleEstimate(model.label, int(round(total)), int(issue), int(round(branch)), int(round(mispred)),
                        int(round(waits)), result.instructions,
                        {k: int(round(v)) for k, v in sorted(per_fn.items(), key=lambda kv: -kv[1])},
                        moved, int(round(moved / bw)) if bw else 0, bw, model.bandwidth_note,
                        edges.inferred, notes)
    est.core_cycles = est.cycles
    est.clock_mhz = float(target.extra.get("clock_mhz", 0))
    if board is None:
        est.notes.append("core only: zero-wait memory, no board's memory system modelled")
        return est
    return _on_board(est, result, target, board, img)


def _on_board(est: CycleEstimate, result: RunResult, target: Target, board, img) -> CycleEstimate:
    from isa.boards import board_for
    from isa.timing.memory import split
    b = board_for(target, board)
    est.board = b.name
    est.clock_mhz = b.clock_for(target)
    if b.zero_wait:
        est.model = f"{est.model} on {b.name}"
        est.notes.append(f"board {b.name} is zero-wait: no memory stalls")
        return est
    if result.memory is None:
        est.model = f"{est.model} on {b.name}, memory not simulated"
        est.notes.append(f"the {result.backend} run has no memory capture: core cycles only (run under Unicorn "
                         f"with board={b.name!r} for memory stalls)")
        return est
    ms = split(est.core_cycles, est.per_function, b, target, result.memory, result.blocks, img)
    est.model = f"{est.model} on {b.name}"
    est.notes.extend(f"does not fit: {n} (the estimate is that of the board's memories, as if large enough)"
                     for n in result.memory.fit_notes)
    est.cycles = ms.total
    est.memory_stall_cycles = ms.total - ms.core_cycles
    est.limiting_level, est.limited_by = ms.limiting_level, ms.limited_by
    est.memory_bandwidth_cycles = ms.bandwidth_cycles
    est.memory = result.memory.to_json()
    est.per_function_memory_stalls = ms.per_function_stall_cycles
    est.per_function_core = dict(est.per_function)
    est.per_function_latency_stalls = ms.latency_stalls_per_function
    est.per_function_memory_bytes = ms.bytes_per_function
    est.memory_cycles_per_byte = ms.cycles_per_byte
    for name, c in ms.per_function_stall_cycles.items():
        est.per_function[name] = est.per_function.get(name, 0) + c
    est.per_function = dict(sorted(est.per_function.items(), key=lambda kv: -kv[1]))
    return est


def _branch_cost(m: CoreModel, site, taken: int, not_taken: int) -> tuple[float, float]:
    """(taken-branch cycles, misprediction cycles) of one branch site's exits (all its executions)."""
    kind = site.kind
    if kind == "fall":
        return 0.0, 0.0
    if m.predictor == "none":
        return taken * m.taken_penalty, 0.0
    if m.predictor == "btfn" and kind == "cond":  # static: backward taken, forward not taken
        if site.target is not None and site.target <= site.addr:
            return taken * m.taken_penalty, not_taken * m.mispredict_penalty
        return 0.0, taken * m.mispredict_penalty
    if m.predictor == "btfn" and kind in ("return", "indirect", "indirect_call"):
        return 0.0, taken * m.mispredict_penalty  # no target prediction for register jumps
    if kind == "cond":
        if taken > not_taken:  # mostly taken: the not-taken minority is mispredicted, the taken ones pay a bubble
            return taken * m.taken_penalty, not_taken * m.mispredict_penalty
        return 0.0, taken * m.mispredict_penalty  # mostly not taken: the taken minority is mispredicted
    if kind in ("jump", "call"):
        return taken * m.taken_penalty, 0.0
    if kind == "return":
        if m.return_stack:
            return taken * m.taken_penalty, 0.0
        return 0.0, taken * m.mispredict_penalty
    rate = m.indirect_mispredict_rate  # indirect jumps and calls
    return taken * (1 - rate) * m.taken_penalty, taken * rate * m.mispredict_penalty


def format_estimate(e: CycleEstimate) -> str:
    return f"{e.cycles:,} {e.heading}"
