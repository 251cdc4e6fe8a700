"""Instructions per MAC (exact, emulator-counted) and estimated cycles per MAC (isa.timing, the target's named
model) of the fully connected kernels per target: int8 weights, int4 weights (row pairs), the same two with int16
outputs (fully_connected_wide: the transformer's o_proj / down_proj case), and the FP32 baseline kernel (NEON FMLA,
RVV VFMACC, FPv4/FPv5 VFMA, F-extension FMADD, soft-float without an FPU), batch 1, for the transformer shapes of
issue 5.

    PYTHONPATH=. .venv/bin/python benchmarks/kernels.py [--targets cortex-m4,...] [--vlens 128,256,512]

Each (target, shape) is one program running the int8, int4, int8-to-int16 and int4-to-int16 kernels once each (the
FP32 kernel in a second program: 4 bytes per weight do not fit a 4 MiB MCU beside the others); counts are
attributed per function (ig_fc_s8, ig_fc_s8w4, ig_fc_s8_to_s16, ig_fc_s8w4_to_s16, ig_fc_f32: the kernels alone,
requantization included, no harness). The integer outputs are also checked byte for byte against
quant/reference.py. Results go to benchmarks/results/kernels.{json,csv}.
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
from benchmarks.kernels_runner import (build_cases, build_graph_cases, fc_case, fc_wide_case,  # noqa: E402
                                       graph_expected_bytes, run_cases)
from isa.timing import estimate  # noqa: E402

SHAPES = [(384, 1536), (1536, 384), (256, 256), (576, 1536)]
DEFAULT_TARGETS = "cortex-m4,cortex-m4f,cortex-m7,rv32imc,rv64gc,cortex-a53,cortex-a55,rv64gcv"
GOALS = {"cortex-m4": 1.6, "cortex-a55": 0.10, "cortex-a53": 0.25, "rv64gcv": 0.20}
# (column prefix, kernel function) of the integer kernels each program runs, in case order
KERNELS = [("int8", "ig_fc_s8"), ("int4", "ig_fc_s8w4"), ("int8_to_s16", "ig_fc_s8_to_s16"),
           ("int4_to_s16", "ig_fc_s8w4_to_s16")]


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
            int8_cases = [fc_case(rng, k, n, 8), fc_case(rng, k, n, 4)]
            fcase = [fc_case(rng, k, n, float_baseline=True)]
            cases = [(g, {"x": x}) for g, x in int8_cases] + [fc_wide_case(rng, k, n, 8, "int16"),
                                                               fc_wide_case(rng, k, n, 4, "int16")]
            t0 = time.time()
            # the FP32 case is its own program: 4 bytes per weight do not fit a 4 MiB MCU beside the others
            kc, elf, cc = build_graph_cases(cases, t, Path(args.workdir) / t.name / f"{k}x{n}")
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
                exact = [r.outputs[i] == graph_expected_bytes(*cases[i]) for i in range(len(cases))]
                macs = k * n
                row = {"target": t.name + (f"-vlen{vlen}" if vlen and vlen != t.vlen else ""),
                       "kernel_family": t.kernel_family, "compiler": cc, "K": k, "N": n}
                for (col, fn), ok in zip(KERNELS, exact):
                    row[f"{col}_instr_per_mac"] = r.per_function.get(fn, 0) / macs
                row["fp32_instr_per_mac"] = r.per_function.get("ig_fc_f32", 0) / macs
                for (col, _fn), ok in zip(KERNELS, exact):
                    row[f"{col}_bit_exact"] = ok
                if cyc:
                    for col, fn in KERNELS + [("fp32", "ig_fc_f32")]:
                        row[f"{col}_est_cycles_per_mac"] = cyc.get(fn, 0) / macs
                    row["timing_model"] = model
                i8 = row["int8_instr_per_mac"]
                row["int4_over_int8"] = row["int4_instr_per_mac"] / i8
                row["int8_to_s16_over_int8"] = row["int8_to_s16_instr_per_mac"] / i8
                row["int4_to_s16_over_int4"] = row["int4_to_s16_instr_per_mac"] / row["int4_instr_per_mac"]
                row["fp32_over_int8"] = row["fp32_instr_per_mac"] / i8
                rows.append(row)
                print(f"{row['target']:>18} {k:5d}x{n:<5d} int8 {i8:.4f}  int4 "
                      f"{row['int4_instr_per_mac']:.4f} ({row['int4_over_int8']:.2f}x)  ->s16 "
                      f"{row['int8_to_s16_instr_per_mac']:.4f} / {row['int4_to_s16_instr_per_mac']:.4f}  fp32 "
                      f"{row['fp32_instr_per_mac']:.4f}  exact {all(exact)}"
                      + (f"  est. cycles/MAC int8 {row['int8_est_cycles_per_mac']:.3f} int4 "
                         f"{row['int4_est_cycles_per_mac']:.3f} ->s16 {row['int8_to_s16_est_cycles_per_mac']:.3f} / "
                         f"{row['int4_to_s16_est_cycles_per_mac']:.3f} fp32 {row['fp32_est_cycles_per_mac']:.3f}"
                         if cyc else "")
                      + f"  [{time.time() - t0:.1f}s]", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"what": "exact dynamic instructions per multiply-accumulate of one fully connected layer, batch 1, "
                   "requantization included (kernel function only); int8 / int4 = int8 or int4 weights with int8 "
                   "output, *_to_s16 = the same weights with int16 output (fully_connected_wide, per-channel); "
                   "FP32 = the baseline's float kernel; est_cycles_per_mac: estimated cycles (isa.timing, the named "
                   "model: an estimate, not a measurement)",
           "goals_int8_instr_per_mac": GOALS, "command": "PYTHONPATH=. .venv/bin/python " + " ".join(sys.argv),
           "rows": rows}
    (out / "kernels.json").write_text(json.dumps(doc, indent=2) + "\n")
    with open(out / "kernels.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {out / 'kernels.json'} and kernels.csv")
    return 0 if all(r[f"{col}_bit_exact"] for r in rows for col, _fn in KERNELS) else 1


if __name__ == "__main__":
    sys.exit(main())
