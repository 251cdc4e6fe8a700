"""Memory-aware estimates: the core pipeline model's cycles plus the board's memory system (docs/memory-models.md).

    latency term   = core cycles + exposed stall cycles (each demand miss pays its serving level's latency minus the
                     L1 hit latency the pipeline model charges; in-order cores: misses do not overlap)
    bandwidth term = max over memories of bytes moved / that memory's bandwidth (reads and writes each against their
                     own bandwidth; the larger counts)
    total          = the sum over functions of max(latency term, bandwidth term) of each function (the bandwidth
                     bound per function: bytes it moved x the limiting memory's cycles per byte of the run);
                     memory stall cycles = total - core cycles.
The limiting level is the memory whose bandwidth bounds functions that take over half of the total ("bandwidth");
else, when the stalls exceed the core cycles, the level that served the most stall cycles ("latency"); else "core".
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from isa.boards import Board
from isa.errors import BoardMismatch
from isa.targets import Target


@dataclass
class MemorySplit:
    core_cycles: int
    stall_cycles: int  # exposed latency stalls from the simulation
    bandwidth_cycles: dict[str, int]  # memory -> bytes / bandwidth
    total: int
    limiting_level: str
    limited_by: str  # "core", "latency" or "bandwidth"
    per_function_stall_cycles: dict[str, int] = field(default_factory=dict)
    # what a difference of two runs needs to bound a step per function (step_difference)
    latency_stalls_per_function: dict[str, float] = field(default_factory=dict)
    bytes_per_function: dict[str, float] = field(default_factory=dict)
    cycles_per_byte: float = 0.0


def bandwidth_cycles(board: Board, target: Target, memory) -> dict[str, int]:
    """Cycles each bandwidth-limited memory needs for the bytes the run moved to and from it."""
    hz = board.clock_for(target) * 1e6
    out = {}
    for m in board.memories:
        t = memory.memory(m.name)
        if t is None:
            continue
        if m.read_gb_s:
            cyc = t.read_bytes / (m.read_gb_s * 1e9 / hz)
            if m.write_gb_s:
                cyc = max(cyc, t.write_bytes / (m.write_gb_s * 1e9 / hz))
            out[m.name] = int(round(cyc))
        elif m.bytes_per_cycle:
            out[m.name] = int(round(t.read_bytes / m.bytes_per_cycle))
    return out


def split(core_cycles: int, core_per_function: dict[str, float], board: Board, target: Target, memory, blocks,
          img) -> MemorySplit:
    """Combines the core model's cycles (in all and per function) with a memory-aware run's statistics
    (``RunResult.memory``). The bandwidth bound holds per function: a function that moves b bytes from memory takes
    at least b x (the limiting memory's cycles per byte of the run), so a layer that streams its weights is bound
    by them even when the rest of the run is not, and a difference of two runs (a decode step) keeps the bound."""
    if memory.board != board.name:
        raise BoardMismatch(f"the run was simulated on board {memory.board}, the estimate asks for board "
                            f"{board.name}: run it again with board={board.name!r}")
    stalls = int(memory.stall_cycles)
    bw = bandwidth_cycles(board, target, memory)
    stall_fn, bytes_fn = _per_function(memory, blocks, img)
    bound_level, bound = max(bw.items(), key=lambda kv: kv[1]) if bw else ("", 0)
    moved = sum(bytes_fn.values())
    per_byte = bound / moved if moved else 0.0
    excess, streaming = {}, 0.0
    for f, b in bytes_fn.items():
        need = b * per_byte
        have = core_per_function.get(f, 0) + stall_fn.get(f, 0)
        if need > have:
            excess[f] = need - have
            streaming += need
    total = int(round(core_cycles + stalls + sum(excess.values())))
    if streaming > total / 2:
        limiting, by = bound_level, "bandwidth"
    elif stalls > core_cycles:
        served = [(c.stall_cycles, c.name) for c in memory.caches] + [(t.stall_cycles, t.name) for t in memory.memories]
        limiting, by = max(served)[1], "latency"
    else:
        limiting, by = "core", "core"
    per_fn = {f: stall_fn.get(f, 0) + excess.get(f, 0) for f in set(stall_fn) | set(excess)}
    per_fn = {k: int(round(v)) for k, v in sorted(per_fn.items(), key=lambda kv: -kv[1]) if round(v)}
    return MemorySplit(core_cycles, stalls, bw, total, limiting, by, per_fn, dict(stall_fn), dict(bytes_fn), per_byte)


def _per_function(memory, blocks, img) -> tuple[dict[str, float], dict[str, float]]:
    """Stall cycles and bytes from memories per function: each block's go to the function of its first
    instruction."""
    stall: dict[str, float] = defaultdict(float)
    moved: dict[str, float] = defaultdict(float)
    for addr, s, b in zip(blocks.addr.tolist(), memory.block_stall_cycles.tolist(),
                          memory.block_memory_bytes.tolist()):
        if not s and not b:
            continue
        f = img.function_at(addr)
        name = f.name if f else "(no symbol)"
        stall[name] += s
        moved[name] += b
    return stall, moved


@dataclass
class StepEstimate:
    """The cost of one step (e.g. a decode step) from two estimates of one program."""
    cycles: float
    core_cycles: float
    memory_stall_cycles: float
    per_function: dict[str, float]
    per_function_memory_stalls: dict[str, float]
    bandwidth_bound_cycles: float  # of the functions whose bytes / bandwidth exceed core + stalls in the step


def step_difference(short, long, steps: int) -> StepEstimate:
    """One step as the difference of two estimates of the same program (`long` ran `steps` more steps than
    `short`), the bandwidth bound taken per function on the *difference*: max(Δcore + Δstalls, Δbytes x the long
    run's cycles per byte). Differencing each run's bounded total instead lets a function that is compute-bound in
    the shorter run (a prefill) hide the step's streaming under it (docs/memory-models.md)."""
    fns = set(long.per_function) | set(short.per_function)

    def delta(a: dict, b: dict, f: str) -> float:
        return (a.get(f, 0) - b.get(f, 0)) / steps

    if not long.memory:  # no memory system simulated: the core model's differences
        per = {f: delta(long.per_function, short.per_function, f) for f in fns}
        total = sum(per.values())
        return StepEstimate(total, total, 0.0, per, {}, 0.0)
    per, stalls, streaming = {}, {}, 0.0
    for f in fns | set(long.per_function_core):
        core = delta(long.per_function_core, short.per_function_core, f)
        lat = delta(long.per_function_latency_stalls, short.per_function_latency_stalls, f)
        need = delta(long.per_function_memory_bytes, short.per_function_memory_bytes, f) * long.memory_cycles_per_byte
        cyc = max(core + lat, need)
        if need > core + lat:
            streaming += need
        per[f], stalls[f] = cyc, cyc - core
    total = sum(per.values())
    return StepEstimate(total, total - sum(stalls.values()), sum(stalls.values()), per, stalls, streaming)
