"""`intgap bench` end to end through the CLI entry point, and its one-line errors."""
import json

import pytest

from intgap.cli import main


def test_bench_writes_json_table(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = main(["bench", "--model", "mlp", "--targets", "cortex-m4,rv64gcv", "--workdir", str(tmp_path / "w"),
               "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert [r["target"] for r in doc["targets"]] == ["cortex-m4", "rv64gcv"]
    for r in doc["targets"]:
        assert r["bit_exact"] is True
        assert r["int8_instructions"] > 0 and r["fp32_instructions"] > 0
        assert abs(r["realized_speedup"] - r["fp32_instructions"] / r["int8_instructions"]) < 1e-9
        assert r["int8_weight_bytes"] < r["fp32_weight_bytes"]
    assert doc["accuracy"]["int8_accuracy"] >= doc["accuracy"]["fp32_accuracy"] - 0.01
    assert "cortex-m4" in capsys.readouterr().out


def test_unknown_target_is_one_line_error(capsys):
    rc = main(["bench", "--targets", "cortex-z9"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "unknown target 'cortex-z9'" in err and "cortex-m4" in err


def test_unicorn_cannot_run_rvv_is_refused_before_running(capsys, tmp_path):
    rc = main(["bench", "--targets", "rv64gcv", "--backend", "unicorn", "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot run target rv64gcv" in err and "--backend qemu" in err
    assert not any(tmp_path.iterdir())  # refused before anything was built


def test_missing_model_file_is_one_line_error(capsys, tmp_path):
    rc = main(["bench", "--model", str(tmp_path / "nope.pt"), "--targets", "cortex-m4"])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_bench_writes_report_folder(tmp_path, capsys):
    out = tmp_path / "rep"
    rc = main(["bench", "--targets", "rv32imc", "--configs", "w8a8,w4a8", "-o", str(out), "--no-layers",
               "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    doc = json.loads((out / "results.json").read_text())
    assert [(r["target"], r["config"]) for r in doc["summary"]] == [("rv32imc", "fp32"), ("rv32imc", "w8a8"),
                                                                     ("rv32imc", "w4a8")]
    assert doc["sweep"]["builds"] == 3
    for name in ("report.md", "results.csv", "speedup.png", "pareto.png"):
        assert (out / name).stat().st_size > 0
    text = capsys.readouterr().out
    assert "rv32imc" in text and "est. cycles" in text
    rc = main(["bench", "--targets", "rv32imc", "--configs", "w8a8,w4a8", "-o", str(out), "--no-layers",
               "--cache-dir", str(tmp_path / "cache"), "--no-plots"])
    assert rc == 0 and json.loads((out / "results.json").read_text())["sweep"]["builds"] == 0


def test_bad_config_and_jobs_are_one_line_errors(capsys):
    assert main(["bench", "--configs", "w2a8"]) == 2
    assert "unknown config 'w2a8'" in capsys.readouterr().err
    assert main(["bench", "--targets", "rv32imc", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_bench_through_a_dask_scheduler_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        rc = main(["bench", "--targets", "rv32imc", "--configs", "w8a8", "-o", str(tmp_path / "rep"), "--no-layers",
                   "--no-plots", "--cache-dir", str(tmp_path / "cache"), "--scheduler", cluster.scheduler_address])
    assert rc == 0
    doc = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert doc["sweep"]["where"].startswith("dask") and doc["sweep"]["builds"] == 2
