"""Exact instructions (and estimated cycles) per element of the transformer-op kernels, per op variant and target,
at the sizes of the two real models the quantizer targets:

* SmolLM2-135M (Llama): hidden 576, FFN 1536, 9 heads / 3 KV heads, head_dim 64; a prefill of 64 tokens (causal
  attention over 64) and a decode step (t = 1 query row against a context of 64);
* all-MiniLM-L6 (BERT): hidden 384, FFN 1536, 12 heads, head_dim 32, a sequence of 128 (full attention).

    PYTHONPATH=. .venv/bin/python benchmarks/op_kernels.py [--targets cortex-m4,...] [--label after]

The variants are the ones `quant.transformer_ptq.lower` emits for those graphs (int16 residual stream, or int32
with residual="int32"; int8 attention inputs, int16 scores and probabilities). The cases of a scenario run in as few
programs per target as keep every kernel function to one case per program (matmul_pv's graph holds its softmax),
so a function's count is its case's: the kernel function's instructions plus those of the library helpers it calls
(isa.profile's inclusive count). Every output is checked byte for byte against quant/reference.py. An "element" is
one output element, except for matmul_qk / matmul_pv: one multiply-accumulate (their per-output figure is in the
JSON too). Row-wise ops run 8 rows (tokens): their cost per element does not depend on the row count beyond the
per-row set-up.

Results: benchmarks/results/op_kernels.{json,csv,md}. Runs are kept by --label (e.g. "before" and "after"); the
Markdown compares the labels it has.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.kernels_runner import run_cases  # noqa: E402
from benchmarks.op_cases import expected_bytes  # noqa: E402
from codegen.kernel_cases import emit_graph_cases  # noqa: E402
from isa.profile import analyze, profile  # noqa: E402
from isa.timing import estimate  # noqa: E402
from quant.ir import DTYPES, Graph, Node, TensorInfo  # noqa: E402
from quant.ops.checks import validate  # noqa: E402
from quant.ops.fixed import fixed_multiplier, quantize_multiplier  # noqa: E402

DEFAULT_TARGETS = "cortex-m4,cortex-m7,rv32imc,cortex-a53,cortex-a55,rv64gc,rv64gcv,rv64gcv-vlen256"
ROWS = 8  # tokens of the row-wise ops
GOALS = {("ig_softmax_s16_s16", "minilm", "cortex-m4"): 130.0}  # instructions per element (issue: <= 130, CMSIS ~520)
NOTES = [
    "- **before** is the portable C as first written (commit 0fd813d): on rv64gcv that is clang 16's autovectorization "
    "of it (there were no RVV transformer kernels), on the other targets scalar code.",
    "- **after**: the portable kernels (kernels/scalar/) work in 32-bit arithmetic on 32-bit cores wherever the value "
    "ranges allow (checked once per call: one 32 x 32 multiply per rescale, a 32-bit exp2 and sigmoid, a per-row "
    "reciprocal for the norms' division, folded zero points); the armdsp family (Cortex-M4/M7) adds softmax (SMMULR, "
    "SMMLSR, SSUB16/SEL, USAT), matmul_qk / matmul_pv (SMLAD), silu / gelu (SMMLSR exp2), rope (SMUSD / SMUADX); the "
    "NEON and RVV families vectorize softmax, matmul_qk, matmul_pv, add, mul, silu, gelu, rmsnorm, layernorm and rope.",
    "- cortex-a53 is the NEON family built for ARMv8.0 (SMULL + SADALP dot products), cortex-a55 with SDOT.",
    "- Cases run in several programs per target so that each kernel function counts one case only (matmul_pv's graph "
    "holds its softmax). A library helper (the per-row 64-bit division on 32-bit cores) is counted with its caller, "
    "shared by call counts where several kernels call it.",
    "- Cycles are estimates of the named timing models (isa.timing); RVV's is the project's own model.",
]


@dataclass
class Case:
    scenario: str
    function: str  # the kernel entry point measured
    shape: str  # what it computes, for the table
    graph: Graph
    inputs: dict
    elements: int  # the per-element denominator (MACs for matmul_qk / matmul_pv)
    unit: str
    outputs: int  # output elements


def _vals(rng, dt: str, shape, spread: float) -> np.ndarray:
    """Gaussian-ish activations of about `spread` (a fraction of the dtype's range), clipped."""
    info = np.iinfo(DTYPES[dt])
    x = np.round(rng.standard_normal(shape) * spread)
    return np.clip(x, info.min, info.max).astype(DTYPES[dt])


def _graph(name, inputs: dict, nodes, tensors: dict, consts: dict, output: str) -> Graph:
    t = {k: TensorInfo(k, shape, dt, 1.0, 0) for k, (shape, dt) in inputs.items()}
    t.update(tensors)
    g = Graph(name, list(inputs), [output], t, consts, nodes)
    validate(g, integer_only=True)
    return g


def _clamp(dt: str, zp: int = 0) -> dict:
    info = np.iinfo(DTYPES[dt])
    return {"y_zero_point": zp, "act_min": int(info.min), "act_max": int(info.max)}


def add_case(rng, scen, adt, bdt, ydt, c) -> Case:
    shape = (ROWS, c)
    spread = {"int8": 30, "int16": 3000, "int32": 3000 * 256}
    a, b = _vals(rng, adt, shape, spread[adt]), _vals(rng, bdt, shape, spread[bdt])
    ybits = {"int8": 8, "int16": 16, "int32": 32}
    # s_a / s_y and s_b / s_y as m / 2^30, as the quantizer writes them
    ra = 0.7 * 2 ** (ybits[ydt] - ybits[adt])
    rb = 0.4 * 2 ** (ybits[ydt] - ybits[bdt])
    # the largest shift whose multipliers fit the validator's int64 bound (as the quantizer picks them)
    limit = min(31, 61 - (max(ybits[adt], ybits[bdt]) + 1))
    shift = min(62, int(limit - math.log2(max(ra, rb))) - 1)
    attrs = {"a_zero_point": 0, "b_zero_point": 0, "a_multiplier": int(ra * 2 ** shift),
             "b_multiplier": int(rb * 2 ** shift), "shift": shift, **_clamp(ydt)}
    fn = f"ig_add_{adt.replace('int', 's')}_{bdt.replace('int', 's')}_{ydt.replace('int', 's')}"
    g = _graph(fn, {"a": (shape, adt), "b": (shape, bdt)}, [Node("add", "add", ["a", "b"], ["y"], attrs)],
               {"y": TensorInfo("y", shape, ydt, 1.0, 0)}, {}, "y")
    return Case(scen, fn, f"{ROWS}x{c}", g, {"a": a, "b": b}, a.size, "element", a.size)


def mul_case(rng, scen, c) -> Case:
    shape = (ROWS, c)
    a, b = _vals(rng, "int16", shape, 3000), _vals(rng, "int16", shape, 3000)
    m, s = fixed_multiplier(127 / (3000 * 3000 * 3), 28, max_shift=62)
    attrs = {"a_zero_point": 0, "b_zero_point": 0, "multiplier": m, "shift": s, **_clamp("int8", -6)}
    g = _graph("mul", {"a": (shape, "int16"), "b": (shape, "int16")}, [Node("mul", "mul", ["a", "b"], ["y"], attrs)],
               {"y": TensorInfo("y", shape, "int8", 1.0, -6)}, {}, "y")
    return Case(scen, "ig_mul_s16_s16_s8", f"{ROWS}x{c}", g, {"a": a, "b": b}, a.size, "element", a.size)


def act_case(rng, scen, op, xdt, ydt, c) -> Case:
    shape = (ROWS, c)
    x = _vals(rng, xdt, shape, 6000)
    span = 12.0  # real |x| up to about 12 at the int16 extremes
    sx = span / 32767
    mi, si = fixed_multiplier(sx * 4096, 24)
    sy = span / np.iinfo(DTYPES[ydt]).max
    mo, so = fixed_multiplier(1 / (4096 * sy), 24)
    zp = 0 if ydt == "int16" else -58
    attrs = {"x_zero_point": 0, "in_multiplier": mi, "in_shift": si, "out_multiplier": mo, "out_shift": so,
             **_clamp(ydt, zp)}
    fn = f"ig_{op}_{xdt.replace('int', 's')}_{ydt.replace('int', 's')}"
    g = _graph(fn, {"x": (shape, xdt)}, [Node(op, op, ["x"], ["y"], attrs)],
               {"y": TensorInfo("y", shape, ydt, sy, zp)}, {}, "y")
    return Case(scen, fn, f"{ROWS}x{c}", g, {"x": x}, x.size, "element", x.size)


def norm_case(rng, scen, op, xdt, ydt, c) -> Case:
    shape = (ROWS, c)
    spread = {"int16": 2000, "int32": 2000 * 256}[xdt]
    x = _vals(rng, xdt, shape, spread)
    ymax = np.iinfo(DTYPES[ydt]).max
    # the quantizer's 34 where beta's 2^shift still fits int32 (layernorm: |beta| ~ 0.1 ymax 2^shift < 2^30)
    shift = 34 if op == "rmsnorm" else (24 if ydt == "int8" else 16)
    g_mag = ymax / 3 * 2 ** shift * math.sqrt(c) / 2 ** 20
    gamma = np.round(rng.uniform(0.5, 1.5, c) * g_mag).clip(-(1 << 30), 1 << 30).astype(np.int32)
    consts = {"gamma": gamma}
    attrs = {"x_zero_point": 0, "eps": 20731, "shift": shift, **_clamp(ydt, 3 if ydt == "int8" else 0)}
    ins = ["x", "gamma"]
    if op == "layernorm":
        consts["beta"] = np.round(rng.uniform(-0.1, 0.1, c) * ymax * 2 ** shift).astype(np.int32)
        ins.append("beta")
    else:
        attrs["pre_shift"] = 2 if xdt == "int32" else 0
    fn = f"ig_{op}_{xdt.replace('int', 's')}_{ydt.replace('int', 's')}"
    g = _graph(fn, {"x": (shape, xdt)}, [Node(op, op, ins, ["y"], attrs)],
               {"y": TensorInfo("y", shape, ydt, 1.0, attrs["y_zero_point"])}, consts, "y")
    return Case(scen, fn, f"{ROWS}x{c}", g, {"x": x}, x.size, "element", x.size)


def rope_case(rng, scen, heads, hd, t, p=64) -> Case:
    ang = np.arange(p)[:, None] * (10000.0 ** (-np.arange(hd // 2) / (hd // 2)))[None, :]
    cos = np.round(np.cos(ang) * 2 ** 14).astype(np.int16)
    sin = np.round(np.sin(ang) * 2 ** 14).astype(np.int16)
    x = _vals(rng, "int8", (t, heads * hd), 40)
    pos = rng.integers(0, p, t).astype(np.int32)
    m, s = quantize_multiplier(0.9 / 2 ** 14)
    attrs = {"heads": heads, "head_dim": hd, "x_zero_point": -5, "multiplier": m, "shift": s, **_clamp("int8", -10)}
    g = _graph("rope", {"x": ((t, heads * hd), "int8"), "positions": ((t,), "int32")},
               [Node("rope", "rope", ["x", "positions", "cos", "sin"], ["y"], attrs)],
               {"y": TensorInfo("y", (t, heads * hd), "int8", 1.0, -10)}, {"cos": cos, "sin": sin}, "y")
    return Case(scen, "ig_rope_s8_s8", f"{t}x{heads}x{hd}", g, {"x": x, "positions": pos}, x.size, "element", x.size)


def embedding_case(rng, scen, vocab, c) -> Case:
    table = _vals(rng, "int16", (vocab, c), 3000)
    ids = rng.integers(0, vocab, ROWS).astype(np.int32)
    g = _graph("embedding", {"ids": ((ROWS,), "int32")}, [Node("embedding", "emb", ["ids", "table"], ["y"], {})],
               {"y": TensorInfo("y", (ROWS, c), "int16", 1.0, 0)}, {"table": table}, "y")
    return Case(scen, "ig_embedding_s16", f"{ROWS}x{c}", g, {"ids": ids}, ROWS * c, "element", ROWS * c)


def qk_case(rng, scen, heads, kvh, hd, t, s) -> Case:
    q = _vals(rng, "int8", (t, heads * hd), 40)
    k = _vals(rng, "int8", (s, kvh * hd), 40)
    m, sh = quantize_multiplier(32767 / (40 * 40 * math.sqrt(hd) * 4))
    attrs = {"heads": heads, "kv_heads": kvh, "head_dim": hd, "q_zero_point": -10, "k_zero_point": -1,
             "multiplier": m, "shift": sh, **_clamp("int16")}
    g = _graph("qk", {"q": ((t, heads * hd), "int8"), "k": ((s, kvh * hd), "int8")},
               [Node("matmul_qk", "qk", ["q", "k"], ["y"], attrs)],
               {"y": TensorInfo("y", (heads, t, s), "int16", 1.0, 0)}, {}, "y")
    outs = heads * t * s
    return Case(scen, "ig_matmul_qk_s8_s16", f"h{heads}/{kvh} t{t} s{s} d{hd}", g, {"q": q, "k": k}, outs * hd,
                "MAC", outs)


def _softmax_node(causal: bool, span: float = 12.0):
    sx = span / 32767  # int16 scores spanning about +-span in real units
    m, s = fixed_multiplier(sx * math.log2(math.e) * 65536, 30)
    return Node("softmax", "softmax", ["x"], ["p"], {"in_multiplier": m, "in_shift": s, "causal": causal})


def softmax_case(rng, scen, heads, t, s, causal) -> Case:
    x = _vals(rng, "int16", (heads, t, s), 6000)
    g = _graph("softmax", {"x": ((heads, t, s), "int16")}, [_softmax_node(causal)],
               {"p": TensorInfo("p", (heads, t, s), "int16", 2.0 ** -15, 0)}, {}, "p")
    return Case(scen, "ig_softmax_s16_s16", f"{heads}x{t}x{s}{' causal' if causal else ''}", g, {"x": x}, x.size,
                "element", x.size)


def pv_case(rng, scen, heads, kvh, hd, t, s, causal) -> Case:
    """softmax -> matmul_pv (the p of matmul_pv must come from a softmax); counted: matmul_pv alone."""
    x = _vals(rng, "int16", (heads, t, s), 6000)
    v = _vals(rng, "int8", (s, kvh * hd), 40)
    m, sh = quantize_multiplier(127 / (2 ** 15 * 40))
    attrs = {"heads": heads, "kv_heads": kvh, "head_dim": hd, "p_zero_point": 0, "v_zero_point": -4,
             "multiplier": m, "shift": sh, **_clamp("int8", -13)}
    g = _graph("pv", {"x": ((heads, t, s), "int16"), "v": ((s, kvh * hd), "int8")},
               [_softmax_node(causal), Node("matmul_pv", "pv", ["p", "v"], ["y"], attrs)],
               {"p": TensorInfo("p", (heads, t, s), "int16", 2.0 ** -15, 0),
                "y": TensorInfo("y", (t, heads * hd), "int8", 1.0, -13)}, {}, "y")
    return Case(scen, "ig_matmul_pv_s16_s8", f"h{heads}/{kvh} t{t} s{s} d{hd}", g, {"x": x, "v": v},
                heads * t * s * hd, "MAC", t * heads * hd)


def scenarios(seed: int = 0) -> dict[str, list[Case]]:
    rng = np.random.default_rng(seed)
    sm = "smollm2"
    smollm2 = [
        add_case(rng, sm, "int16", "int16", "int16", 576),
        add_case(rng, sm, "int32", "int32", "int32", 576),
        add_case(rng, sm, "int16", "int32", "int32", 576),
        add_case(rng, sm, "int32", "int32", "int16", 576),
        mul_case(rng, sm, 1536),
        act_case(rng, sm, "silu", "int16", "int16", 1536),
        norm_case(rng, sm, "rmsnorm", "int16", "int8", 576),
        norm_case(rng, sm, "rmsnorm", "int32", "int8", 576),
        rope_case(rng, sm, 9, 64, ROWS),
        embedding_case(rng, sm, 256, 576),
        qk_case(rng, sm, 9, 3, 64, 64, 64),
        softmax_case(rng, sm, 9, 64, 64, True),
        pv_case(rng, sm, 9, 3, 64, 64, 64, True),
    ]
    dec = "smollm2-decode"
    decode = [
        qk_case(rng, dec, 9, 3, 64, 1, 64),
        softmax_case(rng, dec, 9, 1, 64, True),
        pv_case(rng, dec, 9, 3, 64, 1, 64, True),
    ]
    ml = "minilm"
    minilm = [
        add_case(rng, ml, "int16", "int8", "int16", 384),
        add_case(rng, ml, "int16", "int16", "int16", 384),
        act_case(rng, ml, "gelu", "int16", "int8", 1536),
        norm_case(rng, ml, "layernorm", "int16", "int8", 384),
        norm_case(rng, ml, "layernorm", "int16", "int16", 384),
        qk_case(rng, ml, 12, 12, 32, 128, 128),
        softmax_case(rng, ml, 12, 128, 128, False),
        pv_case(rng, ml, 12, 12, 32, 128, 128, False),
    ]
    return {sm: smollm2, dec: decode, ml: minilm}


def _kernel_functions(g: Graph) -> set[str]:
    """The kernel entry points a case graph calls (one per node)."""
    from codegen.op_calls import OpEnv, emit_node
    env = OpEnv(buf=lambda t, r: "b", const=lambda k, a, c: "c", rows="1", kv_len="1")
    return {emit_node(g, n, env)[0].split("(")[0].replace("if ", "").strip() for n in g.nodes}


def programs(cases: list[Case]) -> list[list[Case]]:
    """Cases grouped into as few programs as possible with no kernel function in two cases of one program (a
    function's count is then its case's: matmul_pv's graph has a softmax too)."""
    groups: list[tuple[set[str], list[Case]]] = []
    for c in cases:
        fns = _kernel_functions(c.graph)
        for used, members in groups:
            if not used & fns:
                used |= fns
                members.append(c)
                break
        else:
            groups.append((set(fns), [c]))
    return [m for _, m in groups]


def run_program(t: isa.Target, scen: str, part: int, cases: list[Case], workdir: Path, cycles: bool) -> list[dict]:
    from toolchain import build_elf
    t0 = time.time()
    d = workdir / t.name / f"{scen}-{part}"
    kc = emit_graph_cases([(c.graph, c.inputs) for c in cases], t, d)
    elf = d / "cases.elf"
    cc = build_elf(kc.sources, t, elf)
    r = run_cases(kc, elf, t)
    an = analyze(r.result, elf, r.target)
    prof = profile(r.result, elf, r.target, analysis=an)
    est = estimate(r.result, elf, r.target, analysis=an) if cycles else None
    rows = []
    for i, c in enumerate(cases):
        fp = prof.functions.get(c.function)
        if fp is None:
            raise RuntimeError(f"{t.name}: no function {c.function} in the run of {scen}")
        instr = fp.inclusive
        row = {"target": t.name, "kernel_family": t.kernel_family, "compiler": f"{cc.kind}: {cc.version}", "scenario": scen,
               "function": c.function, "shape": c.shape, "unit": c.unit, "elements": c.elements,
               "instructions": instr, "self_instructions": fp.instructions,
               "callees": sorted(fp.calls), "instr_per_element": instr / c.elements,
               "instr_per_output": instr / c.outputs,
               "linked_from": kc.kernel_stems[i],
               "bit_exact": r.outputs[i] == expected_bytes(c.graph, c.inputs)}
        if est is not None:
            cyc = _inclusive_cycles(c.function, prof, est.per_function)
            row.update({"est_cycles": int(round(cyc)), "est_cycles_per_element": cyc / c.elements,
                        "timing_model": est.model})
        rows.append(row)
    print(f"{t.name:>16} {scen}-{part:<10} built+ran in {time.time() - t0:.1f}s", flush=True)
    for row in rows:
        print(f"    {row['function']:<22} {row['shape']:<22} {row['instr_per_element']:9.2f} instr/{row['unit']}"
              + (f"  {row['est_cycles_per_element']:9.2f} est. cycles" if "est_cycles" in row else "")
              + ("" if row["bit_exact"] else "  NOT BIT-EXACT"), flush=True)
    return rows


def run_target(t: isa.Target, cases_by_scenario: dict[str, list[Case]], workdir: Path, cycles: bool) -> list[dict]:
    rows = []
    for scen, cases in cases_by_scenario.items():
        for part, members in enumerate(programs(cases)):
            rows += run_program(t, scen, part, members, workdir, cycles)
    order = {(c.scenario, c.function, c.shape): k for cs in cases_by_scenario.values() for k, c in enumerate(cs)}
    return sorted(rows, key=lambda r: (list(cases_by_scenario).index(r["scenario"]),
                                       order[(r["scenario"], r["function"], r["shape"])]))


def _inclusive_cycles(name: str, prof, cycles: dict, active=None) -> float:
    """A function's estimated cycles plus its callees' (library helpers such as a 64-bit division), shared among
    callers in proportion to their calls, as isa.profile shares instructions (gprof-style)."""
    active = (active or set()) | {name}
    calls_into: dict[str, int] = {}
    for f in prof.functions.values():
        for callee, n in f.calls.items():
            if callee != f.name:
                calls_into[callee] = calls_into.get(callee, 0) + n
    total = float(cycles.get(name, 0))
    for callee, n in prof.functions[name].calls.items():
        if callee in active or callee not in prof.functions or not calls_into.get(callee):
            continue
        total += n / calls_into[callee] * _inclusive_cycles(callee, prof, cycles, active)
    return total


def _md(doc: dict) -> str:
    runs = doc["runs"]
    labels = list(runs)
    lines = ["# Transformer-op kernels: instructions per element", "",
             "Exact dynamic instructions of the kernel function (emulator-counted), with the library helpers it "
             "calls (a 64-bit division) shared among callers by call counts as isa.profile does, per output "
             "element (per multiply-accumulate for matmul_qk / matmul_pv), and estimated cycles per element "
             "(isa.timing, the target's named model: an estimate, not a measurement). Every output was checked byte "
             "for byte against quant/reference.py. Sizes: SmolLM2-135M (hidden 576, FFN 1536, 9/3 heads, head_dim "
             "64, prefill of 64 tokens / decode t=1 against 64) and all-MiniLM-L6 (hidden 384, FFN 1536, 12 heads, "
             "head_dim 32, sequence 128); row-wise ops run 8 rows.", ""]
    for lab in labels:
        lines.append(f"- **{lab}**: `{runs[lab]['command']}` on {runs[lab]['date']}")
    lines.append("")
    goal_lines = []
    for (fn, scen, tgt), goal in GOALS.items():
        for lab in labels:
            for r in runs[lab]["rows"]:
                if (r["function"], r["scenario"], r["target"]) == (fn, scen, tgt):
                    goal_lines.append(f"- goal {fn} ({scen}, {tgt}) <= {goal:g} instr/element: {lab} "
                                      f"{r['instr_per_element']:.1f}")
    lines += goal_lines + [""]
    targets = list(dict.fromkeys(r["target"] for lab in labels for r in runs[lab]["rows"]))
    keys = list(dict.fromkeys((r["scenario"], r["function"], r["shape"], r["unit"])
                              for lab in labels for r in runs[lab]["rows"]))
    idx = {lab: {(r["scenario"], r["function"], r["shape"], r["target"]): r for r in runs[lab]["rows"]}
           for lab in labels}

    def cell(key, tgt, field):
        vals = []
        for lab in labels:
            r = idx[lab].get((key[0], key[1], key[2], tgt))
            vals.append("-" if r is None or field not in r else f"{r[field]:.1f}" if r[field] >= 10
                        else f"{r[field]:.2f}")
        if len(labels) == 2 and "-" not in vals:
            a, b = (idx[lab][(key[0], key[1], key[2], tgt)][field] for lab in labels)
            return f"{vals[0]} → {vals[1]} ({a / b:.1f}x)" if b else " → ".join(vals)
        return " → ".join(vals)

    for field, title in (("instr_per_element", "Instructions per element"),
                         ("est_cycles_per_element", "Estimated cycles per element")):
        lines += [f"## {title}" + (f" ({' → '.join(labels)})" if len(labels) > 1 else ""), "",
                  "| scenario | kernel | shape | unit | " + " | ".join(targets) + " |",
                  "|---|---|---|---|" + "---:|" * len(targets)]
        for key in keys:
            lines.append(f"| {key[0]} | `{key[1]}` | {key[2]} | {key[3]} | "
                         + " | ".join(cell(key, tgt, field) for tgt in targets) + " |")
        lines.append("")
    models = sorted({r.get("timing_model", "") for lab in labels for r in runs[lab]["rows"]} - {""})
    if models:
        lines += ["Timing models: " + ", ".join(models), ""]
    if doc.get("notes"):
        lines += ["## Notes", "", *doc["notes"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--scenarios", default="smollm2,smollm2-decode,minilm")
    ap.add_argument("--label", default="after", help="the name this run is kept under in the results")
    ap.add_argument("--note", default="")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-op-kernels"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--no-cycles", action="store_true", help="skip the cycle estimates (instructions only)")
    ap.add_argument("--no-save", action="store_true", help="print only")
    args = ap.parse_args(argv)
    want = args.scenarios.split(",")
    cases = {k: v for k, v in scenarios().items() if k in want}
    rows = []
    for t in isa.parse_targets(args.targets):
        rows += run_target(t, cases, Path(args.workdir), not args.no_cycles)
    ok = all(r["bit_exact"] for r in rows)
    if args.no_save:
        return 0 if ok else 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jpath = out / "op_kernels.json"
    doc = json.loads(jpath.read_text()) if jpath.exists() else {}
    doc.setdefault("what", "exact dynamic instructions per element of each transformer-op kernel function "
                           "(per MAC for matmul_qk / matmul_pv), est. cycles from isa.timing (an estimate)")
    doc.setdefault("runs", {})
    doc["notes"] = NOTES
    prev = doc["runs"].get(args.label)
    run = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/op_kernels.py " + shlex.join(argv or sys.argv[1:]),
           "date": datetime.date.today().isoformat(), "note": args.note, "rows": rows}
    if prev is not None:  # a partial re-run (fewer targets) replaces only its own rows
        done = {(r["target"], r["scenario"]) for r in rows}
        run["rows"] = [r for r in prev["rows"] if (r["target"], r["scenario"]) not in done] + rows
    doc["runs"][args.label] = run
    jpath.write_text(json.dumps(doc, indent=1) + "\n")
    with open(out / "op_kernels.csv", "w", newline="") as f:
        allrows = [{"label": lab, **r} for lab, rr in doc["runs"].items() for r in rr["rows"]]
        fields = list(dict.fromkeys(k for r in allrows for k in r))
        wr = csv.DictWriter(f, fieldnames=fields)
        wr.writeheader()
        wr.writerows(allrows)
    (out / "op_kernels.md").write_text(_md(doc))
    print(f"wrote {jpath}, op_kernels.csv and op_kernels.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
