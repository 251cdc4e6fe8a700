"""A session-wide cache of test ELFs built from tests/isa/programs (shared by the targets/profile/timing tests)."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

import isa
from isa.targets import get_target

PROGRAMS = Path(__file__).resolve().parent / "programs"


class Builds:
    def __init__(self, out_dir: Path):
        self.out_dir, self.cache = out_dir, {}

    def __call__(self, program: str, target: str) -> Path:
        import toolchain
        from toolchain.errors import CompilerNotFound
        key = (program, target)
        if key not in self.cache:
            elf = self.out_dir / f"{Path(program).stem}-{target}.elf"
            try:
                toolchain.build_elf([PROGRAMS / program], get_target(target), elf)
            except CompilerNotFound as e:
                pytest.skip(str(e))
            self.cache[key] = elf
        return self.cache[key]


def run(elf: Path, target: str, backend: str | None = None, word: int | None = None) -> isa.RunResult:
    inputs = {".ig_input": struct.pack("<I", word)} if word is not None else None
    return isa.run(elf, target, backend, inputs=inputs, max_instructions=20_000_000, timeout_s=60.0)


def is_return(insn) -> bool:
    """A capstone instruction that returns (Thumb pop {..., pc} / bx lr, AArch64 / RISC-V ret, jr ra)."""
    m, ops = insn.mnemonic, insn.op_str
    return (m == "ret" or (m.startswith("pop") and "pc" in ops) or (m == "bx" and ops == "lr")
            or (m in ("jr", "c.jr") and ops == "ra"))


def back_edges(insns, lo: int, is_back) -> list[tuple[int, int]]:
    """(destination, branch address) of the backward branches `is_back(insn) -> destination | None` finds in
    `insns` that close a loop: a backward jump to a return sequence (Armv6-M's shared epilogue) is none."""
    out = []
    for i in insns:
        dest = is_back(i)
        if dest is not None and lo <= dest <= i.address:
            if not any(is_return(j) for j in insns if dest <= j.address <= i.address):
                out.append((dest, i.address))
    return out
