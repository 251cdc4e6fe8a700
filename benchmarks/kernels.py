"""Instructions per MAC (exact, emulator-counted) and estimated cycles per MAC (isa.timing, the target's named
model) of the fully connected kernels per target: int8 weights, int4 weights (row pairs), and the FP32 baseline
kernel (NEON FMLA, RVV VFMACC, FPv4/FPv5 VFMA, F-extension FMADD, soft-float without an FPU), batch 1, for the
transformer shapes of issue 5.

    PYTHONPATH=. .venv/bin/python benchmarks/kernels.py [--targets cortex-m4,...] [--vlens 128,256,512]

Each (target, shape) is one program running the int8 and int4 kernels once each (the FP32 kernel in a second
program: 4 bytes per weight do not fit a 4 MiB MCU beside the others); counts are attributed per function
(ig_fc_s8, ig_fc_s8w4, ig_fc_f32: the kernels alone, requantization included, no harness). The int8/int4
outputs are also checked byte for byte against quant/reference.py. Results go to
benchmarks/results/kernels.{json,csv}.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.kernels_runner import build_cases, expected_bytes, fc_case, run_cases  # noqa: E402
from isa.timing import estimate  # noqa: E402

SHAPES = [(384, 1536), (1536, 384), (256, 256), (576, 1536)]
DEFAULT_TARGETS = "cortex-m4,cortex-m4f,cortex-m7,rv32imc,rv64gc,cortex-a53,cortex-a55,rv64gcv"
GOALS = {"cortex-m4": 1.6, "cortex-a55": 0.10, "cortex-a53": 0.25, "rv64gcv": 0.20}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--vlens", default="128,256,512", help="RVV VLENs to run RVV targets at (QEMU)")
    ap.add_argument("--shapes", default=",".join(f"{k}x{n}" for k, n in SHAPES))
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-kernels"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--no-cycles", action="store_true", help="skip the cycle estimates (instructions only)")
    args = ap.parse_args(argv)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    rows = []
    for t in isa.parse_targets(args.targets):
        vlens = [int(v) for v in args.vlens.split(",")] if t.vlen else [None]
        for k, n in shapes:
            rng = np.random.default_rng(k * 7919 + n)
            cases = [fc_case(rng, k, n, 8), fc_case(rng, k, n, 4)]
            fcase = [fc_case(rng, k, n, float_baseline=True)]
            t0 = time.time()
            # the FP32 case is its own program: 4 bytes per weight do not fit a 4 MiB MCU beside the others
            kc, elf, cc = build_cases(cases, t, Path(args.workdir) / t.name / f"{k}x{n}")
            kf, elff, _ = build_cases(fcase, t, Path(args.workdir) / t.name / f"{k}x{n}-fp32")
            for vlen in vlens:
                r = run_cases(kc, elf, t, vlen=vlen)
                rf = run_cases(kf, elff, t, vlen=vlen)
                r.per_function.update(rf.per_function)
                cyc, model = {}, ""
                if not args.no_cycles:
                    for run, e in ((r, elf), (rf, elff)):
                        est = estimate(run.result, e, run.target)
                        cyc.update(est.per_function)
                        model = est.model
                exact = [r.outputs[i] == expected_bytes(*cases[i]) for i in (0, 1)]
                macs = k * n
                row = {"target": t.name + (f"-vlen{vlen}" if vlen and vlen != t.vlen else ""),
                       "kernel_family": t.kernel_family, "compiler": cc, "K": k, "N": n,
                       "int8_instr_per_mac": r.per_function.get("ig_fc_s8", 0) / macs,
                       "int4_instr_per_mac": r.per_function.get("ig_fc_s8w4", 0) / macs,
                       "fp32_instr_per_mac": r.per_function.get("ig_fc_f32", 0) / macs,
                       "int8_bit_exact": exact[0], "int4_bit_exact": exact[1]}
                if cyc:
                    row.update({"int8_est_cycles_per_mac": cyc.get("ig_fc_s8", 0) / macs,
                                "int4_est_cycles_per_mac": cyc.get("ig_fc_s8w4", 0) / macs,
                                "fp32_est_cycles_per_mac": cyc.get("ig_fc_f32", 0) / macs,
                                "timing_model": model})
                row["int4_over_int8"] = row["int4_instr_per_mac"] / row["int8_instr_per_mac"]
                row["fp32_over_int8"] = row["fp32_instr_per_mac"] / row["int8_instr_per_mac"]
                rows.append(row)
                print(f"{row['target']:>18} {k:5d}x{n:<5d} int8 {row['int8_instr_per_mac']:.4f}  int4 "
                      f"{row['int4_instr_per_mac']:.4f} ({row['int4_over_int8']:.2f}x)  fp32 "
                      f"{row['fp32_instr_per_mac']:.4f}  exact {exact}"
                      + (f"  est. cycles/MAC int8 {row['int8_est_cycles_per_mac']:.3f} int4 "
                         f"{row['int4_est_cycles_per_mac']:.3f} fp32 {row['fp32_est_cycles_per_mac']:.3f}" if cyc else "")
                      + f"  [{time.time() - t0:.1f}s]", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"what": "exact dynamic instructions per multiply-accumulate of one fully connected layer, batch 1, "
                   "requantization included (kernel function only); FP32 = the baseline's float kernel; "
                   "est_cycles_per_mac: estimated cycles (isa.timing, the named model: an estimate, not a measurement)",
           "goals_int8_instr_per_mac": GOALS, "command": "PYTHONPATH=. .venv/bin/python " + " ".join(sys.argv),
           "rows": rows}
    (out / "kernels.json").write_text(json.dumps(doc, indent=2) + "\n")
    with open(out / "kernels.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {out / 'kernels.json'} and kernels.csv")
    return 0 if all(r["int8_bit_exact"] and r["int4_bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
