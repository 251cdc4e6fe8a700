"""The NPU's cycle model, `intgap npu model v1` (docs/npu.md, "Cycle model"): an R x C systolic array, output- or
weight-stationary, fold by fold, with its DMA from the board's memory overlapping the array's work.

A job multiplies x [M, K] by w^T [K, N]. A dataflow maps the GEMM onto the array (SCALE-Sim's mapping, Samajdar et
al., ISPASS 2020): output-stationary keeps an R x C tile of outputs in the PEs (S_R = M rows, S_C = N columns, the
K products of each stream through: T = K); weight-stationary keeps an R x C tile of weights (S_R = K, S_C = N,
T = M rows stream through, partial sums leave the array and are added in the output scratchpad). One fold (one
tile) takes

    fill + stream + drain = (R - 1) + (C - 1) skew + T + R = 2R + C + T - 2 cycles

for every fold, a partial one too (the sequencer runs each fold for the whole array, as SCALE-Sim pads partial
tiles; a skewed array could finish a partial S_r x S_c tile in S_r + S_c + T - 2 + R: tests/isa/test_npu_cycles.py
steps one cycle by cycle), so compute alone is SCALE-Sim's scale-up runtime (2R + C + T - 2) ceil(S_R/R) ceil(S_C/C).
int16 inputs run as two int8 byte planes (T doubles). The DMA moves each fold's operands (input rows, weights with
their bias / multiplier / shift / group scales) and its outputs at the board's bytes per cycle; with double
buffering (overlap) the loads of fold i + 1 and the stores of fold i - 1 run while fold i computes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from isa.npu.config import NpuConfig
from isa.npu.descriptor import DESC_BYTES

MODEL_NAME, MODEL_VERSION = "intgap npu model", 1
LABEL = f"{MODEL_NAME} v{MODEL_VERSION}"
DESCRIPTOR_BYTES = DESC_BYTES  # fetched before anything else
DEFAULT_DMA_BYTES_PER_CYCLE = 8.0  # assumed where the board gives no figure: one 64-bit AXI read per cycle


@dataclass(frozen=True)
class Gemm:
    """One job's shape and types: x [m, k] (in_bytes per element) times int8 / int4 weights [n, k]."""
    m: int
    k: int
    n: int
    weight_bits: int = 8
    in_bytes: int = 1
    out_bytes: int = 1
    groups: int = 1  # group scales per output channel (1: per channel, no group scale array)
    param_bytes: int = 12  # bias, multiplier and shift per output channel (0: one value each, in the descriptor)
    offsets: bool = False  # group offsets (asymmetric weights): one int32 per channel and group, as the scales

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n

    def weight_bytes(self, rows: int) -> int:
        """Weights of `rows` output channels with their bias, multiplier and shift (and group scales)."""
        w = rows * self.k if self.weight_bits == 8 else (rows + 1) // 2 * self.k
        return w + self.param_bytes * rows + (4 * rows * self.groups if self.groups > 1 else 0) + \
            (4 * rows * self.groups if self.offsets else 0)


@dataclass
class JobCycles:
    model: str
    array: str
    dataflow: str
    cycles: int  # the job from START to DONE
    compute_cycles: int  # folds x (2R + C + T - 2): the array busy
    dma_cycles: int  # bytes moved / bytes per cycle: the DMA busy
    stall_cycles: int  # cycles - compute_cycles: the array waiting on the DMA (and setup)
    folds: int
    macs: int
    utilization: float  # macs / (R * C * cycles)
    bytes_read: int
    bytes_written: int
    dma_bytes_per_cycle: float
    fits: bool = True  # every fold's tiles fit the scratchpads (else the device refuses the job)
    scratchpad_note: str = ""

    @property
    def bytes_moved(self) -> int:
        return self.bytes_read + self.bytes_written

    @property
    def bound(self) -> str:
        return "dma" if self.dma_cycles > self.compute_cycles else "compute"

    def to_json(self) -> dict:
        return {**asdict(self), "bytes_moved": self.bytes_moved, "bound": self.bound}


def scalesim_runtime(rows: int, cols: int, s_r: int, s_c: int, t: int) -> int:
    """SCALE-Sim's analytical scale-up runtime (Samajdar et al., ISPASS 2020): (2R + C + T - 2) ceil(S_R/R)
    ceil(S_C/C) cycles, for the GEMM mapped as the dataflow maps it (spatial S_R x S_C, temporal T)."""
    return (2 * rows + cols + t - 2) * math.ceil(s_r / rows) * math.ceil(s_c / cols)


def mapping(g: Gemm, dataflow: str) -> tuple[int, int, int]:
    """(S_R, S_C, T) of SCALE-Sim's mapping; int16 inputs stream twice (two byte planes)."""
    if dataflow == "os":
        return g.m, g.n, g.k * g.in_bytes
    return g.k, g.n, g.m * g.in_bytes


