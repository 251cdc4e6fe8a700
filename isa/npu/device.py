"""The NPU as a device: its registers (descriptor.py's map) and the job a START runs, against any emulated memory
(``read(addr, size) -> bytes`` and ``write(addr, data)``, raising MemoryError outside mapped memory).

A job runs to its end inside the START write: its result is in memory and STATUS reads DONE before the core's next
instruction. Its time is the cycle model's (cycles.py), recorded per job; the run's estimate adds it to the core's
(docs/npu.md, "Synchronisation and time")."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isa.npu import arith
from isa.npu.config import NpuConfig
from isa.npu.cycles import LABEL, Gemm, JobCycles, job_cycles, scratchpad_check
from isa.npu.descriptor import (CTRL_START, DESC_BYTES, ERR_ADDRESS, ERR_ALIGN, ERR_PARAMS, ERR_REGISTER,
                                ERR_SCRATCHPAD, NPU_ID, REG_CONFIG, REG_CTRL, REG_CYCLES, REG_DESC, REG_ERROR,
                                REG_ERROR_INFO, REG_ID, REG_JOBS, REG_STATUS, REGISTERS, STATUS_DONE, STATUS_FAULT,
                                STATUS_IDLE, TYPE_BYTES, Descriptor, NpuFault)

_NP = {"int8": "<i1", "int16": "<i2", "int32": "<i4"}


@dataclass
class NpuJob:
    tag: int  # the descriptor's tag: codegen puts the graph's layer index there
    gemm: Gemm
    timing: JobCycles

    def to_json(self) -> dict:
        from dataclasses import asdict
        return {"tag": self.tag, **asdict(self.gemm), **self.timing.to_json()}


@dataclass
class NpuStats:
    """What the device did in one run: its configuration and every job, in order."""
    config: NpuConfig
    dma_bytes_per_cycle: float
    jobs: list[NpuJob] = field(default_factory=list)

    @property
    def cycles(self) -> int:
        return sum(j.timing.cycles for j in self.jobs)

    @property
    def macs(self) -> int:
        return sum(j.gemm.macs for j in self.jobs)

    @property
    def utilization(self) -> float:
        return self.macs / (self.config.macs_per_cycle * self.cycles) if self.cycles else 0.0

    @property
    def bytes_moved(self) -> int:
        return sum(j.timing.bytes_moved for j in self.jobs)

    def per_tag(self) -> dict[int, dict]:
        """tag -> {jobs, cycles, compute_cycles, macs, bytes_moved}, summed over the run."""
        out: dict[int, dict] = {}
        for j in self.jobs:
            d = out.setdefault(j.tag, {"jobs": 0, "cycles": 0, "compute_cycles": 0, "macs": 0, "bytes_moved": 0})
            d["jobs"] += 1
            d["cycles"] += j.timing.cycles
            d["compute_cycles"] += j.timing.compute_cycles
            d["macs"] += j.gemm.macs
            d["bytes_moved"] += j.timing.bytes_moved
        return out

    def to_json(self) -> dict:
        return {"model": LABEL, "config": self.config.to_json(), "dma_bytes_per_cycle": self.dma_bytes_per_cycle,
                "jobs": len(self.jobs), "cycles": self.cycles, "macs": self.macs,
                "utilization": self.utilization, "bytes_moved": self.bytes_moved,
                "per_tag": {str(t): d for t, d in self.per_tag().items()}}


class NpuDevice:
    def __init__(self, config: NpuConfig, memory, dma_bytes_per_cycle: float):
        self.config = config
        self.memory = memory
        self.stats = NpuStats(config, dma_bytes_per_cycle)
        self.desc = 0
        self.status = STATUS_IDLE
        self.error = 0
        self.error_info = 0
        self.last_cycles = 0

    # -- registers ----------------------------------------------------------------------------------------------
    def read_register(self, offset: int, size: int) -> int:
        self._check_access(offset, size, "read")
        c = self.config
        return {REG_ID: NPU_ID, REG_CONFIG: c.rows | c.cols << 8 | (c.dataflow == "ws") << 16, REG_DESC: self.desc,
                REG_CTRL: 0, REG_STATUS: self.status, REG_ERROR: self.error, REG_ERROR_INFO: self.error_info,
                REG_JOBS: len(self.stats.jobs), REG_CYCLES: self.last_cycles & 0xFFFFFFFF}[offset]

    def write_register(self, offset: int, size: int, value: int) -> None:
        """Raises NpuFault for a job the device refuses (STATUS then reads FAULT, ERROR the code)."""
        self._check_access(offset, size, "write")
        if offset == REG_DESC:
            self.desc = value & 0xFFFFFFFF
        elif offset == REG_CTRL and value & CTRL_START:
            self._start()
        elif offset != REG_CTRL:
            self._fail(NpuFault(ERR_REGISTER, f"write of 0x{value:x} to the read-only register "
                                              f"{REGISTERS[offset]} (0x{offset:02x})", offset))

    def _check_access(self, offset: int, size: int, access: str) -> None:
        if offset not in REGISTERS or size != 4:
            self._fail(NpuFault(ERR_REGISTER, f"{access} of {size} bytes at offset 0x{offset:x}: the registers are "
                                              f"32-bit words at 0x00-0x{max(REGISTERS):02x} (ig_npu.h)", offset))

    def _fail(self, fault: NpuFault) -> None:
        self.status, self.error, self.error_info = STATUS_FAULT, fault.code, fault.info
        raise fault

    # -- a job --------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        try:
            self._run_job()
        except NpuFault as f:
            self._fail(f)

    def _read(self, name: str, addr: int, size: int) -> bytes:
        try:
            return self.memory.read(addr, size)
        except MemoryError:
            raise NpuFault(ERR_ADDRESS, f"the {name} (0x{addr:x}, {size} bytes) is not in the emulated memory",
                           addr) from None

    def _run_job(self) -> None:
        if self.desc % 4:
            raise NpuFault(ERR_ALIGN, f"descriptor at 0x{self.desc:x} is not 4-byte aligned", self.desc)
        d = Descriptor.unpack(self._read("descriptor", self.desc, DESC_BYTES))
        d.check()
        g = Gemm(d.m, d.k, d.n, d.weight_bits, TYPE_BYTES[d.input_type], TYPE_BYTES[d.output_type], d.groups,
                 0 if d.scalar_params else 12, bool(d.group_offset))
        note = scratchpad_check(g, self.config)
        if note:
            raise NpuFault(ERR_SCRATCHPAD, f"{note}: split the job (fewer rows m or channels n) or use a larger "
                                           f"array variant", d.k)
        ops = {name: self._read(name, addr, size) for name, addr, size, written in d.operands() if not written}
        x = _rows(ops["input"], d.input_type, d.m, d.k, d.rows_in)
        w = _weights(ops["weights"], d)
        if d.scalar_params:
            bias, mult, shift = (np.array([_signed(v)] * d.n, np.int64) for v in (d.bias, d.multiplier, d.shift))
        else:
            bias, mult, shift = (np.frombuffer(ops[k], "<i4") for k in ("bias", "multiplier", "shift"))
        if np.any(mult < 0) or np.any(shift < -31) or np.any(shift > 30):
            raise NpuFault(ERR_PARAMS, "a multiplier is negative or a shift is outside [-31, 30]", d.shift)
        gs, go = (np.frombuffer(ops[k], "<i4").reshape(d.n, d.groups) if k in ops else None
                  for k in ("group_scale", "group_offset"))
        w = w.astype(np.int16) - d.w_zero_point
        acc = arith.accumulate(x, d.x_zero_point, w, bias, gs, d.k // d.groups, go)
        y = arith.output(acc, mult, shift, d.y_zero_point, d.act_min, d.act_max, d.output_type)
        self._write_rows(d, y)
        timing = job_cycles(g, self.config, self.stats.dma_bytes_per_cycle)
        self.stats.jobs.append(NpuJob(d.tag, g, timing))
        self.status, self.error, self.error_info, self.last_cycles = STATUS_DONE, 0, 0, timing.cycles

    def _write_rows(self, d: Descriptor, y: np.ndarray) -> None:
        data = y.astype(_NP[d.output_type])
        ob = TYPE_BYTES[d.output_type]
        try:
            if d.rows_out == d.n:
                self.memory.write(d.output, data.tobytes())
            else:
                for r in range(d.m):
                    self.memory.write(d.output + r * d.rows_out * ob, data[r].tobytes())
        except MemoryError:
            raise NpuFault(ERR_ADDRESS, f"the output (0x{d.output:x}, {d.m} x {d.n} {d.output_type}) is not in "
                                        f"writable emulated memory", d.output) from None


def _signed(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def _weights(data: bytes, d: Descriptor) -> np.ndarray:
    """int8 [n, k] from the stored rows, columns (FLAG_WT) or int4 row pairs."""
    raw = np.frombuffer(data, np.int8)
    if d.weight_bits == 4:
        return arith.unpack_int4_rows(raw.reshape(-1, d.k), d.n)
    if d.transposed:
        return _rows(data, "int8", d.k, d.n, d.w_rows).T
    return _rows(data, "int8", d.n, d.k, d.w_rows)


def _rows(data: bytes, dtype: str, m: int, k: int, stride: int) -> np.ndarray:
    flat = np.frombuffer(data, _NP[dtype])
    return np.stack([flat[r * stride:r * stride + k] for r in range(m)]) if stride != k else flat.reshape(m, k)
