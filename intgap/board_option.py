"""`--board`: the board each target's estimates are made on (isa/boards.py). Every estimate is on a board: the one
named, else the target's default board (`intgap boards`)."""
from __future__ import annotations

from dataclasses import asdict

from rich.console import Console

import isa
from intgap.console_format import table, write_json
from isa.boards import BOARDS, Board, board_for, get_board
from isa.errors import BoardMismatch
from isa.targets import DEFAULT_BOARDS

BOARD_HELP = ("board whose clock and memory system the estimates use (intgap boards; default: the target's "
              "default board)")


def add_board_argument(p, several: bool = False) -> None:
    if several:
        p.add_argument("--board", default=None, metavar="NAME[,NAME...]",
                       help="boards for the estimates: each target runs on the first listed board that hosts it, "
                            "else on its default board (intgap boards)")
    else:
        p.add_argument("--board", default=None, metavar="NAME", help=BOARD_HELP)


def resolve_boards(targets: list[isa.Target], spec: str | None) -> dict[str, Board]:
    """target name -> board: the first board of `spec` (comma-separated names) that hosts the target, else the
    target's default. A named board that hosts none of the targets is an error (it would be silently unused)."""
    named = [get_board(n.strip()) for n in (spec or "").split(",") if n.strip()]
    for b in named:
        if not any(t.name in b.hosts for t in targets):
            raise BoardMismatch(f"board {b.name} hosts none of the targets {', '.join(t.name for t in targets)}: "
                                f"its core runs {', '.join(b.hosts)} (intgap boards lists every board's targets)")
    return {t.name: next((b for b in named if t.name in b.hosts), None) or board_for(t) for t in targets}


def _cache_text(c) -> str:
    pf = f", {c.prefetcher.kind} prefetch x{c.prefetcher.degree}" if c.prefetcher else ""
    return f"{c.name} {c.size // 1024} KiB {c.ways}-way {c.line} B, {c.hit_latency} cyc{pf}"


def _memory_text(m) -> str:
    size = f"{m.size / 2**20:g} MiB" if m.size >= 2**20 else f"{m.size // 1024} KiB"
    timing = f"{m.latency_ns:g} ns" if m.latency_ns is not None else f"+{m.extra_cycles} cyc"
    bw = f", {m.read_gb_s:g} GB/s" if m.read_gb_s else (f", {m.bytes_per_cycle:.2f} B/cyc" if m.bytes_per_cycle else "")
    return f"{m.name} {size} {timing}{bw}"


def board_json(b: Board) -> dict:
    return {"name": b.name, "description": b.description, "hosts": list(b.hosts), "clock_mhz": b.clock_mhz,
            "zero_wait": b.zero_wait, "default_for": [t for t, n in DEFAULT_BOARDS.items() if n == b.name],
            "caches": [{**asdict(c), "prefetcher": ({"kind": c.prefetcher.kind, "degree": c.prefetcher.degree}
                                                    if c.prefetcher else None)} for c in b.caches],
            "memories": [{k: v for k, v in asdict(m).items() if k not in ("holds", "icache", "dcache")}
                         for m in b.memories],
            "energy": asdict(b.energy) if b.energy else None, "notes": b.notes, "sources": b.sources}


def cmd_boards(args, console: Console) -> int:
    tab = table("boards (isa/boards.py): clock and memory system of the estimates; sources in --json",
                ("name", "targets (default for)", "clock", "caches", "memories"))
    for b in BOARDS.values():
        defaults = [t for t, n in DEFAULT_BOARDS.items() if n == b.name]
        hosts = ", ".join(f"{h}*" if h in defaults else h for h in b.hosts)
        clock = f"{b.clock_mhz:g} MHz" if b.clock_mhz else "target's"
        caches = "; ".join(_cache_text(c) for c in b.caches) or ("zero-wait" if b.zero_wait else "none")
        tab.add_row(b.name, hosts, clock, caches, "; ".join(_memory_text(m) for m in b.memories))
    console.print(tab)
    console.print("* the target's default board. cyc: cycles at the board's clock; latencies are load-to-use.",
                  style="dim")
    write_json(console, args.json, [board_json(b) for b in BOARDS.values()])
    return 0


def add_boards_command(sub) -> None:
    b = sub.add_parser("boards", help="list the boards (clock, caches, memories) the estimates can be made on")
    b.add_argument("--json", metavar="PATH", help="also write every board with its sources as JSON")
    b.set_defaults(func=cmd_boards)


def memory_split_text(cyc: dict) -> str:
    """One line: the estimate's core / memory split, from CycleEstimate.to_json()."""
    if not cyc.get("board"):
        return "core only (no board's memory system)"
    if not cyc.get("memory"):
        return f"core {cyc['core_cycles']:,}; no memory stalls simulated on {cyc['board']}"
    limit = ("the core" if cyc["limited_by"] == "core" else
             f"{cyc['limiting_level']} ({cyc['limited_by']})")
    return f"core {cyc['core_cycles']:,} + memory stalls {cyc['memory_stall_cycles']:,}; limited by {limit}"
