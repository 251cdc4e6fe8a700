"""Which integer treatment of the FFN's hidden activation (the down projections' input, quant/transformer_ptq.py
ffn_hidden) recovers most of the W8A8 loss (issue 20 item 2): static int8 (the default), per-token dynamic int8
(fully_connected_dynamic on those tensors only) and static int16 (the a16down step), on one recipe's GPTQ weights
(built once), KL from FP32 and perplexity on a held-out slice. Appends to benchmarks/results/down_input_variants.md.

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/down_input_variants.py --model smollm2 --tokens 256
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from quant import transformer_ptq  # noqa: E402
from quant.accuracy import perplexity_and_kl, tokenize_text, window_log_probs  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.hf_models import shakespeare_text  # noqa: E402
from quant.recipes import load_model, method_graph, recipe_for  # noqa: E402

OUT = Path(__file__).parent / "results" / "down_input_variants.md"


def lowered(g, cal, cfg, variant: str):
    cfg = copy.copy(cfg)
    hidden = transformer_ptq.ffn_hidden(g)
    if variant == "int16":
        cfg.a16down = True
        return transformer_ptq.lower(g, cal, cfg)
    if variant == "dynamic":  # per-token int8 on the FFN hidden tensors only
        cfg.dynamic = True
        with mock.patch.object(transformer_ptq, "dynamic_wins", lambda cal_, name, gain: name in hidden):
            return transformer_ptq.lower(g, cal, cfg)
    return transformer_ptq.lower(g, cal, cfg)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--method", default="smoothquant+gptq")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--variants", default="int8,int16,dynamic")
    args = ap.parse_args()
    t0 = time.time()
    m = load_model(args.model)
    recipe = recipe_for(args.model, "w8a8", args.method)
    g, cal, cfg = method_graph(m, recipe)
    ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), args.tokens)
    fp32 = capture_hf(m.model, recipe.seq_len)
    ref = [logp.astype("float32") for _, logp in window_log_probs(fp32, ids)]
    base = perplexity_and_kl(fp32, ref, ids)
    rows = [("FP32", base)]
    for v in args.variants.split(","):
        rows.append((v, perplexity_and_kl(lowered(g, cal, cfg, v), ref, ids)))
        print(v, rows[-1][1], flush=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {args.model} w8a8 ({args.method}), first {len(ids) - 1} held-out tokens, window 256\n",
             f"Measured {when} on {os.cpu_count()}-core {platform.machine()} (shared), numpy reference interpreter, "
             f"{time.time() - t0:.0f} s:\n",
             f"    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/down_input_variants.py --model {args.model} "
             f"--method {args.method} --tokens {args.tokens} --variants {args.variants}\n",
             "| FFN hidden activation | KL from FP32 (nats/token) | perplexity |", "|---|--:|--:|"]
    lines += [f"| {name} | {r['kl_divergence']:.4g} | {r['perplexity']:.4f} |" for name, r in rows]
    if not OUT.exists():
        OUT.write_text("# The down projections' input: int8, per-token int8 or int16\n\nWritten by "
                       "benchmarks/down_input_variants.py (see its header).\n")
    with OUT.open("a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
