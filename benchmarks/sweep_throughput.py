"""Sweep throughput: runs per minute of `intgap bench`'s sweep with 1 and 2 local worker processes, each from a
cold cache (every run builds, emulates, profiles and estimates) and then warm (every run from the cache).

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_throughput.py [--targets ...] [--configs ...]

Writes benchmarks/results/sweep_throughput.json and .md. Measured here, never asserted in a test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import isa  # noqa: E402
from intgap.models import load_model  # noqa: E402
from intgap.sweep import Classifier, parse_configs  # noqa: E402
from intgap.workload import run_workload  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="cortex-m4,rv32imc,cortex-a55,rv64gc")
    ap.add_argument("--configs", default="fp32,w8a8,w4a8")
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    model = load_model("mlp")
    targets = isa.parse_targets(args.targets)
    configs = parse_configs(args.configs)
    rows = []
    for jobs in [int(j) for j in args.workers.split(",")]:
        root = Path(tempfile.mkdtemp(prefix="intgap-sweep-bench-"))
        try:
            for phase in ("cold", "warm"):
                t0 = time.perf_counter()
                res = run_workload(Classifier(model), targets, configs, jobs=jobs, cache_root=root)
                dt = time.perf_counter() - t0
                rows.append({"workers": jobs, "cache": phase, "load_average_1min": round(os.getloadavg()[0], 2), "runs": res.stats.runs, "builds": res.stats.builds,
                             "executed_runs": res.stats.executed_runs, "seconds": round(dt, 2),
                             "runs_per_minute": round(60 * res.stats.runs / dt, 1)})
                print(rows[-1], flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    doc = {"what": "runs per minute of a sweep (each run: build if needed, emulate with exact counts, profile, "
                   "estimate cycles, attribute), whole model + each layer",
           "targets": args.targets, "configs": args.configs, "cpus": os.cpu_count(),
           "python": platform.python_version(), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sweep_throughput.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = [f"# Sweep throughput ({os.cpu_count()} CPUs)", "", f"targets {args.targets}; configs {args.configs}; "
             "whole model + each layer", "", "| workers | cache | runs | builds | seconds | runs/minute | load avg (1 min, after) |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['workers']} | {r['cache']} | {r['runs']} | {r['builds']} | {r['seconds']} | "
              f"{r['runs_per_minute']} | {r['load_average_1min']} |" for r in rows]
    lines += ["", "Warm: every run comes from the content-addressed cache (.cache/sweep) and no worker is started. "
              "The machine is shared: the load average says how busy it was (2 CPUs)."]
    (RESULTS / "sweep_throughput.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
