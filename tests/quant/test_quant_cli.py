"""`intgap quantize` / `intgap eval` errors are one line naming the cause and the fix."""
import re

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


def test_cli_method_choices_are_methods_the_recipe_takes():
    from intgap.quant_commands import METHODS
    from quant.recipes import canonical_method
    assert all(canonical_method(m) for m in METHODS) and len(set(METHODS)) == len(METHODS)


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


def test_non_default_steps_say_why():
    """The default method leaves out NON_DEFAULT_STEPS: the outlier split because its ops have scalar C kernels only
    (when a SIMD family gains one, this fails so that the exclusion is revisited); asymmetric groups and dynamic
    scales because of their measured cost, while their layers lower to the SIMD grouped kernels."""
    from pathlib import Path

    import numpy as np

    from benchmarks.op_cases import _fully_connected_asym
    from codegen.op_calls import OpEnv, emit_node_calls
    from quant.recipes import NON_DEFAULT_STEPS
    assert set(NON_DEFAULT_STEPS) == {"asym", "outlier-split", "dynamic", "a16down"}
    # each step's measured cost: docs/quantization.md "Steps left out of the default methods"
    doc = (Path(__file__).resolve().parents[2] / "docs" / "quantization.md").read_text()
    doc = doc.split("## Steps left out of the default methods")[1].split("\n## ")[0]
    why = {k: " ".join(v.split()) for k, v in re.findall(r"^- `([\w-]+)`: (.*?)(?=^- `|\Z)", doc, re.M | re.S)}
    assert set(why) == set(NON_DEFAULT_STEPS)
    # a16down's stated costs are the recorded ones (benchmarks/results/a16down_cost.md, cortex-a55)
    cost = (Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "a16down_cost.md").read_text()
    row = [line for line in cost.splitlines() if line.startswith("| cortex-a55 |")][-1]  # the latest table
    diffs = re.findall(r"\(([+-][\d,]+)\)", row)  # the split's and ig_fc_s16's differences from the int8 layer
    assert len(diffs) == 2 and all(d in why["a16down"] for d in diffs), (row, diffs)
    kernels = Path(__file__).resolve().parents[2] / "runtime_c" / "kernels"
    provided = " ".join(p.read_text() for fam in ("neon", "rvv", "armdsp") for p in (kernels / fam).glob("*.c"))
    for fn in ("ig_channel_gather", "ig_fc_grouped_s16"):
        assert (kernels / "scalar" / f"{fn}.c").exists()
        assert fn not in provided, fn
    g, _ = _fully_connected_asym(np.random.default_rng(0), 64, 8, "int8", "int8", 4, 32, 1)
    _, calls = emit_node_calls(g, g.nodes[0], OpEnv(buf=lambda t, r: t, const=lambda k, a, c: "c", family="rvv"))
    assert ("ig_fc_grouped_s8w4", kernels / "rvv" / "ig_fc_grouped_s8w4.c") in calls
    # the cost it states is the recorded one (benchmarks/results/generation.json)
    import json
    rows = json.loads((kernels.parents[1] / "benchmarks" / "results" / "generation.json").read_text())["rows"]
    per_token = {r["method"]: r["decode_instructions_per_token"] for r in rows
                 if (r["model"], r["config"], r["target"]) == ("smollm2", "w4a8", "cortex-a55")}
    for method in ("smoothquant+asym+gptq+gamma", "smoothquant+gptq+gamma"):
        assert f"{per_token[method] / 1e6:.1f} M" in why["asym"], method
    from codegen.op_calls_quant import dynamic_on_grouped
    from benchmarks.op_cases import _fully_connected_dynamic
    g, _ = _fully_connected_dynamic(np.random.default_rng(0), 64, 8, "int16", "int8", 4, 32, 1, 1 << 30)
    assert dynamic_on_grouped(g, g.nodes[0])
    for method in ("asym+dynamic", "asym+gptq+dynamic"):
        assert f"{per_token[method] / 1e6:.1f} M" in why["dynamic"], method
    w8 = {r["method"]: r["decode_instructions_per_token"] for r in rows
          if (r["model"], r["config"], r["target"]) == ("smollm2", "w8a8", "cortex-a55")}
    for method in ("smoothquant+gptq+outlier-split", "smoothquant+gptq"):
        assert f"{w8[method] / 1e6:.1f} M" in why["outlier-split"], method
    for method in ("smoothquant+gptq+a16down", "smoothquant+gptq"):
        assert f"{w8[method] / 1e6:.1f} M" in why["a16down"], method
