"""The latency gap with an NPU beside the core (docs/npu.md): the bundled decoder's decode step on an NPU target at
three array sizes, per layer (CPU cycles of the layers left on the core, NPU cycles and utilisation of the offloaded
ones), end to end (CPU + NPU est. cycles per token), the CPU-side op that then dominates, and Amdahl's bound against
the same core without the NPU. A decode step is the difference of generations of 1 and 1 + N tokens over N; the
builds have per-layer kernel copies so every CPU cycle has its layer.

    PYTHONPATH=. .venv/bin/python benchmarks/npu.py [--family cortex-m55-npu] [--configs w8a8] [-n 4]

Results: benchmarks/results/npu.{json,md}."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.energy import machine  # noqa: E402
from codegen.program import GENERATE_HARNESS_FUNCTIONS  # noqa: E402
from intgap import sequence_models  # noqa: E402
from intgap.npu_report import amdahl, layer_rows, op_of  # noqa: E402
from intgap.pipeline import build_program, reference_generate, run_generate  # noqa: E402
from intgap.result_rows import layer_of  # noqa: E402
from isa.boards import board_for  # noqa: E402
from isa.npu.config import npu_of  # noqa: E402
from isa.timing import estimate  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
PROMPT = "ROMEO:"
SIZES = ("-8x8", "", "-32x32")


def cpu_twin(target: isa.Target) -> isa.Target:
    """The same core, board and build without the NPU: every layer on the CPU."""
    return replace(target, extra={k: v for k, v in target.extra.items() if k != "npu"})


def step(sm, target, prompt: list[int], n_new: int, workdir: Path) -> dict:
    """One decode step (per function CPU cycles, per tag NPU figures) and the tokens of both runs."""
    b = board_for(target)
    built = build_program(sm.graph, target, workdir, mode="generate", max_tokens=len(prompt),
                          context=len(prompt) + n_new, layer_copies=True)
    runs = []
    for n in (1, n_new):
        tokens, r = run_generate(built, target, prompt, n, chunk=len(prompt), board=b, strict_fit=False,
                                 max_instructions=10_000_000_000)
        runs.append((tokens, r, estimate(r, built.elf, target, board=b)))
    (_, r1, e1), (tokens, rn, en) = runs
    steps = n_new - 1
    fns = set(e1.per_function) | set(en.per_function)
    cpu = {f: (en.per_function.get(f, 0) - e1.per_function.get(f, 0)) / steps for f in fns
           if f not in GENERATE_HARNESS_FUNCTIONS}
    npu = {}
    if rn.npu is not None:
        t1, tn = r1.npu.per_tag(), rn.npu.per_tag()
        for tag, d in tn.items():
            npu[tag] = {k: (v - t1.get(tag, {}).get(k, 0)) / steps for k, v in d.items()}
    return {"tokens": tokens, "cpu_per_function": cpu, "npu_per_tag": npu, "cpu_cycles": sum(cpu.values()),
            "npu_cycles": sum(d["cycles"] for d in npu.values()), "model": en.model,
            "instructions": (rn.instructions - r1.instructions) / steps}


def measure(family: str, config: str, n_new: int, workdir: Path) -> dict:
    sm = sequence_models.quantized_model("shakespeare-decoder", config)
    prompt = [int(t) for t in sm.tokenizer(PROMPT)["input_ids"]]
    ref = reference_generate(sm.graph, prompt, n_new)
    base = isa.get_target(family)
    t0 = time.time()
    cpu_only = step(sm, cpu_twin(base), prompt, n_new, workdir / f"{config}-cpu")
    offloaded = {i for i, n in enumerate(sm.graph.nodes) if n.op.startswith("fully_connected")}
    rows = []
    for size in SIZES:
        target = isa.get_target(family + size)
        npu = npu_of(target)
        s = step(sm, target, prompt, n_new, workdir / f"{config}{size or '-16x16'}")
        layers = layer_rows(sm.graph, s["cpu_per_function"], s["npu_per_tag"], npu.macs_per_cycle)
        on_npu = {r["layer"] for r in layers if r["where"] == "npu"}
        by_op: dict[str, float] = {}
        for f, c in s["cpu_per_function"].items():
            if layer_of(f) is None or layer_of(f) not in on_npu:
                by_op[op_of(f)] = by_op.get(op_of(f), 0.0) + c
        off_cpu_only = sum(c for f, c in cpu_only["cpu_per_function"].items() if layer_of(f) in on_npu)
        rows.append({
            "target": target.name, "array": npu.label, "macs_per_cycle": npu.macs_per_cycle, "config": config,
            "method": sm.method, "timing_model": s["model"], "npu_model": "intgap npu model v1",
            "tokens_equal_reference": s["tokens"] == ref, "cpu_only_tokens_equal_reference": cpu_only["tokens"] == ref,
            "decode_cpu_cycles": s["cpu_cycles"], "decode_npu_cycles": s["npu_cycles"],
            "decode_total_cycles": s["cpu_cycles"] + s["npu_cycles"],
            "decode_instructions": s["instructions"], "cpu_only_decode_cycles": cpu_only["cpu_cycles"],
            "cpu_only_decode_instructions": cpu_only["instructions"],
            "npu_utilization": (sum(d["macs"] for d in s["npu_per_tag"].values())
                                / (npu.macs_per_cycle * s["npu_cycles"])) if s["npu_cycles"] else 0.0,
            "offloaded_layers": sorted(on_npu), "fc_layers": sorted(offloaded),
            "cpu_by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
            "layers": layers,
            "amdahl": amdahl(cpu_only["cpu_cycles"], off_cpu_only, s["cpu_cycles"], s["npu_cycles"]),
            "clock_mhz": target.extra["clock_mhz"]})
        print(json.dumps({k: rows[-1][k] for k in ("target", "decode_cpu_cycles", "decode_npu_cycles",
                                                   "npu_utilization", "tokens_equal_reference")}), flush=True)
    for r in rows:
        r["seconds_all_sizes"] = round(time.time() - t0, 1)
    return {"family": family, "config": config, "rows": rows, "cpu_only_by_op": {
        op: sum(c for f, c in cpu_only["cpu_per_function"].items() if op_of(f) == op)
        for op in {op_of(f) for f in cpu_only["cpu_per_function"]}}}


# the bundled decoder's GEMMs (M x K x N): one decode row, and a 16-row prefill chunk
GEMMS = (("q_proj / o_proj", 1, 128, 128), ("k_proj / v_proj", 1, 128, 64), ("gate_proj / up_proj", 1, 128, 384),
         ("down_proj", 1, 384, 128), ("lm_head", 1, 128, 1024), ("gate_proj, 16-row prefill", 16, 128, 384))


def scalesim_table(bytes_per_cycle: float = 8.0) -> list[str]:
    """The cycle model next to SCALE-Sim's analytical runtime for the same arrays and GEMMs (output-stationary)."""
    from isa.npu.config import sized
    from isa.npu.cycles import Gemm, job_cycles, mapping, scalesim_runtime
    out = ["| GEMM (M x K x N) | array | SCALE-Sim tau | model: compute | model: job at "
           f"{bytes_per_cycle:g} B/cycle | bound | utilisation |", "|---|---|---|---|---|---|---|"]
    for name, m, k, n in GEMMS:
        for size in (8, 16, 32):
            g, cfg = Gemm(m, k, n), sized(size, size)
            j = job_cycles(g, cfg, bytes_per_cycle)
            out.append(f"| {name} ({m} x {k} x {n}) | {size}x{size} | "
                       f"{scalesim_runtime(size, size, *mapping(g, 'os')):,} | {j.compute_cycles:,} | {j.cycles:,} | "
                       f"{j.bound} | {j.utilization:.1%} |")
    return out


