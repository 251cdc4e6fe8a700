"""Placement: which of a board's memories serves each address a program touches (docs/memory-models.md).

The ELF keeps the address map the emulators run (the MPS2 map for Cortex-M, a Linux image for the others);
placement maps its address ranges to the board's memories. On a board with one memory (DRAM) everything is there.
On a microcontroller board the ELF's allocated sections are classified by their flags: executable -> "code",
read-only -> "rodata" (constants: the weights), writable -> "data"; the target's stack region is "data" too. The
Cortex-M vector table (a read-only section the core reads at reset, VECTOR_SECTIONS) is "vectors" and stays with
the code.
Each piece goes to the first of the board's memories that holds that kind, unless the run asks for the weights in
SRAM (``weights_in_sram``: read-only data goes where the writable data goes). An ELF linked for the board's own
memory map (every section and the stack inside a memory's window, ``Memory.base``: the firmware examples of
`intgap compile --board`) is placed by address instead. Pieces that exceed a memory's capacity are one clear error
with the numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from isa.boards import Board, Memory
from isa.errors import ProgramDoesNotFitBoard
from isa.targets import Target


@dataclass(frozen=True)
class PlacedRange:
    what: str  # "code", "rodata", "data", "stack"
    base: int
    end: int  # exclusive
    memory: str  # the board memory's name


@dataclass(frozen=True)
class Placement:
    board: str
    ranges: tuple[PlacedRange, ...]  # empty: everything in `default_memory`
    default_memory: str
    used: dict  # memory name -> bytes placed there statically (the stack's depth is checked after the run)
    # what does not fit, when placed with strict=False: the estimate is then that of the board with memories large
    # enough (same timing), and says so
    overflow: tuple[str, ...] = ()

    def memory_of(self, what: str) -> str:
        return next((r.memory for r in self.ranges if r.what == what), self.default_memory)


VECTOR_SECTIONS = (".isr_vector", ".vectors", ".vector_table")


def _sections(elf: Path) -> list[tuple[str, int, int]]:
    """(kind, address, size) of each allocated section with a size."""
    out = []
    with open(elf, "rb") as f:
        for s in ELFFile(f).iter_sections():
            flags = s["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or not s["sh_size"]:
                continue
            kind = ("code" if flags & SH_FLAGS.SHF_EXECINSTR else "data" if flags & SH_FLAGS.SHF_WRITE else
                    "vectors" if s.name in VECTOR_SECTIONS else "rodata")
            out.append((kind, s["sh_addr"], s["sh_size"]))
    return out


def _home(board: Board, what: str) -> Memory:
    return next(m for m in board.memories if what in m.holds)


def _window(board: Board, lo: int, hi: int) -> Memory | None:
    """The board memory whose address window (Memory.base) holds [lo, hi), or None."""
    return next((m for m in board.memories if m.base is not None and m.base <= lo and hi <= m.base + m.size), None)


def place(elf: str | Path, target: Target, board: Board, *, weights_in_sram: bool = False,
          strict: bool = True) -> Placement:
    """Where the ELF's pieces go on `board`. A piece that exceeds its memory is an error (ProgramDoesNotFitBoard),
    or with strict=False a note in ``Placement.overflow`` (a board that was not asked for, e.g. a target's default
    board in a sweep, still gives the timing of its memories)."""
    if len(board.memories) == 1:
        m = board.memories[0]
        return Placement(board.name, (), m.name, {})
    homes = {k: _home(board, k) for k in ("code", "rodata", "data")}
    homes["vectors"] = homes["code"]  # read at reset where the core boots, also with the weights in SRAM
    if weights_in_sram:
        homes["rodata"] = homes["data"]
    sections = sorted(_sections(Path(elf)), key=lambda s: s[1])
    stack = target.stack_region
    # an ELF linked for the board's own memory map (a firmware example, codegen/firmware_layout.py): each piece is
    # in the memory its address is in
    by_address = all(_window(board, a, a + n) for _, a, n in sections) and _window(board, stack.base, stack.base +
                                                                                   stack.size)
    merged: list[list] = []  # [kind, lo, hi, memory]
    for kind, addr, size in sections:
        mem = _window(board, addr, addr + size).name if by_address else homes[kind].name
        last = next((s for s in reversed(merged) if s[0] == kind and s[3] == mem), None)
        if last and last[2] >= addr:  # contiguous (or overlapping) sections of one kind in one memory: one range
            last[2] = max(last[2], addr + size)
        else:
            merged.append([kind, addr, addr + size, mem])
    ranges, used = [], {}
    for kind, lo, hi, mem in merged:
        ranges.append(PlacedRange(kind, lo, hi, mem))
        used[mem] = used.get(mem, 0) + hi - lo
    data_home = _window(board, stack.base, stack.base + stack.size).name if by_address else homes["data"].name
    ranges.append(PlacedRange("stack", stack.base, stack.base + stack.size, data_home))
    placement = Placement(board.name, tuple(sorted(ranges, key=lambda r: r.base)), data_home, used)
    overflow = []
    for name, n in used.items():
        try:
            check_fits(placement, board, name, n, "")
        except ProgramDoesNotFitBoard as e:
            if strict:
                raise
            overflow.append(str(e))
    return replace(placement, overflow=tuple(overflow))


def check_fits(placement: Placement, board: Board, memory: str, used: int, extra: str) -> None:
    m = board.memory(memory)
    if used <= m.size:
        return
    held = [r for r in placement.ranges if r.memory == memory and r.what != "stack"]
    pieces = ", ".join(f"{r.what} {r.end - r.base:,} B" for r in held)
    if m.kind in ("sram", "tcm") and any(r.what == "rodata" for r in held):
        hint = "keep the weights in flash (drop weights_in_sram) or use a smaller model"
    else:
        hint = f"use a smaller program or model, or a board with more {m.kind}"
    raise ProgramDoesNotFitBoard(f"the program does not fit the {m.name} of board {board.name}: {used:,} bytes "
                                 f"({pieces}{extra}) for {m.size:,}: {hint}")


def check_stack(placement: Placement, board: Board, stack_low: int | None) -> None:
    """After a run: the static data plus the stack depth it reached must fit the memory that holds them."""
    st = next((r for r in placement.ranges if r.what == "stack"), None)
    if st is None or stack_low is None or not st.base <= stack_low < st.end:
        return
    depth = st.end - stack_low
    check_fits(placement, board, st.memory, placement.used.get(st.memory, 0) + depth, f", stack {depth:,} B")
