"""The bundled decoder's decode step, FP32, W8A8 and W4A8, on cortex-a55 / rk3566 and cortex-m4 / stm32f407 (weights in
flash: wait states and the ART decide), built as it ships (one copy of each kernel, as `intgap generate` and
firmware build it) and with per-layer kernel copies (each layer calls its own copies, for exact per-layer
profiles): the memory-aware step cycles, core cycles, memory stalls and instruction-side misses of each build, and
what the decoder sweep (`intgap bench`, `make demo`) reports for the same step. Why: the copies multiply the code
and its instruction-cache misses, so the sweep now takes its cycles from the shipped build and its instructions
from the copies build; this checks that its figures are the shipped build's, and its instructions the copies'.

    PYTHONPATH=. .venv/bin/python benchmarks/layer_copies_memory.py

Results: benchmarks/results/layer_copies_memory.{json,md}. A step is the difference of runs generating 1 and
1 + DECODE_STEPS tokens from the sweep's prompt (isa.timing.memory.step_difference), as the sweep measures it; its
cycles are summed over the program's functions outside the run harness (main, ig_prefill, ig_decode), as the
sweep sums them.
"""
from __future__ import annotations

import json
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from codegen.program import GENERATE_HARNESS_FUNCTIONS  # noqa: E402
from intgap.cache import Cache  # noqa: E402
from intgap.pipeline import build_program, run_generate  # noqa: E402
from intgap.sequence_sweep import DECODE_STEPS, PROMPT_TEXT, Decoder  # noqa: E402
from intgap.workload import run_workload  # noqa: E402
from intgap.sweep import parse_configs  # noqa: E402
from isa.boards import board_for  # noqa: E402
from isa.timing import estimate  # noqa: E402
from isa.timing.memory import step_difference  # noqa: E402
from quant import load_graph  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CASES = (("cortex-a55", "rk3566"), ("cortex-m4", "stm32f407"))
CONFIGS = ("fp32", "w8a8", "w4a8")
EVAL_TOKENS = 256  # perplexity only (not reported here); the graphs do not depend on it


def _fetch_misses(e) -> int:
    """Instruction-side misses: the L1I's, or the flash's ART-I's on a microcontroller board."""
    return sum(c["misses"] for c in e.memory["caches"] if c["name"] == "L1I" or c["name"].endswith(":ART-I"))


def _text_bytes(elf: Path) -> int:
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        return sum(s["sh_size"] for s in ELFFile(f).iter_sections() if s["sh_flags"] & 0x4)  # SHF_EXECINSTR


def measure(graph, prompt: list[int], target_name: str, board_name: str, config: str, layer_copies: bool,
            workdir: Path) -> dict:
    target = isa.get_target(target_name)
    board = board_for(target, board_name)
    built = build_program(graph, target, workdir / f"{target_name}-{config}-{'copies' if layer_copies else 'shared'}",
                          mode="generate", max_tokens=len(prompt), context=len(prompt) + DECODE_STEPS,
                          layer_copies=layer_copies)
    runs, ests = [], []
    t0 = time.perf_counter()
    for n in (1, 1 + DECODE_STEPS):
        _, r = run_generate(built, target, prompt, n, board=board, strict_fit=False)
        runs.append(r)
    board_seconds = time.perf_counter() - t0
    ests = [estimate(r, built.elf, target, board=board) for r in runs]
    t0 = time.perf_counter()
    for n in (1, 1 + DECODE_STEPS):  # counted only, as the sweep runs the copies build
        run_generate(built, target, prompt, n)
    counted_seconds = time.perf_counter() - t0
    step = step_difference(ests[0], ests[1], DECODE_STEPS)
    own = [f for f in step.per_function if f not in GENERATE_HARNESS_FUNCTIONS]
    top = sorted(((f, step.per_function[f]) for f in own), key=lambda kv: -kv[1])[:5]
    return {"target": target_name, "board": board_name, "config": config, "layer_copies": layer_copies,
            "step_cycles": round(math.fsum(step.per_function[f] for f in own)),
            "memory_stall_cycles": round(math.fsum(step.per_function_memory_stalls.get(f, 0) for f in own)),
            "step_cycles_with_harness": round(step.cycles),
            "fetch_misses_per_step": (_fetch_misses(ests[1]) - _fetch_misses(ests[0])) / DECODE_STEPS,
            "program_instructions": runs[1].instructions, "text_bytes": _text_bytes(built.elf),
            "board_run_seconds": round(board_seconds, 2), "counted_run_seconds": round(counted_seconds, 2),
            "top_functions": [[k, round(v)] for k, v in top]}


