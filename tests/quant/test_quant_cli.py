"""`intgap quantize` / `intgap eval` errors are one line naming the cause and the fix."""
import pytest

from intgap.cli import main
from quant import QuantError
from quant.recipes import parse_config


def test_unknown_model_is_one_line_error(capsys, tmp_path):
    assert main(["quantize", "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "m.igraph")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("intgap: error: unknown model") and "\n" not in err


def test_eval_missing_file(capsys, tmp_path):
    assert main(["eval", str(tmp_path / "missing.igraph")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_configs():
    assert parse_config("w8a8").weight_bits == 8
    c = parse_config("w4a8g64")
    assert (c.weight_bits, c.group_size) == (4, 64)
    assert parse_config("mixed:6").mixed_budget == 6.0
    with pytest.raises(QuantError, match="outside the supported widths"):
        parse_config("mixed:9")
    with pytest.raises(QuantError, match="needs a bit budget"):
        parse_config("mixed:lots")
    with pytest.raises(QuantError, match="unknown config"):
        parse_config("w2a2")


def test_cli_method_choices_are_the_recipes_methods():
    from intgap.quant_commands import METHODS as CLI_METHODS
    from quant.recipes import METHODS
    assert CLI_METHODS == METHODS


def test_default_methods_are_the_best_measured():
    """BEST_METHOD must agree with the recorded benchmark (benchmarks/results/quant_accuracy.json)."""
    import json
    from pathlib import Path

    from quant.recipes import BEST_METHOD, best_measured
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "quant_accuracy.json"
    if not path.exists():
        pytest.skip("no recorded accuracy benchmark")
    rows = json.loads(path.read_text())["rows"]
    for config, method in best_measured(rows).items():
        assert BEST_METHOD[config] == method, config


def test_scalar_kernel_steps_are_the_ones_without_simd_kernels():
    """The default method skips SCALAR_KERNEL_STEPS because their ops have only scalar C kernels; when a SIMD
    family gains one, this fails so that the exclusion (and the default method) is revisited."""
    from pathlib import Path

    from quant.recipes import SCALAR_KERNEL_STEPS
    assert set(SCALAR_KERNEL_STEPS) == {"asym", "outlier-split", "dynamic"}
    kernels = Path(__file__).resolve().parents[2] / "runtime_c" / "kernels"
    provided = " ".join(p.read_text() for fam in ("neon", "rvv", "armdsp") for p in (kernels / fam).glob("*.c"))
    for fn in ("ig_fc_asym", "ig_fc_dynamic", "ig_channel_gather"):
        assert (kernels / "scalar" / f"{fn}.c").exists()
        assert fn not in provided, fn