def scratchpad_check(g: Gemm, cfg: NpuConfig) -> str:
    """'' when one fold's tiles fit half of each scratchpad (double buffering), else what does not fit."""
    r, c = cfg.rows, cfg.cols
    if cfg.dataflow == "os":
        need = (("input", min(r, g.m) * g.k * g.in_bytes, cfg.input_scratchpad),
                ("weight", g.weight_bytes(min(c, g.n)), cfg.weight_scratchpad))
    else:
        need = (("input", g.m * min(r, g.k) * g.in_bytes, cfg.input_scratchpad),
                ("weight", g.weight_bytes(min(c, g.n)) * min(r, g.k) // g.k, cfg.weight_scratchpad),
                ("output", g.m * min(c, g.n) * 4, 2 * cfg.output_scratchpad))  # accumulators: not double-buffered
    for name, used, size in need:
        if used > size // 2:
            return (f"a fold's {name} tile is {used} bytes, over half of the {size}-byte {name} scratchpad "
                    f"({cfg.label} array, m={g.m} k={g.k} n={g.n})")
    return ""


def dma_bandwidth(cfg: NpuConfig, board=None, target=None) -> float:
    """Bytes per NPU cycle the DMA moves: the config's own figure, else the board's memory holding the weights
    (its bytes per cycle, or its read bandwidth at the board's clock), else DEFAULT_DMA_BYTES_PER_CYCLE."""
    if cfg.dma_bytes_per_cycle:
        return float(cfg.dma_bytes_per_cycle)
    if board is not None:
        mem = next((m for m in board.memories if "rodata" in m.holds), None)
        if mem is not None and mem.bytes_per_cycle:
            return float(mem.bytes_per_cycle)
        if mem is not None and mem.read_gb_s and target is not None:
            return mem.read_gb_s * 1e3 / board.clock_for(target)
    return DEFAULT_DMA_BYTES_PER_CYCLE


def _folds(g: Gemm, cfg: NpuConfig) -> list[tuple[int, int, int]]:
    """Per fold in execution order: (compute cycles, bytes loaded before it, bytes stored after it)."""
    r, c = cfg.rows, cfg.cols
    s_r, s_c, t = mapping(g, cfg.dataflow)
    per_fold = 2 * r + c + t - 2
    row_folds, col_folds = math.ceil(s_r / r), math.ceil(s_c / c)
    out = []
    if cfg.dataflow == "os":
        # rows of x outer (an input tile stays), output-channel tiles inner; weights are fetched again for every
        # row tile unless all of them fit the weight scratchpad
        resident = g.weight_bytes(g.n) <= cfg.weight_scratchpad // 2
        for i in range(row_folds):
            rows = min(r, g.m - i * r)
            for j in range(col_folds):
                cols = min(c, g.n - j * c)
                load = (rows * g.k * g.in_bytes if j == 0 else 0) + \
                    (g.weight_bytes(cols) if i == 0 or not resident else 0)
                out.append((per_fold, load, rows * cols * g.out_bytes))
        return out
    # weight-stationary: output-channel tiles outer, K tiles inner; each weight tile is read once, the input columns
    # of a K tile again for every channel tile unless all of x fits; outputs leave after a channel tile's last K tile
    resident = g.m * g.k * g.in_bytes <= cfg.input_scratchpad // 2
    for j in range(col_folds):
        cols = min(c, g.n - j * c)
        for i in range(row_folds):
            ks = min(r, g.k - i * r)
            wbytes = g.weight_bytes(cols) * ks // g.k  # the channel tile's parameters spread over its K tiles
            load = wbytes + (g.m * ks * g.in_bytes if j == 0 or not resident else 0)
            out.append((per_fold, load, g.m * cols * g.out_bytes if i == row_folds - 1 else 0))
    return out


def job_cycles(g: Gemm, cfg: NpuConfig, bytes_per_cycle: float = DEFAULT_DMA_BYTES_PER_CYCLE) -> JobCycles:
    """The job's cycles under `cfg` with a DMA of `bytes_per_cycle` (dma_bandwidth gives the board's)."""
    folds = _folds(g, cfg)
    dma = lambda b: math.ceil(b / bytes_per_cycle)  # noqa: E731
    setup = cfg.setup_cycles + dma(DESCRIPTOR_BYTES)
    loads = [dma(b) for _, b, _ in folds]
    stores = [dma(b) for _, _, b in folds]
    compute = sum(f for f, _, _ in folds)
    if cfg.overlap:
        # fold i computes while the DMA stores fold i - 1's outputs and loads fold i + 1's operands
        total = setup + loads[0]
        for i, (f, _, _) in enumerate(folds):
            nxt = loads[i + 1] if i + 1 < len(folds) else 0
            prev = stores[i - 1] if i else 0
            total += max(f, nxt + prev)
        total += stores[-1]
    else:
        total = setup + compute + sum(loads) + sum(stores)
    note = scratchpad_check(g, cfg)
    return JobCycles(model=LABEL, array=f"{cfg.rows}x{cfg.cols}", dataflow=cfg.dataflow, cycles=total,
                     compute_cycles=compute, dma_cycles=sum(loads) + sum(stores) + dma(DESCRIPTOR_BYTES),
                     stall_cycles=total - compute, folds=len(folds), macs=g.macs,
                     utilization=g.macs / (cfg.macs_per_cycle * total), bytes_read=DESCRIPTOR_BYTES + sum(
                         b for _, b, _ in folds), bytes_written=sum(b for _, _, b in folds),
                     dma_bytes_per_cycle=bytes_per_cycle, fits=not note, scratchpad_note=note)