def main() -> int:
    t0 = time.time()
    work = ROOT / "out" / "bench-layer-copies"
    decoder = Decoder("shakespeare-decoder", eval_tokens=EVAL_TOKENS)
    cache = Cache(work / "cache")
    rows, sweep_rows = [], []
    configs = {c.name: c for c in parse_configs(",".join(CONFIGS))}
    for target_name, board_name in CASES:
        res = run_workload(decoder, [isa.get_target(target_name)], list(configs.values()),
                           cache_root=work / "cache", boards={target_name: board_for(isa.get_target(target_name), board_name)})
        for config in CONFIGS:
            whole = next(r for r in res.runs if r["layer"] is None and r["config"] == config)
            layers = [r for r in res.runs if r["layer"] is not None and r["config"] == config]
            sweep_rows.append({"target": target_name, "board": whole["board"], "config": config,
                               "step_cycles": whole["estimated_cycles"],
                               "memory_stall_cycles": whole["memory_stall_cycles"],
                               "limiting_level": whole["limiting_level"], "instructions": whole["instructions"],
                               "program_instructions": whole["program_instructions"],
                               "layers_step_cycles": sum(r["estimated_cycles"] for r in layers),
                               "outside_layers_instructions": sum(whole["outside_layers"].values())})
            graph = load_graph(decoder.quantize(configs[config], cache).graph_path)
            for lc in (False, True):
                rows.append(measure(graph, decoder.prompt, target_name, board_name, config, lc, work))
    doc = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/layer_copies_memory.py",
           "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - t0, 1),
           "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
           "model": "shakespeare-decoder", "prompt": PROMPT_TEXT, "decode_steps": DECODE_STEPS, "rows": rows,
           "sweep": sweep_rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "layer_copies_memory.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# The decoder's decode step: shipped build, per-layer copies build, and what the sweep reports",
             "", f"Command: `{doc['command']}` ({doc['date']}, {doc['machine']}, {doc['seconds']} s). Memory-aware "
             f"estimates of one decode step of the bundled decoder (runs of 1 and {1 + DECODE_STEPS} new tokens "
             f"from the sweep's prompt {PROMPT_TEXT!r}), summed over the functions outside the run harness as the "
             "sweep sums them. 'shipped': one copy of each kernel, as `intgap generate` and firmware build it; "
             "'copies': each layer calls its own copies of its kernels; 'sweep': the whole-step row of "
             "`intgap bench` (the decoder sweep, `make demo`), which takes its cycles from the shipped build and "
             "its instructions from the copies build. Fetch misses: L1I misses (rk3566) or ART-I misses "
             "(stm32f407) per step.", "",
             "| target / board | config | build | code bytes | program instructions | est. cycles / step | "
             "memory stalls | fetch misses / step | sweep est. cycles / step | sweep = shipped |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        s = next(x for x in sweep_rows if x["target"] == r["target"] and x["config"] == r["config"])
        same = "" if r["layer_copies"] else \
            ("yes (exact)" if s["step_cycles"] == r["step_cycles"] else f"no ({s['step_cycles'] - r['step_cycles']:+,})")
        lines.append(f"| {r['target']} / {r['board']} | {r['config']} | "
                     f"{'copies' if r['layer_copies'] else 'shipped'} | {r['text_bytes']:,} | "
                     f"{r['program_instructions']:,} | {r['step_cycles']:,} | {r['memory_stall_cycles']:,} | "
                     f"{r['fetch_misses_per_step']:,.0f} | {s['step_cycles']:,} | {same} |")
    lines += ["", "The sweep's rows: whole step, the layers' sum (the rest is the glue outside the layers: "
              "ig_model_forward, the argmax), limiting level, and its instructions (exact, from the copies build; "
              "'program' is the 1 + K-token run's, equal in both builds):", "",
              "| target / board | config | est. cycles / step | memory stalls | layers' est. cycles | limited by | "
              "instructions / step | program instructions |", "|---|---|---:|---:|---:|---|---:|---:|"]
    for s in sweep_rows:
        lines.append(f"| {s['target']} / {s['board']} | {s['config']} | {s['step_cycles']:,} | "
                     f"{s['memory_stall_cycles']:,} | {s['layers_step_cycles']:,} | {s['limiting_level']} | "
                     f"{s['instructions']:,} | {s['program_instructions']:,} |")
    lines += ["", "Cost of the sweep's second build: wall seconds of the two runs (1 and 1 + K tokens) of each build, "
              "memory-aware on the board and counted only (the sweep runs the shipped build on the board and the "
              "copies build counted; before, it ran the copies build on the board). The builds themselves come "
              "from the object cache (one more link per config). Machine shared with other jobs: compare within "
              "a row.", "", "| target / board | config | build | on the board, s | counted, s |",
              "|---|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['target']} / {r['board']} | {r['config']} | "
                     f"{'copies' if r['layer_copies'] else 'shipped'} | {r['board_run_seconds']} | "
                     f"{r['counted_run_seconds']} |")
    lines += ["", "Functions taking the most cycles per step:", ""]
    for r in rows:
        lines.append(f"- {r['target']} {r['config']}, {'copies' if r['layer_copies'] else 'shipped'}: " +
                     ", ".join(f"{k} {v:,}" for k, v in r["top_functions"]))
    lines.append("")
    (RESULTS / "layer_copies_memory.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
