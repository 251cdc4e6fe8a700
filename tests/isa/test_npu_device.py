"""The NPU device (isa/npu/): its jobs against the reference on random jobs, malformed descriptors, the C header.

The device runs against a plain bytearray memory here; tests/isa/test_npu_targets.py runs it under Unicorn."""
from __future__ import annotations

import re

import numpy as np
import pytest

from codegen.packing import pack_fc_weights
from isa.npu import descriptor as D
from isa.npu.config import NpuConfig, sized
from isa.npu.descriptor import Descriptor, NpuFault
from isa.npu.device import NpuDevice
from quant.ir import Node
from quant.optable import OPTABLE

BASE, SIZE = 0x1000, 1 << 20
HEADER = __import__("pathlib").Path(__file__).resolve().parents[2] / "runtime_c" / "npu" / "ig_npu.h"


class FlatMemory:
    """`SIZE` bytes at BASE; anything else is unmapped."""

    def __init__(self):
        self.data = bytearray(SIZE)
        self.top = BASE

    def _at(self, addr: int, size: int) -> int:
        if not BASE <= addr <= addr + size <= BASE + SIZE:
            raise MemoryError(addr)
        return addr - BASE

    def read(self, addr, size):
        o = self._at(addr, size)
        return bytes(self.data[o:o + size])

    def write(self, addr, data):
        o = self._at(addr, len(data))
        self.data[o:o + len(data)] = data

    def put(self, arr_or_bytes) -> int:
        b = arr_or_bytes if isinstance(arr_or_bytes, bytes) else np.ascontiguousarray(arr_or_bytes).tobytes()
        addr = self.top
        self.write(addr, b)
        self.top = (addr + len(b) + 15) & ~15
        return addr


def random_job(rng, m, k, n, bits, x_dt, y_dt, group_size):
    """Arrays and attributes of a fully connected layer the reference accepts (|acc| < 2^31)."""
    lo, hi = (-8, 7) if bits == 4 else (-127, 127)
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    if x_dt == "int8":
        x = rng.integers(-128, 128, (m, k)).astype(np.int8)
        x_zp = int(rng.integers(-128, 128))
    else:
        x = rng.integers(-3000, 3000, (m, k)).astype(np.int16)
        x_zp = int(rng.integers(-100, 100))
    groups = k // group_size
    gs = rng.integers(1, 64, (n, groups)).astype(np.int32) if group_size != k else np.ones((n, 1), np.int32)
    bias = rng.integers(-(1 << 20), 1 << 20, n).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32)
    shift = rng.integers(-20, 2, n).astype(np.int32)
    info = np.iinfo({"int8": np.int8, "int16": np.int16, "int32": np.int32}[y_dt])
    y_zp = int(rng.integers(-20, 20))
    act_min, act_max = int(info.min) + int(rng.integers(0, 3)), int(info.max) - int(rng.integers(0, 3))
    attrs = {"x_zero_point": x_zp, "y_zero_point": y_zp, "act_min": act_min, "act_max": act_max,
             "group_size": group_size, "weight_bits": bits}
    return x, w, bias, gs, mult, shift, attrs


def reference(x, w, bias, gs, mult, shift, attrs, y_dt):
    grouped = attrs["group_size"] != x.shape[1] or x.dtype != np.int8 or y_dt != "int8"
    if grouped:
        node = Node("fully_connected_wide", "fc", ["x", "w", "b", "gs", "m", "s"], ["y"], attrs)
        return OPTABLE["fully_connected_wide"].reference(node, y_dt, x, w, bias, gs, mult, shift)
    node = Node("fully_connected", "fc", ["x", "w", "b", "m", "s"], ["y"], attrs)
    return OPTABLE["fully_connected"].reference(node, y_dt, x, w, bias, mult, shift)


def load_job(mem: FlatMemory, job, y_dt, tag=7, **override) -> int:
    """The job's arrays and descriptor in `mem` (descriptor fields in `override` replaced); returns its address."""
    x, w, bias, gs, mult, shift, attrs = job
    m, k = x.shape
    n = w.shape[0]
    bits = attrs["weight_bits"]
    per_channel = attrs["group_size"] == k and np.all(gs == 1)
    fields = dict(
        magic=D.DESC_MAGIC,
        flags=(D.FLAG_W4 if bits == 4 else 0) | (x.dtype == np.int16) << D.INPUT_SHIFT
        | D.TYPES.index(y_dt) << D.OUTPUT_SHIFT,
        m=m, k=k, n=n, input=mem.put(x.astype("<i" + str(x.itemsize))),
        weights=mem.put(pack_fc_weights(w, bits, "scalar").tobytes()), bias=mem.put(bias.astype("<i4")),
        multiplier=mem.put(mult.astype("<i4")), shift=mem.put(shift.astype("<i4")),
        group_scale=0 if per_channel else mem.put(gs.astype("<i4")), group_size=attrs["group_size"],
        x_zero_point=attrs["x_zero_point"], y_zero_point=attrs["y_zero_point"], act_min=attrs["act_min"],
        act_max=attrs["act_max"], output=mem.put(bytes(m * n * D.TYPE_BYTES[y_dt])), tag=tag, x_stride=0, y_stride=0)
    fields.update(override)
    return mem.put(Descriptor(**fields).pack())


