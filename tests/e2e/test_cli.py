"""`intgap bench` end to end through the CLI entry point, and its one-line errors."""
import json

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
