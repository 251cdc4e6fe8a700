"""The native cache and memory simulator (isa/native/ig_memsim.h) seen from Python: its configuration text from a
board and a placement, and its counters as a :class:`MemoryStats` (``RunResult.memory``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isa.boards import WRITE_THROUGH, Board, CacheLevel
from isa.placement import Placement
from isa.targets import Target

# ig_memsim.h's layout
LEVEL_INDEX = {"L1I": 0, "L1D": 1, "L2": 2, "L3": 3}
N_LEVELS, MAX_MEMS, MAX_REGIONS = 4, 8, 16
N_CACHES = N_LEVELS + 2 * MAX_MEMS
CACHE_COUNTERS = ("accesses", "hits", "misses", "prefetches_issued", "prefetches_useful", "writebacks", "bytes_in",
                  "stall_cycles")
MEM_COUNTERS = ("reads", "writes", "read_bytes", "write_bytes", "stall_cycles")
EXPORT_WORDS = N_CACHES * len(CACHE_COUNTERS) + MAX_MEMS * len(MEM_COUNTERS) + MAX_REGIONS + 1
_PREFETCH_KIND = {"next-line": 1, "stream": 2}


@dataclass
class CacheStats:
    name: str  # "L1I", "L1D", "L2", "L3", or "<memory>:ART-I" for a memory-side line cache
    accesses: int
    hits: int
    misses: int
    prefetches_issued: int
    prefetches_useful: int
    writebacks: int
    bytes_in: int  # bytes filled from the level below (demand fills and prefetches)
    stall_cycles: int  # stall cycles of the demand accesses it served

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class MemoryTraffic:
    name: str
    kind: str
    reads: int
    writes: int
    read_bytes: int
    write_bytes: int
    stall_cycles: int  # stall cycles of the demand accesses it served

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class MemoryStats:
    """What the simulator saw during a run on a board. ``block_stall_cycles`` / ``block_memory_bytes`` are aligned
    with ``RunResult.blocks`` (row i is block i): the stalls and memory bytes that block's accesses caused."""
    board: str
    clock_mhz: float
    caches: list[CacheStats]
    memories: list[MemoryTraffic]
    stall_cycles: int
    placement: list[dict] = field(default_factory=list)  # ranges, each with the lowest address the run touched
    block_stall_cycles: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    block_memory_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    # what did not fit the board's memories in a run placed with strict_fit=False (isa.run): the figures are those
    # of the board's memories as if they were large enough
    fit_notes: list[str] = field(default_factory=list)

    def cache(self, name: str) -> CacheStats | None:
        return next((c for c in self.caches if c.name == name), None)

    def memory(self, name: str) -> MemoryTraffic | None:
        return next((m for m in self.memories if m.name == name), None)

    def to_json(self) -> dict:
        return {"board": self.board, "clock_mhz": self.clock_mhz, "stall_cycles": self.stall_cycles,
                "caches": [c.to_json() for c in self.caches], "memories": [m.to_json() for m in self.memories],
                "placement": self.placement, "fit_notes": self.fit_notes}


def _cache_line(idx: int, c: CacheLevel, stall: int) -> str:
    pf = c.prefetcher
    kind, degree = (_PREFETCH_KIND[pf.kind], pf.degree) if pf else (0, 0)
    return (f"level {idx} {c.size} {c.ways} {c.line} {stall} {1 if c.write_policy == WRITE_THROUGH else 0} "
            f"{kind} {degree}")


def _side_line(m: int, side: int, c: CacheLevel) -> str:
    pf = c.prefetcher
    kind, degree = (_PREFETCH_KIND[pf.kind], pf.degree) if pf else (0, 0)
    return f"side {m} {side} {c.size} {c.ways} {c.line} {kind} {degree}"


def stall_of(board: Board, target: Target, memory_name: str) -> int:
    """Stall cycles of a demand access a memory serves: DRAM latency at the board clock minus the L1D hit latency
    (the pipeline model charges that), or the memory's stated extra cycles."""
    m = board.memory(memory_name)
    if m.latency_ns is None:
        return m.extra_cycles
    l1 = board.cache("L1D")
    return max(0, board.dram_latency_cycles(m, target) - (l1.hit_latency if l1 else 0))


