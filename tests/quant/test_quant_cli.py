"""`intgap quantize` / `intgap eval` errors are one line naming the cause and the fix."""
import json
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


def test_listed_methods_are_methods_the_recipe_takes():
    from quant.config import METHODS
    from quant.recipes import canonical_method
    assert all(canonical_method(m) for m in METHODS) and len(set(METHODS)) == len(METHODS)


def _speed(model, config, method, instructions, **more):
    """A speed row as benchmarks/generation.py (decoders) or benchmarks/minilm_targets.py (encoders) records it."""
    if model == "smollm2":
        return {"model": model, "config": config, "method": method, "target": "cortex-a55",
                "decode_instructions_per_token": instructions, "matches_reference": True, **more}
    return {"target": "cortex-a55", "config": config, "method": method, "scope": "whole encoder",
            "program_instructions": instructions, "bit_exact": True, **more}


def _accuracy(model, config, method, value, observer="minmax"):
    if model == "smollm2":
        return {"model": model, "config": config, "method": method, "observer": observer, "tokens": 4095,
                "int_perplexity": value}
    return {"model": model, "config": config, "method": method, "observer": observer, "lines": 500,
            "mean_cosine": value}


def test_default_is_the_most_accurate_method_within_the_speed_goal():
    """The rule on made-up tables: a method qualifies by a speed row of its speed class (kernel and migration steps)
    within the kind's goal (decoders: instructions per decoded token under DECODER_BUDGET; encoders: at most
    ENCODER_SLOWDOWN times the plain kernels' per inference); steps that change weight values only do not count."""
    from quant.default_method import DECODER_BUDGET, ENCODER_SLOWDOWN, best_measured
    acc = [_accuracy("smollm2", "w8a8", "smoothquant+gptq", 90.0), _accuracy("smollm2", "w8a8", "rtn", 99.0),
           _accuracy("smollm2", "w8a8", "smoothquant+gptq+a16down", 88.0),     # over the budget
           _accuracy("smollm2", "w8a8", "smoothquant+a16down-top", 89.0),      # speed of another a16down-top method
           _accuracy("smollm2", "w8a8", "gptq+a16down-top", 86.0),             # no migration: another speed class
           _accuracy("smollm2", "w8a8", "smoothquant+outlier-split", 87.0),    # its speed row's tokens differ
           _accuracy("smollm2", "w8a8", "smoothquant+gptq+a16down-top", 85.0, observer="mse"),  # not the recipe's
           _accuracy("smollm2", "w4a8", "asym+gptq", 100.0), _accuracy("smollm2", "w4a8", "smoothquant+gamma", 110.0),
           _accuracy("smollm2", "mixed:6", "smoothquant+gptq", 95.0), _accuracy("smollm2", "mixed:6", "asym", 94.0),
           _accuracy("minilm", "w8a8", "smoothquant+gptq", 0.995), _accuracy("minilm", "w8a8", "a16down", 0.998),
           _accuracy("minilm", "w8a8", "outlier-split", 0.999)]
    w8, w4 = DECODER_BUDGET["w8a8"], DECODER_BUDGET["w4a8"]
    gen = [_speed("smollm2", "w8a8", "smoothquant", w8 * 0.9), _speed("smollm2", "w8a8", "rtn", w8 * 0.8),
           _speed("smollm2", "w8a8", "smoothquant+gptq+a16down", w8 * 1.1),
           _speed("smollm2", "w8a8", "smoothquant+gptq+a16down-top", w8),
           _speed("smollm2", "w8a8", "smoothquant+outlier-split", w8 * 0.95, matches_reference=False),
           _speed("smollm2", "w4a8", "asym+dynamic", w4 * 0.9), _speed("smollm2", "w4a8", "asym", w4 * 1.01),
           _speed("smollm2", "w4a8", "smoothquant+gptq+gamma", w4 * 0.9)]
    assert best_measured("decoder", acc, gen) == {"w8a8": "smoothquant+a16down-top", "w4a8": "smoothquant+gamma",
                                                  "mixed": "smoothquant+gptq"}
    gen[3]["decode_instructions_per_token"] += 1  # a16down-top just over: the plain kernels win
    assert best_measured("decoder", acc, gen)["w8a8"] == "smoothquant+gptq"
    enc = [_speed("minilm", "w8a8", "smoothquant+gptq", 1000), _speed("minilm", "w8a8", "gptq+a16down", 1000),
           _speed("minilm", "w8a8", "outlier-split", 1000 * ENCODER_SLOWDOWN + 1)]
    assert best_measured("encoder", acc, enc) == {"w8a8": "a16down"}
    enc[1]["program_instructions"] = 1000 * ENCODER_SLOWDOWN + 1
    assert best_measured("encoder", acc, enc) == {"w8a8": "smoothquant+gptq"}
    assert best_measured("encoder", acc, enc[1:]) == {}  # no plain row: no goal to meet


