"""Attention matmuls on the NPU: the driver's jobs (runtime_c/npu/ig_npu.c ig_npu_matmul_qk / _pv: the key / value
cache as strided or k-major weights with their own zero point, per-tensor requantization, grouped KV heads) equal
quant/ops/attention.py bit for bit under Unicorn; the descriptor's new fields are checked; the cycle model prices
attention's GEMMs at decode and at prefill."""
from __future__ import annotations

import numpy as np
import pytest

import isa
from isa.npu import descriptor as D
from isa.npu.config import NpuConfig, sized
from isa.npu.cycles import Gemm, job_cycles
from isa.npu.descriptor import Descriptor
from isa.npu.device import NpuDevice
from quant.ir import Node
from quant.ops.attention import matmul_pv, matmul_qk
from tests.isa.test_npu_device import BASE, SIZE, FlatMemory, _fault, run_job
from tests.isa.test_npu_targets import NPU_TARGETS, _c_array, build

_CT = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}
_NP = {"int8": "<i1", "int16": "<i2", "int32": "<i4"}
_OUT = {"int8": 0, "int16": 256, "int32": 512}

# heads, kv_heads, head_dim, t (rows of this call), s (cached rows), probabilities' dtype, output dtype
CASES = [(4, 2, 8, 1, 9, "int8", "int8"), (6, 3, 5, 3, 7, "int16", "int16"), (3, 1, 12, 1, 1, "int8", "int32"),
         (2, 2, 16, 4, 11, "int16", "int8"), (8, 2, 4, 2, 5, "int8", "int16")]


def random_attention(rng, heads, kv_heads, hd, t, s, p_dt, y_dt):
    q = rng.integers(-128, 128, (t, heads * hd)).astype(np.int8)
    k = rng.integers(-128, 128, (s, kv_heads * hd)).astype(np.int8)
    v = rng.integers(-128, 128, (s, kv_heads * hd)).astype(np.int8)
    p = (rng.integers(-128, 128, (heads, t, s)) if p_dt == "int8" else rng.integers(0, 4000, (heads, t, s)))
    info = np.iinfo(_NP[y_dt])
    common = {"heads": heads, "kv_heads": kv_heads, "head_dim": hd, "act_min": int(info.min) + 1,
              "act_max": int(info.max)}
    qk = {**common, "q_zero_point": int(rng.integers(-9, 9)), "k_zero_point": int(rng.integers(-9, 9)),
          "y_zero_point": int(rng.integers(-5, 5)), "multiplier": int(rng.integers(1 << 30, 1 << 31)),
          "shift": int(rng.integers(-12, -4))}
    pv = {**common, "p_zero_point": -128 if p_dt == "int8" else 0, "v_zero_point": int(rng.integers(-9, 9)),
          "y_zero_point": int(rng.integers(-5, 5)), "multiplier": int(rng.integers(1 << 30, 1 << 31)),
          "shift": int(rng.integers(-14, -6))}
    return q, k, v, p.astype(_NP[p_dt]), qk, pv


def _args(a: dict, first: str, second: str) -> str:
    return ", ".join(str(a[x]) for x in ("heads", "kv_heads", "head_dim", f"{first}_zero_point",
                                         f"{second}_zero_point", "multiplier", "shift", "y_zero_point", "act_min",
                                         "act_max"))


def attention_program(cases) -> str:
    """One program running every case's matmul_qk and matmul_pv through the driver, writing status and outputs."""
    lines = ['#include <stdint.h>', '#include "ig_platform.h"', '#include "ig_npu.h"']
    body = ["int main(void) {", "  int32_t e;"]
    for i, ((q, k, v, p, qk, pv), (h, _, hd, t, s, p_dt, y_dt)) in enumerate(cases):
        lines += [_c_array(f"q{i}", "int8_t", q), _c_array(f"k{i}", "int8_t", k), _c_array(f"v{i}", "int8_t", v),
                  _c_array(f"p{i}", _CT[p_dt], p),
                  f"static {_CT[y_dt]} s{i}[{h * t * s}] __attribute__((aligned(16)));",
                  f"static {_CT[y_dt]} o{i}[{t * h * hd}] __attribute__((aligned(16)));"]
        body += [f"  e = ig_npu_matmul_qk(q{i}, k{i}, {t}, {s}, {_args(qk, 'q', 'k')}, {_OUT[y_dt]}u, {10 + i}, s{i});",
                 "  ig_write_hex(&e, sizeof e);", f"  ig_write_hex(s{i}, sizeof s{i});",
                 f"  e = ig_npu_matmul_pv(p{i}, v{i}, {t}, {s}, {_args(pv, 'p', 'v')}, "
                 f"{_OUT[y_dt] | (16 if p_dt == 'int16' else 0)}u, {20 + i}, o{i});",
                 "  ig_write_hex(&e, sizeof e);", f"  ig_write_hex(o{i}, sizeof o{i});"]
    return "\n".join(lines + body + ["  return 0;", "}", ""])


