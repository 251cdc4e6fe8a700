"""The real all-MiniLM-L6-v2 (W8A8, integer-only) on every first-set target: the whole encoder on a held-out
Shakespeare line where it fits the target's memory, and where it does not, the refusal (needed vs available) plus
one encoder layer run on its own, so the MCU targets are measured too. Every output is checked bit for bit
against the reference interpreter.

    PYTHONPATH=. .venv/bin/python benchmarks/minilm_targets.py [--targets ...] [--config w4a8] [--method smoothquant]

Results: benchmarks/results/minilm_targets.{json,md}; a run replaces the rows of its (target, config, method).
quant/default_method.py reads the cortex-a55 rows: an encoder's default method per config is the most accurate
whose instructions are within its speed goal (docs/quantization.md "The default method, per model kind").
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from codegen.errors import ModelDoesNotFit  # noqa: E402
from intgap.pipeline import build_program, reference_forward, run_forward  # noqa: E402
from isa.timing import estimate  # noqa: E402
from quant import reference  # noqa: E402
from quant.hf_capture import sequence_inputs  # noqa: E402
from quant.hf_models import shakespeare_lines  # noqa: E402
from quant.subgraph import subgraph  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TARGETS = "cortex-m4,cortex-m4f,cortex-m7,rv32imc,cortex-a53,cortex-a55,rv64gc,rv64gcv,rv64gcv-vlen256,rv64gcv-vlen512"
LAYER = "encoder.layer.0"


def main(argv=None) -> int:
    from intgap.sequence_models import quantized_model
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=TARGETS)
    ap.add_argument("--config", default="w8a8")
    ap.add_argument("--method", default=None)
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-minilm"))
    args = ap.parse_args(argv)
    t0 = time.time()
    sm = quantized_model("minilm", args.config, args.method)
    line = shakespeare_lines("eval", 1, seed=3)[0]
    ids = np.asarray(sm.tokenizer(line)["input_ids"], np.int32)
    n = len(ids)
    g = sm.graph
    layer = subgraph(g, LAYER)
    x_layer = reference.run(g, sequence_inputs(ids), keep_all=True)[layer.inputs[0]]
    rows = []
    print(f"MiniLM {sm.config} ({sm.method}), {n} tokens: {line!r} [{time.time() - t0:.0f} s]", flush=True)
    for tname in args.targets.split(","):
        t = isa.get_target(tname)
        row = {"target": tname, "tokens": n, "config": sm.config, "method": sm.method}
        d = Path(args.workdir) / tname
        try:
            b = build_program(g, t, d / "encoder", mode="forward", max_tokens=n, context=n)
            y, r = run_forward(b, t, ids)
            e = estimate(r, b.elf, t)
            row.update(scope="whole encoder", bit_exact=bool(np.array_equal(y, reference_forward(g, ids))),
                       program_instructions=r.instructions, instructions_per_token=r.instructions / n,
                       est_cycles=e.cycles, timing_model=e.model, weights_bytes=b.lowered.blob.size,
                       arena_bytes=b.lowered.arena_size)
        except ModelDoesNotFit as err:
            row["whole_encoder"] = f"refused: {err}"
            b = build_program(layer, t, d / "layer", mode="forward", max_tokens=n, context=n)
            y, r = run_forward(b, t, x_layer)
            e = estimate(r, b.elf, t)
            want = reference.run(g, sequence_inputs(ids), keep_all=True)[layer.outputs[0]]
            row.update(scope=f"one layer ({LAYER})", bit_exact=bool(np.array_equal(y, want)),
                       program_instructions=r.instructions, instructions_per_token=r.instructions / n,
                       est_cycles=e.cycles, timing_model=e.model, weights_bytes=b.lowered.blob.size,
                       arena_bytes=b.lowered.arena_size)
        rows.append(row)
        print(f"{tname:16s} {row['scope']:28s} {row['instructions_per_token'] / 1e6:8.2f} M instr/token "
              f"bit-exact {row['bit_exact']}" + (f"  ({row['whole_encoder'][:90]}...)" if "whole_encoder" in row
                                                  else ""), flush=True)
    command = "PYTHONPATH=. .venv/bin/python benchmarks/minilm_targets.py " + " ".join(sys.argv[1:])
    date = time.strftime("%Y-%m-%d")
    prior_path = RESULTS / "minilm_targets.json"
    run = lambda r: (r["target"], r.get("config", "w8a8"), r["method"])  # noqa: E731 (rows before --config: w8a8)
    if prior_path.exists():  # a run replaces the rows of its (target, config, method); the others stay (same line)
        prior = json.loads(prior_path.read_text())
        if prior.get("line") == line:
            ran = {run(r) for r in rows}
            kept = [r for r in prior["rows"] if run(r) not in ran]
            if kept:
                order = {name: i for i, name in enumerate(TARGETS.split(","))}
                rows = sorted(kept + rows, key=lambda r: (r.get("config", "w8a8"), r["method"],
                                                          order.get(r["target"], len(order))))
                command = f"{prior['command']} ({prior.get('date', '?')}); then {command}"
    doc = {"what": "all-MiniLM-L6-v2 integer-only forward pass per target: exact instructions (program total, "
                   "divided by the tokens), estimated cycles of the named model; bit-exact vs the reference",
           "command": command, "date": date, "line": line, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "minilm_targets.json").write_text(json.dumps(doc, indent=1) + "\n")
    md = ["# all-MiniLM-L6-v2 (integer-only) on every target", "", f"Measured {doc['date']}: `{doc['command']}`."
          f" One held-out line, {n} tokens: {line!r}. Instructions exact (whole program), cycles estimated.", "",
          "| config | method | target | what ran | instr./token | est. cycles (whole run) | timing model | weights B "
          "| bit-exact |", "|---|---|---|---|---:|---:|---|---:|---|"]
    for r in rows:
        md.append(f"| {r.get('config', 'w8a8')} | {r['method']} | {r['target']} | {r['scope']} | "
                  f"{r['instructions_per_token']:,.0f} | {r['est_cycles']:,} | {r['timing_model']} | "
                  f"{r['weights_bytes']:,} | {'yes' if r['bit_exact'] else 'NO'} |")
    refusals = [r for r in rows if "whole_encoder" in r]
    if refusals:
        md += ["", "Refusals of the whole encoder (the message intgap prints):", ""]
        md += [f"- {r['target']}: {r['whole_encoder']}" for r in refusals]
    (RESULTS / "minilm_targets.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
