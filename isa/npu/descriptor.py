"""The job descriptor (in emulated memory) and the MMIO register map. runtime_c/npu/ig_npu.h is the C side of both:
tests/isa/test_npu_device.py checks that the two agree.

A job is y[m, n] = requantize(bias[n] + sum_g (group_scale[n, g] * sum_{k in g} (x[m, k] - x_zp) * (w[n, k] - w_zp)
+ group_offset[n, g] * sum_{k in g} (x[m, k] - x_zp))) + y_zp, clamped (arith.py). The descriptor is DESC_WORDS
little-endian 32-bit words at a 4-byte aligned address.
Weights are int8 rows [n][k] (w_stride apart), int8 columns (FLAG_WT: w[n][k] at k * w_stride + n, the value cache
of attention) or int4 row pairs; FLAG_RQ_SCALAR makes the bias, multiplier and shift words one value for every
channel (attention's per-tensor requantization) instead of addresses of arrays."""
from __future__ import annotations

import struct
from dataclasses import dataclass

DESC_MAGIC = 0x314A4E49  # "INJ1"
DESC_FIELDS = ("magic", "flags", "m", "k", "n", "input", "weights", "bias", "multiplier", "shift", "group_scale",
               "group_size", "x_zero_point", "y_zero_point", "act_min", "act_max", "output", "tag", "x_stride",
               "y_stride", "w_stride", "w_zero_point", "group_offset")
DESC_WORDS = len(DESC_FIELDS)
DESC_BYTES = 4 * DESC_WORDS
_SIGNED = {"x_zero_point", "y_zero_point", "act_min", "act_max", "w_zero_point"}

# flags: weight bits (bit 0: int4 row pairs, else int8), bit 1: int8 weights stored k-major (columns), bit 2: scalar
# bias / multiplier / shift, input type (bits 4-5), output type (bits 8-9)
FLAG_W4, FLAG_WT, FLAG_RQ_SCALAR = 1 << 0, 1 << 1, 1 << 2
INPUT_SHIFT, OUTPUT_SHIFT = 4, 8
TYPES = ("int8", "int16", "int32")  # the codes 0, 1, 2 of the input / output type fields
TYPE_BYTES = {"int8": 1, "int16": 2, "int32": 4}
MAX_DIM = 1 << 16

# registers (byte offsets from the device's base)
REG_ID, REG_CONFIG, REG_DESC, REG_CTRL, REG_STATUS, REG_ERROR, REG_ERROR_INFO, REG_JOBS, REG_CYCLES = \
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20
REGISTERS = {REG_ID: "ID", REG_CONFIG: "CONFIG", REG_DESC: "DESC", REG_CTRL: "CTRL", REG_STATUS: "STATUS",
             REG_ERROR: "ERROR", REG_ERROR_INFO: "ERROR_INFO", REG_JOBS: "JOBS", REG_CYCLES: "CYCLES"}
NPU_ID = 0x4E505501  # "NPU" version 1
CTRL_START = 1
STATUS_IDLE, STATUS_BUSY, STATUS_DONE, STATUS_FAULT = 0, 1, 2, 3

# error codes (REG_ERROR)
ERR_NONE, ERR_MAGIC, ERR_FLAGS, ERR_SHAPE, ERR_ADDRESS, ERR_ALIGN, ERR_SCRATCHPAD, ERR_PARAMS, ERR_REGISTER = range(9)
ERROR_NAMES = {ERR_MAGIC: "bad descriptor magic", ERR_FLAGS: "bad type flags", ERR_SHAPE: "bad shape",
               ERR_ADDRESS: "bad address", ERR_ALIGN: "misaligned operand", ERR_SCRATCHPAD: "shape over the scratchpad",
               ERR_PARAMS: "bad requantization parameters", ERR_REGISTER: "bad register access"}


class NpuFault(Exception):
    """A job the device refuses: `code` (ERR_*), `info` (the ERROR_INFO register: an address or a size), and a
    message naming the field, the value and the fix."""

    def __init__(self, code: int, message: str, info: int = 0):
        self.code, self.info, self.detail = code, info, message
        super().__init__(f"{ERROR_NAMES.get(code, f'error {code}')}: {message}")

    def __reduce__(self):  # pickled with its own arguments (a sweep's worker sends it back to the driver)
        return type(self), (self.code, self.detail, self.info)


