"""The NPU targets under Unicorn: a C program drives the device through runtime_c/npu/ig_npu.c and gets the
reference's bytes; faults and QEMU are refused with one clear error."""
from __future__ import annotations

import numpy as np
import pytest

import isa
from codegen.packing import pack_fc_weights
from isa.errors import EmulatorFault, UnsupportedBackend
from isa.npu.config import npu_of
from isa.targets import TARGETS, get_target
from tests.isa.test_npu_device import random_job, reference

RUNTIME_NPU = __import__("pathlib").Path(__file__).resolve().parents[2] / "runtime_c" / "npu"
NPU_TARGETS = ["cortex-m55-npu", "rv32imc-npu"]


def _c_array(name: str, ctype: str, values) -> str:
    vals = ", ".join(str(int(v)) for v in np.asarray(values).reshape(-1))
    return f"static const {ctype} {name}[] __attribute__((aligned(16))) = {{{vals}}};"


def job_program(job, y_dt: str, *, weights_at: str | None = None) -> str:
    """A program that runs `job` on the NPU and writes its status and output bytes as hex."""
    x, w, bias, gs, mult, shift, a = job
    m, k = x.shape
    n = w.shape[0]
    per_channel = a["group_size"] == k and np.all(gs == 1)
    ytype = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}[y_dt]
    flags = (1 if a["weight_bits"] == 4 else 0) | (16 if x.dtype == np.int16 else 0) | \
        {"int8": 0, "int16": 256, "int32": 512}[y_dt]
    return "\n".join([
        '#include <stdint.h>', '#include "ig_platform.h"', '#include "ig_npu.h"',
        _c_array("x_", "int16_t" if x.dtype == np.int16 else "int8_t", x),
        _c_array("w_", "int8_t", pack_fc_weights(w, a["weight_bits"], "scalar")),
        _c_array("b_", "int32_t", bias), _c_array("g_", "int32_t", gs), _c_array("m_", "int32_t", mult),
        _c_array("s_", "int32_t", shift), f"static {ytype} y_[{m * n}] __attribute__((aligned(16)));",
        "int main(void) {",
        f"  int32_t e = ig_npu_fc(x_, {m}, {k}, {n}, {flags}u, {weights_at or 'w_'}, b_, "
        f"{'0' if per_channel else 'g_'}, 0, {a['group_size']}, m_, s_, {a['x_zero_point']}, {a['y_zero_point']}, "
        f"{a['act_min']}, {a['act_max']}, 3, y_);",
        "  ig_write_hex(&e, sizeof e);", "  ig_write_hex(y_, sizeof y_);", "  return 0;", "}", ""])


def build(tmp_path, source: str, target: str):
    import toolchain
    from toolchain.errors import CompilerNotFound
    src = tmp_path / "npu_job.c"
    src.write_text(source)
    elf = tmp_path / f"npu_job-{target}.elf"
    try:
        toolchain.build_elf([src, RUNTIME_NPU / "ig_npu.c"], get_target(target), elf, include_dirs=(RUNTIME_NPU,))
    except CompilerNotFound as e:
        pytest.skip(str(e))
    return elf


@pytest.mark.parametrize("target", NPU_TARGETS)
@pytest.mark.parametrize("case", [(3, 40, 17, 4, "int8", "int8", 8), (2, 24, 9, 8, "int16", "int32", 24)])
def test_a_c_program_drives_the_npu_bit_exactly(tmp_path, target, case):
    m, k, n, bits, x_dt, y_dt, gsz = case
    job = random_job(np.random.default_rng(11), m, k, n, bits, x_dt, y_dt, gsz)
    r = isa.run(build(tmp_path, job_program(job, y_dt), target), target, max_instructions=10_000_000, timeout_s=60)
    status, out = r.stdout.decode().split()
    assert int(status, 16) == 0
    y = np.frombuffer(bytes.fromhex(out), {"int8": "<i1", "int16": "<i2", "int32": "<i4"}[y_dt]).reshape(m, n)
    np.testing.assert_array_equal(y, reference(*job, y_dt))
    s = r.npu
    assert len(s.jobs) == 1 and s.jobs[0].tag == 3 and s.jobs[0].gemm.macs == m * k * n
    assert s.config == npu_of(get_target(target)) and s.cycles == s.jobs[0].timing.cycles > 0


def test_a_bad_address_in_a_job_is_an_npu_fault(tmp_path):
    job = random_job(np.random.default_rng(2), 2, 16, 8, 8, "int8", "int8", 16)
    elf = build(tmp_path, job_program(job, "int8", weights_at="(const int8_t *)0x70000000u"), "rv32imc-npu")
    with pytest.raises(EmulatorFault, match=r"program fault: NPU fault at pc=0x[0-9a-f]+ in \S+: "
                                            r"write of the NPU at 0x48102000: bad address: the weights \(0x70000000, "
                                            r"128 bytes\) is not in the emulated memory \(ERROR = 4"):
        isa.run(elf, "rv32imc-npu", max_instructions=10_000_000, timeout_s=60)


def test_qemu_is_refused_on_npu_targets_before_running():
    for name in [t for t in TARGETS if "-npu" in t]:
        assert TARGETS[name].backends == ("unicorn",) and npu_of(TARGETS[name]) is not None
        with pytest.raises(UnsupportedBackend, match=rf"backend qemu cannot run target {name} \(.*NPU.*Unicorn only\):"
                                                     r" use --backend unicorn"):
            isa.run_check_backend(TARGETS[name], "qemu")


def test_array_variants_and_boards():
    from isa.boards import board_for
    from isa.npu.cycles import dma_bandwidth
    sizes = {n: npu_of(TARGETS[n]).macs_per_cycle for n in TARGETS if "-npu" in n}
    assert sizes == {"cortex-m55-npu": 256, "cortex-m55-npu-8x8": 64, "cortex-m55-npu-32x32": 1024,
                     "rv32imc-npu": 256, "rv32imc-npu-8x8": 64, "rv32imc-npu-32x32": 1024}
    assert "8x8 integer NPU (64 MACs/cycle)" in TARGETS["rv32imc-npu-8x8"].description
    t = get_target("cortex-m55-npu-32x32")
    assert dma_bandwidth(npu_of(t), board_for(t), t) == 8.0
    t = get_target("rv32imc-npu")
    assert dma_bandwidth(npu_of(t), board_for(t), t) == 4.0 and t.timing_model == "rv32imc"
    assert get_target("cortex-m55-npu").timing_model == "cortex-m55"


def test_intgap_run_adds_the_npu_cycles_to_the_cores(tmp_path):
    from intgap.npu_report import run_text
    from intgap.run_command import run_and_profile
    job = random_job(np.random.default_rng(4), 4, 64, 48, 8, "int8", "int8", 64)
    doc = run_and_profile(build(tmp_path, job_program(job, "int8"), "cortex-m55-npu"), "cortex-m55-npu")
    assert doc["npu"]["jobs"] == 1 and doc["npu"]["per_tag"]["3"]["macs"] == 4 * 64 * 48
    assert doc["cpu_cycles"] == doc["cycles"]["estimated_cycles"]
    assert doc["total_est_cycles"] == doc["cpu_cycles"] + doc["npu_cycles"] and 0 < doc["cpu_share"] < 1
    assert run_text(doc).startswith("NPU 16x16 OS (intgap npu model v1): 1 jobs, ")
