"""What a run returns: outputs and exact per-basic-block execution counts."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class BlockCounts:
    """One row per distinct basic block (start address, size) the emulator executed."""
    addr: np.ndarray  # uint64
    size: np.ndarray  # uint32, bytes
    insns: np.ndarray  # uint32, instructions in the block
    count: np.ndarray  # uint64, executions

    @property
    def instructions(self) -> int:
        return int(np.sum(self.insns.astype(np.uint64) * self.count))

    @staticmethod
    def empty() -> "BlockCounts":
        return BlockCounts(np.zeros(0, np.uint64), np.zeros(0, np.uint32), np.zeros(0, np.uint32), np.zeros(0, np.uint64))


@dataclass
class VlSites:
    """Per RVV vsetvl/vsetvli/vsetivli site (its address): how often it ran and the vl values it produced."""
    addr: np.ndarray  # uint64
    executions: np.ndarray  # uint64
    vl_sum: np.ndarray  # uint64
    vl_min: np.ndarray  # uint32
    vl_max: np.ndarray  # uint32

    def mean_vl(self) -> dict[int, float]:
        """{site address: mean vl} of the sites that ran."""
        return {int(a): int(s) / int(n) for a, s, n in zip(self.addr, self.vl_sum, self.executions) if n}

    def __len__(self) -> int:
        return len(self.addr)

    @staticmethod
    def empty() -> "VlSites":
        return VlSites(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.uint64),
                       np.zeros(0, np.uint32), np.zeros(0, np.uint32))


@dataclass
class RunResult:
    target: str
    backend: str
    exit_code: int
    stdout: bytes
    instructions: int  # exact dynamic instruction count (0 when run without counting)
    blocks: BlockCounts = field(default_factory=BlockCounts.empty)
    wall_seconds: float = 0.0
    counted: bool = True
    stderr: bytes = b""
    vl_sites: VlSites = field(default_factory=VlSites.empty)  # QEMU on RVV targets: the vl each vsetvl* gave
    # memory-aware runs (isa.run(..., board=...)): the cache / memory simulator's counters (isa.memsim.MemoryStats)
    memory: object | None = None
    # targets with an NPU (isa/npu/): the device's jobs and their modelled cycles (isa.npu.device.NpuStats)
    npu: object | None = None
