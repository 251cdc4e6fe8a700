"""Memory-aware estimates: the core pipeline model's cycles plus the board's memory system (docs/memory-models.md).

    latency term   = core cycles + exposed stall cycles (each demand miss pays its serving level's latency minus the
                     L1 hit latency the pipeline model charges; in-order cores: misses do not overlap)
    bandwidth term = max over memories of bytes moved / that memory's bandwidth (reads and writes each against their
                     own bandwidth; the larger counts)
    total          = max(latency term, bandwidth term); memory stall cycles = total - core cycles.
The limiting level is the memory whose bandwidth set the total; else, when the stalls exceed the core cycles, the
level that served the most stall cycles ("latency"); else "core".
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


def split(core_cycles: int, board: Board, target: Target, memory, blocks, img) -> MemorySplit:
    """Combines the core model's cycles with a memory-aware run's statistics (``RunResult.memory``)."""
    if memory.board != board.name:
        raise BoardMismatch(f"the run was simulated on board {memory.board}, the estimate asks for board "
                            f"{board.name}: run it again with board={board.name!r}")
    stalls = int(memory.stall_cycles)
    bw = bandwidth_cycles(board, target, memory)
    latency_total = core_cycles + stalls
    bound_level, bound = max(bw.items(), key=lambda kv: kv[1]) if bw else ("", 0)
    total = max(latency_total, bound)
    if bound > latency_total:
        limiting, by = bound_level, "bandwidth"
    elif stalls > core_cycles:
        served = [(c.stall_cycles, c.name) for c in memory.caches] + [(t.stall_cycles, t.name) for t in memory.memories]
        limiting, by = max(served)[1], "latency"
    else:
        limiting, by = "core", "core"
    per_fn = _per_function(memory, blocks, img, total - latency_total)
    return MemorySplit(core_cycles, stalls, bw, total, limiting, by, per_fn)


def _per_function(memory, blocks, img, excess: int) -> dict[str, int]:
    """Each block's stall cycles go to the function holding its first instruction; the cycles by which a bandwidth
    bound exceeds core + stalls are shared in proportion to the bytes each block brought from memories."""
    out: dict[str, float] = defaultdict(float)
    stall, moved = memory.block_stall_cycles, memory.block_memory_bytes
    total_bytes = float(moved.sum()) if len(moved) else 0.0
    for addr, s, b in zip(blocks.addr.tolist(), stall.tolist(), moved.tolist()):
        if not s and not (b and excess):
            continue
        f = img.function_at(addr)
        name = f.name if f else "(no symbol)"
        out[name] += s + (excess * b / total_bytes if total_bytes else 0.0)
    return {k: int(round(v)) for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if round(v)}
