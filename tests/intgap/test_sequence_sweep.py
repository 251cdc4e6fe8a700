"""The decoder sweep on the bundled model: one decode step per target and config, per layer from per-layer kernel
copies; the layers and the shared helpers add up to the whole step, the categories to the instructions, integer
runs reproduce the reference's greedy tokens, and a repeated sweep is served from the cache."""
import pytest

import isa
from intgap.result_rows import layer_of, role_of
from intgap.sequence_sweep import Decoder
from intgap.sweep import parse_configs
from intgap.workload import run_workload


def small_decoder() -> Decoder:
    return Decoder("shakespeare-decoder", eval_tokens=300, steps=2, prompt_text="ROMEO:")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    from quant.errors import QuantError
    from quant.hf_models import load_shakespeare_decoder
    try:
        load_shakespeare_decoder()
    except QuantError as e:
        pytest.skip(str(e))
    root = tmp_path_factory.mktemp("seqcache")
    targets = [isa.get_target("cortex-a55"), isa.get_target("cortex-m4")]
    res = run_workload(small_decoder(), targets, parse_configs("fp32,w8a8"), cache_root=root)
    return res, root, targets


def test_whole_step_and_layers(sweep):
    res, _, _ = sweep
    whole = [r for r in res.runs if r["layer"] is None]
    assert len(whole) == 4 and all(r["bit_exact"] for r in whole)
    for w in whole:
        assert w["instructions"] > 0 and sum(w["attribution"].values()) == pytest.approx(w["instructions"], abs=8)
        layers = [r for r in res.runs if r["layer"] is not None and r["target"] == w["target"]
                  and r["config"] == w["config"]]
        # every instruction of the step is in exactly one layer, or outside them: the step's own glue
        total = sum(r["instructions"] for r in layers)
        outside = w["outside_layers"]
        assert total + sum(outside.values()) == pytest.approx(w["instructions"], abs=len(layers) + len(outside))
        glue = {"ig_model_forward"} | {f"ig_argmax_{t}" for t in ("s8", "s16", "s32", "f32")}
        # library helpers reached without a direct call from a layer (tail calls, the FP32 argmax's float
        # compares) and code without a symbol stay outside too
        assert all(f in glue or f.startswith("__") or f == "(no symbol)" for f in outside), outside
        assert sum(outside.values()) < 0.1 * w["instructions"]
    fp32_m = next(r for r in whole if r["target"] == "cortex-m4" and r["config"] == "fp32")
    assert fp32_m["softfloat_helper_instructions"] > 0.5 * fp32_m["instructions"]  # no FPU: soft-float


def test_accuracy_is_perplexity_next_to_fp32(sweep):
    res, _, _ = sweep
    c = {x["config"]: x for x in res.configs}
    assert c["fp32"]["perplexity"] == pytest.approx(c["w8a8"]["fp32_perplexity"])
    assert 1.0 < c["w8a8"]["perplexity"] < 1.1 * c["fp32"]["perplexity"]


def test_repeated_sweep_is_served_from_the_cache(sweep):
    res, root, targets = sweep
    again = run_workload(small_decoder(), targets, parse_configs("fp32,w8a8"), cache_root=root)
    assert again.stats.builds == 0 and again.stats.executed_runs == 0
    assert [r["instructions"] for r in again.runs] == [r["instructions"] for r in res.runs]


def test_report_sums_layers_by_kind_and_lists_every_layer(sweep, tmp_path):
    import csv

    from intgap.report import write_report
    res, _, _ = sweep
    write_report(res, tmp_path)
    md = (tmp_path / "report.md").read_text()
    kinds = md.split("## Per layer kind")[1].split("\n## ")[0]
    for t in ("cortex-a55", "cortex-m4"):
        for c in ("fp32", "w8a8"):
            assert (tmp_path / f"layers_{t}_{c}.png").read_bytes()[:4] == b"\x89PNG"
            for k, n in (("embedding", 1), ("norms", 9), ("attention projections", 16), ("attention core", 20),
                         ("MLP", 20), ("residual adds", 8), ("head", 1)):
                assert f"| {t} | {c} | {k} | {n} |" in kinds
    every = md.split("## Every layer")[1].split("\n## ")[0]
    layers = [r for r in res.runs if r["layer"] is not None]
    assert len(layers) == 4 * 75 and every.count("\n| cortex-") == len(layers)
    assert "| cortex-m4 | w8a8 | 74 | logits | head |" in every
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["layer_kind"] for r in rows if r["layer"]} == {"embedding", "norms", "attention projections",
                                                             "attention core", "MLP", "residual adds", "head"}


def test_layer_and_role_names():
    assert layer_of("ig_fc_s8__L12") == 12 and layer_of("ig_layer_3_layers_0_mlp") == 3
    assert layer_of("fc_s8.constprop.0__L7") == 7 and layer_of("__aeabi_fmul") is None
    assert role_of("layers.11.mlp.up_proj") == "layers.*.mlp.up_proj" and role_of("logits") == "logits"


