"""The weight-side levers of SmolLM2's default W8A8 (smoothquant+gptq+a16down-top) that keep its kernels, each
measured on the 4,095 held-out tokens: GPTQ's damping, the calibration tokens of GPTQ's Hessian, the whole
calibration's size, the head's rounding (docs/quantization.md "GPTQ's settings and the calibration size"). A lever
is applied to one quantization (benchmarks/gptq_lever_patches.py), never to the recipe, so the rows here do not feed the default
rule; benchmarks/results/gptq_levers.{json,md}.

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/gptq_levers.py --levers hessian:64,damp:0.1
    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/gptq_levers.py --levers float:weights --graph \
        .cache/attribution/smollm2-w8a8-smoothquant+gptq+a16down-top-c16x256/integer.igraph
    PYTHONPATH=. .venv/bin/python benchmarks/gptq_levers.py --table-only

float:UNIT is a bound rather than a lever: the recipe's graph with the unit's weights in float (the rest integer,
quant/accuracy_attribution.py's MixedGraph on the attribution benchmark's cached graphs).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from benchmarks.gptq_lever_patches import applied, check_levers  # noqa: E402
from quant import load_graph  # noqa: E402
from quant.accuracy import perplexity, tokenize_text, window_log_probs  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.hf_models import shakespeare_text  # noqa: E402
from quant.recipes import load_model, quantize_model, recipe_for  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "gptq_levers.json"
WINDOW = 256
MACHINE = f"{os.cpu_count()}-core x86_64 (shared), numpy reference interpreter"


def held_out(m, seq_len: int, n_tokens: int):
    """graph -> its perplexity on the first n_tokens held-out tokens (windows of 256, as quant_accuracy.py), FP32's,
    the increase, and the mean KL divergence of its next-token distributions from FP32's (nats per token)."""
    fp32 = capture_hf(m.model, seq_len)
    ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), n_tokens)
    ref = [logp.astype(np.float32) for _, logp in window_log_probs(fp32, ids, WINDOW)]
    base = perplexity(fp32, ids, WINDOW)["perplexity"]

    def measure(q) -> dict:
        r = perplexity(q, ids, WINDOW, reference=ref)
        return {"tokens": len(ids) - 1, "int_perplexity": r["perplexity"], "fp32_perplexity": base,
                "relative_increase": r["perplexity"] / base - 1, "kl_divergence": r["kl_divergence"]}
    return measure


def float_weights_forward(graph: str, unit: str):
    """The forward pass of the attribution cache's mixed graph (the folder of `graph`) with everything integer
    except the weights of `unit` (quant.accuracy_attribution.select_units, e.g. weights, weights:logits; '+' joins
    units): what the recipe would give with those weights not rounded at all."""
    from quant.accuracy_attribution import MixedGraph, Unit, removed, select_units
    from quant.hf_capture import sequence_inputs
    d = Path(graph).parent
    with np.load(d / "rounded_weights.npz") as z:
        mg = MixedGraph(load_graph(d / "float.igraph"), load_graph(d / "integer.igraph"), {k: z[k] for k in z.files})
    units = select_units(mg, unit.replace("+", ","))
    if any(u.nodes or u.tensors for u in units):
        sys.exit(f"float:{unit} names more than weights: use weights units (weights, weights:logits, ...)")
    mix = removed(mg, Unit(unit, "weights", weights=frozenset().union(*(u.weights for u in units))))
    return lambda ids: mg.run(sequence_inputs(ids), mix)


def load_rows() -> list[dict]:
    return json.loads(OUT.read_text())["rows"] if OUT.exists() else []


def write(rows: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"machine": MACHINE, "rows": rows}, indent=1) + "\n")
    out = ["# GPTQ and calibration levers of SmolLM2's default W8A8", "",
           "Written by benchmarks/gptq_levers.py (levers: benchmarks/gptq_lever_patches.py). Perplexity on the first 4,096 "
           "held-out tokens (4,095 predicted, windows of 256), and the mean KL divergence of the next-token "
           "distributions from FP32's on the same tokens; `none` is the recipe as it is (its perplexity is "
           "quant_accuracy.json's).", "",
           "| model | config | method | lever | perplexity | FP32 | increase | KL from FP32 (nats/token) | quantize s | "
           "date | load |", "|---|---|---|---|--:|--:|--:|--:|--:|---|---|"]
    for r in rows:
        out.append(f"| {r['model']} | {r['config']} | {r['method']} | {r['lever']} | {r['int_perplexity']:.4f} | "
                   f"{r['fp32_perplexity']:.4f} | {r['relative_increase']:+.2%} | {r['kl_divergence']:.4f} | "
                   f"{r['quantize_seconds']} | "
                   f"{r['date']} | {r['load']} |")
    out += ["", "Commands:", ""] + sorted({f"    {r['command']}" for r in rows}) + [""]
    (RESULTS / "gptq_levers.md").write_text("\n".join(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--config", default="w8a8")
    ap.add_argument("--method", default="smoothquant+gptq+a16down-top")
    ap.add_argument("--levers", default="none", help="comma list (benchmarks/gptq_lever_patches.py LEVERS), each its own run")
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--graph", help="lever none: this graph file (the recipe's, e.g. the attribution cache's) "
                                    "instead of quantizing again")
    ap.add_argument("--table-only", action="store_true")
    args = ap.parse_args()
    levers = [x.strip() for x in args.levers.split(",") if x.strip()]
    check_levers([x for x in levers if not x.startswith("float:")])
    if any(x.startswith("float:") for x in levers) and not args.graph:
        sys.exit("float:UNIT needs --graph: the integer.igraph of an attribution cache folder (.cache/attribution/)")
    command = "PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/gptq_levers.py " + \
        " ".join(shlex.quote(a) for a in sys.argv[1:])
    m = None if args.table_only else load_model(args.model)
    measure = None
    for lever in [] if args.table_only else levers:
        t0 = time.time()
        if lever.startswith("float:"):  # a bound, not a lever: the recipe's graph with these weights in float
            q = float_weights_forward(args.graph, lever[6:])
        elif lever == "none" and args.graph:  # the recipe's own graph, made earlier
            q = load_graph(args.graph)
            if q.meta.get("method", args.method) != args.method or not q.is_integer:
                sys.exit(f"{args.graph} is not a {args.method} integer graph: give the recipe's")
        else:
            with applied(lever, m):
                q = quantize_model(m, args.config, args.method)
        tq = time.time() - t0
        measure = measure or held_out(m, recipe_for(args.model, args.config, args.method).seq_len, args.tokens)
        res = {"model": args.model, "config": args.config, "method": args.method, "lever": lever, **measure(q),
               "quantize_seconds": round(tq, 1), "command": command, "machine": MACHINE,
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
        print(json.dumps({k: res[k] for k in ("lever", "int_perplexity", "relative_increase", "kl_divergence",
                                              "quantize_seconds")}), flush=True)
        key = lambda r: (r["model"], r["config"], r["method"], r["lever"])  # noqa: E731
        write([r for r in load_rows() if key(r) != key(res)] + [res])
    if args.table_only:
        write(load_rows())


if __name__ == "__main__":
    main()
