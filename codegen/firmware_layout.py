"""A firmware example on a board's real memory map (docs/firmware.md): which memory holds the model's named sections
(.ig_weights, .ig_arena, .ig_kv), the GNU ld script and start-up work for that map, the check that the model fits
before anything is built, and the target the emulator runs the example with (the board's addresses).

The library is compiled with -fdata-sections, so its weights, arena and key/value caches are the input sections
.rodata.ig_weights, .bss.ig_arena and .bss.ig_kv_<n>; the board's linker script gathers them into the output
sections .ig_weights, .ig_arena and .ig_kv in the memories chosen with --weights-in / --arena-in.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from codegen.errors import CodegenError, ModelDoesNotFit
from isa.boards import Board, Memory
from isa.targets import MemoryRegion, Target

WEIGHTS_CHOICES = ("flash", "sram", "tcm")
ARENA_CHOICES = ("sram", "tcm", "ccm")
STACK_BYTES = 16 * 1024  # reserved at the top of the data memory (its own MEMORY region: ld checks it)


class LayoutError(CodegenError):
    """A section placement the board cannot take (no such memory on it, or no memory map)."""


@dataclass(frozen=True)
class Layout:
    board: Board  # with its spare memories (Board.with_spare): what the example runs on
    weights: Memory  # .ig_weights
    arena: Memory  # .ig_arena and .ig_kv
    data: Memory  # .data, .bss, .ig_input and the stack
    flash: Memory  # code, constants, and the stored copy of what start-up copies to RAM
    stack_bytes: int = STACK_BYTES

    @property
    def mapped(self) -> tuple[Memory, ...]:
        return tuple(m for m in self.board.memories if m.base is not None)

    def region(self, m: Memory) -> str:
        """The linker script's MEMORY name of a board memory."""
        return m.name.upper().replace("-", "_")

    def linker_regions(self) -> list[tuple[str, str, int, int, str]]:
        """(MEMORY name, board memory, origin, length, attributes): every mapped memory, the data memory less the
        stack, which is a region of its own at the top."""
        out = []
        for m in self.mapped:
            size = m.size - (self.stack_bytes if m is self.data else 0)
            out.append((self.region(m), m.name, m.base, size, "rx" if m.kind == "flash" else "rwx"))
        top = self.data.base + self.data.size
        out.append(("STACK", self.data.name, top - self.stack_bytes, self.stack_bytes, "rw"))
        return out


def has_memory_map(board: Board) -> bool:
    return any(m.base is not None for m in board.memories) and bool(board.section_homes)


def resolve_layout(board: Board, weights_in: str | None, arena_in: str | None) -> Layout:
    """The memories of the named sections on `board`; None takes the default (weights in flash, the arena with the
    data). A choice the board has no memory for is one error naming the choices it has."""
    if not has_memory_map(board):
        mapped = ", ".join(sorted(b for b in _boards_with_maps()))
        raise LayoutError(f"board {board.name} has no firmware memory map (it is an emulator board without flash or "
                          f"separate RAMs): name a board with one, {mapped}")
    full = board.with_spare()
    data = next(m for m in full.memories if "data" in m.holds)
    flash = next(m for m in full.memories if m.kind == "flash")
    chosen = {}
    for option, choice, choices, default in (("--weights-in", weights_in, WEIGHTS_CHOICES, flash),
                                             ("--arena-in", arena_in, ARENA_CHOICES, data)):
        if choice is None:
            chosen[option] = default
            continue
        if choice not in choices:
            raise LayoutError(f"{option} takes {', '.join(choices)}, not {choice!r}")
        name = board.section_homes.get(choice)
        if name is None:
            has = [c for c in choices if c in board.section_homes]
            raise LayoutError(f"board {board.name} has no {choice.upper()}: {option} takes {', '.join(has)} there "
                              f"(its memories: {_listing(full)})")
        chosen[option] = full.memory(name)
    return Layout(full, chosen["--weights-in"], chosen["--arena-in"], data, flash)


def _boards_with_maps() -> list[str]:
    from isa.boards import BOARDS
    return [b.name for b in BOARDS.values() if has_memory_map(b)]


def _listing(board: Board) -> str:
    return ", ".join(f"{m.name} {m.size // 1024} KiB at 0x{m.base:08x}" for m in board.memories if m.base is not None)


