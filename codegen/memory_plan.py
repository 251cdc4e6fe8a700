"""Static arena planning from tensor lifetimes (TFLite Micro style: sizes known ahead of time, no malloc)."""
from __future__ import annotations

from dataclasses import dataclass

ALIGN = 16


@dataclass(frozen=True)
class Buffer:
    tensor: str
    size: int  # bytes
    first: int  # index of the producing node
    last: int  # index of the last consuming node
    offset: int = -1


def plan_arena(buffers: list[Buffer]) -> tuple[list[Buffer], int]:
    """Greedy first-fit by decreasing size: a buffer may share bytes with any buffer whose lifetime is disjoint.
    Returns the placed buffers and the arena size in bytes."""
    placed: list[Buffer] = []
    for b in sorted(buffers, key=lambda b: (-b.size, b.first, b.tensor)):
        live = sorted((p for p in placed if not (p.last < b.first or b.last < p.first)), key=lambda p: p.offset)
        offset = 0
        for p in live:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        placed.append(Buffer(b.tensor, b.size, b.first, b.last, offset))
    size = max((_align(p.offset + p.size) for p in placed), default=0)
    return sorted(placed, key=lambda p: p.offset), size


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN
