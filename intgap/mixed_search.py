"""Mixed precision with measured costs: per-layer widths from each layer's measured cycles at 8 and 4 bits and its
sensitivity, by a Lagrangian search, against Theorem 8's allocation at equal budget (docs/modules.md)."""
from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from intgap.cache import Cache, graph_digest
from intgap.errors import DriverError
from intgap.plots import plain_axis, pyplot
from intgap.sequence_sweep import Decoder, execute_run
from intgap.sweep import parse_configs
from intgap.workload import RunSpec, run_workload
from isa.boards import board_for
from quant import save_graph
from quant.accuracy import perplexity, tokenize_text
from quant.hf_capture import capture_hf
from quant.hf_models import shakespeare_text
from quant.methods import smoothquant
from quant.mixed import allocate, sensitivities
from quant.observers import calibrate
from quant.recipes import calibration_feeds, load_model, parse_method, quantize_model, recipe_for

WIDTHS = (4, 8)


@dataclass
class LayerChoice:
    name: str
    size: int  # weights
    distortion: dict[int, float]  # bits -> D_l(b)
    cycles: dict[int, float]  # bits -> measured est. cycles of the layer in one decode step


@dataclass
class Allocation:
    bits: dict[str, int]
    distortion: float
    cycles: float  # predicted: the sum of the measured per-layer cycles (+ the rest of the step)
    mean_bits: float

    def to_json(self) -> dict:
        return {**asdict(self), "layers_at_4_bits": sorted(k for k, v in self.bits.items() if v == 4)}


def evaluate(layers: list[LayerChoice], bits: dict[str, int], rest_cycles: float) -> Allocation:
    size = sum(x.size for x in layers)
    return Allocation(dict(bits), sum(x.distortion[bits[x.name]] for x in layers),
                      rest_cycles + sum(x.cycles[bits[x.name]] for x in layers),
                      sum(x.size * bits[x.name] for x in layers) / size)


def pareto(points: list[Allocation]) -> list[Allocation]:
    """Allocations that no other beats in (cycles, mean bits, distortion), cheapest first, duplicates removed."""
    uniq = {tuple(sorted(p.bits.items())): p for p in points}.values()
    key = lambda p: (p.cycles, p.mean_bits, p.distortion)  # noqa: E731
    front = [p for p in uniq if not any(all(a <= b for a, b in zip(key(q), key(p))) and key(q) != key(p)
                                        for q in uniq)]
    return sorted(front, key=key)


def search(layers: list[LayerChoice], rest_cycles: float, grid: int = 40) -> list[Allocation]:
    """The Lagrangian front (see the module docstring)."""
    d_scale = max(sum(x.distortion[4] for x in layers), 1e-300)
    c_scale = max(sum(abs(x.cycles[8] - x.cycles[4]) for x in layers), 1e-9)
    s_scale = sum(x.size for x in layers) * 4.0
    cands = []
    for lam in [0.0] + list(np.geomspace(1e-4, 1e4, grid)):
        for mu in [0.0] + list(np.geomspace(1e-4, 1e4, grid)):
            bits = {}
            for x in layers:
                score = {b: x.distortion[b] / d_scale + lam * x.cycles[b] / c_scale + mu * x.size * b / s_scale
                         for b in WIDTHS}
                bits[x.name] = min(WIDTHS, key=lambda b: (score[b], -b))
            cands.append(evaluate(layers, bits, rest_cycles))
    return pareto(cands)


CANDIDATES = 3  # front allocations measured per budget beside Theorem 8's


def candidates_at_budget(front: list[Allocation], theorem8: Allocation, budget: float,
                         n: int = 3) -> list[Allocation]:
    """The n fastest (predicted) front allocations within the budget whose predicted distortion is no worse than
    Theorem 8's."""
    ok = [p for p in front if p.mean_bits <= budget + 1e-9 and p.distortion <= theorem8.distortion * (1 + 1e-9)]
    return sorted(ok, key=lambda p: (p.cycles, p.distortion))[:n]


def layer_choices(graph_fp32, cal, costs: dict[int, dict[str, float]]) -> list[LayerChoice]:
    """Sensitivities of the FP32 graph's fully connected layers next to their measured cycles per width
    (costs: bits -> node name -> est. cycles)."""
    out = []
    for s in sensitivities(graph_fp32, cal):
        if any(s.name not in costs[b] for b in WIDTHS):
            raise DriverError(f"no measured cost for layer {s.name}: run the decoder sweep with w8a8 and w4a8")
        out.append(LayerChoice(s.name, s.size, {b: s.distortion(b) for b in WIDTHS},
                               {b: float(costs[b][s.name]) for b in WIDTHS}))
    return out


