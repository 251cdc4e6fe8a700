"""Calibration-side KL of SmolLM2 W8A8 migration variants with a16down-top: how smooth-search's settings were picked
without reading the held-out text (docs/quantization.md "SmoothQuant's strength per layer (`smooth-search`)").

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/calibration_kl.py alpha:0.8 alpha:0.7 search:1.0:4 search:0.7:4
    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/calibration_kl.py --held alpha:0.8:gptq unmigrated16:0.8:gptq

The KL divergence (nats/token) from FP32's next-token distribution on the 2,048 tokens of the calibration plays that
follow the 4,096 the calibration reads (windows of 256), JIT engine; with --held also the perplexity and the KL on
the 4,095 held-out tokens (benchmarks/quant_accuracy.py's). Variants: alpha:A (SmoothQuant at A on every tensor),
unmigrated16:A (the same, but the down projections that a16down-top makes int16 keep their weights unmigrated),
search:CAP:GAIN (smooth-search with its alphas up to CAP and WEIGHT_GAIN = GAIN); add :gptq to round with GPTQ
(RTN otherwise). Options on the activations, after the variant (docs/quantization.md "Per-token dynamic scales and
clipping beside `a16down-top`"): :dyn=GAIN (the `dynamic` step at dynamic_gain GAIN, `inf` every input it takes),
:dynset=KINDS (... only on these kinds of input, a '+' list of down, context, attn (the attention's norm output),
mlp (the FFN's norm output), head (the final norm)), :obs=mse|percentile (the int8 observer), :a16=all (every
block's down projection int16, a16down), :a16=none or :a16=I+J+... (these blocks' down projections int16). Variants
that differ only in these options share one migration, calibration and GPTQ rounding (computed once).

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/calibration_kl.py --held alpha:0.8:gptq \
        alpha:0.8:gptq:dyn=inf:dynset=down alpha:0.8:gptq:dyn=0.5 alpha:0.8:gptq:obs=mse

With --ranges: per fully connected input of the default's graph (SmoothQuant at 0.8, a16down-top; its dtype there),
its calibrated range over the median token's (per-token max |x|), the same without each window's first position,
and the positions that set it (no quantization run). With --rank-blocks: the calibration-side KL with each block's down
projection alone int16, beside a16down-top's ranking."""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

import quant.smooth_search as search  # noqa: E402
from quant import jit  # noqa: E402
from quant.a16down_choice import choose_a16down, int8_noise_share  # noqa: E402
from quant.accuracy import perplexity, tokenize_text, window_log_probs  # noqa: E402
from quant.gptq import gptq_overrides  # noqa: E402
from quant.hf_capture import capture_hf  # noqa: E402
from quant.hf_models import shakespeare_text  # noqa: E402
from quant.methods import input_channel_absmax, smooth_scales, smoothquant  # noqa: E402
from quant.observers import calibrate, fc_inputs  # noqa: E402
from quant.optable import Group  # noqa: E402
from quant.recipes import calibration_feeds, load_model, parse_config  # noqa: E402
from quant.transformer_ptq import Lowering, ffn_hidden, lower  # noqa: E402

CALIB_TOKENS, KL_TOKENS, HELD_TOKENS, WINDOW = 4096, 2048, 4096, 256


_PREPARED: dict = {}  # (migration variant, gptq) -> (graph, calibration, a16down-top blocks, GPTQ weights)


def kl_of(variant: str, g0, cal0, feeds, ids, refs, held=None) -> str:
    kind, *args = variant.split(":")
    opts = dict(a.split("=", 1) for a in args if "=" in a)
    args = [a for a in args if "=" not in a]
    gptq = "gptq" in args
    args = [a for a in args if a != "gptq"]
    key = (kind, tuple(args), gptq)
    if key not in _PREPARED:
        _PREPARED[key] = _prepare(kind, args, gptq, g0, cal0, feeds)
    g, cal, a16, overrides = _PREPARED[key]
    cfg = parse_config("w8a8")
    cfg.weight_override = dict(overrides)
    cfg.observer = opts.get("obs", "minmax")
    a16_opt = opts.get("a16", "top")
    if a16_opt not in ("top", "all", "none"):  # block indices: their down projections int16
        a16 = frozenset(f"layers.{i}.mlp.gated" for i in a16_opt.split("+"))
    cfg.a16down, cfg.a16down_only = a16_opt != "none", \
        None if a16_opt == "all" else a16 if a16 is not None else choose_a16down(g, cal, ffn_hidden(g))
    if "dyn" in opts:
        cfg.dynamic, cfg.dynamic_gain = True, float(opts["dyn"])
        cfg.dynamic_only = None if "dynset" not in opts else frozenset().union(
            *(input_kinds(g)[k] for k in opts["dynset"].split("+")))
    q = lower(g, cal, cfg)
    dyn = sum(n.op == "fully_connected_dynamic" for n in q.nodes)
    out = f"{dyn} dynamic layers; KL {perplexity(q, ids, WINDOW, reference=refs)['kl_divergence']:.5f} nats/token"
    if held is not None:
        r = perplexity(q, held[0], WINDOW, reference=held[1])
        out += f"; held-out perplexity {r['perplexity']:.4f}, KL {r['kl_divergence']:.5f}"
    return out


