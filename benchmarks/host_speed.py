"""Host speed of the integer-graph engines (issue 21): `intgap eval`'s integer perplexity with the numpy reference
interpreter and with the JIT engine (quant/jit/) in the same run, checked equal, and the quantize + eval time of each
model's default recipe. Own command, not part of `make test` (SmolLM2 takes minutes with numpy):

    nice -n 10 python benchmarks/host_speed.py [--models shakespeare-decoder,smollm2] [--tokens 4096]

Writes benchmarks/results/host_speed.{md,json}. Quantizing runs the FP32 graph (calibration) and does not depend on
the engine; eval = the FP32 perplexity (numpy, float) + the integer perplexity (the engine's part).

The quantize path before / after (issue 21 item 4): `--quantize CASES --before-tree DIR` runs `intgap quantize`'s
recipe and `intgap eval` of each case (MODEL:CONFIG[:METHOD], comma-separated) in a fresh process of the code in DIR
(a checkout of the commit before) and of this tree, one after the other in the same run, with the FP32 side of eval
computed (INTGAP_FP32_CACHE=off); checks that both wrote the same graph (content digest) and the same figures, and
writes the times to benchmarks/results/host_quantize.json (rendered at the end of host_speed.md).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quant import accuracy, jit, load_graph, reference, save_graph  # noqa: E402
from quant.accuracy import perplexity, tokenize_text  # noqa: E402
from quant.hf_capture import capture_hf, sequence_inputs  # noqa: E402
from quant.hf_models import shakespeare_text  # noqa: E402
from quant.optable import OPTABLE  # noqa: E402
from quant.recipes import load_model, quantize_model, recipe_for  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def _load() -> str:
    """The 1 / 5 / 15 minute load averages (the machine is shared)."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def op_profile(q, ids) -> dict[str, list]:
    """op -> [nodes run, numpy seconds, JIT seconds] over one window, node by node; each output checked equal."""
    from quant.jit import runner
    plans = runner.node_plans(q)
    env = reference.feed(q, sequence_inputs(ids))
    prof: dict[str, list] = {}
    for node in q.nodes:
        args = [env[i] for i in node.inputs]
        want, tn = _timed(lambda: OPTABLE[node.op].reference(node, q.tensors[node.outputs[0]].dtype, *args))
        got, tj = _timed(lambda: runner.call(plans[node.name], args))
        if got.tobytes() != want.tobytes():
            raise SystemExit(f"node {node.name} ({node.op}): the engines disagree")
        env[node.outputs[0]] = want
        p = prof.setdefault(node.op, [0, 0.0, 0.0])
        p[0], p[1], p[2] = p[0] + 1, p[1] + tn, p[2] + tj
    return prof


