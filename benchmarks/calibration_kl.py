"""Calibration-side KL of SmolLM2 W8A8 migration variants with a16down-top: how smooth-search's settings were picked
without reading the held-out text (docs/quantization.md "SmoothQuant's strength per layer (`smooth-search`)").

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/calibration_kl.py alpha:0.8 alpha:0.7 search:1.0:4 search:0.7:4
    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/calibration_kl.py --held alpha:0.8:gptq unmigrated16:0.8:gptq

The KL divergence (nats/token) from FP32's next-token distribution on the 2,048 tokens of the calibration plays that
follow the 4,096 the calibration reads (windows of 256), JIT engine; with --held also the perplexity and the KL on
the 4,095 held-out tokens (benchmarks/quant_accuracy.py's). Variants: alpha:A (SmoothQuant at A on every tensor),
unmigrated16:A (the same, but the down projections that a16down-top makes int16 keep their weights unmigrated),
search:CAP:GAIN (smooth-search with its alphas up to CAP and WEIGHT_GAIN = GAIN); add :gptq to round with GPTQ
(RTN otherwise)."""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

import quant.smooth_search as search  # noqa: E402
from quant import jit  # noqa: E402
from quant.a16down_choice import choose_a16down  # noqa: E402
from quant.accuracy import perplexity, tokenize_text, window_log_probs  # noqa: E402
from quant.gptq import gptq_overrides  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.hf_models import shakespeare_text  # noqa: E402
from quant.methods import input_channel_absmax, smooth_scales, smoothquant  # noqa: E402
from quant.observers import calibrate, fc_inputs  # noqa: E402
from quant.recipes import calibration_feeds, load_model, parse_config  # noqa: E402
from quant.transformer_ptq import ffn_hidden, lower  # noqa: E402

CALIB_TOKENS, KL_TOKENS, HELD_TOKENS, WINDOW = 4096, 2048, 4096, 256


def kl_of(variant: str, g0, cal0, feeds, ids, refs, held=None) -> str:
    kind, *args = variant.split(":")
    gptq = "gptq" in args
    args = [a for a in args if a != "gptq"]
    if kind == "alpha":
        g = smoothquant(g0, cal0, float(args[0]))
        a16 = None
    elif kind == "unmigrated16":
        g = smoothquant(g0, cal0, float(args[0]))
        a16 = choose_a16down(g, calibrate(g, feeds), ffn_hidden(g))
        smooth = lambda x, ws: np.ones(ws[0].shape[1]) if x in a16 else smooth_scales(  # noqa: E731
            cal0.channel_absmax[x], input_channel_absmax(ws), float(args[0]))
        g = smoothquant(g0, cal0, float(args[0]), scale_search=smooth, values=True)
    else:
        search.ALPHAS = tuple(a for a in np.arange(0.0, float(args[0]) + 1e-9, 0.05).round(2))
        search.WEIGHT_GAIN = float(args[1])
        g = search.smooth_search(g0, cal0, 0.8, lambda h: calibrate(h, feeds))
        a16 = frozenset(g.meta["a16down_chosen"])
    cal = calibrate(g, feeds, gram_for=fc_inputs(g) if gptq else None)
    cfg = parse_config("w8a8")
    if gptq:
        cfg.weight_override = gptq_overrides(g, cal, cfg)
    cfg.a16down, cfg.a16down_only = True, a16 if a16 is not None else choose_a16down(g, cal, ffn_hidden(g))
    q = lower(g, cal, cfg)
    out = f"KL {perplexity(q, ids, WINDOW, reference=refs)['kl_divergence']:.5f} nats/token"
    if held is not None:
        r = perplexity(q, held[0], WINDOW, reference=held[1])
        out += f"; held-out perplexity {r['perplexity']:.4f}, KL {r['kl_divergence']:.5f}"
    return out


def main() -> None:
    jit.set_default("jit")
    m = load_model("smollm2")
    g0 = capture_hf(m.model, WINDOW)
    feeds = calibration_feeds(m, CALIB_TOKENS // WINDOW, WINDOW)
    ids = tokenize_text(m.tokenizer, shakespeare_text("calib")[:400000], CALIB_TOKENS + KL_TOKENS + 1)[CALIB_TOKENS:]
    refs = [lp.astype(np.float32) for _, lp in window_log_probs(g0, ids, WINDOW)]
    held = None
    if "--held" in sys.argv:
        h = tokenize_text(m.tokenizer, shakespeare_text("eval"), HELD_TOKENS)
        held = (h, [lp.astype(np.float32) for _, lp in window_log_probs(g0, h, WINDOW)])
    cal0 = calibrate(g0, feeds)
    for v in [a for a in sys.argv[1:] if a != "--held"]:
        t0 = time.time()
        print(f"{v}: {kl_of(v, g0, cal0, feeds, ids, refs, held)} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
