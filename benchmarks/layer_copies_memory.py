"""The bundled decoder's decode step on cortex-a55 / rk3566, W8A8 and W4A8, built as `intgap generate` builds it (one
copy of each kernel) and as the decoder sweep (`intgap bench`, `make demo`) builds it (each layer calls its own
copies of its kernels, for exact per-layer profiles): the memory-aware step cycles, core cycles, memory stalls and
L1I misses of each, and the functions that take the most cycles. Why: the sweep's table ranks W4A8 slower than W8A8
on this board while bytes say the opposite.

    PYTHONPATH=. .venv/bin/python benchmarks/layer_copies_memory.py

Results: benchmarks/results/layer_copies_memory.{json,md}. A step is the difference of runs generating 1 and 5 tokens
over 4 (isa.timing.memory.step_difference), as the sweep measures it.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap.sequence_models import quantized_model  # noqa: E402
from intgap.pipeline import build_program, run_generate  # noqa: E402
from isa.boards import board_for  # noqa: E402
from isa.timing import estimate  # noqa: E402
from isa.timing.memory import step_difference  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROMPT = "ROMEO:\nBut soft"
STEPS = 4


def _l1i_misses(e) -> int:
    return next(c["misses"] for c in e.memory["caches"] if c["name"] == "L1I")


def measure(config: str, layer_copies: bool, workdir: Path) -> dict:
    target = isa.parse_targets("cortex-a55")[0]
    board = board_for(target, "rk3566")
    sm = quantized_model("shakespeare-decoder", config)
    prompt = [int(x) for x in sm.tokenizer(PROMPT)["input_ids"]]
    built = build_program(sm.graph, target, workdir / f"{config}-{'copies' if layer_copies else 'shared'}",
                          mode="generate", max_tokens=len(prompt), context=len(prompt) + STEPS + 1,
                          layer_copies=layer_copies)
    ests = []
    for n in (1, 1 + STEPS):
        _, r = run_generate(built, target, prompt, n, board=board)
        ests.append(estimate(r, built.elf, target, board=board))
    step = step_difference(ests[0], ests[1], STEPS)
    top = sorted(step.per_function.items(), key=lambda kv: -kv[1])[:5]
    return {"config": config, "layer_copies": layer_copies, "step_cycles": step.cycles,
            "core_cycles": step.core_cycles, "memory_stall_cycles": step.memory_stall_cycles,
            "l1i_misses_per_step": (_l1i_misses(ests[1]) - _l1i_misses(ests[0])) / STEPS,
            "text_bytes": _text_bytes(built.elf), "top_functions": [[k, v] for k, v in top]}


def _text_bytes(elf: Path) -> int:
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        return sum(s["sh_size"] for s in ELFFile(f).iter_sections() if s["sh_flags"] & 0x4)  # SHF_EXECINSTR


def main() -> int:
    t0 = time.time()
    work = ROOT / "out" / "bench-layer-copies"
    rows = [measure(c, lc, work) for lc in (False, True) for c in ("w8a8", "w4a8")]
    doc = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/layer_copies_memory.py",
           "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - t0, 1),
           "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
           "target": "cortex-a55", "board": "rk3566", "model": "shakespeare-decoder", "prompt": PROMPT, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "layer_copies_memory.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# The decoder's decode step with shared kernels and with per-layer kernel copies (cortex-a55 / rk3566)",
             "", f"Command: `{doc['command']}` ({doc['date']}, {doc['machine']}, {doc['seconds']} s). Memory-aware "
             f"estimates (intgap cortex-a55 model on rk3566) of one decode step of the bundled decoder: runs of 1 and "
             f"{1 + STEPS} new tokens, prompt {PROMPT!r}. 'shared': one copy of each kernel, as `intgap generate` "
             "builds it; 'per-layer copies': as the decoder sweep (`intgap bench`, `make demo`) builds it.", "",
             "| config | kernels | code bytes | est. cycles / step | core | memory stalls | L1I misses / step |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['config']} | {'per-layer copies' if r['layer_copies'] else 'shared'} | "
                     f"{r['text_bytes']:,} | {r['step_cycles']:,.0f} | {r['core_cycles']:,.0f} | "
                     f"{r['memory_stall_cycles']:,.0f} | {r['l1i_misses_per_step']:,.0f} |")
    lines += ["", "Functions taking the most cycles per step:", ""]
    for r in rows:
        lines.append(f"- {r['config']}, {'per-layer copies' if r['layer_copies'] else 'shared'}: " +
                     ", ".join(f"{k} {v:,.0f}" for k, v in r["top_functions"]))
    lines.append("")
    (RESULTS / "layer_copies_memory.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
