"""`isa.run`: run an ELF on a target under one backend, with inputs patched into its `.ig_input` section."""
from __future__ import annotations

import tempfile
from pathlib import Path

from isa.elf import check_target, load_elf, patch_sections
from isa.errors import UnsupportedBackend
from isa.result import RunResult
from isa.targets import Target, get_target

DEFAULT_MAX_INSTRUCTIONS = 5_000_000_000
DEFAULT_TIMEOUT_S = 900.0


def check_backend(target: Target, backend: str) -> None:
    if backend not in ("unicorn", "qemu"):
        raise UnsupportedBackend(f"unknown backend {backend!r}: use unicorn or qemu")
    if backend not in target.backends:
        raise UnsupportedBackend(
            f"backend {backend} cannot run target {target.name} ({target.description}): use --backend qemu")


def run(elf: str | Path, target: Target | str, backend: str | None = None, *,
        inputs: dict[str, bytes] | None = None, max_instructions: int | None = DEFAULT_MAX_INSTRUCTIONS,
        timeout_s: float = DEFAULT_TIMEOUT_S, count: bool = True) -> RunResult:
    """Runs `elf` to its exit. Refuses a backend that cannot run the target before anything runs."""
    if isinstance(target, str):
        target = get_target(target)
    backend = backend or target.default_backend
    check_backend(target, backend)
    check_target(load_elf(elf), target)
    if inputs:
        with tempfile.TemporaryDirectory(prefix="ig-run-") as tmpdir:
            tmp = Path(tmpdir) / Path(elf).name  # the user's file name in every message
            patch_sections(elf, inputs, tmp)
            return _dispatch(tmp, target, backend, max_instructions, timeout_s, count)
    return _dispatch(Path(elf), target, backend, max_instructions, timeout_s, count)


def _dispatch(elf: Path, target: Target, backend: str, max_instructions, timeout_s, count) -> RunResult:
    if backend == "unicorn":
        from isa.unicorn_backend import run_unicorn
        return run_unicorn(elf, target, max_instructions=max_instructions, timeout_s=timeout_s, count=count)
    from isa.qemu_backend import run_qemu
    return run_qemu(elf, target, max_instructions=max_instructions, timeout_s=timeout_s, count=count)
