"""Finds the cross compiler for a target and the flags it needs; the triple and -march come from isa.targets."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from isa.targets import Target
from toolchain.errors import CompilerNotFound

CLANG = "clang-16"
LLD = "ld.lld-16"


@dataclass(frozen=True)
class Compiler:
    kind: str  # "gcc" or "clang"
    path: str
    target_flags: tuple[str, ...]  # --target / -march / -mabi / -mcpu ...
    link_flags: tuple[str, ...]
    libs: tuple[str, ...]  # runtime support library (soft-float helpers, division)

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.path})"


def find_compiler(target: Target, kind: str | None = None) -> Compiler:
    kind = kind or target.compiler
    if kind == "gcc":
        exe = f"{target.triple}-gcc"
        path = shutil.which(exe)
        if path is None:
            raise CompilerNotFound(f"{exe} not found (needed for target {target.name}): run `make setup`")
        return Compiler("gcc", path, target.arch_flags, ("-nostdlib", "-static"), ("-lgcc",))
    if kind == "clang":
        path = shutil.which(CLANG)
        lld = shutil.which(LLD)
        if path is None or lld is None:
            raise CompilerNotFound(f"{CLANG} / {LLD} not found (needed for target {target.name}): run `make setup`")
        return Compiler("clang", path, (f"--target={target.triple}",) + target.arch_flags,
                        ("-nostdlib", "-static", f"--ld-path={lld}"), ())
    raise CompilerNotFound(f"unknown compiler kind {kind!r}: use gcc or clang")