def run_job(device: NpuDevice, desc: int) -> None:
    device.write_register(D.REG_DESC, 4, desc)
    device.write_register(D.REG_CTRL, 4, D.CTRL_START)


def output_of(mem, desc, y_dt, shape):
    d = Descriptor.unpack(mem.read(desc, D.DESC_BYTES))
    raw = mem.read(d.output, int(np.prod(shape)) * D.TYPE_BYTES[y_dt])
    return np.frombuffer(raw, "<i" + str(D.TYPE_BYTES[y_dt])).reshape(shape)


CASES = [  # m, k, n, weight bits, x dtype, y dtype, group size (k: per channel)
    (1, 7, 5, 8, "int8", "int8", 7), (3, 33, 17, 8, "int8", "int8", 33), (2, 64, 9, 4, "int8", "int8", 32),
    (5, 48, 13, 4, "int8", "int16", 16), (4, 20, 11, 8, "int16", "int8", 20), (3, 30, 7, 8, "int8", "int32", 10),
    (1, 96, 33, 4, "int8", "int8", 96), (17, 24, 19, 8, "int16", "int16", 8), (2, 9, 1, 4, "int8", "int32", 9),
]


@pytest.mark.parametrize("m,k,n,bits,x_dt,y_dt,gsz", CASES)
def test_device_equals_the_reference_on_random_jobs(m, k, n, bits, x_dt, y_dt, gsz):
    rng = np.random.default_rng(1000 * m + 10 * k + n)
    for _ in range(3):
        job = random_job(rng, m, k, n, bits, x_dt, y_dt, gsz)
        mem = FlatMemory()
        device = NpuDevice(sized(8, 8), mem, 8.0)
        desc = load_job(mem, job, y_dt)
        run_job(device, desc)
        assert device.read_register(D.REG_STATUS, 4) == D.STATUS_DONE
        got = output_of(mem, desc, y_dt, (m, n))
        np.testing.assert_array_equal(got, reference(*job, y_dt))
        assert device.stats.jobs[-1].tag == 7 and device.stats.jobs[-1].gemm.macs == m * k * n


@pytest.mark.parametrize("m,k,n,bits,x_dt,y_dt,gsz", [(1, 32, 7, 4, "int8", "int8", 16), (3, 24, 5, 8, "int16", "int32", 8),
                                                    (2, 20, 9, 4, "int8", "int16", 20)])
