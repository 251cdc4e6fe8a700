"""Overhead of the profile (instruction mix, bytes, per function) and of the cycle estimate against plain
counting, and the timing models' estimates on a CoreMark-like workload.

Run: `.venv/bin/python benchmarks/profile_overhead.py [--targets a,b] [--iters N]`
Results: benchmarks/results/profile_overhead.{json,md}.

For each target the workload (benchmarks/profile_workload.c) is built with N and 2N iterations; the
difference gives instructions and estimated cycles per iteration without start-up. Times are the best of 3:
* run: isa.run with native counting (the emulator);
* profile: decoding each distinct block once + mix/bytes/per-function attribution (isa.profile);
* estimate: the timing model over the decoded blocks (isa.timing), given the decoded analysis.
The profile cost depends on the number of distinct blocks, not on the instructions executed.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from isa.profile import analyze, profile  # noqa: E402
from isa.timing import estimate  # noqa: E402
from toolchain import build_elf  # noqa: E402

PROGRAM = ROOT / "benchmarks" / "profile_workload.c"
OUT = ROOT / "benchmarks" / "results"
DEFAULT_TARGETS = "cortex-m4,cortex-m4f,cortex-m7,rv32imc,cortex-a53,cortex-a55,rv64gc,rv64gcv"


def best(fn, reps=3):
    out, dt = None, float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        dt = min(dt, time.perf_counter() - t0)
    return out, dt


def measure(target: isa.Target, iters: int, build_dir: Path) -> dict:
    rows = {}
    for n in (iters, 2 * iters):
        elf = build_dir / f"pw-{target.name}-{n}.elf"
        build_elf([PROGRAM], target, elf, extra_cflags=(f"-DPW_ITERS={n}",))
        res, t_run = best(lambda: isa.run(elf, target))
        an, t_an = best(lambda: analyze(res, elf, target))
        prof, t_prof = best(lambda: profile(res, elf, target, analysis=an))
        est, t_est = best(lambda: estimate(res, elf, target, analysis=an))
        rows[n] = dict(res=res, prof=prof, est=est, t_run=t_run, t_decode=t_an, t_profile=t_prof, t_est=t_est)
    a, b = rows[iters], rows[2 * iters]
    d_ins = b["res"].instructions - a["res"].instructions
    d_cyc = b["est"].cycles - a["est"].cycles
    return {
        "target": target.name, "backend": b["res"].backend, "model": b["est"].model,
        "instructions": b["res"].instructions, "distinct_blocks": b["prof"].distinct_blocks,
        "run_s": round(b["t_run"], 4), "decode_and_edges_s": round(b["t_decode"], 4),
        "profile_s": round(b["t_profile"], 4), "estimate_s": round(b["t_est"], 4),
        "overhead_vs_run": round((b["t_decode"] + b["t_profile"] + b["t_est"]) / b["t_run"], 3),
        "instructions_per_iteration": d_ins / iters, "est_cycles_per_iteration": d_cyc / iters,
        "est_ipc": round(d_ins / d_cyc, 3) if d_cyc else None,
        "mix_percent": {k: round(100 * v / b["prof"].instructions, 1) for k, v in b["prof"].mix.items() if v},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--iters", type=int, default=200)
    args = ap.parse_args()
    build_dir = ROOT / ".cache" / "bench-profile"
    build_dir.mkdir(parents=True, exist_ok=True)
    rows = [measure(t, args.iters, build_dir) for t in isa.parse_targets(args.targets)]
    doc = {"command": f"benchmarks/profile_overhead.py --targets {args.targets} --iters {args.iters}",
           "date": time.strftime("%Y-%m-%d"), "machine": platform.platform(), "python": platform.python_version(),
           "note": "times are wall-clock, best of 3, on a shared machine: compare the overhead ratios, not seconds",
           "rows": rows}
    by = {r["target"]: r for r in rows}
    if "cortex-m4" in by and "cortex-m7" in by:
        doc["m7_over_m4_speed"] = round(by["cortex-m4"]["est_cycles_per_iteration"]
                                        / by["cortex-m7"]["est_cycles_per_iteration"], 3)
        doc["vendor_coremark_ratio_m7_over_m4"] = round(5.01 / 3.40, 3)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "profile_overhead.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = [f"# Profile overhead and model estimates (`{doc['command']}`)", "",
             f"Measured {doc['date']} on {doc['machine']}, Python {doc['python']}; {doc['note']}. The estimates"
             " (cycles, IPC) are deterministic. overhead/run = (decode + profile + estimate) / the counted run.", "",
             "| target | backend | model | instr | blocks | run s | decode+edges s | profile s | estimate s | "
             "overhead/run | instr/iter | est. cycles/iter | est. IPC |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['backend']} | {r['model']} | {r['instructions']:,} | "
                     f"{r['distinct_blocks']} | {r['run_s']} | {r['decode_and_edges_s']} | {r['profile_s']} | "
                     f"{r['estimate_s']} | {r['overhead_vs_run']}x | {r['instructions_per_iteration']:.0f} | "
                     f"{r['est_cycles_per_iteration']:.0f} | {r['est_ipc']} |")
    if "m7_over_m4_speed" in doc:
        lines += ["", f"Estimated M7/M4 speed ratio on this workload: {doc['m7_over_m4_speed']} "
                      f"(vendor CoreMark/MHz ratio 5.01/3.40 = {doc['vendor_coremark_ratio_m7_over_m4']})."]
    (OUT / "profile_overhead.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
