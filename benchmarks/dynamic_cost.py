"""The per-layer cost of asymmetric groups and dynamic per-token scales on the grouped kernels: exact instructions of
each function of one SmolLM2-shaped int4 layer (groups of 32 or --group-sizes; int8 output or --outputs, int16 ones
symmetric and unclamped as the lowering makes them; batch 1) on a target, for the symmetric grid (asym case with
every offset 0), asymmetric groups (fully_connected_asym, int8 input) and dynamic scales (fully_connected_dynamic,
int16 input) on both grids. --bits 8: int8 per-channel layers (one group of K, unit scales: SmolLM2's W8A8 layers),
and the kind "static", the per-channel layer of int8 input (fully_connected_wide: the static default's). Outputs
checked byte for byte against quant/reference.py.

    PYTHONPATH=. .venv/bin/python benchmarks/dynamic_cost.py [--targets cortex-a55,...] [--shapes 576x1536,...]
        [--group-sizes 32,64] [--outputs int8,int16] [--kinds "dynamic asym,..."] [--llama] [--bits 8] [--out FILE]

Results: benchmarks/results/dynamic_cost.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.kernels_runner import build_graph_cases, graph_expected_bytes, run_cases  # noqa: E402
from benchmarks.op_cases import _fully_connected_asym, _fully_connected_dynamic  # noqa: E402

KINDS = ("symmetric", "asym", "dynamic symmetric", "dynamic asym", "static")
OUTPUT = ("ig_write_hex", "ig_sys_write")  # the program's output, not the layer's


def as_lowered(g, feeds, rng, bias_edges: bool = False):
    """fully_connected_dynamic's requantization as real lowerings make it: shift - e >= 33 for the int16 rows and
    multipliers in [2^30, 2^31) (the shakespeare decoder's dynamic layers: shifts 38 to 48; the random cases' are
    near 20), which decides the fast forms of the mve / armdsp requantization: per output row the smallest such
    shift that keeps the largest output near the clamp's half-width (int8 outputs' biases scaled down to it);
    bias_edges: biases within 8 of the int32 limits in eight rows (the saturating adds)."""
    from quant.ops.linear_quant import asym_accumulate, dynamic_row_quantize
    a = g.nodes[0].attrs
    q, _, e = dynamic_row_quantize(feeds["x"], a["x_zero_point"])
    acc = asym_accumulate(q, *(g.constants[k] for k in ("w", "gs", "go")), a["group_size"])
    m = rng.integers(1 << 30, 1 << 31, acc.shape[1])
    top = np.log2(np.abs(acc.astype(np.float64) * m * 2.0 ** e[:, None]).max(axis=0) + 1)
    half = np.log2((a["act_max"] - float(a["act_min"])) / 2)
    g.constants["m"][:] = m
    g.constants["s"][:] = np.clip(np.ceil(top - half), 33 + max(int(e.max()), 1), 48)
    if g.tensors["y"].dtype == "int8":  # the cases' biases (up to 2^12) would saturate every int8 output
        g.constants["b"][:] >>= 7
    if bias_edges:
        g.constants["b"][:8] = np.resize([-(1 << 31) + 3, (1 << 31) - 8], 8)
    return g


def _per_channel(g, static: bool) -> None:
    """g's layer with int8 weights per channel: one group of K, unit scales; static: as fully_connected_wide (the
    static per-channel layer of int8 input, the static default's; the offsets dropped)."""
    g.constants["gs"][:] = 1
    if static:
        del g.constants["go"]
        n = g.nodes[0]
        g.nodes[0] = replace(n, op="fully_connected_wide", inputs=[i for i in n.inputs if i != "go"])