def minilm_layer(targets: list[str], workdir: Path) -> list[dict]:
    """One all-MiniLM-L6-v2 encoder layer (W8A8) on each NPU target: bit-exact against the reference, CPU and NPU
    cycles of the forward pass of a held-out line."""
    import numpy as np

    from intgap.pipeline import run_forward
    from quant import reference
    from quant.hf_capture import sequence_inputs
    from quant.hf_models import shakespeare_lines
    from quant.subgraph import subgraph
    sm = sequence_models.quantized_model("minilm", "w8a8")
    ids = np.asarray(sm.tokenizer(shakespeare_lines("eval", 1, seed=3)[0])["input_ids"], np.int32)
    layer = subgraph(sm.graph, "encoder.layer.0")
    acts = reference.run(sm.graph, sequence_inputs(ids), keep_all=True)
    rows = []
    for name in targets:
        t = isa.get_target(name)
        built = build_program(layer, t, workdir / name, mode="forward", max_tokens=len(ids), context=len(ids))
        y, r = run_forward(built, t, acts[layer.inputs[0]], board=board_for(t))
        e = estimate(r, built.elf, t, board=board_for(t))
        rows.append({"target": name, "tokens": len(ids), "method": sm.method,
                     "bit_exact": bool(np.array_equal(y, acts[layer.outputs[0]])), "instructions": r.instructions,
                     "cpu_cycles": e.cycles, "npu_cycles": r.npu.cycles, "npu_jobs": len(r.npu.jobs),
                     "npu_utilization": r.npu.utilization, "timing_model": e.model})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(cases: list[dict], meta: dict) -> str:
    out = ["# The latency gap with an NPU beside the core", "",
           f"Command: `{meta['command']}` ({meta['date']}, {meta['machine']}, commit {meta['commit']}).", "",
           "Estimates, not measurements: the core's cycles are its timing model's on the target's board (named in "
           "each table), the NPU's those of `intgap npu model v1` (docs/npu.md), added (the core polls while a job "
           "runs). One decode step of the bundled decoder (prompt "
           f"{PROMPT!r}), per token. Instructions are exact.", ""]
    for case in cases:
        rows = case["rows"]
        out += [f"## {case['family']}, {case['config']} ({rows[0]['method']}); core: {rows[0]['timing_model']}", "",
                "| array | MACs/cycle | tokens = reference | CPU cycles | NPU cycles | total | NPU utilisation | "
                "CPU share | est. tokens/s | realized speedup | Amdahl's bound | top CPU op |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            a = r["amdahl"]
            top, top_c = next(iter(r["cpu_by_op"].items()))
            out.append(f"| {r['array']} | {r['macs_per_cycle']} | {'yes' if r['tokens_equal_reference'] else 'NO'} | "
                       f"{r['decode_cpu_cycles']:,.0f} | {r['decode_npu_cycles']:,.0f} | "
                       f"{r['decode_total_cycles']:,.0f} | {r['npu_utilization']:.1%} | {a['cpu_share']:.0%} | "
                       f"{r['clock_mhz'] * 1e6 / r['decode_total_cycles']:,.0f} | {a['realized']:.2f}x | "
                       f"{a['amdahl_bound']:.2f}x | {top} ({top_c / r['decode_cpu_cycles']:.0%} of CPU) |")
        r0 = rows[0]
        out += ["", f"Without the NPU (the same core and build, every layer on the CPU): "
                    f"{r0['cpu_only_decode_cycles']:,.0f} est. cycles, {r0['cpu_only_decode_instructions']:,.0f} "
                    f"instructions per token; the offloaded layers (fully connected, attention matmuls) are "
                    f"{r0['amdahl']['offloaded_share']:.0%} of it. Amdahl's bound: the speedup if the NPU took no "
                    f"time at all (the offloaded layers' CPU cycles gone, the rest unchanged).", "",
                "CPU cycles per token by op on the NPU target (what stays on the core):", "",
                "| op | " + " | ".join(r["array"] for r in rows) + " | without NPU |",
                "|---|" + "---|" * (len(rows) + 1)]
        ops = list(rows[1]["cpu_by_op"])
        for op in (o for o in ops if any(r["cpu_by_op"].get(o, 0) >= 0.5 for r in rows)):
            out.append(f"| {op} | " + " | ".join(f"{r['cpu_by_op'].get(op, 0):,.0f}" for r in rows) +
                       f" | {case['cpu_only_by_op'].get(op, 0):,.0f} |")
        out += ["", "Per layer (NPU cycles and utilisation per array size; CPU cycles of the layers on the core, "
                    f"{rows[1]['array']}):", "",
                "| layer | op | where | CPU cycles | " + " | ".join(f"NPU {r['array']} (util.)" for r in rows) + " |",
                "|---|---|---|---|" + "---|" * len(rows)]
        for i, lay in enumerate(rows[1]["layers"]):
            cells = []
            for r in rows:
                x = r["layers"][i]
                cells.append(f"{x['npu_cycles']:,.0f} ({x['npu_utilization']:.1%})" if x["where"] == "npu" else "")
            out.append(f"| {lay['name']} | {lay['op']} | {lay['where']} | {lay['cpu_cycles']:,.0f} | "
                       + " | ".join(cells) + " |")
        out.append("")
    if meta.get("minilm"):
        out += ["## One MiniLM encoder layer (all-MiniLM-L6-v2 W8A8, encoder.layer.0, forward pass of one line)", "",
                "| target | tokens | output = reference | instructions | CPU cycles | NPU jobs | NPU cycles | "
                "NPU utilisation |", "|---|---|---|---|---|---|---|---|"]
        for r in meta["minilm"]:
            out.append(f"| {r['target']} | {r['tokens']} | {'yes' if r['bit_exact'] else 'NO'} | "
                       f"{r['instructions']:,} | {r['cpu_cycles']:,} ({r['timing_model']}) | {r['npu_jobs']} | "
                       f"{r['npu_cycles']:,} | {r['npu_utilization']:.1%} |")
        out.append("")
    out += ["## The cycle model against SCALE-Sim's analytical model", "",
            "Compute cycles equal SCALE-Sim's (2R + C + T - 2) ceil(S_R/R) ceil(S_C/C) by construction (checked on "
            "random shapes in tests/isa/test_npu_cycles.py); the job adds setup, the descriptor and the DMA of "
            "docs/npu.md:", "", *scalesim_table(), ""]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", default="cortex-m55-npu")
    ap.add_argument("--configs", default="w8a8")
    ap.add_argument("-n", "--new-tokens", type=int, default=4)
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-npu"))
    ap.add_argument("--minilm", default="cortex-m55-npu,rv32imc-npu", help="targets of the MiniLM layer ('': none)")
    args = ap.parse_args()
    old = json.loads((OUT / "npu.json").read_text()) if (OUT / "npu.json").exists() else {"cases": [], "meta": {}}
    # --family '': keep the decoder's cases of npu.json; --minilm '': keep its MiniLM rows
    cases = [measure(f, c, args.new_tokens, Path(args.workdir) / f) for f in args.family.split(",") if f
             for c in args.configs.split(",")] or old["cases"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60).stdout.strip()
    command = "PYTHONPATH=. .venv/bin/python benchmarks/npu.py " + " ".join(a or "''" for a in sys.argv[1:])
    if (not args.family or not args.minilm) and old["meta"].get("command"):  # a part: both commands made the file
        command = f"{old['meta']['command']}; {command}"
    meta = {"command": command,
            "date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": commit, "machine": machine(),
            "minilm": minilm_layer(args.minilm.split(","), Path(args.workdir) / "minilm") if args.minilm
            else old["meta"].get("minilm", [])}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "npu.json").write_text(json.dumps({"meta": meta, "cases": cases}, indent=1) + "\n")
    (OUT / "npu.md").write_text(markdown(cases, meta))


if __name__ == "__main__":
    main()
