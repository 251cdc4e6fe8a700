"""Where a decoded token's instructions go: exact instructions per function of one decode step of a model's
generate program on a target (the run with n tokens minus the run with one, over n - 1), for one or more
quantization methods side by side, with each method's difference from the first.

    PYTHONPATH=. .venv/bin/python benchmarks/decode_functions.py --model shakespeare-decoder --target cortex-a55 \
        --config w4a8 --methods smoothquant+gptq+gamma,asym+gptq+dynamic

Results: benchmarks/results/decode_functions.md (the command line is written with them).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap import sequence_models  # noqa: E402
from intgap.pipeline import build_program, run_generate  # noqa: E402
from isa.attribution import per_function  # noqa: E402
from isa.elf import load_elf  # noqa: E402


def decode_functions(model: str, target: isa.Target, config: str, method: str, n: int, workdir: Path,
                     timeout_s: float | None) -> tuple[dict[str, float], float, bool]:
    """function -> instructions per decode step; the step's total; whether the two runs' first tokens agree."""
    sm = sequence_models.quantized_model(model, config, method)
    prompt = [int(t) for t in sm.tokenizer("ROMEO:")["input_ids"]]
    built = build_program(sm.graph, target, workdir, mode="generate", max_tokens=len(prompt), context=32)
    runs = []
    for k in (1, n):
        toks, r = run_generate(built, target, prompt, k, max_instructions=int(2e11), timeout_s=timeout_s)
        runs.append((toks, per_function(r.blocks, load_elf(built.elf), target.arch), r.instructions))
    (t1, f1, i1), (tn, fn, i_n) = runs
    steps = n - 1
    out = {f: (fn.get(f, 0) - f1.get(f, 0)) / steps for f in set(f1) | set(fn)}
    return {f: v for f, v in out.items() if v}, (i_n - i1) / steps, t1[0] == tn[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="shakespeare-decoder")
    ap.add_argument("--target", default="cortex-a55")
    ap.add_argument("--config", default="w4a8")
    ap.add_argument("--methods", default="smoothquant+gptq+gamma,asym+gptq+dynamic")
    ap.add_argument("-n", type=int, default=4, help="tokens of the longer run (default 4: three decode steps)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=None, help="wall-clock seconds per run")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "decode-functions"))
    args = ap.parse_args(argv)
    target = isa.get_target(args.target)
    methods = args.methods.split(",")
    res = {}
    for m in methods:
        res[m] = decode_functions(args.model, target, args.config, m, args.n,
                                  Path(args.workdir) / args.model / m, args.timeout)
    base = res[methods[0]][0]
    fns = sorted(set().union(*(r[0] for r in res.values())),
                 key=lambda f: -max(abs(r[0].get(f, 0) - (0 if m == methods[0] else base.get(f, 0)))
                                    for m, r in res.items()))
    lines = [f"## {args.model} {args.config} on {target.name}: instructions per decode step", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2-core x86_64 (shared): "
             f"`PYTHONPATH=. .venv/bin/python benchmarks/decode_functions.py {' '.join(sys.argv[1:])}`. Exact "
             f"(emulator counts), the run of {args.n} tokens minus the run of one, over {args.n - 1} steps; "
             "(+d) = the difference from the first method.", "",
             "| function | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    lines.append("| **total** | " + " | ".join(
        f"{r[1]:,.0f}" + ("" if m == methods[0] else f" ({r[1] - res[methods[0]][1]:+,.0f})")
        for m, r in res.items()) + " |")
    for f in fns[:args.top]:
        lines.append(f"| {f} | " + " | ".join(
            f"{r[0].get(f, 0):,.0f}" + ("" if m == methods[0] else f" ({r[0].get(f, 0) - base.get(f, 0):+,.0f})")
            for m, r in res.items()) + " |")
    print("\n".join(lines))
    return 0 if all(r[2] for r in res.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
