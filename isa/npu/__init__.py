"""An integer systolic-array NPU beside the core: a memory-mapped device of the Unicorn backend (docs/npu.md).

config.py      the device's parameters (array, dataflow, scratchpads, MMIO base) and the per-target variants
descriptor.py  the job descriptor in emulated memory and the MMIO register map (runtime_c/npu/ig_npu.h mirrors both)
arith.py       the job's integer semantics: int32 accumulation and TFLite / CMSIS-NN requantization
cycles.py      the named, versioned cycle model: folds, fill / drain, DMA from the board's memory, overlap
device.py      the register file and job execution against an emulated memory
unicorn_mmio.py  the Unicorn backend's MMIO mapping of the device
"""
from isa.npu.config import NpuConfig, npu_of
from isa.npu.cycles import JobCycles, job_cycles

__all__ = ["NpuConfig", "npu_of", "JobCycles", "job_cycles"]