def check_layout_fits(layout: Layout, model: str, weights: int, arena: int, kv: int) -> None:
    """Refuses, before anything is built, a model whose weights, arena and key/value cache exceed the memories they
    go to (code, other data and the platform layer are checked by the linker afterwards)."""
    need: dict[str, list[tuple[str, int]]] = {}
    need.setdefault(layout.weights.name, []).append(("weights", weights))
    if layout.weights is not layout.flash:  # start-up copies them from flash
        need.setdefault(layout.flash.name, []).append(("the stored copy of the weights", weights))
    need.setdefault(layout.arena.name, []).append(("arena", arena))
    if kv:
        need.setdefault(layout.arena.name, []).append(("key/value cache", kv))
    for name, parts in need.items():
        m = layout.board.memory(name)
        room = m.size - (layout.stack_bytes if m is layout.data else 0)
        total = sum(n for _, n in parts)
        if total > room:
            what = " + ".join(f"{w} {n:,}" for w, n in parts)
            stack = f" ({m.size:,} less the {layout.stack_bytes:,}-byte stack)" if m is layout.data else ""
            raise ModelDoesNotFit(
                f"model {model} does not fit board {layout.board.name}: memory region '{name}' holds {room:,} "
                f"bytes{stack}, the model needs {total:,} there ({what}): {total - room:,} bytes over; use int4 "
                f"weights (--config w4a8), other section choices (--weights-in / --arena-in), or a board with more "
                f"{m.kind}")


def linker_script(layout: Layout, model: str, target: Target) -> str:
    """GNU ld script of the example on the board's memory map."""
    regions = "\n".join(f"  {r} ({attr}) : ORIGIN = 0x{base:08X}, LENGTH = {size // 1024}K"
                        for r, _, base, size, attr in layout.linker_regions())
    flash, data = layout.region(layout.flash), layout.region(layout.data)
    arena = layout.region(layout.arena)
    weights = layout.region(layout.weights)
    w_to = f"> {weights}" if layout.weights is layout.flash else f"> {weights} AT> {flash}"
    return f"""/* Generated by intgap: the memory map of board {layout.board.name} (isa/boards.py) for model {model} on
 * {target.name}: .ig_weights in {layout.weights.name}, .ig_arena and .ig_kv in {layout.arena.name}; .data, .bss and
 * .ig_input in {layout.data.name}; the stack ({layout.stack_bytes // 1024} KiB) at the top of {layout.data.name}.
 * Start-up (platform/board_init.c) copies what lives in RAM but is stored in flash, and clears .ig_arena / .ig_kv. */
MEMORY {{
{regions}
}}
ENTRY(Reset_Handler)
SECTIONS {{
  .isr_vector : {{ KEEP(*(.isr_vector)) }} > {flash}
  .text : {{ *(.text .text.*) }} > {flash}
  .ig_weights : ALIGN(16) {{ __ig_weights_start__ = .; *(.rodata.ig_weights) . = ALIGN(4); __ig_weights_end__ = .; }} {w_to}
  __ig_weights_load__ = LOADADDR(.ig_weights);
  .rodata : {{ *(.rodata .rodata.*) }} > {flash}
  .data : ALIGN(4) {{ __data_start__ = .; *(.data .data.*) . = ALIGN(4); __data_end__ = .; }} > {data} AT> {flash}
  __data_load__ = LOADADDR(.data);
  .ig_input : ALIGN(16) {{ __ig_input_start__ = .; KEEP(*(.ig_input)) . = ALIGN(4); __ig_input_end__ = .; }} > {data} AT> {flash}
  __ig_input_load__ = LOADADDR(.ig_input);
  .ig_arena (NOLOAD) : ALIGN(16) {{ __ig_arena_start__ = .; *(.bss.ig_arena) . = ALIGN(4); __ig_arena_end__ = .; }} > {arena}
  .ig_kv (NOLOAD) : ALIGN(16) {{ __ig_kv_start__ = .; *(.bss.ig_kv_*) . = ALIGN(4); __ig_kv_end__ = .; }} > {arena}
  .bss (NOLOAD) : {{ . = ALIGN(4); __bss_start__ = .; *(.bss .bss.* COMMON) . = ALIGN(4); __bss_end__ = .; }} > {data}
  __stack_top = ORIGIN(STACK) + LENGTH(STACK);
  /DISCARD/ : {{ *(.ARM.exidx*) *(.comment) }}
}}
"""