@pytest.mark.parametrize("target", NPU_TARGETS)
def test_the_driver_runs_attention_bit_exactly_with_the_kv_cache_as_weights(tmp_path, target):
    rng = np.random.default_rng(18)
    cases = [(random_attention(rng, *c), c) for c in CASES]
    r = isa.run(build(tmp_path, attention_program(cases), target), target, max_instructions=20_000_000,
                timeout_s=120)
    words = r.stdout.decode().split()
    assert len(words) == 4 * len(cases)
    for i, ((q, k, v, p, qk, pv), (h, hkv, hd, t, s, p_dt, y_dt)) in enumerate(cases):
        st_qk, scores, st_pv, out = words[4 * i:4 * i + 4]
        assert int(st_qk, 16) == 0 and int(st_pv, 16) == 0
        want_s = matmul_qk(Node("matmul_qk", "qk", ["q", "k"], ["s"], qk), y_dt, q, k)
        want_o = matmul_pv(Node("matmul_pv", "pv", ["p", "v"], ["o"], pv), y_dt, p, v)
        np.testing.assert_array_equal(np.frombuffer(bytes.fromhex(scores), _NP[y_dt]).reshape(h, t, s), want_s)
        np.testing.assert_array_equal(np.frombuffer(bytes.fromhex(out), _NP[y_dt]).reshape(t, h * hd), want_o)
        # decode (t = 1): one job per KV head (its group's query vectors are adjacent); else one per query head
        jobs = [j for j in r.npu.jobs if j.tag == 10 + i]
        assert len(jobs) == (hkv if t == 1 else h)
        assert {(j.gemm.m, j.gemm.k, j.gemm.n, j.gemm.param_bytes) for j in jobs} == \
            {(h // hkv if t == 1 else t, hd, s, 0)}
        assert sum(j.gemm.macs for j in r.npu.jobs if j.tag == 20 + i) == h * t * s * hd


def _strided_job(mem: FlatMemory, rng, transposed: bool, **override):
    """x [3, 5] against a weight block stored with a stride of 9 (rows, or columns when transposed), a weight zero
    point and per-tensor requantization; returns (descriptor address, expected output)."""
    m, k, n, stride = 3, 5, 4, 9
    x = rng.integers(-128, 128, (m, k)).astype(np.int8)
    store = rng.integers(-128, 128, (k if transposed else n, stride)).astype(np.int8)
    w = store[:, :n].T if transposed else store[:, :k]
    xz, wz, bias, mult, shift, yz = 3, -7, 100, 1518500250, -9, 2
    acc = (x.astype(np.int64) - xz) @ (w.astype(np.int64) - wz).T + bias
    from quant.ops.fixed import requantize
    want = np.clip(requantize(acc, mult, shift) + yz, -128, 127).astype(np.int8)
    fields = dict(magic=D.DESC_MAGIC, flags=D.FLAG_RQ_SCALAR | (D.FLAG_WT if transposed else 0), m=m, k=k, n=n,
                  input=mem.put(x), weights=mem.put(store), bias=bias, multiplier=mult, shift=shift & 0xFFFFFFFF,
                  group_scale=0, group_size=k, x_zero_point=xz, y_zero_point=yz, act_min=-128, act_max=127,
                  output=mem.put(bytes(m * n)), tag=1, x_stride=0, y_stride=0, w_stride=stride, w_zero_point=wz)
    fields.update(override)
    return mem.put(Descriptor(**fields).pack()), want


@pytest.mark.parametrize("transposed", [False, True])
def test_strided_and_k_major_weights_with_a_zero_point(transposed):
    mem = FlatMemory()
    device = NpuDevice(sized(4, 4), mem, 8.0)
    desc, want = _strided_job(mem, np.random.default_rng(3), transposed)
    run_job(device, desc)
    d = Descriptor.unpack(mem.read(desc, D.DESC_BYTES))
    got = np.frombuffer(mem.read(d.output, want.size), np.int8).reshape(want.shape)
    np.testing.assert_array_equal(got, want)
    assert device.stats.jobs[-1].gemm.param_bytes == 0


@pytest.mark.parametrize("override,code,text", [
    ({"w_stride": 4}, D.ERR_SHAPE, "weight stride 4: int8 weights only, and at least a stored row (5 = k)"),
    ({"flags": D.FLAG_WT | D.FLAG_W4}, D.ERR_FLAGS, "weights int8 (rows or columns) or int4 rows"),
    ({"w_zero_point": 200}, D.ERR_PARAMS, "weight zero point 200"),
    ({"multiplier": 0x9000_0000}, D.ERR_PARAMS, "a multiplier is negative"),
    ({"weights": BASE + SIZE - 20}, D.ERR_ADDRESS, "the weights (0x"),
])
def test_malformed_attention_descriptors_are_named(override, code, text):
    mem = FlatMemory()
    device = NpuDevice(sized(4, 4), mem, 8.0)
    desc, _ = _strided_job(mem, np.random.default_rng(3), False, **override)
    f = _fault(device, desc)
    assert f.code == code and text in str(f)


def test_a_context_over_the_scratchpad_is_refused_and_stays_on_the_cpu():
    """matmul_pv's K is the context: a value cache longer than half a weight column's scratchpad does not fit."""
    from codegen.npu_attention import why_not
    from quant.ir import Graph, TensorInfo
    tiny = NpuConfig(4, 4, input_scratchpad=4096, weight_scratchpad=1024)
    g = Graph("a", ["p", "v"], ["o"], {t: TensorInfo(t, sh, "int8") for t, sh in
                                       (("p", (2, 1, 64)), ("v", (64, 8)), ("o", (1, 16)))}, {}, [])
    n = Node("matmul_pv", "pv", ["p", "v"], ["o"], {"heads": 2, "kv_heads": 1, "head_dim": 8})
    assert why_not(g, n, tiny, 1, 128) == ""  # 4 value columns of 128 cached rows: 512 bytes, half of 1024
    assert "weight tile is 516 bytes, over half of the 1024-byte weight scratchpad" in why_not(g, n, tiny, 1, 129)


def test_attention_gemms_by_hand():
    """A decode step's matmul_qk on a 4x4 output-stationary array at 1 byte per cycle: a KV group of 2 query
    vectors (m = 2, k = head_dim = 8) against s = 6 cached keys: 2 column folds of 2*4 + 4 + 8 - 2 = 18 cycles; fold 0
    loads the 2 query rows (16 B) and 4 key rows (32 B, no per-channel parameters), fold 1 the other 2 keys (16 B);
    each stores its scores (8 B, 4 B). At prefill (m = 8 rows of one head) the row folds double."""
    cfg = NpuConfig(4, 4, "os", setup_cycles=16)
    j = job_cycles(Gemm(2, 8, 6, param_bytes=0), cfg, 1.0)
    assert (j.folds, j.compute_cycles) == (2, 36)
    assert j.cycles == 16 + 92 + 48 + max(18, 16) + max(18, 8) + 4 == 196
    assert (j.bytes_read, j.bytes_written) == (92 + 64, 12)
    pre = job_cycles(Gemm(8, 8, 6, param_bytes=0), cfg, 1.0)
    assert (pre.folds, pre.compute_cycles) == (4, 72)
    pv = job_cycles(Gemm(2, 6, 8, in_bytes=2, param_bytes=0), cfg, 1.0)  # int16 probabilities: T = 2 * s
    assert pv.compute_cycles == 2 * (2 * 4 + 4 + 12 - 2)