def run_mixed_search(spec: str, target, budgets: list[float], out: Path, *, cache_root: Path | None = None,
                     progress=None, board=None) -> dict:
    """Measures per-layer costs (decoder sweep, w8a8 and w4a8), searches, quantizes and measures the search's and
    Theorem 8's picks at each budget on the target. Writes mixed.json, mixed.md and mixed.png into `out`. The costs
    are memory-aware estimates on `board` (an isa.boards.Board; default: the target's default board)."""
    report = progress or (lambda what, i, n: None)
    board = board_for(target, board)
    sweep = run_workload(dec := Decoder(spec), [target], parse_configs("w8a8,w4a8"),
                         cache_root=cache_root, progress=progress, boards={target.name: board})
    costs: dict[int, dict[str, float]] = {8: {}, 4: {}}
    whole, whole_energy = {}, {}
    for r in sweep.runs:
        b = {"w8a8": 8, "w4a8": 4}.get(r["config"])
        if b is None:
            continue
        if r["layer"] is None:
            whole[b] = r["estimated_cycles"]
            whole_energy[b] = (r.get("energy") or {}).get("total_uj")
        else:
            costs[b][r["layer_name"]] = r["estimated_cycles"]
    m = load_model(spec)
    recipe = recipe_for(spec, "mixed:6")  # the calibration every mixed config of the model quantizes with
    calib, seq_len = recipe.calib, recipe.seq_len
    g = capture_hf(m.model, seq_len, name=m.name)
    feeds = calibration_feeds(m, calib, seq_len)
    cal = calibrate(g, feeds)
    method = recipe.method
    if "smoothquant" in parse_method(method):  # the allocation sees the graph quantize_model allocates on
        g = smoothquant(g, cal, recipe.alpha)
        cal = calibrate(g, feeds)
    layers = layer_choices(g, cal, costs)
    rest = whole[8] - sum(x.cycles[8] for x in layers)  # the step's cycles outside the fully connected layers
    front = search(layers, rest)
    sens = {s.name: s for s in sensitivities(g, cal)}
    ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), dec.eval_tokens)
    cache = Cache(cache_root)
    rows = []

    def measure(alloc: Allocation, label: str, budget: float) -> tuple[dict, object]:
        """The allocation's row (one decode step on the target) and its quantized graph."""
        with tempfile.TemporaryDirectory(prefix="ig-mixed-") as d:
            cfg = Path(d) / "layers.json"
            cfg.write_text(json.dumps({k: ("w4a8" if v == 4 else "w8a8") for k, v in alloc.bits.items()}))
            q = quantize_model(m, str(cfg), recipe=dataclasses.replace(recipe, config=str(cfg)))
            q.name = m.name
            gp = Path(d) / "model.igraph"
            save_graph(q, gp)
            docs = execute_run(RunSpec(m.name, f"mixed-{label}-{budget}", target.name, target.default_backend,
                                            str(gp), graph_digest(q), dec.prompt, dec.steps, None,
                                            str(cache.root), board=board.name))
        return {"budget": budget, "how": label, **alloc.to_json(),
                "measured_est_cycles": docs[0]["estimated_cycles"], "measured_instructions": docs[0]["instructions"],
                "measured_energy_uj": (docs[0].get("energy") or {}).get("total_uj"),
                "weight_bytes": docs[0]["weight_bytes"]}, q

    def with_perplexity(row: dict, q) -> dict:
        window = min(256, int(q.meta.get("max_positions", 256)))
        return {**row, "perplexity": perplexity(q, ids, window=window)["perplexity"]}

    for i, budget in enumerate(budgets):
        t8 = evaluate(layers, allocate(list(sens.values()), budget), rest)
        report(f"budget {budget}: Theorem 8", i, len(budgets))
        tried = [(t8, *measure(t8, "Theorem 8", budget))]
        for j, cand in enumerate(candidates_at_budget(front, t8, budget, CANDIDATES)):
            if cand.bits != t8.bits:
                report(f"budget {budget}: search candidate {j + 1}", i, len(budgets))
                tried.append((cand, *measure(cand, f"candidate {j + 1}", budget)))
        t8_row = with_perplexity(tried[0][1], tried[0][2])
        _, pick_row, pick_q = min(tried, key=lambda t: (t[1]["measured_est_cycles"], t[0].distortion))
        pick_row = t8_row if pick_q is tried[0][2] else with_perplexity(pick_row, pick_q)
        rows.append(t8_row)
        rows.append({**pick_row, "how": "measured-cost search", "candidates_measured": len(tried) - 1,
                     "measured": [{k: r[k] for k in ("mean_bits", "cycles", "measured_est_cycles")}
                                  for _, r, _ in tried]})
    fp32 = next(c for c in sweep.configs if c["config"] == "fp32")
    doc = {"model": m.name, "target": target.name, "board": board.name,
           "cycle_model": sweep.runs[0]["cycle_model"],
           "energy_model": (sweep.runs[0].get("energy") or {}).get("label", "est. energy: not modelled"),
           "whole_step_energy_uj": {str(k): v for k, v in whole_energy.items()},
           "fp32_perplexity": fp32["perplexity"],
           "per_config": [{k: c[k] for k in ("config", "perplexity")} for c in sweep.configs],
           "whole_step_est_cycles": {str(k): v for k, v in whole.items()},
           "layers": [asdict(x) for x in layers], "front": [p.to_json() for p in front], "rows": rows,
           "method": method, "note": "distortion is Theorem 8's model (quant/mixed.py); cycles are estimates of "
           "the named model; 'predicted' cycles add the layers' measured costs, 'measured' ran the allocation"}
    out.mkdir(parents=True, exist_ok=True)
    (out / "mixed.json").write_text(json.dumps(doc, indent=1) + "\n")
    _markdown(doc, out)
    _plot(doc, out)
    return doc


