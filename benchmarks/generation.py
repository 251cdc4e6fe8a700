"""Token generation by the integer-only C programs on emulated cores: SmolLM2-135M and the bundled
shakespeare-decoder, W8A8 and W4A8, per target. Records exact instructions per prefill token and per decoded token
(context at most 32 tokens, one thread), estimated cycles on a board (each target's named pipeline model plus the
board's simulated memory system: core cycles and memory stalls, and what limits the step), estimated tokens/s at the
board's clock, the model's weight MACs per token (so instructions per MAC can be read off), and whether the 16 greedy
tokens equal the reference interpreter's.

    PYTHONPATH=. .venv/bin/python benchmarks/generation.py [--models smollm2,shakespeare-decoder]
        [--targets cortex-a55,...] [--configs w8a8,w4a8] [-n 16] [--method M] [--board B[,B...]]

Results: benchmarks/results/generation.{json,md}. A run replaces the recorded row of the same model, config,
method and target. Goals (instructions per decoded token, SmolLM2): W8A8 cortex-a55 <= 17 M, W4A8 cortex-a55 <= 21 M,
W8A8 rv64gcv (VLEN 128) <= 55 M.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap.board_option import resolve_boards  # noqa: E402
from intgap.generate_command import generate_on_target  # noqa: E402
from intgap.sequence_models import quantized_model  # noqa: E402
from quant.default_method import DECODER_BUDGET, SPEED_TARGET  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROMPTS = {"smollm2": "To be, or not to be", "shakespeare-decoder": "ROMEO:\nBut soft"}
TARGETS = {"smollm2": "cortex-a55,cortex-a53,rv64gcv,rv64gcv-vlen256,rv64gc",
           "shakespeare-decoder": "cortex-m4,cortex-m4f,cortex-m7,rv32imc,cortex-a53,cortex-a55,rv64gc,rv64gcv,"
                                  "rv64gcv-vlen256"}
# decode instructions per token: on cortex-a55 the speed goals the default methods are chosen by (issue 20's, in
# quant/default_method.py), on rv64gcv the RVV issue's
GOALS = {**{("smollm2", c, SPEED_TARGET): b for c, b in DECODER_BUDGET.items()}, ("smollm2", "w8a8", "rv64gcv"): 55e6}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="smollm2,shakespeare-decoder")
    ap.add_argument("--targets", default=None, help="default: the issue's list per model")
    ap.add_argument("--configs", default="w8a8,w4a8")
    ap.add_argument("-n", type=int, default=16)
    ap.add_argument("--method", default=None, help="quantization method (default: the config's default method)")
    ap.add_argument("--board", default=None, help="boards (each target takes the first that hosts it, else its "
                    "default board, intgap boards)")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-generation"))
    ap.add_argument("--timeout", type=float, default=None, help="wall-clock seconds per run (default: isa.run's; "
                    "a scalar core running SmolLM2 memory-aware on a loaded machine needs more)")
    args = ap.parse_args(argv)
    out = RESULTS / "generation.json"
    doc = json.loads(out.read_text()) if out.exists() else {"rows": []}
    for model in args.models.split(","):
        for config in args.configs.split(","):
            t0 = time.time()
            sm = quantized_model(model, config, args.method)
            qs = time.time() - t0
            prompt = [int(t) for t in sm.tokenizer(PROMPTS[model])["input_ids"]]
            targets = isa.parse_targets(args.targets or TARGETS[model])
            boards = resolve_boards(targets, args.board)
            for t in targets:
                tname, board = t.name, boards[t.name].name
                t1 = time.time()
                r = generate_on_target(sm, t, prompt, args.n, workdir=Path(args.workdir), board=board,
                                       timeout_s=args.timeout)
                r["text"] = sm.tokenizer.decode(r["tokens"])
                r["prompt"] = PROMPTS[model]
                r["wall_seconds"] = round(time.time() - t1, 1)
                r["quantize_or_load_seconds"] = round(qs, 1)
                r["command"] = (f"PYTHONPATH=. .venv/bin/python benchmarks/generation.py --models {model} "
                                f"--targets {tname} --configs {config} -n {args.n} --board {board}"
                                + (f" --method {args.method}" if args.method else "")
                                + (f" --timeout {args.timeout:g}" if args.timeout else ""))
                r["date"] = time.strftime("%Y-%m-%d")
                # replaces the row of the same model, config, target, method and board (or of no board: measured
                # before boards existed, core only)
                doc["rows"] = [x for x in doc["rows"] if (x["model"], x["config"], x["target"], x["method"]) !=
                               (r["model"], config, tname, r["method"]) or x.get("board") not in (None, board)] + [r]
                print(f"{model:20s} {config} {tname:16s} decode {r['decode_instructions_per_token'] / 1e6:8.2f} M "
                      f"instr/token ({r['decode_instructions_per_mac']:.3f}/MAC), prefill "
                      f"{r['prefill_instructions_per_token'] / 1e6:.2f} M, est. {r.get('est_tokens_per_second', 0):.1f}"
                      f" tok/s on {board} (limited by {r.get('limiting_level')}), matches reference: "
                      f"{r['matches_reference']}  [{r['wall_seconds']} s]", flush=True)
                _write(doc)
    return 0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _with_goal(r: dict) -> dict:
    """The row against today's goal for its model, config and target (a goal a later issue tightened included)."""
    goal = GOALS.get((r["model"], r["config"], r["target"]))
    if goal:
        r.update(goal_decode_instructions_per_token=goal, meets_goal=r["decode_instructions_per_token"] <= goal)
    return r


