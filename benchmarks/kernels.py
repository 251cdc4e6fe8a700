"""Instructions per MAC (exact, emulator-counted) and estimated cycles per MAC (isa.timing, the target's named
model) of the fully connected kernels per target: int8 weights, int4 weights (row pairs), the same two with int16
outputs (fully_connected_wide: the transformer's o_proj / down_proj case), the FP32 baseline kernel (NEON FMLA,
RVV VFMACC, FPv4/FPv5 VFMA, F-extension FMADD, soft-float without an FPU), and the group-wise kernels (int8 / int4
weights with integer scales per group of 32, 64, 128 along K, int8 and int16 outputs: the W4A8 / W8A8-grouped
layers), batch 1, for the transformer shapes of issue 5 and of SmolLM2.

    PYTHONPATH=. .venv/bin/python benchmarks/kernels.py [--targets cortex-m4,...] [--vlens 128,256,512]
        [--shapes 576x1536,...] [--grouped-targets cortex-m4,...] [--group-sizes 32,64,128] [--only grouped]

Each (target, shape) is one program running the per-channel int8, int4, int8-to-int16 and int4-to-int16 kernels
once each, one program for the FP32 kernel (4 bytes per weight do not fit a 4 MiB MCU beside the others), and on
the grouped targets one program per group size running ig_fc_grouped_s8, ig_fc_grouped_s8w4 and their _to_s16
variants once each. Counts are attributed per function (the kernels alone, requantization included, no harness).
On dot-product NEON cores the lowering runs per-channel layers on the grouped kernels' blocked layout
(codegen/packing.py per_channel_as_grouped): int8 weights as ig_fc_s8_blocked*, int4 as the grouped kernel with one
group of K; their figures are those entry points', named in per_channel_kernel.
Every integer output is also checked byte for byte against quant/reference.py. One row per (target, shape):
the per-channel figures and, next to them, the grouped ones (columns g<size>_<kernel>_*; empty where the group size
does not divide K or the target is not a grouped target). Results go to benchmarks/results/kernels.{json,csv}.
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

SHAPES = [(384, 1536), (1536, 384), (256, 256), (576, 1536), (1536, 576), (576, 576), (576, 192)]
GROUPED_SHAPES = [(576, 1536), (1536, 576), (576, 576), (576, 192), (384, 1536), (256, 256)]
DEFAULT_TARGETS = "cortex-m4,cortex-m4f,cortex-m7,rv32imc,rv64gc,cortex-a53,cortex-a55,rv64gcv"
GROUPED_TARGETS = "cortex-m4,cortex-a53,cortex-a55,rv64gcv"
GROUP_SIZES = (32, 64, 128)
GOALS = {"cortex-m4": 1.6, "cortex-a55": 0.10, "cortex-a53": 0.25, "rv64gcv": 0.20}
# estimated cycles per MAC of the int8 kernel at K >= 256 (issue 17: half of CMSIS-NN's Helium path on silicon),
# the int4 grouped kernel at most 1.3x that
CYCLE_GOALS = {"cortex-m55": 0.40}
# instructions per MAC of the int4 grouped kernel, groups of 32, K >= 576 (rv64gcv: at VLEN 128)
GROUPED_GOALS = {"cortex-m4": 2.2, "cortex-a55": 0.13, "cortex-a53": 0.35, "rv64gcv": 0.25}
# (column prefix, kernel function) of the integer kernels each program runs, in case order
KERNELS = [("int8", "ig_fc_s8"), ("int4", "ig_fc_s8w4"), ("int8_to_s16", "ig_fc_s8_to_s16"),
           ("int4_to_s16", "ig_fc_s8w4_to_s16")]
# the same for a grouped program (one per group size): column g<size>_<prefix>_*
GROUPED_KERNELS = [("int8", "ig_fc_grouped_s8"), ("int4", "ig_fc_grouped_s8w4"),
                   ("int8_to_s16", "ig_fc_grouped_s8_to_s16"), ("int4_to_s16", "ig_fc_grouped_s8w4_to_s16")]


def _grouped_cases(rng: np.random.Generator, k: int, n: int, gsz: int):
    """The four grouped cases of one program, in GROUPED_KERNELS order."""
    out = []
    for bits in (8, 4):
        g, x = fc_case(rng, k, n, bits, gsz)
        out.append((g, {"x": x}))
    out += [fc_wide_case(rng, k, n, bits, "int16", gsz) for bits in (8, 4)]
    return out


def _estimates(runs, cycles: bool) -> tuple[dict[str, int], str]:
    cyc, model = {}, ""
    if cycles:
        for run, elf in runs:
            est = estimate(run.result, elf, run.target)
            cyc.update(est.per_function)
            model = est.model
    return cyc, model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--vlens", default="128,256,512", help="RVV VLENs to run RVV targets at (QEMU)")
    ap.add_argument("--shapes", default=",".join(f"{k}x{n}" for k, n in SHAPES))
    ap.add_argument("--grouped-targets", default=GROUPED_TARGETS,
                    help="targets that also run the grouped kernels (of those in --targets)")
    ap.add_argument("--grouped-shapes", default=",".join(f"{k}x{n}" for k, n in GROUPED_SHAPES))
    ap.add_argument("--group-sizes", default=",".join(map(str, GROUP_SIZES)))
    ap.add_argument("--only", choices=("all", "per-channel", "grouped"), default="all",
                    help="run only the per-channel (+ FP32) programs or only the grouped ones")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-kernels"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--no-cycles", action="store_true", help="skip the cycle estimates (instructions only)")
    args = ap.parse_args(argv)
    parse = lambda s: [tuple(int(v) for v in t.split("x")) for t in s.split(",") if t]  # noqa: E731
    shapes = parse(args.shapes)
    grouped_shapes = set(parse(args.grouped_shapes))
    grouped_targets = set(args.grouped_targets.split(",")) if args.grouped_targets else set()
    group_sizes = [int(v) for v in args.group_sizes.split(",") if v]
    rows = []
    all_exact = True
    for t in isa.parse_targets(args.targets):
        vlens = [int(v) for v in args.vlens.split(",")] if t.vlen else [None]
        for k, n in shapes:
            per_channel = args.only != "grouped"
            gsizes = [gs for gs in group_sizes if k % gs == 0] \
                if args.only != "per-channel" and t.name in grouped_targets and (k, n) in grouped_shapes else []
            if not per_channel and not gsizes:
                continue
            rng = np.random.default_rng(k * 7919 + n)
            t0 = time.time()
            wd = Path(args.workdir) / t.name / f"{k}x{n}"
            progs = []  # (cases, KernelCases, elf, [(column prefix, function)])
            if per_channel:
                int8_cases = [fc_case(rng, k, n, 8), fc_case(rng, k, n, 4)]
                fcase = [fc_case(rng, k, n, float_baseline=True)]
                cases = [(g, {"x": x}) for g, x in int8_cases] + [fc_wide_case(rng, k, n, 8, "int16"),
                                                                   fc_wide_case(rng, k, n, 4, "int16")]
                kc, elf, cc = build_graph_cases(cases, t, wd)
                progs.append((cases, kc, elf, KERNELS))
                # the FP32 case is its own program: 4 bytes per weight do not fit a 4 MiB MCU beside the others
                kf, elff, _ = build_cases(fcase, t, Path(str(wd) + "-fp32"))
            for gs in gsizes:
                gcases = _grouped_cases(np.random.default_rng(k * 7919 + n + gs), k, n, gs)
                kg, elfg, cc = build_graph_cases(gcases, t, Path(f"{wd}-g{gs}"))
                progs.append((gcases, kg, elfg, [(f"g{gs}_{col}", fn) for col, fn in GROUPED_KERNELS]))
            for vlen in vlens:
                macs = k * n
                row = {"target": t.name + (f"-vlen{vlen}" if vlen and vlen != t.vlen else ""),
                       "kernel_family": t.kernel_family, "compiler": cc, "K": k, "N": n,
                       "per_channel_kernel": "ig_fc_*" if per_channel else None}
                instr, cyc, model, exact = {}, {}, "", {}
                for cases, kc, elf, kernels in progs:
                    r = run_cases(kc, elf, t, vlen=vlen)
                    runs = [(r, elf)]
                    if kernels is KERNELS:
                        rf = run_cases(kf, elff, t, vlen=vlen)
                        r.per_function.update(rf.per_function)
                        runs.append((rf, elff))
                    c, m = _estimates(runs, not args.no_cycles)
                    cyc.update(c)
                    model = m or model
                    for i, (col, fn) in enumerate(kernels):
                        blocked = fn.replace("ig_fc_s8", "ig_fc_s8_blocked", 1)
                        if kernels is KERNELS and "/ig_fc_grouped" in kc.kernel_stems[i]:
                            # the lowering ran the per-channel layer as one group of K (per_channel_as_grouped)
                            fn = fn.replace("ig_fc_", "ig_fc_grouped_", 1)
                            row["per_channel_kernel"] = "ig_fc_s8_blocked* (int8), ig_fc_grouped_s8w4* (int4, " \
                                                        "one group of K, unit scales)"
                        elif kernels is KERNELS and "w4" not in fn and blocked in r.per_function:
                            fn = blocked  # int8 on the same blocked layout, the per-channel file's entry points
                        instr[col] = r.per_function.get(fn, 0) / macs
                        exact[col] = r.outputs[i] == graph_expected_bytes(*cases[i])
                        if c:
                            cyc[col] = c.get(fn, 0) / macs
                    if kernels is KERNELS:
                        instr["fp32"] = r.per_function.get("ig_fc_f32", 0) / macs
                        if c:
                            cyc["fp32"] = c.get("ig_fc_f32", 0) / macs
                all_exact &= all(exact.values())
                cols = [c for c, _ in KERNELS] + ["fp32"]
                gcols = [f"g{gs}_{c}" for gs in group_sizes for c, _ in GROUPED_KERNELS]
                for col in cols + gcols:
                    row[f"{col}_instr_per_mac"] = instr.get(col)
                for col in cols[:-1] + gcols:
                    row[f"{col}_bit_exact"] = exact.get(col)
                if not args.no_cycles:
                    for col in cols + gcols:
                        row[f"{col}_est_cycles_per_mac"] = cyc.get(col)
                    row["timing_model"] = model
                ratio = lambda a, b: instr[a] / instr[b] if a in instr and b in instr and instr[b] else None  # noqa
                row["int4_over_int8"] = ratio("int4", "int8")
                row["int8_to_s16_over_int8"] = ratio("int8_to_s16", "int8")
                row["int4_to_s16_over_int4"] = ratio("int4_to_s16", "int4")
                row["fp32_over_int8"] = ratio("fp32", "int8")
                for gs in group_sizes:
                    row[f"g{gs}_int4_over_int4"] = ratio(f"g{gs}_int4", "int4")
                rows.append(row)
                fmt = lambda v: "  -   " if v is None else f"{v:.4f}"  # noqa: E731
                line = f"{row['target']:>18} {k:5d}x{n:<5d}"
                if per_channel:
                    line += (f" int8 {fmt(instr.get('int8'))} int4 {fmt(instr.get('int4'))} ->s16 "
                             f"{fmt(instr.get('int8_to_s16'))} / {fmt(instr.get('int4_to_s16'))} fp32 "
                             f"{fmt(instr.get('fp32'))}")
                for gs in gsizes:
                    line += (f" | g{gs} int8 {fmt(instr.get(f'g{gs}_int8'))} int4 {fmt(instr.get(f'g{gs}_int4'))}"
                             f" ->s16 {fmt(instr.get(f'g{gs}_int8_to_s16'))} / "
                             f"{fmt(instr.get(f'g{gs}_int4_to_s16'))}")
                print(line + f"  exact {all(exact.values())}  [{time.time() - t0:.1f}s]", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "PYTHONPATH=. .venv/bin/python " + " ".join(sys.argv) + f" ({time.strftime('%Y-%m-%d')})"
    if args.only != "all" and (out / "kernels.json").exists():  # a partial run updates the recorded rows
        prior = json.loads((out / "kernels.json").read_text())
        command = f"{prior.get('command', '?')}; then {command} for its {args.only} columns"
        old = {(r["target"], r["K"], r["N"]): r for r in prior["rows"]}
        for r in rows:
            key = (r["target"], r["K"], r["N"])
            old[key] = {**old.get(key, {}), **{c: v for c, v in r.items() if v is not None}}
        rows = list(old.values())
    doc = {"what": "exact dynamic instructions per multiply-accumulate of one fully connected layer, batch 1, "
                   "requantization included (kernel function only); int8 / int4 = int8 or int4 weights with int8 "
                   "output, *_to_s16 = the same weights with int16 output (fully_connected_wide, per-channel; "
                   "per_channel_kernel: the entry points the lowering called for them); "
                   "FP32 = the baseline's float kernel; g<size>_* = the same four with integer scales per group "
                   "of <size> along K (fully_connected_grouped / fully_connected_wide, ig_fc_grouped_*); "
                   "est_cycles_per_mac: estimated cycles (isa.timing, the named model: an estimate, not a "
                   "measurement)",
           "goals_int8_instr_per_mac": GOALS, "goals_grouped_int4_g32_instr_per_mac_k_ge_576": GROUPED_GOALS,
           "goals_int8_est_cycles_per_mac_k_ge_256": CYCLE_GOALS,
           "command": command, "rows": rows}
    (out / "kernels.json").write_text(json.dumps(doc, indent=2) + "\n")
    fields = list(dict.fromkeys(f for r in rows for f in r))
    with open(out / "kernels.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=fields)
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {out / 'kernels.json'} and kernels.csv")
    return 0 if all_exact else 1


if __name__ == "__main__":
    sys.exit(main())
