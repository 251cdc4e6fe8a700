"""The cost of one a16down down projection (int16 input, int8 per-channel weights) against the int8 layer it
replaces, SmolLM2's shape (K = 1,536, N = 576, int32 output), batch 1, per target: exact instructions of a program
running the layer once, for an int8 input, an int16 input over the whole range as the split runs it (two int8
products on the family's int8 kernel, codegen/op_calls.py _fc_s16_split; forced here where the family now reads
the weights once) and as the lowering runs it now (ig_fc_s16 where the family has it: each weight read once).
Also the instructions per MAC of the kernel functions alone (the program's ig_fc_* and ig_split_* functions). The layer's share
of a decoded token is the difference times the model's 30 down projections. Appends to
benchmarks/results/a16down_cost.md.

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/a16down_cost.py --targets cortex-a55
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import numpy as np

import isa
from benchmarks.kernels_runner import build_graph_cases, fc_wide_case, graph_expected_bytes, run_cases

OUT = Path(__file__).parent / "results" / "a16down_cost.md"
KINDS = ("int8", "int16, split", "int16, now")


def case(kind: str, k: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    if kind == "int8":
        return fc_wide_case(rng, k, n, 8, "int32")
    g, _ = fc_wide_case(rng, k, n, 8, "int32", x_dtype="int16")
    return g, {"x": np.random.default_rng(seed + 1).integers(-32768, 32640, (1, k)).astype(np.int16)}


def measure(kind: str, t: isa.Target, k: int, n: int) -> tuple[int, int, str]:
    """(whole-program instructions, the ig_* functions' instructions, the kernel files) of one layer."""
    c = case(kind, k, n)
    split = mock.patch("codegen.op_calls.fc_s16_reads_weights_once", return_value=False)
    with tempfile.TemporaryDirectory() as d, (split if kind == "int16, split" else mock.MagicMock()):
        kc, elf, _ = build_graph_cases([c], t, Path(d))
        run = run_cases(kc, elf, t)
    if run.outputs[0] != graph_expected_bytes(*c):
        raise SystemExit(f"{t.name} {kind}: the program's output differs from the reference")
    kernels = sum(v for f, v in run.per_function.items() if f.startswith(("ig_fc_", "ig_split_")))
    return run.instructions, kernels, kc.kernel_stems[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="cortex-a55")
    ap.add_argument("-k", type=int, default=1536)
    ap.add_argument("-n", type=int, default=576)
    args = ap.parse_args()
    macs = args.k * args.n
    lines, notes = [], []
    for tname in args.targets.split(","):
        t = isa.get_target(tname)
        m = {kind: measure(kind, t, args.k, args.n) for kind in KINDS}
        base = m["int8"][0]
        lines.append(f"| {tname} | {base:,} | " + " | ".join(
            f"{m[k][0]:,} ({m[k][0] - base:+,})" for k in KINDS[1:]) + " | "
            + " / ".join(f"{m[k][1] / macs:.3f}" for k in KINDS) + " |")
        notes.append(f"- {tname}, now: {m['int16, now'][2]}")
        print(lines[-1], notes[-1], flush=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [f"\n## K = {args.k}, N = {args.n}, int32 output: the split and one pass over the weights\n",
            f"Measured {when} on {os.cpu_count()}-core {platform.machine()} (shared); exact instructions of the whole "
            "program (start-up and output included, the same in each column), outputs checked against the "
            "reference; int16 x over the whole range; the last column: instructions of the kernel functions (ig_fc_*, ig_split_*) "
            "per MAC, int8 / split / now:\n",
            f"    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/a16down_cost.py --targets {args.targets} "
            f"-k {args.k} -n {args.n}\n",
            "| target | int8 input | int16, split (difference) | int16, now (difference) | kernel instructions per MAC |",
            "|---|--:|--:|--:|--:|"]
    if not OUT.exists():
        OUT.write_text("# The cost of an int16-input down projection (a16down)\n\nWritten by "
                       "benchmarks/a16down_cost.py (see its header).\n")
    with OUT.open("a") as f:
        f.write("\n".join(head + lines + ["", "Kernel files of the int16 layer as lowered now:", ""] + notes) + "\n")


if __name__ == "__main__":
    main()