def test_recorded_defaults_meet_the_speed_goals():
    """The defaults the CLI takes (read from benchmarks/results) per kind: each meets its goal by a recorded speed row
    of the same kernel and migration steps, and every more accurate recorded method of the deciding model lacks one."""
    from quant.default_method import DECIDING_MODEL, DECODER_BUDGET, ENCODER_SLOWDOWN, GRAPH_STEPS, KERNEL_STEPS, \
        RESULTS, default_methods
    rows = lambda name: json.loads((RESULTS / name).read_text())["rows"]  # noqa: E731
    accuracy = rows("quant_accuracy.json")
    kernels = lambda m: set(m.split("+")) & set(KERNEL_STEPS)  # noqa: E731
    speed_class = lambda m: set(m.split("+")) & set(KERNEL_STEPS + GRAPH_STEPS)  # noqa: E731
    for kind, speed_file in (("decoder", "generation.json"), ("encoder", "minilm_targets.json")):
        speed = [r for r in rows(speed_file) if r.get("model", "minilm") == DECIDING_MODEL[kind] and
                 r["target"] == "cortex-a55" and r.get("matches_reference", r.get("bit_exact"))]
        chosen = default_methods(kind)
        assert {"w8a8", "w4a8"} <= set(chosen), (kind, chosen)
        for config in ("w8a8", "w4a8"):
            runs = [r for r in speed if r.get("config", "w8a8") == config]
            if kind == "decoder":
                cost = {r["method"]: r["decode_instructions_per_token"] for r in runs}
                limit = DECODER_BUDGET[config]
            else:
                cost = {r["method"]: r["program_instructions"] for r in runs if r["scope"] == "whole encoder"}
                limit = ENCODER_SLOWDOWN * min(v for m, v in cost.items() if not kernels(m))
            fast = lambda m: any(speed_class(k) == speed_class(m) and v <= limit for k, v in cost.items())  # noqa: E731
            assert fast(chosen[config]), (kind, config, chosen[config], cost)
            mine = [r for r in accuracy if r["model"] == DECIDING_MODEL[kind] and r["config"] == config and
                    r.get("observer") == "minmax" and (r.get("tokens", 0) >= 4095 or r.get("lines", 0) >= 500)]
            score = {r["method"]: r.get("int_perplexity") or -r["mean_cosine"] for r in mine}
            assert all(not fast(m) for m, s in score.items() if s < score[chosen[config]]), (kind, config)


def test_recipe_takes_the_default_of_the_model_kind():
    from quant.default_method import default_methods
    from quant.recipes import recipe_for
    assert recipe_for("minilm", "w4a8").method == default_methods("encoder")["w4a8"]
    assert recipe_for("smollm2", "w4a8-g64").method == default_methods("decoder", grid_measured=False)["w4a8"]
    assert recipe_for("minilm", "w8a8", "rtn").method == "rtn"


def test_a_grid_without_speed_rows_takes_a_default_without_kernel_steps():
    """w8a8-g32 / w4a8-g64: no speed row measured the grid, and a16down refuses int16 inputs that could overflow
    grouped weights' accumulator (MiniLM w8a8-g32 did): the family's most accurate method without kernel steps."""
    from quant.default_method import default_method, default_methods, kernel_steps
    for kind in ("decoder", "encoder"):
        for config in ("w8a8-g32", "w4a8-g64"):
            assert not kernel_steps(default_method(kind, config)), (kind, config)
        assert default_method(kind, "w4a8-g32") == default_methods(kind)["w4a8"]  # the measured grid
    assert default_method("encoder", "mixed:6") == default_method("decoder", "mixed:6") != "rtn"


def test_kernel_steps_say_what_they_cost():
    """docs/quantization.md states each KERNEL_STEPS step's recorded cost: the outlier split's ops have scalar C
    kernels only (when a SIMD family gains one, this fails so that the text is revisited); asymmetric groups and
    dynamic scales lower to the SIMD grouped kernels and cost what generation.json records."""
    from pathlib import Path

    import numpy as np

    from benchmarks.op_cases import _fully_connected_asym
    from codegen.op_calls import OpEnv, emit_node_calls
    from quant.default_method import KERNEL_STEPS
    # each step's measured cost: docs/quantization.md "What the kernel steps cost"
    doc = (Path(__file__).resolve().parents[2] / "docs" / "quantization.md").read_text()
    doc = doc.split("## What the kernel steps cost")[1].split("\n## ")[0]
    why = {k: " ".join(v.split()) for k, v in re.findall(r"^- `([\w-]+)`: (.*?)(?=^- `|\Z)", doc, re.M | re.S)}
    assert set(why) == set(KERNEL_STEPS)
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
    assert f"{w8['smoothquant+gptq+a16down-top'] / 1e6:.2f} M" in why["a16down-top"]


def test_missing_results_tables_are_one_error_naming_the_fix(monkeypatch, tmp_path, capsys):
    """The default method is read from benchmarks/results: without those tables a command says so (it once fell
    back to round-to-nearest silently), and --help still works."""
    import quant.default_method as dm
    monkeypatch.setattr(dm, "RESULTS", tmp_path / "results")
    dm.default_methods.cache_clear()
    try:
        with pytest.raises(QuantError, match="default quantization method is read from .* which is missing"):
            dm.default_method("decoder", "w8a8")
        assert "is missing" in dm.method_help()
        assert main(["quantize", "--model", "shakespeare-decoder", "-o", str(tmp_path / "q.igraph")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "give --method" in err
    finally:
        dm.default_methods.cache_clear()