def _uj(v: float | None) -> str:
    return "n/m" if v is None else f"{v:,.2f}"


def _markdown(doc: dict, out: Path) -> None:
    lines = [f"# Mixed precision with measured costs: {doc['model']} on {doc['target']} ({doc['board']})", "",
             f"Per-layer est. cycles ({doc['cycle_model']}) of one decode step at 8 and 4 bits, measured; "
             "sensitivities from calibration (Theorem 8's distortion model). At each budget (size-weighted mean weight "
             "bits) the measured-cost search measures the fastest allocations of its Pareto front (by predicted "
             "cycles, the sum of the layers') whose predicted distortion is no worse than Theorem 8's, and picks the "
             "one whose measured step is fastest, Theorem 8's allocation included. "
             f"FP32 perplexity {doc['fp32_perplexity']:.3f}. Energy per decode step: {doc['energy_model']} "
             "(docs/energy.md; n/m: not modelled on the board).", "",
             "| budget | allocation | mean bits | layers at 4 bits | predicted est. cycles | measured est. cycles | "
             "est. energy uJ | instructions | weights B | perplexity |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in doc["rows"]:
        n = r.get("candidates_measured")
        how = r["how"] + ("" if n is None else f" (best of {n + 1} measured)")
        lines.append(f"| {r['budget']:g} | {how} | {r['mean_bits']:.2f} | {len(r['layers_at_4_bits'])} | "
                     f"{r['cycles']:,.0f} | {r['measured_est_cycles']:,} | {_uj(r.get('measured_energy_uj'))} | "
                     f"{r['measured_instructions']:,} | "
                     f"{r['weight_bytes']:,} | {r['perplexity']:.3f} |")
    lines += ["", f"Pareto front of the search ({len(doc['front'])} allocations): est. cycles / mean bits / "
              "predicted distortion", "", "| est. cycles | mean bits | distortion |", "|---:|---:|---:|"]
    lines += [f"| {p['cycles']:,.0f} | {p['mean_bits']:.2f} | {p['distortion']:.4g} |" for p in doc["front"]]
    (out / "mixed.md").write_text("\n".join(lines) + "\n")


def _plot(doc: dict, out: Path) -> str:
    """mixed.png; returns the cycle axis' label."""
    plt = pyplot()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    f = doc["front"]
    ax[0].plot([p["cycles"] for p in f], [p["distortion"] for p in f], "o-", ms=4, label="search front")
    ax[1].plot([p["mean_bits"] for p in f], [p["distortion"] for p in f], "o", ms=4, label="search front")
    for r in doc["rows"]:
        mk = "s" if r["how"] == "Theorem 8" else "^"
        ax[0].plot(r["cycles"], r["distortion"], mk, ms=9, mfc="none", label=f"{r['how']} @ {r['budget']:g} bits")
        ax[1].plot(r["mean_bits"], r["distortion"], mk, ms=9, mfc="none")
    label = plain_axis(ax[0].xaxis, [p["cycles"] for p in f] + [r["cycles"] for r in doc["rows"]],
                       "predicted est. cycles per decode step")
    label += "\n" + doc["cycle_model"].removeprefix("est. cycles ")  # "(intgap <core> model v1 on <board>)"
    ax[0].set_xlabel(label)
    ax[1].set_xlabel("size-weighted mean weight bits (ROM)")
    for a in ax:
        a.set_ylabel("predicted distortion (Theorem 8 model)")
        a.set_yscale("log")
    ax[0].legend(fontsize=7)
    fig.suptitle(f"{doc['model']} on {doc['target']} (board {doc['board']}): mixed precision, measured costs vs "
                 "Theorem 8")
    fig.tight_layout()
    fig.savefig(out / "mixed.png", dpi=90)
    plt.close(fig)
    return label