def board_init_c(layout: Layout) -> str:
    """platform/board_init.c: the start-up work of the board's map, called by startup.c built with -DIG_BOARD_INIT
    (before its .bss loop and main)."""
    copies = ["data", "ig_input"] + (["ig_weights"] if layout.weights is not layout.flash else [])
    clears = ["ig_arena", "ig_kv"]
    names = [f"__{c}_{e}__" for c in copies for e in ("start", "end", "load")] + \
            [f"__{c}_{e}__" for c in clears for e in ("start", "end")]
    body = "\n".join([f"  ig_board_copy(__{c}_start__, __{c}_end__, __{c}_load__);" for c in copies] +
                     [f"  ig_board_clear(__{c}_start__, __{c}_end__);" for c in clears])
    return f"""/* Generated by intgap: start-up work of board {layout.board.name}'s memory map (platform/link.ld). Copies the
 * sections that run from RAM but are stored in flash ({', '.join('.' + c for c in copies)}) and clears the NOLOAD
 * sections .ig_arena and .ig_kv (static storage starts as zeros; startup.c's loop clears .bss only). */
#include <stdint.h>

extern uint32_t {'[], '.join(names)}[];

void ig_board_init(void);

static void ig_board_copy(uint32_t *dst, uint32_t *end, const uint32_t *src) {{
  if (dst == src) return;
  while (dst < end) *dst++ = *src++;
}}

static void ig_board_clear(uint32_t *dst, uint32_t *end) {{
  while (dst < end) *dst++ = 0;
}}

void ig_board_init(void) {{
{body}
}}
"""


def layout_of_elf(board: Board, sections: dict) -> Layout | None:
    """The layout an example linked for `board`'s map was built with, read from where its .ig_weights and .ig_arena
    sections lie (`sections`: name -> (address, ...), isa.elf.ElfImage.sections); None when the ELF is not linked
    for this board's map (the emulator map's example, a foreign ELF)."""
    if not has_memory_map(board) or not {".ig_weights", ".ig_arena"} <= set(sections):
        return None
    choice = {memory: c for c, memory in board.section_homes.items()}
    mapped = [m for m in board.with_spare().memories if m.base is not None]

    def home(section: str) -> str | None:
        addr = sections[section][0]
        m = next((m for m in mapped if m.base <= addr < m.base + m.size), None)
        return choice.get(m.name) if m else None
    weights, arena = home(".ig_weights"), home(".ig_arena")
    return resolve_layout(board, weights, arena) if weights and arena else None


def emulator_target(target: Target, layout: Layout) -> Target:
    """`target` with the board's memory map: the regions of the linker script, the vector table at the start of
    flash. The Unicorn backend maps these regions (QEMU's MPS2 machines have a fixed map: not offered)."""
    regions = [MemoryRegion("stack" if r == "STACK" else name, base, size, "rx" if attr == "rx" else "rwx")
               for r, name, base, size, attr in layout.linker_regions()]
    return replace(target, memory=tuple(regions), link_base=layout.flash.base, qemu=None,
                   notes=f"{target.name} on the memory map of board {layout.board.name}")


def section_placement(layout: Layout) -> dict[str, str]:
    """Each named section and the board memory that holds it (model.h and the summary say it)."""
    return {".ig_weights": layout.weights.name, ".ig_arena": layout.arena.name, ".ig_kv": layout.arena.name}


def region_table(layout: Layout, sections: list[dict]) -> list[dict]:
    """The memory report per mapped board memory, from the linked example's sections (toolchain/memory.py): base,
    size, bytes used (the sections there, the stored copies of those start-up copies to RAM, and the stack on the
    data memory), bytes free, and what it holds."""
    rows = []
    for m in layout.mapped:
        held = [(s["name"], s["size"]) for s in sections if s["region"] == m.name] + \
               [(f"{s['name']} (stored copy)", s["size"]) for s in sections if s.get("load_region") == m.name]
        if m is layout.data:
            held.append(("stack", layout.stack_bytes))
        used = sum(n for _, n in held)
        rows.append({"memory": m.name, "base": m.base, "size": m.size, "used": used, "free": m.size - used,
                     "holds": [name for name, _ in held]})
    return rows
