"""`isa.run`: run an ELF on a target under one backend, with inputs patched into its `.ig_input` section."""
from __future__ import annotations

import tempfile
from pathlib import Path

from isa.boards import Board, board_for
from isa.elf import check_target, load_elf, patch_sections
from isa.errors import ProgramDoesNotFitBoard, UnsupportedBackend
from isa.placement import check_stack, place
from isa.result import RunResult
from isa.targets import Target, get_target

DEFAULT_MAX_INSTRUCTIONS = 5_000_000_000
DEFAULT_TIMEOUT_S = 900.0


def check_backend(target: Target, backend: str) -> None:
    if backend not in ("unicorn", "qemu"):
        raise UnsupportedBackend(f"unknown backend {backend!r}: use unicorn or qemu")
    if backend not in target.backends:
        raise UnsupportedBackend(
            f"backend {backend} cannot run target {target.name} ({target.description}): use --backend "
            f"{' or '.join(target.backends)}")


def run(elf: str | Path, target: Target | str, backend: str | None = None, *,
        inputs: dict[str, bytes] | None = None, max_instructions: int | None = DEFAULT_MAX_INSTRUCTIONS,
        timeout_s: float = DEFAULT_TIMEOUT_S, count: bool = True, board: str | Board | None = None,
        memory: bool = False, weights_in_sram: bool = False, strict_fit: bool = True) -> RunResult:
    """Runs `elf` to its exit. Refuses a backend that cannot run the target before anything runs.

    With `board` (a name or a Board) or `memory=True` (the target's default board) the run is memory-aware: the
    board's caches and memories are simulated natively and ``RunResult.memory`` holds the counters (both backends;
    None on a zero-wait board, which has nothing to simulate). `weights_in_sram` places read-only data with the
    writable data on a microcontroller board. A program that does not fit the board's memories is an error, or with
    `strict_fit=False` a note in ``RunResult.memory.fit_notes`` and in the estimate (the timing of the board's
    memories, as if they were large enough)."""
    if isinstance(target, str):
        target = get_target(target)
    backend = backend or target.default_backend
    check_backend(target, backend)
    check_target(load_elf(elf), target)
    mem = None
    if board is not None or memory:
        b = board_for(target, board)  # refuses a board that cannot host the target
        if count and not b.zero_wait:
            mem = (b, place(elf, target, b, weights_in_sram=weights_in_sram, strict=strict_fit), strict_fit)
    if inputs:
        with tempfile.TemporaryDirectory(prefix="ig-run-") as tmpdir:
            tmp = Path(tmpdir) / Path(elf).name  # the user's file name in every message
            patch_sections(elf, inputs, tmp)
            return _dispatch(tmp, target, backend, max_instructions, timeout_s, count, mem)
    return _dispatch(Path(elf), target, backend, max_instructions, timeout_s, count, mem)


def _dispatch(elf: Path, target: Target, backend: str, max_instructions, timeout_s, count, mem) -> RunResult:
    if backend == "unicorn":
        from isa.unicorn_backend import run_unicorn
        result = run_unicorn(elf, target, max_instructions=max_instructions, timeout_s=timeout_s, count=count,
                             memory=mem)
        if mem is not None:
            _check_stack(result, mem)
        return result
    from isa.qemu_backend import run_qemu
    result = run_qemu(elf, target, max_instructions=max_instructions, timeout_s=timeout_s, count=count, memory=mem)
    if mem is not None and result.memory is not None:
        _check_stack(result, mem)
    return result


def _check_stack(result: RunResult, mem) -> None:
    """Static data + the stack depth the run reached must fit the memory holding them (strictly, or as a note)."""
    board, placement, strict = mem
    result.memory.fit_notes = list(placement.overflow)
    stack = next((p for p in result.memory.placement if p["what"] == "stack"), None)
    try:
        check_stack(placement, board, stack.get("lowest_touched") if stack else None)
    except ProgramDoesNotFitBoard as e:
        if strict:
            raise
        result.memory.fit_notes.append(str(e))