def test_process_pool_and_dask_cluster_give_the_serial_results(sweep):
    """The same runs, executed again (graphs from the cache) in a process pool and on a local Dask cluster."""
    import shutil
    distributed = pytest.importorskip("distributed")
    res, root, targets = sweep
    stable = lambda runs: [(r["target"], r["config"], r["layer"], r["instructions"], r["estimated_cycles"],  # noqa
                            r["tokens"]) for r in runs]
    for how in ("pool", "dask"):
        for kind in ("runs", "builds"):
            shutil.rmtree(root / kind, ignore_errors=True)
        kw = {"jobs": 2} if how == "pool" else {}
        if how == "dask":
            with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                          dashboard_address=None) as cluster, distributed.Client(cluster) as client:
                again = run_workload(small_decoder(), targets,
                                     parse_configs("fp32,w8a8"), cache_root=root, client=client)
            assert again.stats.where.startswith("dask")
        else:
            again = run_workload(small_decoder(), targets,
                                 parse_configs("fp32,w8a8"), cache_root=root, **kw)
            assert "process pool" in again.stats.where
        assert again.stats.builds == 4
        assert stable(again.runs) == stable(res.runs)


@pytest.mark.parametrize("target_name, board", [("cortex-a55", "rk3566"), ("cortex-m4", "stm32f407")])
def test_estimate_is_the_shipped_builds_and_instructions_the_copies(sweep, tmp_path, target_name, board):
    """The sweep's memory-aware figures are those of the program as it ships (one copy of each kernel, built and run
    here on its own), exactly; its instructions are the per-layer copies build's, which executes the same count."""
    import math

    from codegen.program import GENERATE_HARNESS_FUNCTIONS
    from intgap.cache import Cache
    from intgap.generate_command import decode_limit
    from intgap.pipeline import build_program, run_generate
    from intgap.sequence_sweep import Decoder
    from isa.timing import estimate
    from isa.timing.memory import step_difference
    from quant import load_graph
    res, root, _ = sweep
    d = small_decoder()
    w8a8 = next(c for c in parse_configs("w8a8") if c.name == "w8a8")
    graph = load_graph(d.quantize(w8a8, Cache(root)).graph_path)
    target = isa.get_target(target_name)
    shipped = build_program(graph, target, tmp_path / "shipped", mode="generate", max_tokens=len(d.prompt),
                            context=len(d.prompt) + 2)
    runs = [run_generate(shipped, target, d.prompt, n, board=board, strict_fit=False)[1] for n in (1, 3)]
    e1, e3 = (estimate(r, shipped.elf, target, board=board) for r in runs)
    step = step_difference(e1, e3, 2)
    whole = next(r for r in res.runs if r["layer"] is None and r["target"] == target_name and r["config"] == "w8a8")
    assert whole["board"] == board and whole["cycle_model"] == e3.heading
    own = [f for f in step.per_function if f not in GENERATE_HARNESS_FUNCTIONS]
    assert whole["estimated_cycles"] == round(math.fsum(step.per_function[f] for f in own))
    assert whole["memory_stall_cycles"] == round(math.fsum(step.per_function_memory_stalls.get(f, 0) for f in own))
    assert whole["memory_stall_cycles"] > 0 and whole["limiting_level"] == decode_limit(e1, e3, step)
    assert whole["prefill_estimated_cycles"] == e1.cycles
    assert whole["program_instructions"] == whole["shipped_program_instructions"] == runs[1].instructions
    # the layers (and the glue outside them) still add up to the step: cycles are divided, not re-estimated
    layers = [r for r in res.runs if r["layer"] is not None and r["target"] == target_name and r["config"] == "w8a8"]
    assert sum(r["estimated_cycles"] for r in layers) <= whole["estimated_cycles"]
    assert sum(r["estimated_cycles"] for r in layers) > 0.9 * whole["estimated_cycles"]
    assert sum(r["memory_stall_cycles"] for r in layers) <= whole["memory_stall_cycles"] + len(layers)


def test_shared_cycles_are_spread_over_the_copies_in_proportion():
    from intgap.sequence_sweep import shared_name, spread_over_copies
    assert shared_name("ig_fc_s8__L12") == "ig_fc_s8" and shared_name("fc.constprop.0__L7") == "fc.constprop.0"
    assert shared_name("ig_layer_3_x") == "ig_layer_3_x"
    names = {"ig_fc__L1", "ig_fc__L2", "ig_layer_1_a", "ig_silu__L3"}
    out = spread_over_copies({"ig_fc": 90.0, "ig_layer_1_a": 5.0, "ig_silu": 7.0, "memcpy": 2.0}, names,
                             {"ig_fc__L1": 1.0, "ig_fc__L2": 2.0}, {"ig_silu__L3": 0.0})
    assert out == {"ig_fc__L1": 30.0, "ig_fc__L2": 60.0, "ig_layer_1_a": 5.0, "ig_silu__L3": 7.0, "memcpy": 2.0}
    even = spread_over_copies({"ig_fc": 10.0}, {"ig_fc__L1", "ig_fc__L2"}, {})  # no weight: equal parts
    assert even == {"ig_fc__L1": 5.0, "ig_fc__L2": 5.0}
