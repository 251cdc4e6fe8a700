"""Accuracy per quantization method and the time each takes, measured with the reference interpreter (the integer
result itself) on held-out Shakespeare. Writes benchmarks/results/quant_accuracy.json and .csv.

    PYTHONPATH=. .venv/bin/python benchmarks/quant_accuracy.py --models minilm --lines 500
    PYTHONPATH=. .venv/bin/python benchmarks/quant_accuracy.py --models smollm2 --tokens 4096
    PYTHONPATH=. .venv/bin/python benchmarks/quant_accuracy.py --models smollm2 --runs w4a8:smoothquant+gptq:minmax

Methods are quant/recipes.py's ('+' chains: smoothquant | smooth-search | awq, then asym (each int4 group's own
min/max grid), then rtn | gptq | qat, then outlier-split and/or dynamic (per-token scales where they win) or
dynamic-all (on every input), then a16down (int16 down projection inputs), then gamma); configs w8a8, w4a8 (groups
of 32), mixed:<mean weight bits>. MiniLM calibrates on its recipe's lines (quant/model_registry.py, 256; rows say
`calib`) and is evaluated on 500 held-out lines. SmolLM2 calibrates on 16 sequences of 256 tokens from the plays
that are not held out, and is evaluated on the first 4,096 tokens of the held-out plays in windows of 256. A run
replaces the recorded row of the same (model, config, method, observer); the FP32 perplexity of the same tokens is
reused.
A run with the model's own recipe (minmax observer, the registry's calibration) takes its graph from the driver's
cache (intgap/sequence_models.py), so `benchmarks/generation.py` with the same method runs the very graph measured
here without quantizing it again (quantize_seconds is then the time the cached graph took to make).
quant/default_method.py reads these rows: the CLI's default method per model kind and config is the most accurate
within the kind's speed goal.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from intgap.quant_commands import add_engine_argument  # noqa: E402
from quant import jit  # noqa: E402
from quant.errors import QuantError  # noqa: E402
from intgap.sequence_models import quantized_model  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.model_registry import calibration_of  # noqa: E402
from quant.recipes import evaluate, load_model, quantize_model  # noqa: E402

RESULTS = Path(__file__).parent / "results"
RUNS = {  # (config, method, observer)
    "minilm": [("w8a8", "rtn", "minmax"), ("w8a8", "rtn", "mse"), ("w8a8", "rtn", "percentile"),
               ("w8a8", "smoothquant", "minmax"), ("w8a8", "smoothquant", "mse"), ("w8a8", "awq", "minmax"),
               ("w8a8", "gamma", "minmax"), ("w8a8", "gptq", "minmax"), ("w8a8", "smoothquant+gptq", "minmax"),
               ("w8a8", "outlier-split", "minmax"), ("w8a8", "dynamic", "minmax"),
               ("w8a8", "gptq+outlier-split+dynamic", "minmax"), ("w8a8", "smoothquant+gptq+a16down", "minmax"),
               ("w4a8", "smoothquant", "minmax"), ("w4a8", "awq", "minmax"), ("w4a8", "smoothquant+gptq", "minmax"),
               ("w4a8", "asym+gptq", "minmax"), ("w4a8", "asym+gptq+outlier-split+dynamic", "minmax"),
               ("w4a8", "asym+gptq+dynamic", "minmax"), ("w4a8", "smoothquant+asym+gptq+dynamic", "minmax"),
               ("w4a8", "asym+gptq+act-order+outlier-split+dynamic", "minmax")],
    "smollm2": [("w8a8", "rtn", "minmax"), ("w8a8", "smoothquant", "minmax"), ("w8a8", "smoothquant+gptq", "minmax"),
                ("w8a8", "outlier-split", "minmax"), ("w8a8", "dynamic", "minmax"),
                ("w8a8", "gptq+outlier-split+dynamic", "minmax"), ("w8a8", "smoothquant+gptq+a16down", "minmax"),
                ("w8a8", "smoothquant+gptq+a16down-top", "minmax"), ("w8a8", "smooth-search+gptq+a16down-top", "minmax"),
                ("w8a8", "smoothquant+gptq+act-order+a16down-top", "minmax"),
                ("w8a8", "smoothquant+gptq+dynamic-all+a16down-top", "minmax"),
                ("w8a8", "smoothquant+gptq+dynamic-all+a16down", "minmax"),
                ("w4a8", "smoothquant", "minmax"), ("w4a8", "awq", "minmax"), ("w4a8", "smoothquant+gptq", "minmax"),
                ("w4a8", "smoothquant+gptq+gamma", "minmax"), ("w4a8", "asym+gptq+dynamic", "minmax"),
                ("w4a8", "asym+gptq+outlier-split", "minmax"), ("w4a8", "asym+gptq+outlier-split+dynamic", "minmax"),
                ("mixed:6", "smoothquant+gptq", "minmax")],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="minilm")
    ap.add_argument("--lines", type=int, default=500)
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--calib", type=int, default=None, help="MiniLM's calibration lines (default: its recipe's)")
    ap.add_argument("--runs", default=None, help="comma list of config:method:observer to run instead")
    ap.add_argument("--table-only", action="store_true", help="rewrite the CSV and print the table from the JSON")
    add_engine_argument(ap)
    args = ap.parse_args()
    jit.set_default(args.engine)
    console = Console(width=220)
    rows = []
    out = RESULTS / "quant_accuracy.json"
    if out.exists():
        rows = json.loads(out.read_text())["rows"]
    for name in [] if args.table_only else args.models.split(","):
        m = load_model(name)
        seq = 64 if name == "minilm" else 256
        fp32 = capture_hf(m.model, seq)
        if name != "minilm":  # the FP32 perplexity of the same tokens is already recorded: reuse it
            from quant.accuracy import fp32_once, tokenize_text
            from quant.hf_models import shakespeare_text
            ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), args.tokens)
            old = [r for r in rows if r["model"] == name and r.get("tokens") == len(ids) - 1 and r.get("window") == 256]
            if old:
                fp32_once(fp32, (len(ids), 256, int(ids.sum())), lambda: {
                    "perplexity": old[0]["fp32_perplexity"], "tokens": len(ids) - 1, "window": 256})
        runs = [tuple(r.rsplit(":", 2)) for r in args.runs.split(",")] if args.runs else RUNS[name]
        for config, method, observer in runs:  # a new measurement replaces the old one of the same run
            rows = [r for r in rows if (r["model"], r["config"], r["method"], r.get("observer")) !=
                    (name, config, method, observer)]
            t0 = time.time()
            calib = args.calib if name == "minilm" and args.calib else calibration_of(name)[0]
            try:
                if observer == "minmax" and (calib, seq) == calibration_of(name):  # the recipe's graph, cached
                    q = quantized_model(name, config, method).graph
                else:
                    q = quantize_model(m, config, method, calib=calib, seq_len=seq, observer=observer)
            except QuantError as e:
                console.print(f"{name} {config} {method}: {e}")
                continue
            tq = q.meta.get("quantize_seconds", time.time() - t0)
            q.meta["model"] = name
            res = evaluate(q, n_lines=args.lines, n_tokens=args.tokens, model=m, fp32=fp32)
            res.update({"observer": observer, "quantize_seconds": round(tq, 1), "calib": calib})
            console.print(res)
            rows.append(res)
            RESULTS.mkdir(parents=True, exist_ok=True)
            key = lambda r: (r["model"], r["config"], r["method"], r.get("observer"))  # noqa: E731
            if out.exists():  # keep rows another run wrote meanwhile
                mine = {key(r) for r in rows}
                rows = [r for r in json.loads(out.read_text())["rows"] if key(r) not in mine] + rows
            out.write_text(json.dumps({"machine": "2-core x86_64, numpy reference interpreter", "rows": rows},
                                      indent=2) + "\n")
    keys = sorted({k for r in rows for k in r})
    with open(RESULTS / "quant_accuracy.csv", "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)
    t = Table(title="accuracy per method (integer graph, reference interpreter, held-out Shakespeare)")
    cols = ("model", "config", "method", "observer", "lines", "tokens", "mean_cosine", "min_cosine",
            "fp32_perplexity", "int_perplexity", "relative_increase", "quantize_seconds", "eval_seconds")
    for k in cols:
        t.add_column(k)
    for r in rows:
        t.add_row(*[f"{r[k]:.4f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in cols])
    console.print(t)


if __name__ == "__main__":
    main()
