"""Token generation with memory-aware estimates: decode cycles per token split into core and memory stalls, on a
board (docs/memory-models.md). A check of the memory model on the workloads issue 13 is about, before the CLI and
benchmarks/generation.py take boards:
  * SmolLM2-135M on cortex-a55 / rk3566, W8A8 and W4A8: est. tokens/s against the ~37-47 tokens/s that one A55
    core's measured DRAM read bandwidth allows for 134 MB of int8 weights per token (BOARD-FACTS.md);
  * the bundled shakespeare-decoder on cortex-m4 / stm32f407 with the weights in flash and, where they fit, in SRAM.
Decode figures are the difference of a 3-token and a 1-token generation over 2 (prefill and set-up cancel).

    PYTHONPATH=. .venv/bin/python benchmarks/memory_generation.py [--cases smollm2,decoder]

Results: benchmarks/results/memory_generation.{json,md}."""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap.sequence_models import quantized_model  # noqa: E402
from intgap.pipeline import build_program  # noqa: E402
from isa.errors import ProgramDoesNotFitBoard  # noqa: E402
from isa.timing import estimate  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
CASES = {"smollm2": ("smollm2", "To be, or not to be", "cortex-a55", "rk3566", ((False, "dram"),)),
         "decoder": ("shakespeare-decoder", "ROMEO:\nBut soft", "cortex-m4", "stm32f407",
                     ((False, "flash"), (True, "sram")))}


def decode_split(built, target, board: str, prompt: list[int], weights_in_sram: bool) -> dict:
    res = {}
    for n in (1, 3):
        inp = built.program.encode_generate(prompt, n, len(prompt))
        r = isa.run(built.elf, target, inputs=inp, board=board, weights_in_sram=weights_in_sram,
                    max_instructions=20_000_000_000)
        res[n] = (r, estimate(r, built.elf, target, board=board))
    (r1, e1), (r3, e3) = res[1], res[3]
    d = {k: (getattr(e3, k) - getattr(e1, k)) / 2 for k in ("cycles", "core_cycles", "memory_stall_cycles")}
    d["instructions"] = (r3.instructions - r1.instructions) / 2
    d["est_tokens_per_s"] = e3.clock_mhz * 1e6 / d["cycles"]
    d["core_only_tokens_per_s"] = e3.clock_mhz * 1e6 / d["core_cycles"]
    d.update(clock_mhz=e3.clock_mhz, limiting=f"{e3.limiting_level} {e3.limited_by}", label=e3.heading)
    per_level = {}
    for c in r3.memory.caches:
        c1 = r1.memory.cache(c.name)
        per_level[c.name] = {k: (getattr(c, k) - getattr(c1, k)) / 2
                             for k in ("accesses", "hits", "misses", "prefetches_useful", "stall_cycles")}
    for m in r3.memory.memories:
        m1 = r1.memory.memory(m.name)
        per_level[m.name] = {k: (getattr(m, k) - getattr(m1, k)) / 2 for k in ("read_bytes", "write_bytes",
                                                                                "stall_cycles")}
    d["per_token"] = per_level
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="smollm2,decoder")
    ap.add_argument("--configs", default="w8a8,w4a8")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-memory-generation"))
    args = ap.parse_args()
    rows = []
    t0 = time.time()
    for case in args.cases.split(","):
        model, text, tname, board, placements = CASES[case]
        target = isa.get_target(tname)
        for config in args.configs.split(","):
            sm = quantized_model(model, config)
            prompt = [int(x) for x in sm.tokenizer(text)["input_ids"]]
            built = build_program(sm.graph, target, Path(args.workdir) / f"{model}-{config}-{tname}", mode="generate",
                                   max_tokens=len(prompt), context=32)
            for in_sram, where in placements:
                row = {"model": model, "config": config, "method": sm.method, "target": tname, "board": board,
                       "weights": where, "weights_bytes": built.lowered.blob.size}
                try:
                    row.update(decode_split(built, target, board, prompt, in_sram))
                except ProgramDoesNotFitBoard as e:
                    row["does_not_fit"] = str(e)
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "per_token"}), flush=True)
    doc = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": f"{platform.machine()} {platform.node()}",
           "command": "benchmarks/memory_generation.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])),
           "seconds": round(time.time() - t0), "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "memory_generation.json").write_text(json.dumps(doc, indent=1) + "\n")
    (OUT / "memory_generation.md").write_text(markdown(doc))
    print(markdown(doc))


def markdown(doc: dict) -> str:
    lines = ["# Decode per token with memory-aware estimates", "",
             f"Command: `PYTHONPATH=. .venv/bin/python {doc['command']}` ({doc['date']}, {doc['machine']}, "
             f"{doc['seconds']} s). Per decoded token: the difference of a 3-token and a 1-token generation over 2.",
             "Memory-aware estimates: the core pipeline model plus the board's simulated memory system "
             "(docs/memory-models.md).", "",
             "| model | config | target / board | weights in | instructions | core cycles | memory stall cycles | "
             "est. cycles | est. tokens/s | core-only tokens/s | limited by | DRAM / flash bytes read |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in doc["rows"]:
        head = f"| {r['model']} | {r['config']} | {r['target']} / {r['board']} | {r['weights']} |"
        if "does_not_fit" in r:
            lines.append(f"{head} does not fit: {r['does_not_fit']} |" + " |" * 7)
            continue
        mem = r["per_token"].get("dram") or r["per_token"].get("flash") or {}
        lines.append(f"{head} {r['instructions']:,.0f} | {r['core_cycles']:,.0f} | {r['memory_stall_cycles']:,.0f} | "
                     f"{r['cycles']:,.0f} | {r['est_tokens_per_s']:.1f} | {r['core_only_tokens_per_s']:.1f} | "
                     f"{r['limiting']} | {mem.get('read_bytes', 0):,.0f} |")
    lines.append("")
    for r in doc["rows"]:
        if "per_token" in r:
            lines.append(f"- {r['model']} {r['config']} ({r['weights']}), {r['label']}: per token "
                         + "; ".join(f"{k}: " + ", ".join(f"{kk} {vv:,.0f}" for kk, vv in v.items())
                                     for k, v in r["per_token"].items()))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
