"""Attribution of exact block counts to functions (ELF symbols), after the run: no work per executed block.

Each counted block is split into its instructions (lengths decoded from the ELF bytes), and each instruction's
count goes to the function whose symbol covers its address. The per-function counts sum to the total."""
from __future__ import annotations

from collections import defaultdict

from isa.elf import ElfImage, instruction_lengths
from isa.result import BlockCounts

UNKNOWN = "(no symbol)"


def per_function(blocks: BlockCounts, img: ElfImage, arch: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for addr, size, count in zip(blocks.addr.tolist(), blocks.size.tolist(), blocks.count.tolist()):
        if count == 0:
            continue
        try:
            code = img.read(addr, size)
        except Exception:  # code outside the ELF image (should not happen for our programs)
            out[UNKNOWN] += count * max(size // 4, 1)
            continue
        pc = addr
        for step in instruction_lengths(arch, code):
            f = img.function_at(pc)
            out[f.name if f else UNKNOWN] += count
            pc += step
    return dict(out)


def sum_excluding(counts: dict[str, int], excluded: set[str]) -> int:
    return sum(v for k, v in counts.items() if k not in excluded)
