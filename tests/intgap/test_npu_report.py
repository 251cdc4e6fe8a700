"""The NPU in the reports (intgap/npu_report.py): a sweep's rows carry the NPU's cycles next to the core's, the
op names of the CPU-side kernels, Amdahl's bound."""
import pytest

import isa
from intgap.models import load_model
from intgap.npu_report import amdahl, op_of
from intgap.sweep import Classifier, parse_configs
from intgap.workload import run_workload


def _npu_sweep(tmp_path, configs: str):
    import torch
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(40, 24), torch.nn.ReLU(), torch.nn.Linear(24, 6))
    torch.export.save(torch.export.export(m, (torch.zeros(1, 40),)), tmp_path / "mlp.pt2")
    return run_workload(Classifier(load_model(str(tmp_path / "mlp.pt2"))), [isa.get_target("rv32imc-npu")],
                        parse_configs(configs), cache_root=tmp_path / "cache")


def test_a_sweep_on_an_npu_target_adds_the_npu_cycles_per_row(tmp_path):
    res = _npu_sweep(tmp_path, "w8a8")
    by = {r["layer"]: r for r in res.runs}
    whole = by[None]
    assert whole["bit_exact"] and whole["npu_array"] == "16x16 OS"
    fc = [i for i in by if i is not None and by[i]["layer_name"] and by[i]["npu_cycles"]]
    assert fc and sum(by[i]["npu_cycles"] for i in fc) == whole["npu_cycles"] > 0
    for r in res.runs:
        assert r["estimated_cycles"] == r["cpu_estimated_cycles"] + r["npu_cycles"]
    assert 0 < whole["cpu_share"] < 1 and 0 < whole["npu_utilization"] < 1
    assert all(0 < by[i]["npu_utilization"] < 1 and by[i]["on_npu"] for i in fc)


def test_the_bench_report_says_cpu_vs_npu_cycles_and_amdahls_bound(tmp_path):
    """report.md, results.csv and results.json of `intgap bench` on an NPU target: per layer CPU and NPU cycles
    and utilisation, realized speedup over FP32 and Amdahl's bound (the NPU at 0 cycles), in the console too."""
    import csv
    import json

    from intgap.npu_report import console_lines
    from intgap.report import kind_of, write_report
    res = _npu_sweep(tmp_path, "fp32,w8a8")
    doc = write_report(res, tmp_path / "report", plots=False)
    whole = next(x for x in doc["npu"] if x["layer"] is None)
    fp32 = next(r for r in res.runs if r["config"] == "fp32" and r["layer"] is None)
    assert whole["npu_array"] == "16x16 OS" and whole["npu_cycles"] > 0
    assert whole["npu_realized_cycles"] == pytest.approx(fp32["estimated_cycles"] / whole["estimated_cycles"])
    assert whole["npu_amdahl_bound"] == pytest.approx(fp32["estimated_cycles"] / whole["cpu_estimated_cycles"])
    assert whole["npu_amdahl_bound"] > whole["npu_realized_cycles"] > 1
    assert json.loads((tmp_path / "report" / "results.json").read_text())["npu"] == doc["npu"]
    rows = [r for r in csv.DictReader(open(tmp_path / "report" / "results.csv")) if r["config"] == "w8a8"]
    assert all(float(r["npu_cycles"]) > 0 for r in rows if r["layer"] and r["on_npu"] == "True")
    assert {r["on_npu"] for r in rows if r["layer"]} == {"True"}
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## The NPU: CPU vs NPU cycles, Amdahl's bound" in md
    cells = f"| {whole['cpu_estimated_cycles']:,.0f} | {whole['npu_cycles']:,.0f} |"
    assert f"| rv32imc-npu | w8a8 | 16x16 OS {cells}" in md
    line, = console_lines(doc["npu"], kind_of)
    assert line.startswith("NPU 16x16 OS on rv32imc-npu w8a8: CPU ") and "Amdahl's bound" in line


def test_bench_gap_rows_by_hand():
    from intgap.npu_report import bench_gap_rows
    runs = [{"target": "t", "config": "fp32", "layer": None, "layer_name": "", "estimated_cycles": 1000,
             "cpu_estimated_cycles": 1000, "npu_cycles": 0},
            {"target": "t", "config": "w8a8", "layer": None, "layer_name": "", "estimated_cycles": 250,
             "cpu_estimated_cycles": 100, "npu_cycles": 150, "npu_array": "8x8 OS", "npu_utilization": 0.5}]
    row, = bench_gap_rows(runs)
    assert (row["npu_realized_cycles"], row["npu_amdahl_bound"], row["cpu_share"]) == (4.0, 10.0, 0.4)
    assert bench_gap_rows([dict(r, config="w4a8") for r in runs[1:]])[0]["npu_amdahl_bound"] is None  # no FP32


def test_kernel_functions_are_named_by_their_op():
    assert [op_of(f) for f in ("ig_rmsnorm_s8_s8__L3", "ig_softmax_s16_s8", "ig_matmul_qk_s8_s16__L7",
                               "ig_fc_grouped_s8w4_to_s16", "ig_layer_4_model_norm", "ig_npu_fc__L2", "memcpy",
                               "ig_dyn_quantize_s16")] == \
        ["rmsnorm", "softmax", "matmul_qk", "fc", "layer glue", "npu driver", "other", "dyn_quantize"]


def test_amdahls_bound_by_hand():
    a = amdahl(cpu_only_total=1000, cpu_only_offloaded=800, cpu_total=150, npu_total=100)
    assert a["amdahl_bound"] == pytest.approx(5.0) and a["realized"] == pytest.approx(4.0)
    assert a["offloaded_share"] == 0.8 and a["cpu_share"] == pytest.approx(0.6)


def test_generate_fields_add_the_npu_to_the_cores_cycles():
    from types import SimpleNamespace

    from intgap.npu_report import add_generate_fields, console_text
    from isa.npu.cycles import Gemm, JobCycles
    from isa.npu.device import NpuJob, NpuStats
    t = isa.get_target("rv32imc-npu-8x8")

    def stats(*cycles):
        jobs = [NpuJob(i % 2, Gemm(1, 64, 32), JobCycles("m", "8x8", "os", c, c // 2, c // 2, c // 2, 1, 2048, 0.1,
                                                          10, 2, 4.0)) for i, c in enumerate(cycles)]
        return SimpleNamespace(npu=NpuStats(t.extra["npu"], 4.0, jobs))
    doc = {"prefill_est_cycles_per_token": 1000.0, "decode_est_cycles_per_token": 800.0, "clock_mhz": 160.0}
    add_generate_fields(doc, t, stats(300, 300), stats(300, 300, 200, 200, 200, 200), 3, 2)
    assert doc["prefill_npu_cycles_per_token"] == 300 and doc["prefill_est_cycles_per_token"] == 1300
    assert doc["decode_npu_cycles_per_token"] == 400 and doc["decode_est_cycles_per_token"] == 1200
    assert doc["decode_cpu_share"] == pytest.approx(800 / 1200) and doc["est_tokens_per_second"] == 160e6 / 1200
    assert doc["decode_npu_utilization"] == pytest.approx(2 * 2048 / (64 * 400))
    assert console_text(doc).startswith("NPU 8x8 OS (64 MACs/cycle, intgap npu model v1): 2 layers offloaded; "
                                        "prefill 300 NPU + 1,000 CPU cycles / token; decode 400 NPU + 800 CPU")
