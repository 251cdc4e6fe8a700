"""The cost of one a16down down projection (int16 input, int8 per-channel weights: codegen/op_calls.py _fc_s16_split)
against the int8 layer it replaces, SmolLM2's shape (K = 1,536, N = 576, int32 output), batch 1, per target: exact
instructions of a program running the layer once, for an int8 input, an int16 input whose high bytes are all 0 (the
hi product skipped) and an int16 input over the whole range (hi product run). The layer's share of a decoded token
is this difference times the model's 30 down projections. Appends to benchmarks/results/a16down_cost.md.

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/a16down_cost.py --targets cortex-a55
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import isa
from benchmarks.kernels_runner import build_graph_cases, fc_wide_case, graph_expected_bytes, run_cases

OUT = Path(__file__).parent / "results" / "a16down_cost.md"


def case(kind: str, k: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    if kind == "int8":
        return fc_wide_case(rng, k, n, 8, "int32")
    g, inputs = fc_wide_case(rng, k, n, 8, "int32", x_dtype="int16")
    x = np.random.default_rng(seed + 1).integers(-128, 128, (1, k)) if kind == "int16, no high bytes" else \
        np.random.default_rng(seed + 1).integers(-32768, 32640, (1, k))
    return g, {"x": x.astype(np.int16)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="cortex-a55")
    ap.add_argument("-k", type=int, default=1536)
    ap.add_argument("-n", type=int, default=576)
    args = ap.parse_args()
    kinds = ("int8", "int16, no high bytes", "int16, high bytes")
    lines = []
    for tname in args.targets.split(","):
        t = isa.get_target(tname)
        counts = {}
        for kind in kinds:
            c = case(kind, args.k, args.n)
            with tempfile.TemporaryDirectory() as d:
                kc, elf, _ = build_graph_cases([c], t, Path(d))
                run = run_cases(kc, elf, t)
            if run.outputs[0] != graph_expected_bytes(*c):
                raise SystemExit(f"{tname} {kind}: the program's output differs from the reference")
            counts[kind] = run.instructions
        base = counts["int8"]
        lines.append(f"| {tname} | {base:,} | " + " | ".join(
            f"{counts[k]:,} ({counts[k] - base:+,})" for k in kinds[1:]) + " |")
        print(lines[-1], flush=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [f"\n## K = {args.k}, N = {args.n}, int32 output\n",
            f"Measured {when} on {os.cpu_count()}-core {platform.machine()} (shared); exact instructions of the whole "
            "program (start-up and output included, the same in each column), outputs checked against the "
            "reference:\n",
            f"    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/a16down_cost.py --targets {args.targets} "
            f"-k {args.k} -n {args.n}\n",
            "| target | int8 input | int16 input, no high bytes (difference) | int16 input, high bytes (difference) |",
            "|---|--:|--:|--:|"]
    if not OUT.exists():
        OUT.write_text("# The cost of an int16-input down projection (a16down)\n\nWritten by "
                       "benchmarks/a16down_cost.py (see its header).\n")
    with OUT.open("a") as f:
        f.write("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
