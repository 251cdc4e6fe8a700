"""fully_connected_asym (asymmetric group-wise weights: an integer scale and offset per group, int8 input) per
target: exact instructions and estimated cycles per weight MAC of the layer as the lowering runs it (the family's
grouped kernel plus the per-call offset bias: ig_fc_grouped_s8[w4], ig_group_sums_s8, ig_offset_bias) against the
portable kernel it ran on before (ig_fc_asym_s8_s8), SmolLM2's shapes, groups of 32, int8 output, batch 1.

    PYTHONPATH=. .venv/bin/python benchmarks/asym_kernels.py [--targets cortex-m4,...] [--shapes 576x1536,...]

Every output is checked byte for byte against quant/reference.py. Results: benchmarks/results/asym_kernels.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.kernels_runner import build_graph_cases, graph_expected_bytes, run_cases  # noqa: E402
from benchmarks.op_cases import _fully_connected_asym  # noqa: E402
from codegen import op_calls_quant  # noqa: E402
from isa.timing import estimate  # noqa: E402

TARGETS = "cortex-m4,cortex-a53,cortex-a55,rv64gc,rv64gcv"
SHAPES = "576x1536,1536x576"
GROUP = 32
LAYER_FUNCTIONS = {"grouped": ("ig_fc_grouped_s8", "ig_fc_grouped_s8w4", "ig_group_sums_s8", "ig_offset_bias"),
                   "portable": ("ig_fc_asym_s8_s8",)}


def _measure(cases, t: isa.Target, wd: Path, path: str) -> list[dict]:
    saved = op_calls_quant.ASYM_MAX_GROUPS
    if path == "portable":
        op_calls_quant.ASYM_MAX_GROUPS = 0  # the portable kernel, as the lowering chose before the grouped path
    try:
        kc, elf, cc = build_graph_cases(cases, t, wd)
    finally:
        op_calls_quant.ASYM_MAX_GROUPS = saved
    run = run_cases(kc, elf, t)
    est = estimate(run.result, elf, t) if run.result is not None else None
    out = []
    for i, (g, inputs) in enumerate(cases):  # one case per program: the functions are the layer's own
        fns = LAYER_FUNCTIONS[path]
        instr = sum(run.per_function.get(f, 0) for f in fns)
        cyc = sum(est.per_function.get(f, 0) for f in fns) if est else None
        macs = int(np.prod(g.constants["w"].shape))
        out.append({"instructions": instr, "est_cycles": cyc, "macs": macs, "compiler": cc,
                    "timing_model": est.model if est else None,
                    "bit_exact": run.outputs[i] == graph_expected_bytes(g, inputs)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=TARGETS)
    ap.add_argument("--shapes", default=SHAPES)
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-asym"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    rows = []
    ok = True
    for t in isa.parse_targets(args.targets):
        for shape in args.shapes.split(","):
            k, n = (int(v) for v in shape.split("x"))
            for bits in (4, 8):
                t0 = time.time()
                row = {"target": t.name, "K": k, "N": n, "bits": bits, "group_size": GROUP}
                for path in ("grouped", "portable"):
                    case = [_fully_connected_asym(np.random.default_rng(k * 31 + n + bits), k, n, "int8", "int8",
                                                  bits, GROUP, 1)]
                    r = _measure(case, t, Path(args.workdir) / t.name / f"{shape}-w{bits}-{path}", path)[0]
                    row[f"{path}_instr_per_mac"] = r["instructions"] / r["macs"]
                    row[f"{path}_est_cycles_per_mac"] = r["est_cycles"] / r["macs"] if r["est_cycles"] else None
                    row[f"{path}_bit_exact"] = r["bit_exact"]
                    row["compiler"], row["timing_model"] = r["compiler"], r["timing_model"]
                    ok &= r["bit_exact"]
                row["speedup_instr"] = row["portable_instr_per_mac"] / row["grouped_instr_per_mac"]
                rows.append(row)
                print(f"{t.name:12s} {shape:>10s} int{bits}: grouped {row['grouped_instr_per_mac']:.3f} instr/MAC, "
                      f"portable {row['portable_instr_per_mac']:.3f} ({row['speedup_instr']:.1f}x)  exact "
                      f"{row['grouped_bit_exact'] and row['portable_bit_exact']}  [{time.time() - t0:.0f} s]",
                      flush=True)
    command = "PYTHONPATH=. .venv/bin/python benchmarks/asym_kernels.py " + " ".join(sys.argv[1:])
    doc = {"what": "fully_connected_asym, int8 input and output, groups of 32: exact instructions and estimated "
                   "cycles (the named model) per weight MAC of the layer's functions; grouped = the family's "
                   "grouped kernel + ig_group_sums_s8 + ig_offset_bias, portable = ig_fc_asym_s8_s8",
           "command": command, "date": time.strftime("%Y-%m-%d"), "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "asym_kernels.json").write_text(json.dumps(doc, indent=1) + "\n")
    fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
    md = ["# fully_connected_asym on the grouped kernels", "", f"Measured {doc['date']}: `{command}`. {doc['what']}.",
          "", "| target | K x N | weights | grouped instr/MAC | portable instr/MAC | speedup (instr) | grouped est. "
          "cycles/MAC | portable est. cycles/MAC | timing model | bit-exact |", "|---|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        md.append(f"| {r['target']} | {r['K']}x{r['N']} | int{r['bits']} | {fmt(r['grouped_instr_per_mac'])} | "
                  f"{fmt(r['portable_instr_per_mac'])} | {r['speedup_instr']:.1f}x | "
                  f"{fmt(r['grouped_est_cycles_per_mac'])} | {fmt(r['portable_est_cycles_per_mac'])} | "
                  f"{r['timing_model']} | {'yes' if r['grouped_bit_exact'] and r['portable_bit_exact'] else 'NO'} |")
    (out / "asym_kernels.md").write_text("\n".join(md) + "\n")
    print(f"wrote {out / 'asym_kernels.json'} and asym_kernels.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