def test_asymmetric_group_weights_equal_the_reference(m, k, n, bits, x_dt, y_dt, gsz):
    """fully_connected_asym: the group offsets times each group's sum of x - x_zp, added to the group-scaled dots."""
    rng = np.random.default_rng(100 * k + n)
    x, w, bias, gs, mult, shift, attrs = random_job(rng, m, k, n, bits, x_dt, y_dt, gsz)
    gs = rng.integers(1, 64, (n, k // gsz)).astype(np.int32)
    go = rng.integers(-300, 300, (n, k // gsz)).astype(np.int32)
    mem = FlatMemory()
    device = NpuDevice(sized(8, 8), mem, 8.0)
    desc = load_job(mem, (x, w, bias, gs, mult, shift, attrs), y_dt, group_scale=mem.put(gs.astype("<i4")),
                    group_offset=mem.put(go.astype("<i4")))
    run_job(device, desc)
    node = Node("fully_connected_asym", "fc", ["x", "w", "b", "gs", "go", "m", "s"], ["y"], attrs)
    want = OPTABLE["fully_connected_asym"].reference(node, y_dt, x, w, bias, gs, go, mult, shift)
    np.testing.assert_array_equal(output_of(mem, desc, y_dt, (m, n)), want)
    assert device.stats.jobs[-1].gemm.offsets


def test_requantization_edge_cases_equal_the_reference():
    """Shifts at both ends of their range, ties of the rounding, the largest multiplier."""
    from isa.npu.arith import requantize
    from quant.ops.fixed import requantize as ref
    rng = np.random.default_rng(5)
    acc = np.concatenate([rng.integers(-(1 << 31), 1 << 31, 4000), [0, 1, -1, 2 ** 31 - 1, -2 ** 31, 3, -3, 5, -5]])
    for shift in (-31, -20, -1, 0, 1, 5, 30):
        for mult in (0, 1 << 30, (1 << 31) - 1, 1518500250):
            np.testing.assert_array_equal(requantize(acc, np.int64(mult), np.int64(shift)),
                                          ref(acc, np.int64(mult), np.int64(shift)))


def _fault(device, desc) -> NpuFault:
    with pytest.raises(NpuFault) as e:
        run_job(device, desc)
    assert device.read_register(D.REG_STATUS, 4) == D.STATUS_FAULT
    assert device.read_register(D.REG_ERROR, 4) == e.value.code
    return e.value


def _job(cfg: NpuConfig = sized(8, 8), m=2, k=16, n=8, **override):
    rng = np.random.default_rng(1)
    job = random_job(rng, m, k, n, 8, "int8", "int8", k)
    mem = FlatMemory()
    return NpuDevice(cfg, mem, 8.0), load_job(mem, job, "int8", **override)


def test_a_weight_address_outside_memory_is_a_bad_address_fault():
    device, desc = _job(weights=0x9000_0000)
    f = _fault(device, desc)
    assert f.code == D.ERR_ADDRESS and f.info == 0x9000_0000
    assert "the weights (0x90000000, 128 bytes) is not in the emulated memory" in str(f)
    assert not device.stats.jobs


def test_an_output_past_the_end_of_memory_is_a_bad_address_fault():
    device, desc = _job(output=BASE + SIZE - 4)
    assert "the output (0x" in str(_fault(device, desc))


def test_a_shape_over_the_scratchpad_is_refused_with_the_fix():
    tiny = NpuConfig(8, 8, input_scratchpad=256, weight_scratchpad=4096, output_scratchpad=1024)
    device, desc = _job(tiny, m=2, k=200, n=8)  # an 8-row input tile of k = 200 bytes needs 1600 > 128
    f = _fault(device, desc)
    assert f.code == D.ERR_SCRATCHPAD
    assert re.search(r"input tile is 400 bytes, over half of the 256-byte input scratchpad .*split the job", str(f))


@pytest.mark.parametrize("override,code,text", [
    ({"magic": 0x12345678}, D.ERR_MAGIC, "not 0x314a4e49"),
    ({"flags": 3 << D.INPUT_SHIFT}, D.ERR_FLAGS, "inputs are int8 or int16"),
    ({"m": 0}, D.ERR_SHAPE, "m = 0"),
    ({"group_scale": BASE, "group_size": 5}, D.ERR_SHAPE, "group size 5 does not divide k = 16"),
    ({"act_min": 100, "act_max": 50}, D.ERR_PARAMS, "activation range"),
    ({"bias": BASE + 2}, D.ERR_ALIGN, "bias at 0x1002 is not 4-byte aligned"),
])
def test_malformed_descriptors_are_named(override, code, text):
    device, desc = _job(**override)
    f = _fault(device, desc)
    assert f.code == code and text in str(f)


def test_a_write_to_a_read_only_register_and_a_byte_access_are_faults():
    device, _ = _job()
    with pytest.raises(NpuFault, match="read-only register STATUS"):
        device.write_register(D.REG_STATUS, 4, 1)
    with pytest.raises(NpuFault, match="read of 1 bytes at offset 0x10"):
        device.read_register(D.REG_STATUS, 1)


def test_the_c_header_agrees_with_the_device():
    text = HEADER.read_text()
    defines = {k: int(v.rstrip("u"), 0)
               for k, v in re.findall(r"#define (IG_NPU_\w+) \(?(0x[0-9A-Fa-f]+u?|\d+u?)", text)}
    for name, off in {"ID": D.REG_ID, "CONFIG": D.REG_CONFIG, "DESC": D.REG_DESC, "CTRL": D.REG_CTRL,
                      "STATUS": D.REG_STATUS, "ERROR": D.REG_ERROR, "ERROR_INFO": D.REG_ERROR_INFO,
                      "JOBS": D.REG_JOBS, "CYCLES": D.REG_CYCLES}.items():
        assert defines[f"IG_NPU_REG_{name}"] == off, name
    assert defines["IG_NPU_DESC_MAGIC"] == D.DESC_MAGIC and defines["IG_NPU_ID"] == D.NPU_ID
    assert defines["IG_NPU_STATUS_DONE"] == D.STATUS_DONE and defines["IG_NPU_STATUS_FAULT"] == D.STATUS_FAULT
    for code, name in ((D.ERR_ADDRESS, "ADDRESS"), (D.ERR_SCRATCHPAD, "SCRATCHPAD"), (D.ERR_REGISTER, "REGISTER")):
        assert defines[f"IG_NPU_ERR_{name}"] == code
    assert defines["IG_NPU_BASE"] == sized(8, 8).base
    struct = re.search(r"typedef struct \{(.*?)\} ig_npu_desc_t;", text, re.S).group(1)
    fields = [f.strip() for decl in struct.split(";") if decl.strip() for f in decl.split(None, 1)[1].split(",")]
    assert tuple(fields) == D.DESC_FIELDS
