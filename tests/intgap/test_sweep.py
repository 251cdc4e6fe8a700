"""Sweeps and the latency-gap report: attribution sums to the measured totals, the cache skips work and returns
identical results, a local Dask cluster equals the process pool, the report files parse."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest

import isa
from intgap.attribution import CATEGORIES
from intgap.cache import Cache
from intgap.models import load_model
from intgap.plots import pareto_front
from intgap.report import gaps, macs_per_instruction, promised, write_report
from intgap.sweep import Classifier, parse_config, parse_configs
from intgap.workload import run_workload
from intgap.errors import DriverError

VOLATILE = ("built", "ran", "wall_seconds")


def _stable(runs):
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in runs]


@pytest.fixture(scope="module")
def model():
    return load_model("mlp")


@pytest.fixture(scope="module")
def sweep(model, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    cfgs = parse_configs("fp32,w8a8,w4a8,w4a8-g16")
    first = run_workload(Classifier(model), [isa.get_target("cortex-m4")], cfgs, cache_root=cache)
    return cache, cfgs, first


def test_attribution_sums_to_measured_totals(sweep):
    _, _, res = sweep
    assert len(res.runs) == 4 * 4  # 4 configs x (whole model + 3 layers)
    for r in res.runs:
        assert set(r["attribution"]) == set(CATEGORIES)
        assert sum(r["attribution"].values()) == r["instructions"] > 0
        assert r["bit_exact"]
    by = {(r["config"], r["layer"]): r for r in res.runs}
    # no FPU on cortex-m4: the FP32 baseline is mostly soft-float helpers; the integer builds call none
    assert by[("fp32", None)]["attribution"]["softfloat"] > 0.8 * by[("fp32", None)]["instructions"]
    for c in ("w8a8", "w4a8", "w4a8-g16"):
        assert by[(c, None)]["attribution"]["softfloat"] == 0
        assert by[(c, None)]["attribution"]["mac"] > 0
    assert by[("w8a8", None)]["attribution"]["unpack"] == 0 < by[("w4a8", None)]["attribution"]["unpack"]
    # int4 weights are half the bytes of int8
    assert by[("w4a8", None)]["weight_bytes"] * 2 == by[("w8a8", None)]["weight_bytes"]
    # one run, split by per-layer kernel copies: the layers and the forward step's own glue add up to the model
    for c in ("fp32", "w8a8"):
        layers = sum(by[(c, i)]["instructions"] for i in range(3))
        glue = sum(by[(c, None)]["outside_layers"].values())
        assert 0 < glue < 100 and abs(by[(c, None)]["instructions"] - layers - glue) <= 3


def test_repeated_sweep_builds_nothing_and_is_identical(sweep, model):
    cache, cfgs, first = sweep
    assert first.stats.builds == 4 and first.stats.executed_runs == 4
    again = run_workload(Classifier(model), [isa.get_target("cortex-m4")], cfgs, cache_root=cache)
    assert again.stats.builds == 0 and again.stats.executed_runs == 0 and again.stats.quantized == 0
    assert _stable(again.runs) == _stable(first.runs)


def test_interrupted_entry_is_not_taken_as_valid(tmp_path):
    c = Cache(tmp_path)
    tmp = c.begin("builds", "ab" * 32)
    (tmp / "program.elf").write_bytes(b"half")  # the writer died here: no commit
    assert c.get("builds", "ab" * 32) is None
    final = c.path("builds", "ab" * 32)
    final.mkdir(parents=True)  # even a directory in the final place without its mark is not an entry
    assert c.get("builds", "ab" * 32) is None
    tmp2 = c.begin("builds", "ab" * 32)
    (tmp2 / "program.elf").write_bytes(b"whole")
    c.commit("builds", "ab" * 32, tmp2, {})
    assert (c.get("builds", "ab" * 32) / "program.elf").read_bytes() == b"whole"


def test_process_pool_and_dask_cluster_equal_serial(model, tmp_path):
    distributed = pytest.importorskip("distributed")
    targets = [isa.get_target("cortex-m4"), isa.get_target("rv32imc")]
    cfgs = parse_configs("fp32,w8a8")
    serial = run_workload(Classifier(model, False), targets, cfgs, cache_root=tmp_path / "a")
    pool = run_workload(Classifier(model, False), targets, cfgs, cache_root=tmp_path / "b", jobs=2)
    assert pool.stats.builds == 4 and "process pool" in pool.stats.where
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        dask = run_workload(Classifier(model, False), targets, cfgs, cache_root=tmp_path / "c", client=client)
    assert dask.stats.builds == 4 and dask.stats.where.startswith("dask")
    assert _stable(serial.runs) == _stable(pool.runs) == _stable(dask.runs)


def test_unreachable_scheduler_is_a_driver_error(model, tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(DriverError, match="Dask scheduler"):
        run_workload(Classifier(model, False), [isa.get_target("rv32imc")], parse_configs("fp32"),
                     cache_root=tmp_path, scheduler="tcp://127.0.0.1:1", scheduler_timeout=1)


def test_report_files_parse(sweep, tmp_path):
    _, _, res = sweep
    doc = write_report(res, tmp_path)
    back = json.loads((tmp_path / "results.json").read_text())
    assert back["summary"] == json.loads(json.dumps(doc["summary"]))
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert len(rows) == len(res.runs)
    for r in rows:
        assert sum(int(r[f"attr_{c}"]) for c in CATEGORIES) == int(r["instructions"])
        assert r["layer_kind"] == ("" if r["layer"] == "" else "fully connected")
    md = (tmp_path / "report.md").read_text()
    assert "| cortex-m4 | w4a8 |" in md and "est. cycles (intgap cortex-m4 model" in md
    assert "| cortex-m4 | [fp32](layers_cortex-m4_fp32.png) |" in md and "![pareto.png](pareto.png)" in md
    assert doc["plots"][-2:] == ["speedup.png", "pareto.png"] and len(doc["plots"]) == 4 + 2
    for p in ("layers_cortex-m4_fp32.png", "layers_cortex-m4_w4a8-g16.png", "speedup.png", "pareto.png"):
        assert (tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    g = {(x["config"], x["layer"]): x for x in gaps(res)}
    x = g[("w8a8", None)]
    assert x["promised_memory"] == 4 and x["promised_compute"] == 2  # SMLAD: 2 MACs vs 1 on paper for FP32
    assert x["realized_instructions"] == x["fp32_instructions"] / x["instructions"]
    assert x["gap_memory"] == pytest.approx(4 / x["realized_cycles"])


def test_promise_table():
    assert macs_per_instruction(isa.get_target("cortex-a55"), 8) == 16  # sdot
    assert macs_per_instruction(isa.get_target("cortex-a53"), 8) == 8
    assert promised(isa.get_target("rv64gc"), 8) == (4, 0.5)  # no integer MAC on scalar RISC-V
    assert promised(isa.get_target("rv64gcv-vlen256"), 4) == (8, 4)
    assert pareto_front([(10, 0.9), (5, 0.95), (7, 0.97), (20, 0.99), (30, 0.98)]) == [1, 2, 3]


def test_config_parsing():
    assert parse_config("w4a8-g32").group_size == 32 and parse_config("W8A8").weight_bits == 8
    assert [c.name for c in parse_configs("w4a8")] == ["fp32", "w4a8"]
    with pytest.raises(DriverError, match="unknown config"):
        parse_config("w3a8")


def test_fp32_with_an_fpu_has_one_mac_instruction_per_mac(model, tmp_path):
    # scalar FP32 kernels do one fused multiply-add per MAC: the attribution's MAC count must be the model's MACs
    res = run_workload(Classifier(model, False), [isa.get_target("cortex-m4f"), isa.get_target("rv64gc")],
                       parse_configs("fp32"), cache_root=tmp_path)
    for r in res.runs:
        assert r["attribution"]["mac"] == r["macs"] == 64 * 64 + 64 * 32 + 32 * 10
        assert r["attribution"]["softfloat"] == 0
