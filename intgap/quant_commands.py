"""`intgap quantize` and `intgap eval`: transformers into integer-only graphs, and their measured accuracy."""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console

from intgap.accuracy_report import attribution_table, write_attribution
from intgap.console_format import eval_table, progress, write_json
from quant import jit, load_graph, save_graph
from quant.accuracy_attribution import attribute_model, check_selection, recipe_of
from quant.config import GRAMMAR
from quant.default_method import method_help
from quant.model_registry import MODELS, names
from quant.recipes import evaluate, load_model, quantize_model, recipe_for


def cmd_quantize(args: argparse.Namespace, console: Console) -> int:
    recipe = recipe_for(args.model, args.config, args.method, calib=args.calib, seq_len=args.seq_len,
                        alpha=args.alpha, observer=args.observer, residual=args.residual)  # checked before loading
    with console.status(f"loading {args.model}"):
        model = load_model(args.model)
    with progress(console) as cb:
        q = quantize_model(model, recipe.config, progress=cb, recipe=recipe)
    q.meta["model"] = args.model
    save_graph(q, args.output)
    ops = Counter(n.op for n in q.nodes)
    console.print(f"wrote {args.output}: {len(q.nodes)} integer ops ({', '.join(f'{k} x{v}' for k, v in sorted(ops.items()))}), "
                  f"{q.weight_bytes() / 1e6:.1f} MB constants, method {q.meta['method']}, "
                  f"{q.meta['quantize_seconds']} s")
    return 0


def cmd_eval(args: argparse.Namespace, console: Console) -> int:
    jit.set_default(args.engine)
    q = load_graph(args.graph)
    if args.attribute:
        return _attribute(q, args, console)
    with progress(console) as cb:
        res = evaluate(q, n_lines=args.lines, n_tokens=args.tokens, window=args.window, progress=cb)
    console.print(eval_table(res, args.graph))
    write_json(console, args.json, res)
    return 0


def _attribute(q, args: argparse.Namespace, console: Console) -> int:
    check_selection(args.attribute)  # a misspelt unit fails before the model loads
    recipe = recipe_of(q)
    with console.status(f"loading {q.meta['model']}"):
        model = load_model(q.meta["model"])
    with progress(console) as cb:
        res = attribute_model(model, recipe, args.attribute, n_tokens=args.tokens, n_lines=args.lines,
                              window=args.window, progress=cb, expected=q)
    console.print(attribution_table(res))
    out = Path(args.out) if args.out else Path(args.graph).with_name(Path(args.graph).stem + "-attribution")
    for p in write_attribution(res, out):
        console.print(f"wrote {p}")
    return 0


def add_engine_argument(parser) -> None:
    parser.add_argument("--engine", choices=jit.ENGINES, default="jit",
                        help="host engine of the integer graph: jit (LLVM kernels for this CPU, default) or numpy "
                             "(the reference interpreter); both give the same bytes (docs/host-engine.md)")


TRANSFORMERS = ", ".join(n for n in names() if MODELS[n].kind != "classifier")


def add_quant_commands(sub) -> None:
    q = sub.add_parser("quantize", help=f"quantize a transformer ({TRANSFORMERS} or a Hugging Face model folder) to "
                                        "an integer-only .igraph")
    q.add_argument("--model", required=True, help=f"a transformer: {TRANSFORMERS}, or a directory with a Hugging "
                   "Face model")
    q.add_argument("--config", default="w8a8", help=f"{GRAMMAR} (default w8a8)")
    q.add_argument("--method", default=None, help=method_help())
    q.add_argument("--residual", default=None, choices=("auto", "int16", "int32"),
                   help="residual stream width (auto: int32 where int16 resolves it too coarsely)")
    q.add_argument("--observer", default=None, choices=("minmax", "percentile", "mse"),
                   help="activation observer (default: the model's recipe, minmax)")
    q.add_argument("--alpha", type=float, default=None, help="SmoothQuant migration strength (default: the "
                   "model's recipe, 0.8)")
    q.add_argument("--calib", type=int, default=None, help="calibration lines / sequences (default: the model's "
                   "recipe, quant/model_registry.py, the same compile / generate / bench use)")
    q.add_argument("--seq-len", type=int, default=None, help="calibration sequence length (default: the model's "
                   "recipe)")
    q.add_argument("-o", "--output", required=True, help="the .igraph file to write")
    q.set_defaults(func=cmd_quantize)
    e = sub.add_parser("eval", help="measure an integer graph's accuracy against its FP32 model")
    e.add_argument("graph", help="a .igraph written by intgap quantize")
    e.add_argument("--lines", type=int, default=500, help="held-out lines for sentence models (default 500)")
    e.add_argument("--tokens", type=int, default=4096, help="held-out tokens for language models (default 4096)")
    e.add_argument("--window", type=int, default=256, help="perplexity window (default 256)")
    e.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    e.add_argument("--attribute", nargs="?", const="families", metavar="UNITS",
                   help="attribute the accuracy loss: each unit replaced by its float twin (and alone integer); "
                        "UNITS: families (default: op families, weights, activation roles), layers, all, or a comma "
                        "list of unit names (op:softmax, weights:layers.*.mlp.down_proj, layer:3, tensor:NAME); "
                        "docs/accuracy-attribution.md. Slow: try --tokens 512 / --lines 100")
    e.add_argument("--out", metavar="DIR", help="with --attribute: the folder for report.md, attribution.csv/json/png "
                   "(default: <graph>-attribution next to the graph)")
    add_engine_argument(e)
    e.set_defaults(func=cmd_eval)