def measure(name: str, n_tokens: int, window: int, graphs: Path | None, method: str | None,
            int_only: bool = False) -> dict:
    recipe = recipe_for(name, "w8a8", method)
    model = load_model(name)
    saved = graphs / f"{name}-w8a8-{recipe.method}.igraph" if graphs else None
    if saved is not None and saved.is_file():  # its quantize time is the one recorded when it was made
        q = load_graph(saved)
        t_quant = q.meta["quantize_seconds"]
    else:
        print(f"{name}: quantizing ({recipe.method}) ...", flush=True)
        q, t_quant = _timed(lambda: quantize_model(model, recipe.config, recipe=recipe))
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            save_graph(q, saved)
    ids = tokenize_text(model.tokenizer, shakespeare_text("eval"), n_tokens)
    fp, t_fp32, t_fp32_disk = {"perplexity": None}, 0.0, 0.0
    if not int_only:
        fp32 = capture_hf(model.model, q.meta.get("seq_len", 128))
        print(f"{name}: FP32 perplexity ...", flush=True)
        fp, t_fp32 = _timed(lambda: perplexity(fp32, ids, window))
        key = (len(ids), window, int(ids.sum()))  # as quant.accuracy.perplexity_against_fp32
        accuracy._fp32_disk(fp32, key, lambda: fp)  # stored (or already there)
        _, t_fp32_disk = _timed(lambda: accuracy._fp32_disk(fp32, key, lambda: None))
    row = {"model": name, "config": "w8a8", "method": recipe.method, "tokens": int(len(ids) - 1), "window": window,
           "quantize_s": round(t_quant, 1), "fp32_perplexity_s": round(t_fp32, 1),
           "fp32_from_disk_s": round(t_fp32_disk, 2), "fp32_perplexity": fp["perplexity"], "load_before": _load()}
    values = {}
    for engine in ("jit", "numpy"):
        jit.set_default(engine)
        if engine == "jit":  # compile once (cached in memory for the rest of the process): timed apart
            from quant.jit import runner
            _, t_compile = _timed(lambda: runner.kernels(q))
            row["jit_compile_s"] = round(t_compile, 2)
        print(f"{name}: integer perplexity, {engine} engine ...", flush=True)
        res, t = _timed(lambda: perplexity(q, ids, window))
        values[engine] = res["perplexity"]
        row[f"{engine}_int_perplexity_s"] = round(t, 2)
        row[f"{engine}_eval_s"] = round(t + t_fp32, 1)
    jit.set_default("jit")
    if values["jit"] != values["numpy"]:
        raise SystemExit(f"{name}: the engines disagree: {values}")
    row["ops_one_window"] = {} if int_only else {
        op: [n, round(a, 4), round(b, 4)]
        for op, (n, a, b) in sorted(op_profile(q, ids[:window]).items(), key=lambda kv: -kv[1][1])}
    row.update(int_perplexity=values["jit"], load_after=_load(),
               speedup=round(row["numpy_int_perplexity_s"] / row["jit_int_perplexity_s"], 1))
    print(json.dumps(row), flush=True)
    return row


# one quantize + eval in a fresh process of a tree (only APIs both trees have); prints one JSON line
_CASE = """
import json, os, sys, time
from intgap.cache import graph_digest
from quant import jit, save_graph
from quant.recipes import evaluate, load_model, quantize_model, recipe_for
model, config, method, out = sys.argv[1:5]
recipe = recipe_for(model, config, method or None)
t0 = time.perf_counter()
m = load_model(model)
t_load = time.perf_counter() - t0
q = quantize_model(m, recipe.config, recipe=recipe)
t_quant = time.perf_counter() - t0 - t_load
save_graph(q, out)
jit.set_default("jit")
t1 = time.perf_counter()
res = evaluate(q, model=m)
t_eval = time.perf_counter() - t1
print(json.dumps({"load_s": t_load, "quantize_s": t_quant, "eval_s": t_eval, "digest": graph_digest(q),
                  "metric": {k: res[k] for k in ("int_perplexity", "fp32_perplexity", "mean_cosine", "min_cosine")
                             if k in res}}))
"""