def rank_blocks(g0, cal0, feeds, ids, refs) -> None:
    """The calibration-side KL with each block's down projection alone int16 (SmoothQuant at 0.8, GPTQ), against
    none, beside a16down-top's noise-share ranking: whether that ranking picks the blocks where int16 pays."""
    g, cal, _, overrides = _PREPARED.setdefault(("alpha", ("0.8",), True),
                                                _prepare("alpha", ["0.8"], True, g0, cal0, feeds))
    hidden = sorted(ffn_hidden(g), key=lambda t: int(t.split(".")[1]))
    share = {x: int8_noise_share(g, cal, x) for x in hidden}
    chosen = choose_a16down(g, cal, set(hidden))

    def kl(only):
        cfg = parse_config("w8a8")
        cfg.weight_override, cfg.a16down, cfg.a16down_only = dict(overrides), bool(only), frozenset(only)
        return perplexity(lower(g, cal, cfg), ids, WINDOW, reference=refs)["kl_divergence"]
    base = kl(())
    print(f"no int16 block: KL {base:.5f}; block, noise share, in a16down-top, KL with it alone int16, drop", flush=True)
    for x in hidden:
        v = kl((x,))
        print(f"{x} {share[x]:.3e} {'yes' if x in chosen else 'no'} {v:.5f} {base - v:.5f}", flush=True)


def input_kinds(g) -> dict[str, set[str]]:
    """SmolLM2's fully connected inputs by kind: down, context, attn, mlp, head (dynset's names)."""
    xs = {n.inputs[0] for n in g.nodes_in(Group.FULLY_CONNECTED)}
    ends = {"context": "self_attn.context", "attn": "input_layernorm", "mlp": "post_attention_layernorm"}
    kinds = {k: {x for x in xs if x.endswith(v)} for k, v in ends.items()}
    return {**kinds, "down": ffn_hidden(g), "head": xs - ffn_hidden(g) - set().union(*kinds.values())}


def _prepare(kind: str, args: list[str], gptq: bool, g0, cal0, feeds):
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
    return g, cal, a16, gptq_overrides(g, cal, parse_config("w8a8")) if gptq else {}


def token_ranges(g0, cal0, feeds) -> None:
    """Per fully connected input of the default's graph: range over the median token's, and who sets it."""
    g = smoothquant(g0, cal0, 0.8)
    cal = calibrate(g, feeds)
    cfg = parse_config("w8a8")
    cfg.a16down, cfg.a16down_only = True, choose_a16down(g, cal, ffn_hidden(g))
    dtypes = Lowering(g, cal, cfg).dtypes
    print("tensor, dtype, range / median token, the same without position 0, p99 token / median, top positions")
    for x in sorted(cal.row_absmax, key=lambda t: [int(p) if p.isdigit() else p for p in t.split(".")]):
        rows, st = cal.row_absmax[x].astype(np.float64), cal.stats[x]
        pos = np.arange(rows.size) % WINDOW
        med = float(np.median(rows))
        top = pos[np.argsort(-rows)[:5]].tolist()
        print(f"{x} {dtypes[x]} {max(-st.lo, st.hi) / med:.1f} {rows[pos != 0].max() / med:.1f} "
              f"{np.percentile(rows, 99) / med:.1f} {top}", flush=True)


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
    if "--ranges" in sys.argv:
        token_ranges(g0, cal0, feeds)
    if "--rank-blocks" in sys.argv:
        rank_blocks(g0, cal0, feeds, ids, refs)
    for v in [a for a in sys.argv[1:] if not a.startswith("--")]:
        t0 = time.time()
        print(f"{v}: {kl_of(v, g0, cal0, feeds, ids, refs, held)} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
