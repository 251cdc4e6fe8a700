"""Accuracy per quantization method and the time each takes, measured with the reference interpreter (the integer
result itself) on held-out Shakespeare. Writes benchmarks/results/quant_accuracy.json and .csv.

    PYTHONPATH=. .venv/bin/python benchmarks/quant_accuracy.py --models minilm --lines 500
    PYTHONPATH=. .venv/bin/python benchmarks/quant_accuracy.py --models smollm2 --tokens 4096
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

from quant.errors import QuantError  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.recipes import evaluate, load_model, quantize_model  # noqa: E402

RESULTS = Path(__file__).parent / "results"
RUNS = {  # (config, method, observer)
    "minilm": [("w8a8", "rtn", "minmax"), ("w8a8", "rtn", "mse"), ("w8a8", "rtn", "percentile"),
               ("w8a8", "smoothquant", "minmax"), ("w8a8", "smoothquant", "mse"), ("w4a8", "smoothquant", "minmax")],
    "smollm2": [("w8a8", "rtn", "minmax"), ("w8a8", "smoothquant", "minmax"), ("w4a8", "smoothquant", "minmax")],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="minilm")
    ap.add_argument("--lines", type=int, default=500)
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--calib", type=int, default=64)
    ap.add_argument("--runs", default=None, help="comma list of config:method:observer to run instead")
    args = ap.parse_args()
    console = Console()
    rows = []
    out = RESULTS / "quant_accuracy.json"
    if out.exists():
        rows = [r for r in json.loads(out.read_text())["rows"] if r["model"] not in args.models.split(",")]
    for name in args.models.split(","):
        m = load_model(name)
        seq = 64 if name == "minilm" else 256
        fp32 = capture_hf(m.model, seq)
        runs = [tuple(r.split(":")) for r in args.runs.split(",")] if args.runs else RUNS[name]
        for config, method, observer in runs:
            t0 = time.time()
            try:
                q = quantize_model(m, config, method, calib=args.calib if name == "minilm" else 16, seq_len=seq,
                                   observer=observer)
            except QuantError as e:
                console.print(f"{name} {config} {method}: {e}")
                continue
            tq = time.time() - t0
            q.meta["model"] = name
            res = evaluate(q, n_lines=args.lines, n_tokens=args.tokens, model=m, fp32=fp32)
            res.update({"observer": observer, "quantize_seconds": round(tq, 1)})
            console.print(res)
            rows.append(res)
            RESULTS.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"machine": "2-core x86_64, numpy reference interpreter", "rows": rows},
                                      indent=2) + "\n")
    keys = sorted({k for r in rows for k in r})
    with open(RESULTS / "quant_accuracy.csv", "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)
    t = Table(title="accuracy per method (integer graph, reference interpreter, held-out Shakespeare)")
    for k in ("model", "config", "method", "observer", "mean_cosine", "min_cosine", "fp32_perplexity",
              "int_perplexity", "quantize_seconds", "eval_seconds"):
        t.add_column(k)
    for r in rows:
        t.add_row(*[f"{r[k]:.4f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in
                    ("model", "config", "method", "observer", "mean_cosine", "min_cosine", "fp32_perplexity",
                     "int_perplexity", "quantize_seconds", "eval_seconds")])
    console.print(t)


if __name__ == "__main__":
    main()
