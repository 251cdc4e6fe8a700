"""The NPU's parameters. A target with an NPU carries one NpuConfig in ``Target.extra["npu"]`` (isa/targets.py);
the board (isa/boards.py) gives the memory its DMA reads from. Every number here is assumed (no silicon is claimed):
docs/npu.md says what each one stands for and what a real part (Arm Ethos-U55) has instead."""
from __future__ import annotations

from dataclasses import dataclass

KiB = 1024

DATAFLOWS = {"os": "output-stationary", "ws": "weight-stationary"}

# Where the device's registers are: Corstone-300 puts its Ethos-U55 at 0x48102000 (secure alias); the same address
# is free in the memory map of every NPU target (MPS2-style Cortex-M and the Linux-style RV32 image / stack).
NPU_BASE = 0x48102000
NPU_MMIO_SIZE = 0x1000


@dataclass(frozen=True)
class NpuConfig:
    rows: int  # PE rows (R)
    cols: int  # PE columns (C)
    dataflow: str = "os"  # "os" or "ws" (DATAFLOWS)
    input_scratchpad: int = 64 * KiB  # bytes, double-buffered: one tile may take half
    weight_scratchpad: int = 64 * KiB
    output_scratchpad: int = 32 * KiB  # int32 partial sums of a weight-stationary job
    setup_cycles: int = 16  # assumed: descriptor decode and DMA programming before the first fetch
    dma_bytes_per_cycle: float | None = None  # None: the board's memory (cycles.dma_bandwidth)
    overlap: bool = True  # double buffering: DMA of the next fold while the array computes this one
    base: int = NPU_BASE
    mmio_size: int = NPU_MMIO_SIZE

    def __post_init__(self):
        if self.dataflow not in DATAFLOWS:
            raise ValueError(f"NPU dataflow {self.dataflow!r}: use one of {', '.join(DATAFLOWS)}")
        if self.rows < 1 or self.cols < 1:
            raise ValueError(f"NPU array {self.rows}x{self.cols}: rows and columns must be at least 1")

    @property
    def macs_per_cycle(self) -> int:
        return self.rows * self.cols

    @property
    def label(self) -> str:
        return f"{self.rows}x{self.cols} {self.dataflow.upper()}"

    def tile_overflow(self, m: int, k: int, n: int, weight_bits: int = 8, in_bytes: int = 1, groups: int = 1,
                      offsets: bool = False) -> str:
        """'' when a job of this shape fits the scratchpads (cycles.scratchpad_check), else what does not fit."""
        from isa.npu.cycles import Gemm, scratchpad_check
        return scratchpad_check(Gemm(m, k, n, weight_bits, in_bytes, 1, groups, offsets=offsets), self)

    def to_json(self) -> dict:
        from dataclasses import asdict
        return {**asdict(self), "macs_per_cycle": self.macs_per_cycle, "label": self.label}


def sized(rows: int, cols: int, dataflow: str = "os") -> NpuConfig:
    """The array `rows` x `cols` with scratchpads that grow with it (8 KiB of input per PE row, 4 KiB of weights per
    column, 2 KiB of partial sums per column): every layer of the bundled decoder and of MiniLM (K <= 1536, int16
    inputs included) fits a fold's tiles double-buffered at 8x8, 16x16 and 32x32."""
    return NpuConfig(rows, cols, dataflow, input_scratchpad=8 * KiB * rows, weight_scratchpad=4 * KiB * cols,
                     output_scratchpad=2 * KiB * cols)


def npu_of(target) -> NpuConfig | None:
    """The target's NPU, None for a target without one."""
    return target.extra.get("npu") if target is not None else None