@dataclass(frozen=True)
class Descriptor:
    magic: int
    flags: int
    m: int
    k: int
    n: int
    input: int
    weights: int
    bias: int
    multiplier: int
    shift: int
    group_scale: int
    group_size: int
    x_zero_point: int
    y_zero_point: int
    act_min: int
    act_max: int
    output: int
    tag: int
    x_stride: int
    y_stride: int
    w_stride: int = 0
    w_zero_point: int = 0
    group_offset: int = 0

    @staticmethod
    def unpack(data: bytes) -> "Descriptor":
        words = struct.unpack(f"<{DESC_WORDS}I", data[:DESC_BYTES])
        return Descriptor(**{f: (w - (1 << 32) if f in _SIGNED and w >= 1 << 31 else w)
                             for f, w in zip(DESC_FIELDS, words)})

    def pack(self) -> bytes:
        return struct.pack(f"<{DESC_WORDS}I", *(getattr(self, f) & 0xFFFFFFFF for f in DESC_FIELDS))

    @property
    def weight_bits(self) -> int:
        return 4 if self.flags & FLAG_W4 else 8

    @property
    def input_type(self) -> str:
        return TYPES[(self.flags >> INPUT_SHIFT) & 3]

    @property
    def output_type(self) -> str:
        return TYPES[(self.flags >> OUTPUT_SHIFT) & 3]

    @property
    def groups(self) -> int:
        return self.k // self.group_size if self.group_scale or self.group_offset else 1

    @property
    def rows_in(self) -> int:
        return self.x_stride or self.k

    @property
    def rows_out(self) -> int:
        return self.y_stride or self.n

    @property
    def transposed(self) -> bool:
        return bool(self.flags & FLAG_WT)

    @property
    def scalar_params(self) -> bool:
        return bool(self.flags & FLAG_RQ_SCALAR)

    @property
    def w_rows(self) -> int:
        """Elements from one stored weight row to the next (a row of k, or with FLAG_WT a column of n)."""
        return self.w_stride or (self.n if self.transposed else self.k)

    def weight_bytes(self) -> int:
        """The span the weights occupy: int8 rows [n][w_rows] (FLAG_WT: [k][w_rows]), or int4 row pairs
        [ceil(n / 2), k] (16 * w[2p] + w[2p + 1] + 8 per byte)."""
        if self.weight_bits == 4:
            return (self.n + 1) // 2 * self.k
        rows, row = (self.k, self.n) if self.transposed else (self.n, self.k)
        return (rows - 1) * self.w_rows + row

    def operands(self) -> list[tuple[str, int, int, bool]]:
        """(name, address, bytes, written) of every array the job touches, in the order the DMA reads them."""
        xb, yb = TYPE_BYTES[self.input_type], TYPE_BYTES[self.output_type]
        ops = [("input", self.input, ((self.m - 1) * self.rows_in + self.k) * xb, False),
               ("weights", self.weights, self.weight_bytes(), False)]
        if not self.scalar_params:
            ops += [("bias", self.bias, 4 * self.n, False), ("multiplier", self.multiplier, 4 * self.n, False),
                    ("shift", self.shift, 4 * self.n, False)]
        if self.group_scale:
            ops.append(("group_scale", self.group_scale, 4 * self.n * self.groups, False))
        if self.group_offset:
            ops.append(("group_offset", self.group_offset, 4 * self.n * self.groups, False))
        ops.append(("output", self.output, ((self.m - 1) * self.rows_out + self.n) * yb, True))
        return ops

    def check(self) -> None:
        """Raises NpuFault for a descriptor no job can run (addresses are checked when the DMA reads them)."""
        if self.magic != DESC_MAGIC:
            raise NpuFault(ERR_MAGIC, f"word 0 is 0x{self.magic:08x}, not 0x{DESC_MAGIC:08x}: DESC does not point at a"
                                      f" descriptor filled by ig_npu_fc (runtime_c/npu/ig_npu.c)", self.magic)
        known = FLAG_W4 | FLAG_WT | FLAG_RQ_SCALAR | (3 << INPUT_SHIFT) | (3 << OUTPUT_SHIFT)
        if self.flags & ~known or (self.flags >> INPUT_SHIFT) & 3 > 1 or (self.flags >> OUTPUT_SHIFT) & 3 > 2 or \
                (self.flags & FLAG_W4 and self.flags & FLAG_WT):
            raise NpuFault(ERR_FLAGS, f"flags 0x{self.flags:x}: inputs are int8 or int16, outputs int8, int16 or "
                                      f"int32, weights int8 (rows or columns) or int4 rows (ig_npu.h IG_NPU_*)",
                           self.flags)
        for name in ("m", "k", "n"):
            v = getattr(self, name)
            if not 1 <= v <= MAX_DIM:
                raise NpuFault(ERR_SHAPE, f"{name} = {v}: each of m, k, n must be in [1, {MAX_DIM}]", v)
        if (self.group_scale or self.group_offset) and (self.group_size < 1 or self.k % self.group_size):
            raise NpuFault(ERR_SHAPE, f"group size {self.group_size} does not divide k = {self.k}", self.group_size)
        if self.rows_in < self.k or self.rows_out < self.n:
            raise NpuFault(ERR_SHAPE, f"row strides {self.rows_in} / {self.rows_out} are shorter than a row "
                                      f"(k = {self.k}, n = {self.n})", min(self.rows_in, self.rows_out))
        row = self.n if self.transposed else self.k
        if self.w_stride and (self.weight_bits == 4 or self.w_stride < row):
            raise NpuFault(ERR_SHAPE, f"weight stride {self.w_stride}: int8 weights only, and at least a stored row "
                                      f"({row} = {'n' if self.transposed else 'k'})", self.w_stride)
        if not -128 <= self.w_zero_point <= 127 or (self.w_zero_point and self.weight_bits == 4):
            raise NpuFault(ERR_PARAMS, f"weight zero point {self.w_zero_point}: int8 weights take one in "
                                       f"[-128, 127], int4 weights none", self.w_zero_point & 0xFFFFFFFF)
        lo, hi = -(1 << (8 * TYPE_BYTES[self.output_type] - 1)), (1 << (8 * TYPE_BYTES[self.output_type] - 1)) - 1
        if not lo <= self.act_min <= self.act_max <= hi:
            raise NpuFault(ERR_PARAMS, f"activation range [{self.act_min}, {self.act_max}] is not inside "
                                       f"{self.output_type}", self.act_min & 0xFFFFFFFF)
        for name, addr, _, _ in self.operands():
            align = {"input": TYPE_BYTES[self.input_type], "weights": 1,
                     "output": TYPE_BYTES[self.output_type]}.get(name, 4)
            if addr % align:
                raise NpuFault(ERR_ALIGN, f"{name} at 0x{addr:x} is not {align}-byte aligned", addr)