def _write(doc: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc["rows"] = [_with_goal(r) for r in doc["rows"]]
    doc.update(command="PYTHONPATH=. .venv/bin/python " + " ".join(["benchmarks/generation.py", *sys.argv[1:]]),
               date=time.strftime("%Y-%m-%d"), machine=f"{_cpu()}, {subprocess.run(['nproc'], capture_output=True, text=True, timeout=10).stdout.strip()} cores",
               what="instructions are exact emulator counts; cycles are estimates of each target's named model on a "
                    "board (core pipeline + the board's simulated memory system); tokens/s = the board's clock / "
                    "estimated cycles per decoded token (an estimate)")
    (RESULTS / "generation.json").write_text(json.dumps(doc, indent=1) + "\n")
    rows = sorted(doc["rows"], key=lambda r: (r["model"], r["config"], r["target"], r["method"], r.get("board", "")))
    lines = ["# Token generation on emulated cores", "",
             f"Measured {doc['date']} on {doc['machine']}; every row is reproduced by `PYTHONPATH=. .venv/bin/python "
             "benchmarks/generation.py --models M --targets T --configs C` (each row's command is in generation.json), "
             f"the last run was `{doc['command']}`.", "",
             "Instructions are exact (emulator counts), per token. Cycles are estimates of each target's named timing "
             "model on the named board (`intgap boards`): the core pipeline's cycles plus the stalls of the board's "
             "simulated caches, DRAM or flash, never below the bytes moved over the serving memory's bandwidth "
             "(docs/memory-models.md); tokens/s at the board's clock from those estimates. Rows without a board "
             "were measured before boards existed (core only, the target's nominal clock). Decode = one "
             "greedy step with the int8 key/value cache (context at most 32 tokens); prefill = the prompt in one "
             "chunk (the LM head runs for its last token only). 'matches' = the 16 tokens equal the reference "
             "interpreter's greedy tokens.", "",
             "| model | config | method | target | board | decode instr./token | instr./MAC | est. cycles/token | "
             "of which memory stalls | limited by | est. tok/s | prefill instr./token | goal | matches | text |",
             "|---|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---|---|"]
    for r in rows:
        goal = r.get("goal_decode_instructions_per_token")
        gtxt = "" if goal is None else f"<= {goal / 1e6:.0f} M: {'met' if r['meets_goal'] else 'missed'}"
        stall = r.get("decode_memory_stall_cycles_per_token")
        lines.append(f"| {r['model']} | {r['config']} | {r['method']} | {r['target']} | {r.get('board', '(none)')} | "
                     f"{r['decode_instructions_per_token']:,.0f} | "
                     f"{r['decode_instructions_per_mac']:.3f} | {r['decode_est_cycles_per_token']:,.0f} | "
                     f"{'' if stall is None else f'{stall:,.0f}'} | {r.get('limiting_level', '')} | "
                     f"{r.get('est_tokens_per_second', 0):.1f} | {r['prefill_instructions_per_token']:,.0f} | {gtxt} | "
                     f"{'yes' if r['matches_reference'] else 'NO'} | {r['text']!r} |")
    lines += ["", "Weight MACs per token: " + ", ".join(sorted({f"{r['model']} {r['macs_per_token']:,}" for r in rows})),
              ""]
    (RESULTS / "generation.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
