"""Accuracy attribution of the default methods (quant/accuracy_attribution.py, docs/accuracy-attribution.md): each
op family, the weights and each op family's activations replaced by their float twins (and alone integer), on a
held-out slice of Shakespeare. Writes benchmarks/results/accuracy_attribution.{json,md} and a plot per case.

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/accuracy_attribution.py --cases smollm2:w8a8 --tokens 512
    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/accuracy_attribution.py --cases minilm:w4a8 --lines 250
    PYTHONPATH=. .venv/bin/python benchmarks/accuracy_attribution.py --table-only

A case is model:config with the config's default method (quant/default_method.py; --method another) and the
model's recipe. The mixed graph (float graph + integer graph + rounded weights) is cached under .cache/attribution/,
and every unit is recorded as soon as it is measured, so an interrupted run resumes where it stopped (a unit
measured on the same slice by a run of other units is reused). A run replaces the recorded one of the same (model,
config, method, units, slice).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console  # noqa: E402

from intgap.accuracy_report import attribution_table, headline, markdown_table, plot_attribution  # noqa: E402
from quant import load_graph, save_graph  # noqa: E402
from quant.accuracy_attribution import MixedGraph, attribute_model, mixed_graph_of  # noqa: E402
from quant.recipes import load_model, recipe_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = ROOT / ".cache" / "attribution"
OUT = RESULTS / "accuracy_attribution.json"


def cached_mixed_graph(model, recipe, console: Console) -> MixedGraph:
    import numpy as np

    d = CACHE / f"{recipe_key(model.name, recipe)}"
    files = (d / "float.igraph", d / "integer.igraph", d / "rounded_weights.npz")
    if all(f.exists() for f in files):
        with np.load(files[2]) as z:
            return MixedGraph(load_graph(files[0]), load_graph(files[1]), {k: z[k] for k in z.files})
    t0 = time.time()
    with console.status(f"quantizing {model.name} {recipe.config} ({recipe.method})"):
        mg = mixed_graph_of(model, recipe)
    console.print(f"{model.name} {recipe.config}: mixed graph built in {time.time() - t0:.0f} s")
    d.mkdir(parents=True, exist_ok=True)
    save_graph(mg.fp, files[0])
    save_graph(mg.q, files[1])
    np.savez(files[2], **mg.rounded_weights)
    return mg


def recipe_key(model: str, recipe) -> str:
    return f"{model}-{recipe.config}-{recipe.method}-c{recipe.calib}x{recipe.seq_len}".replace(":", "_")


def run_key(r: dict) -> tuple:
    return (r["model"], r["config"], r["method"], r["units"], r.get("tokens"), r.get("lines"))


def load_runs() -> list[dict]:
    return json.loads(OUT.read_text())["runs"] if OUT.exists() else []


def save(runs: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"machine": machine(), "runs": runs}, indent=1) + "\n")
    write_markdown(runs)


def machine() -> str:
    return f"{os.cpu_count()}-core {platform.machine()} (shared), numpy reference interpreter"


def full_figures(r: dict) -> str:
    """The integer / FP32 figures of the full held-out set (benchmarks/results/quant_accuracy.json), if recorded."""
    path = RESULTS / "quant_accuracy.json"
    if not path.exists():
        return ""
    for q in json.loads(path.read_text())["rows"]:
        if (q["model"], q["config"], q["method"], q.get("observer")) == (r["model"], r["config"], r["method"],
                                                                         "minmax"):
            if "perplexity" in r["integer"]:
                fp, it = r["fp32"]["perplexity"], r["integer"]["perplexity"]
                return (f"Perplexity on the full held-out set ({q['tokens']:,} tokens): FP32 {q['fp32_perplexity']:.4f}, "
                        f"integer {q['int_perplexity']:.4f} ({q['relative_increase']:+.2%}); on this slice: FP32 "
                        f"{fp:.4f}, integer {it:.4f} ({it / fp - 1:+.2%}).")
            return (f"Full held-out set ({q['lines']} lines): mean cosine {q['mean_cosine']:.5f} (1 - mean cosine "
                    f"{1 - q['mean_cosine']:.5f}); this slice: 1 - mean cosine {r['integer']['cosine_loss']:.5f}.")
    return ""


def plot_name(r: dict) -> str:
    units = r["units"] if "," not in r["units"] else "selected"  # a unit list would make a long file name
    return f"accuracy_attribution_{r['model']}_{r['config']}_{units}.png".replace(":", "_")


def write_markdown(runs: list[dict]) -> None:
    out = ["# Accuracy attribution of the default methods", "",
           "Written by benchmarks/accuracy_attribution.py (units and what replacing one removes: "
           "docs/accuracy-attribution.md). Share removed: the part of the loss (integer figure minus the "
           "everything-float figure) that replacing the unit by its float twin takes away, the rest integer; share "
           "alone: the loss when only the unit is integer, the rest float, as a part of the same loss.", ""]
    for r in runs:
        out += [f"## {r['model']} {r['config']} ({r['method']}), units: {r['units']}", "",
                f"{headline(r)}. {full_figures(r)}", "",
                f"Measured {r['date']} on {r['machine']} in {r['seconds']} s "
                f"({len(r['rows'])} of {r['units_total']} units{'' if r.get('complete') else ', incomplete'}):",
                "", f"    {r['command']}", "", markdown_table(r), "", f"![{r['model']} {r['config']}]({plot_name(r)})",
                ""]
    (RESULTS / "accuracy_attribution.md").write_text("\n".join(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="smollm2:w8a8,smollm2:w4a8,minilm:w8a8,minilm:w4a8")
    ap.add_argument("--units", default="families", help="quant.accuracy_attribution.select_units")
    ap.add_argument("--method", default=None, help="the method to attribute (default: the config's default method)")
    ap.add_argument("--tokens", type=int, default=512, help="held-out tokens for decoders (windows of 256)")
    ap.add_argument("--lines", type=int, default=250, help="held-out lines for encoders")
    ap.add_argument("--table-only", action="store_true", help="rewrite the Markdown and plots from the JSON")
    args = ap.parse_args()
    console = Console(width=200)
    runs = load_runs()
    command = "PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/accuracy_attribution.py " + \
        " ".join(shlex.quote(a) for a in sys.argv[1:])
    models: dict = {}
    for case in [] if args.table_only else args.cases.split(","):
        name, config = case.split(":")
        model = models.get(name) or models.setdefault(name, load_model(name))
        recipe = recipe_for(name, config, args.method)
        mg = cached_mixed_graph(model, recipe, console)
        from quant.accuracy_attribution import select_units
        total = len(select_units(mg, args.units))
        meta = {"units": args.units, "units_total": total, "command": command, "machine": machine(),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        slice_of = {"tokens": args.tokens - 1} if name != "minilm" else {"lines": args.lines}
        key = (name, config, recipe.method, args.units, *(slice_of.get(k) for k in ("tokens", "lines")))
        same = [r for r in runs if run_key(r)[:3] + run_key(r)[4:] == key[:3] + key[4:]]  # any units
        previous = {**same[0], "rows": [x for r in same for x in r["rows"]], "seconds": 0} if same else None

        def record(res: dict, final: bool = False) -> None:
            nonlocal runs
            r = {**res, **meta, "complete": final or len(res["rows"]) == total}
            runs = [x for x in load_runs() if run_key(x) != run_key(r)] + [r]
            save(runs)

        res = attribute_model(model, recipe, args.units, n_tokens=args.tokens, n_lines=args.lines, mg=mg,
                              on_row=record, previous=previous)
        record(res, final=True)
        plot_attribution({**res, **meta}, RESULTS / plot_name({**res, **meta}))
        console.print(attribution_table(res))
    for r in runs if args.table_only else []:
        plot_attribution(r, RESULTS / plot_name(r))
    save(runs)


if __name__ == "__main__":
    main()