def config_text(board: Board, target: Target, placement: Placement) -> str:
    """The simulator's configuration (ig_memsim.h's text form) for `board` running `target` with `placement`."""
    l1d = board.cache("L1D")
    base = l1d.hit_latency if l1d else 0
    lines = [f"# board {board.name}, target {target.name}"]
    for c in board.caches:
        idx = LEVEL_INDEX[c.name]
        l1 = board.cache("L1I" if c.name == "L1I" else "L1D")
        lines.append(_cache_line(idx, c, 0 if c.name in ("L1I", "L1D") else max(0, c.hit_latency - (l1.hit_latency if l1 else base))))
    for i, m in enumerate(board.memories):
        lines.append(f"mem {i} {1 if m.cached else 0} {stall_of(board, target, m.name)}")
        for side, c in enumerate((m.icache, m.dcache)):
            if c is not None:
                lines.append(_side_line(i, side, c))
    index = {m.name: i for i, m in enumerate(board.memories)}
    for r in placement.ranges:
        lines.append(f"region {r.base:#x} {r.end:#x} {index[r.memory]}")
    lines.append(f"default_mem {index[placement.default_memory]}")
    return "\n".join(lines) + "\n"


def observed(memory) -> bool:
    """Whether a memory's accesses can change an estimate: cached, with wait states, a line cache or a bandwidth."""
    return bool(memory.cached or memory.extra_cycles or memory.icache or memory.dcache or memory.read_gb_s or
                memory.bytes_per_cycle)


def observed_ranges(board: Board, placement: Placement) -> tuple[tuple[int, int], ...]:
    """(first, last) address ranges whose data accesses the simulator must see; ((1, 0),) means all of them (Unicorn's
    convention). Zero-wait uncached memories (MCU SRAM / TCM) are left out: nothing there stalls or limits."""
    if not placement.ranges:
        return ((1, 0),) if observed(board.memory(placement.default_memory)) else ()
    if observed(board.memory(placement.default_memory)):
        return ((1, 0),)
    spans: list[list[int]] = []
    for r in sorted(placement.ranges, key=lambda r: r.base):
        if not observed(board.memory(r.memory)):
            continue
        if spans and spans[-1][1] + 1 >= r.base:
            spans[-1][1] = max(spans[-1][1], r.end - 1)
        else:
            spans.append([r.base, r.end - 1])
    return tuple((a, b) for a, b in spans)


def stats_from_words(words: np.ndarray, board: Board, target: Target, placement: Placement) -> MemoryStats:
    """Decodes ig_memsim.h's exported counters into the board's named caches and memories."""
    k = len(CACHE_COUNTERS)
    caches = []
    for c in board.caches:
        row = words[LEVEL_INDEX[c.name] * k:(LEVEL_INDEX[c.name] + 1) * k]
        caches.append(CacheStats(c.name, *[int(x) for x in row]))
    for i, m in enumerate(board.memories):
        for side, c in enumerate((m.icache, m.dcache)):
            if c is not None:
                j = N_LEVELS + 2 * i + side
                caches.append(CacheStats(f"{m.name}:{c.name}", *[int(x) for x in words[j * k:(j + 1) * k]]))
    off = N_CACHES * k
    km = len(MEM_COUNTERS)
    mems = []
    for i, m in enumerate(board.memories):
        mems.append(MemoryTraffic(m.name, m.kind, *[int(x) for x in words[off + i * km:off + (i + 1) * km]]))
    off += MAX_MEMS * km
    lows = [int(x) for x in words[off:off + MAX_REGIONS]]
    total = int(words[off + MAX_REGIONS])
    placed = [{"what": r.what, "base": r.base, "end": r.end, "memory": r.memory,
               "lowest_touched": lows[i] if lows[i] != (1 << 64) - 1 else None}
              for i, r in enumerate(placement.ranges)]
    if not placed:
        placed = [{"what": "everything", "base": 0, "end": 0, "memory": placement.default_memory}]
    return MemoryStats(board.name, board.clock_for(target), caches, mems, total, placed)