def _case(kind: str, k: int, n: int, seed: int, gs: int = 32, ydt: str = "int8", llama: bool = False,
          bits: int = 4):
    rng = np.random.default_rng(seed)
    if bits == 8:
        gs = k
    if kind.startswith("dynamic"):
        g, x = _fully_connected_dynamic(rng, k, n, "int16", ydt, bits, gs, 1, 1 << 30, kind.endswith("symmetric"))
    else:
        g, x = _fully_connected_asym(rng, k, n, "int8", ydt, bits, gs, 1)
    if kind in ("symmetric", "static"):
        g.constants["go"][:] = 0
    if bits == 8 and kind != "asym":
        _per_channel(g, kind == "static")
    if ydt == "int16":  # as the lowering's int16 tensors: symmetric, the whole range
        g.nodes[0].attrs.update(y_zero_point=0, act_min=-32768, act_max=32767)
        g.tensors["y"] = replace(g.tensors["y"], zero_point=0)
    if llama:  # as SmolLM2's lowering: no bias, int32 outputs (the residual stream) symmetric and the whole range,
        #        the requantization's shifts as its lowering makes them
        if ydt == "int32":
            g.nodes[0].attrs.update(y_zero_point=0, act_min=-(1 << 31), act_max=(1 << 31) - 1)
            g.tensors["y"] = replace(g.tensors["y"], zero_point=0)
        if kind.startswith("dynamic"):
            as_lowered(g, x, rng)
        g.constants["b"][:] = 0
    return g, x


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default="cortex-a55")
    ap.add_argument("--shapes", default="576x1536,1536x576")
    ap.add_argument("--group-sizes", default="32")
    ap.add_argument("--outputs", default="int8")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--llama", action="store_true", help="layers as SmolLM2's lowering makes them: no bias, int32 "
                    "outputs symmetric and the whole range, dynamic layers' shifts as lowerings make them")
    ap.add_argument("--bits", type=int, choices=(4, 8), default=4, help="weight bits (8: per-channel layers, "
                    "--group-sizes not used)")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-dynamic"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "dynamic_cost.md"))
    args = ap.parse_args(argv)
    kinds = [v for v in args.kinds.split(",") if v]
    if any(v not in KINDS for v in kinds):
        ap.error(f"--kinds: a comma list of {', '.join(KINDS)}")
    if "static" in kinds and args.bits != 8:
        ap.error("--kinds static: the per-channel int8 layer; give --bits 8")
    group_sizes = args.group_sizes.split(",") if args.bits == 4 else ["K"]
    lines = ["# Asymmetric groups and dynamic scales on the grouped kernels: cost per layer", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on 2-core x86_64 (shared): "
             f"`PYTHONPATH=. .venv/bin/python benchmarks/dynamic_cost.py {' '.join(sys.argv[1:])}`. Exact "
             f"instructions per function of one int{args.bits} layer (the program's output functions left out); "
             "instr./MAC = the layer's total over its weight MACs.", "",
             "| target | K x N | group | output | layer | instructions | instr./MAC | bit-exact | per function |",
             "|---|---|--:|---|---|--:|--:|---|---|"]
    ok = True
    for t in isa.parse_targets(args.targets):
        for shape in args.shapes.split(","):
            k, n = (int(v) for v in shape.split("x"))
            for gs, ydt, kind in ((gs, ydt, kind) for gs in group_sizes
                                  for ydt in args.outputs.split(",") for kind in kinds):
                g, x = _case(kind, k, n, k + n, k if gs == "K" else int(gs), ydt, args.llama, args.bits)
                kc, elf, _ = build_graph_cases([(g, x)], t, Path(args.workdir) / t.name /
                                               f"{shape}-g{gs}-{ydt}-{KINDS.index(kind)}")
                run = run_cases(kc, elf, t)
                fns = {f: v for f, v in sorted(run.per_function.items()) if f.startswith("ig_") and f not in OUTPUT}
                total = sum(fns.values())
                exact = run.outputs[0] == graph_expected_bytes(g, x)
                ok &= exact
                parts = ", ".join(f"{f} {v:,}" for f, v in fns.items() if f != "ig_case_0")
                lines.append(f"| {t.name} | {k}x{n} | {gs} | {ydt} | {kind} | {total:,} | {total / (k * n):.4f} | "
                             f"{'yes' if exact else 'NO'} | {parts} |")
                print(lines[-1], flush=True)
    out = Path(args.out)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