def quantize_case(tree: Path, case: str, out: Path) -> dict:
    """One case (MODEL:CONFIG[:METHOD]) quantized and evaluated by the code in tree, in its own process."""
    import subprocess
    model, config, method = (case.split(":") + [""])[:3]
    env = {**os.environ, "PYTHONPATH": str(tree), "INTGAP_FP32_CACHE": "off"}
    load = _load()
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _CASE, model, config, method, str(out)], env=env, cwd=tree,
                       capture_output=True, text=True, timeout=7200)
    if p.returncode:
        raise SystemExit(f"{case} in {tree} failed:\n{p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r.update(process_s=time.perf_counter() - t0, load_before=load, load_after=_load())
    return r


def measure_quantize(cases: list[str], before: Path, out_dir: Path) -> list[dict]:
    rows = []
    for case in cases:
        runs = {}
        # after first: it pays the JIT compile of the eval kernels (on disk per tree: .cache/jit) the same as before
        for label, tree in (("after", Path(__file__).resolve().parents[1]), ("before", before)):
            print(f"{case}: quantize + eval, {label} ({tree}) ...", flush=True)
            runs[label] = quantize_case(tree, case, out_dir / f"{case.replace(':', '-')}-{label}.igraph")
        b, a = runs["before"], runs["after"]
        if b["digest"] != a["digest"] or b["metric"] != a["metric"]:
            raise SystemExit(f"{case}: the graphs differ before / after: {b['digest']} {b['metric']} vs "
                             f"{a['digest']} {a['metric']}")
        row = {"case": case, "digest": a["digest"], "metric": a["metric"],
               **{f"{k}_{lab}": round(runs[lab][k], 1) for lab in runs for k in ("load_s", "quantize_s", "eval_s")},
               **{f"load_avg_{lab}": f"{runs[lab]['load_before']} / {runs[lab]['load_after']}" for lab in runs},
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "command": "python benchmarks/host_speed.py " + " ".join(sys.argv[1:])}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def _quantize_markdown(doc: dict) -> str:
    lines = ["## The quantize path before / after (issue 21 item 4)", "",
             f"Measured on {doc['machine']} ({os.cpu_count()} cores shared with other jobs: see the load averages, "
             "1 / 5 / 15 minutes, at the start and end of each process) with `benchmarks/host_speed.py --quantize`: "
             "each case quantized (the model's default recipe unless a method is named) and evaluated (JIT engine, "
             "FP32 side computed) in a fresh process of the code before and of the code after, one after the other. "
             "Both wrote the same graph (content digest) and the same figures (checked).", "",
             "| case | model load s before / after | quantize s before | after | speed-up | quantize + eval s before | "
             "after | speed-up | load avg before | load avg after | figure |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in doc["rows"]:
        qe_b, qe_a = r["quantize_s_before"] + r["eval_s_before"], r["quantize_s_after"] + r["eval_s_after"]
        fig = ", ".join(f"{k} {v:.4f}" for k, v in r["metric"].items())
        lines.append(f"| {r['case']} | {r['load_s_before']} / {r['load_s_after']} | {r['quantize_s_before']} | "
                     f"{r['quantize_s_after']} | {r['quantize_s_before'] / max(r['quantize_s_after'], 0.1):.1f}x | "
                     f"{qe_b:.1f} | {qe_a:.1f} | {qe_b / max(qe_a, 0.1):.1f}x | {r['load_avg_before']} | "
                     f"{r['load_avg_after']} | {fig} |")
    lines += [""] + [f"- {r['case']}: {r['date']}, `{r['command']}`, graph digest {r['digest'][:16]}"
                     for r in doc["rows"]] + [""] + doc.get("notes", [])
    return "\n".join(lines)


def _markdown(doc: dict) -> str:
    lines = ["# Host speed of the integer-graph engines (issue 21)", "",
             f"Measured on {doc['machine']} ({doc['cpu']}; {os.cpu_count()} cores shared with other jobs: see the "
             "load averages), with the commands below. The integer perplexity is computed with both engines in the "
             "same run and is equal to the last bit (checked); the JIT compile time is counted apart (once per "
             "process).", "",
             "| model | W8A8 method | tokens | integer perplexity: numpy s | JIT s | speed-up | JIT compile s | "
             "FP32 perplexity s (from disk) | quantize s | quantize + eval before (numpy) s | after (JIT) s | "
             "after, FP32 from disk s | load avg before / after |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in doc["rows"]:
        if r["fp32_perplexity"] is None:  # --int-only
            lines.append(f"| {r['model']} | {r['method']} | {r['tokens']:,} | {r['numpy_int_perplexity_s']} | "
                         f"{r['jit_int_perplexity_s']} | {r['speedup']}x | {r['jit_compile_s']} | not measured | "
                         f"{r['quantize_s']} | | | | {r['load_before']} / {r['load_after']} |")
            continue
        jit_int = r["jit_int_perplexity_s"] + r["jit_compile_s"]
        lines.append(f"| {r['model']} | {r['method']} | {r['tokens']:,} | {r['numpy_int_perplexity_s']} | "
                     f"{r['jit_int_perplexity_s']} | {r['speedup']}x | {r['jit_compile_s']} | {r['fp32_perplexity_s']} "
                     f"({r['fp32_from_disk_s']}) | {r['quantize_s']} | {r['quantize_s'] + r['numpy_eval_s']:.1f} | "
                     f"{r['quantize_s'] + r['fp32_perplexity_s'] + jit_int:.1f} | "
                     f"{r['quantize_s'] + r['fp32_from_disk_s'] + jit_int:.1f} | {r['load_before']} / "
                     f"{r['load_after']} |")
    lines += [""] + [f"- {r['model']} ({r['method']}): {r['date']}, `{r['command']}`" for r in doc["rows"]]
    for r in (r for r in doc["rows"] if r["ops_one_window"]):
        lines += ["", f"Where the time goes: {r['model']} W8A8 ({r['method']}), one window of {r['window']} tokens, node by node "
                  "(every output checked equal), slowest numpy op first:", "",
                  "| op | nodes | numpy s | JIT s | speed-up |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {op} | {n} | {a:.4f} | {b:.4f} | {a / max(b, 1e-9):.0f}x |"
                  for op, (n, a, b) in r["ops_one_window"].items()]
    lines += ["", "eval = FP32 perplexity (the float graph, numpy in both runs; `intgap eval` keeps it on disk, "
              "INTGAP_CACHE/fp32, so a repeated eval reads it back) + integer perplexity (JIT: + its compile, "
              "0 when the machine code is on disk). Perplexities: "
              + ", ".join(f"{r['model']} {r['method']} {r['int_perplexity']:.4f}"
                          + (f" (FP32 {r['fp32_perplexity']:.4f})" if r["fp32_perplexity"] else "")
                          for r in doc["rows"]) + ".", *doc.get("notes", []), ""]
    quantize = RESULTS / "host_quantize.json"  # --quantize's before / after rows
    if quantize.is_file():
        lines += [_quantize_markdown(json.loads(quantize.read_text()))]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="shakespeare-decoder,smollm2")
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--int-only", action="store_true", help="only the integer perplexity with both engines (no FP32 "
                    "perplexity, no per-op profile): the acceptance figure on a busy machine")
    ap.add_argument("--method", default=None, help="the W8A8 method (default: each model's default recipe)")
    ap.add_argument("--graphs", metavar="DIR", help="save the quantized graphs here, and reuse them (with their "
                    "recorded quantize time) when they are there")
    ap.add_argument("--quantize", metavar="CASES", help="quantize + eval before / after instead: MODEL:CONFIG[:METHOD],"
                    " comma-separated (with --before-tree)")
    ap.add_argument("--before-tree", metavar="DIR", help="a checkout of the code before (git worktree add DIR COMMIT)")
    args = ap.parse_args()
    if args.quantize:
        return main_quantize(args)
    from quant.jit.target import host
    doc = {"machine": platform.node() or "this host", "cpu": host().describe(), "rows": []}
    out = RESULTS / "host_speed.json"
    if out.is_file():  # rows of other models stay (each row says when and how it was measured)
        doc["rows"] = json.loads(out.read_text())["rows"]
    for m in args.models.split(","):
        row = measure(m, args.tokens, args.window, Path(args.graphs) if args.graphs else None, args.method,
                      args.int_only)
        row["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        row["command"] = "python benchmarks/host_speed.py " + " ".join(sys.argv[1:])
        doc["rows"] = [r for r in doc["rows"] if (r["model"], r["method"]) != (m, row["method"])] + [row]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "host_speed.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS / "host_speed.md").write_text(_markdown(doc))
    print(_markdown(doc))


def main_quantize(args) -> None:
    import tempfile
    if not args.before_tree:
        raise SystemExit("--quantize needs --before-tree DIR (a checkout of the code before)")
    doc = {"machine": platform.node() or "this host", "rows": []}
    out = RESULTS / "host_quantize.json"
    if out.is_file():
        doc["rows"] = json.loads(out.read_text())["rows"]
    with tempfile.TemporaryDirectory() as d:
        for row in measure_quantize(args.quantize.split(","), Path(args.before_tree).resolve(), Path(args.graphs or d)):
            doc["rows"] = [r for r in doc["rows"] if r["case"] != row["case"]] + [row]
            out.write_text(json.dumps(doc, indent=2) + "\n")  # after every case: a long run keeps what it measured
            speed = RESULTS / "host_speed.json"
            if speed.is_file():  # host_speed.md ends with this table
                (RESULTS / "host_speed.md").write_text(_markdown(json.loads(speed.read_text())))
    print(_quantize_markdown(doc))


if __name__ == "__main__":
    main()
