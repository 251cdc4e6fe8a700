"""The latency-gap report: promised vs realized speedup over FP32 on the same target, end to end and per layer, the
realized cost attributed to its causes; report.md, results.json, results.csv and PNG plots (the promise:
docs/modules.md)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import isa
from intgap import npu_report, plots
from intgap.attribution import CATEGORIES, CATEGORY_LABELS
from intgap.layer_kinds import layer_kind, sum_by_kind
from intgap.sweep import FP32
from intgap.workload import SweepResult
from isa.energy_params import add_45, fadd_45, fmul_45, mul_45

PROMISE_ASSUMPTION = (
    "MACs per instruction at each width, the best single instruction the ISA offers (LMUL 1 on RVV): "
    "Cortex-M DSP: FP32 1 (VFMA; none without an FPU, counted as 1 on paper), int8/int4 2 (SMLAD, dual 16-bit); "
    "RV32/RV64 scalar: FP32 1 (fmadd.s; none on rv32imc, 1 on paper), int8/int4 0.5 (mul + add: no integer MAC); "
    "AArch64 NEON: FP32 4 (FMLA .4s), int8/int4 8 (SMLAL .8h) or 16 with dot product (SDOT); "
    "RVV: FP32 VLEN/32 (vfmacc SEW 32), int8/int4 VLEN/8 (vwmacc SEW 8). "
    "int4 has no MAC of its own on any of these ISAs.")


def macs_per_instruction(target: isa.Target, bits: int) -> float:
    """MACs one instruction can do at this operand width on this target (see PROMISE_ASSUMPTION)."""
    ext = set(target.extensions)
    if "v" in ext and target.vlen:
        return target.vlen / 32 if bits == 32 else target.vlen / 8
    if "neon" in ext:
        return 4.0 if bits == 32 else 16.0 if "dotprod" in ext else 8.0
    if "dsp" in ext:
        return 1.0 if bits == 32 else 2.0
    return 1.0 if bits == 32 else 0.5  # scalar RISC-V (and any scalar core)


def promised(target: isa.Target, bits: int) -> tuple[float, float]:
    """(memory-bound promise, compute-bound promise) of `bits`-bit weights over FP32 on the target."""
    return 32 / bits, macs_per_instruction(target, bits) / macs_per_instruction(target, 32)


ENERGY_PROMISE_ASSUMPTION = (
    "promised energy saving over FP32: *bytes* = 32 / weight bits (energy that moving the weights dominates), "
    "*ops* = the energy of an FP32 multiply-add over an int multiply of the weight width plus a 32-bit add "
    "(Horowitz, ISSCC 2014, 45 nm: 4.6 pJ / 0.29 pJ at int8, 15.7x; int4 31x on paper: no ISA here has a 4-bit "
    "multiplier). Realized = FP32's estimated energy / the config's, both from the named energy model on the "
    "same board; energy gap = promised / realized.")


def energy_promise(bits: int) -> tuple[float, float]:
    """(bytes promise, operation-energy promise) of `bits`-bit weights over FP32 (ENERGY_PROMISE_ASSUMPTION)."""
    return 32 / bits, (fmul_45(32) + fadd_45(32)) / (mul_45(bits) + add_45(32))


def energy_uj(r: dict) -> float | None:
    """A whole-model row's estimated energy in uJ (None: not modelled on its board, or a row without one)."""
    return (r.get("energy") or {}).get("total_uj")


def _energy_gap(r: dict, f: dict, bits: int) -> dict:
    """The energy fields of a gap row: the config's and FP32's energy, realized saving, promises and gaps."""
    pm, po = energy_promise(bits)
    re_ = _ratio(energy_uj(f) or 0, energy_uj(r) or 0) if energy_uj(r) and energy_uj(f) else None
    return {"energy_uj": energy_uj(r), "fp32_energy_uj": energy_uj(f), "realized_energy": re_,
            "promised_energy_bytes": pm, "promised_energy_ops": po,
            "energy_gap_bytes": pm / re_ if re_ else None, "energy_gap_ops": po / re_ if re_ else None,
            "energy_model": (r.get("energy") or {}).get("model"), "energy": _split_doc(r), "fp32_energy": _split_doc(f)}


def _split_doc(r: dict) -> dict | None:
    """The split of a row's energy document (the gap rows carry it for the config and for FP32)."""
    e = r.get("energy") or {}
    return {k: e.get(k) for k in ("label", "compute_uj", "memory_uj", "static_uj", "compute_by_class_uj",
                              "memory_by_level_uj")} if e.get("total_uj") is not None else None


LAYER_ENERGY_RULE = (
    "a layer's energy is its share of the whole model's estimate: compute by its instructions (stall energy by its "
    "memory-stall cycles), each memory level by the bytes its loads and stores moved, static power by its "
    "estimated cycles; the layers sum to the whole model less what belongs to no layer")


def layer_energy(r: dict, whole: dict) -> dict | None:
    """The energy document of a layer (or role) row `r`, its share of the whole-model row `whole`'s
    (LAYER_ENERGY_RULE); None when the whole row has no modelled energy."""
    e = whole.get("energy") or {}
    if e.get("total_uj") is None:
        return None
    share = lambda k: _ratio(r.get(k, 0), whole.get(k, 0)) or 0.0
    moved = _ratio(r["load_bytes"] + r["store_bytes"], whole["load_bytes"] + whole["store_bytes"]) or 0.0
    classes = e.get("compute_by_class_uj", {})
    by_class = {c: v * (share("memory_stall_cycles") if c == "stall" else share("instructions"))
                for c, v in classes.items()}
    levels = {m: v * moved for m, v in e["memory_by_level_uj"].items()}
    compute = sum(by_class.values()) if classes else e["compute_uj"] * share("instructions")
    memory, static = sum(levels.values()), e["static_uj"] * share("estimated_cycles")
    return {**e, "total_uj": compute + memory + static, "compute_uj": compute, "memory_uj": memory,
            "static_uj": static, "compute_by_class_uj": by_class, "memory_by_level_uj": levels,
            "seconds": e.get("seconds", 0) * share("estimated_cycles"), "notes": [*e.get("notes", []),
                                                                               LAYER_ENERGY_RULE]}


def with_layer_energy(result: SweepResult, rows: list[dict]) -> list[dict]:
    """`rows` (whole-model, layer or role rows of `result`), layer rows with their "energy" (layer_energy)."""
    whole = {(r["target"], r["config"]): r for r in _whole(result)}
    return [r if r["layer"] is None or (r["target"], r["config"]) not in whole else
            {**r, "energy": layer_energy(r, whole[(r["target"], r["config"])])} for r in rows]


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _whole(result: SweepResult) -> list[dict]:
    """The whole-model runs (one per target x config)."""
    return [r for r in result.runs if r["layer"] is None]


def _targets(result: SweepResult) -> list[str]:
    return list(dict.fromkeys(r["target"] for r in result.runs))


def _stalls(r: dict) -> int:
    return r.get("memory_stall_cycles", 0)


def gaps(result: SweepResult) -> list[dict]:
    """One row per target x non-FP32 config x (whole model, each layer): promised, realized, gap, and the
    instructions per attribution category of the config and of FP32."""
    runs = with_layer_energy(result, _whole(result) + role_rows(result))
    # summed by role, a row is named by its role; else by the layer's index
    key = (lambda r: (r["target"], r["layer_name"] if r["layer"] is not None else None)) if result.workload.by_role \
        else (lambda r: (r["target"], r["layer"]))
    base = {key(r): r for r in runs if r["config"] == FP32}
    bits = {c["config"]: c["weight_bits"] for c in result.configs}
    rows = []
    for r in runs:
        f = base.get(key(r))
        if r["config"] == FP32 or f is None:
            continue
        pm, pc = promised(isa.get_target(r["target"]), bits[r["config"]])
        rc = _ratio(f["estimated_cycles"], r["estimated_cycles"])
        rows.append({"target": r["target"], "config": r["config"], "layer": r["layer"],
                     "layer_name": r["layer_name"], "promised_memory": pm, "promised_compute": pc,
                     "realized_instructions": _ratio(f["instructions"], r["instructions"]), "realized_cycles": rc,
                     "realized_bytes_moved": _ratio(f["load_bytes"] + f["store_bytes"],
                                                    r["load_bytes"] + r["store_bytes"]),
                     "gap_memory": pm / rc if rc else None, "gap_compute": pc / rc if rc else None,
                     "instructions": r["instructions"], "fp32_instructions": f["instructions"],
                     "estimated_cycles": r["estimated_cycles"], "fp32_estimated_cycles": f["estimated_cycles"],
                     "memory_stall_cycles": _stalls(r), "fp32_memory_stall_cycles": _stalls(f),
                     "cycle_model": r["cycle_model"], **_energy_gap(r, f, bits[r["config"]]),
                     "attribution": r["attribution"], "fp32_attribution": f["attribution"]})
    return rows


_SUMMED = ("instructions", "estimated_cycles", "memory_stall_cycles", "load_bytes", "store_bytes", "macs",
           "weight_bytes", "param_bytes")


def role_rows(result: SweepResult) -> list[dict]:
    """Transformers: per-layer runs summed over the blocks by role (layers.*.mlp.up_proj), one row per target x
    config x role, in graph order. Other models: the per-layer runs as they are."""
    if not result.workload.by_role:
        return [r for r in result.runs if r["layer"] is not None]
    out: dict[tuple, dict] = {}
    for r in (r for r in result.runs if r["layer"] is not None):
        d = out.setdefault((r["target"], r["config"], r["layer_role"]), {
            **r, "layer_name": r["layer_role"], "blocks": 0, **dict.fromkeys(_SUMMED, 0),
            "attribution": dict.fromkeys(CATEGORIES, 0), "inclusive_exact": True})
        d["blocks"] += 1
        d.update({k: d[k] + r.get(k, 0) for k in _SUMMED})
        d["attribution"] = {c: v + r["attribution"][c] for c, v in d["attribution"].items()}
        d["inclusive_exact"] &= r.get("inclusive_exact", True)
    return list(out.values())


def _fmt(v, spec=".2f", suffix="x"):
    return "n/a" if v is None else f"{v:{spec}}{suffix}"


def _short(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}" if v < 10 else f"{v:.1f}"


def summary_rows(result: SweepResult) -> list[dict]:
    """The headline table: whole model, one row per target x config."""
    g = {(x["target"], x["config"]): x for x in gaps(result) if x["layer"] is None}
    cfgs, quality = {c["config"]: c for c in result.configs}, result.workload.quality
    return [{"target": r["target"], "config": r["config"], "instructions": r["instructions"],
             "estimated_cycles": r["estimated_cycles"], "memory_stall_cycles": _stalls(r),
             "limiting_level": r.get("limiting_level", "core"), "board": r.get("board", ""),
             "fits_board": r.get("fits_board", True), "speedup_instructions": x.get("realized_instructions"),
             "speedup_cycles": x.get("realized_cycles"), **{k: x.get(k) for k in GAP_FIELDS[:2] + GAP_FIELDS[4:]},
             **energy_fields(r), **{k: x.get(k) for k in ENERGY_GAP_FIELDS},
             "weight_bytes": r["weight_bytes"] + r["param_bytes"], "model_rom_bytes": r["model_rom_bytes"],
             "accuracy": quality.score(cfgs[r["config"]]),
             "quality": quality.text(cfgs[r["config"]], r["config"] == FP32), "bit_exact": r["bit_exact"]}
            for r in _whole(result) for x in [g.get((r["target"], r["config"]), {})]]


def write_report(result: SweepResult, out: Path, plots: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    gap_rows = gaps(result)
    doc = {"model": result.model, "configs": result.configs, "promise_assumption": PROMISE_ASSUMPTION,
           "instructions_note": f"exact dynamic instruction counts of {result.workload.unit_text}",
           "cycles_note": "estimated cycles from each target's named timing model on its board (see cycle_model: "
                          "core pipeline + the board's simulated memory system); estimates",
           "attribution_categories": CATEGORY_LABELS, "summary": summary_rows(result), "gaps": gap_rows,
           "runs": [{k: v for k, v in r.items() if k not in ("built", "ran", "wall_seconds")} for r in result.runs],
           "sweep": asdict(result.stats)}
    npu = npu_report.bench_gap_rows(result.runs, FP32)
    if npu:  # targets with an NPU: CPU vs NPU cycles, utilisation, Amdahl's bound
        doc["npu"] = npu
    pngs = doc["plots"] = write_plots(result, gap_rows, out) if plots else []
    _atomic_write(out / "results.json", json.dumps(doc, indent=1) + "\n")
    _write_csv(result, gap_rows, out / "results.csv")
    _atomic_write(out / "report.md", markdown(result, pngs))
    return doc


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


GAP_FIELDS = ("promised_memory", "promised_compute", "realized_instructions", "realized_cycles", "gap_memory",
              "gap_compute")
ENERGY_GAP_FIELDS = ("realized_energy", "promised_energy_bytes", "promised_energy_ops", "energy_gap_bytes",
                     "energy_gap_ops")


def energy_fields(r: dict) -> dict:
    """A row's energy as flat fields (summary, CSV): total and split in uJ, pJ per MAC, its model (a layer row's:
    layer_energy)."""
    e = r.get("energy") or {}
    total = e.get("total_uj")
    return {"energy_uj": total, "energy_model": e.get("label"),
            **{f"energy_{k}_uj": e.get(f"{k}_uj") if total is not None else None
               for k in ("compute", "memory", "static")},
            "energy_pj_per_mac": total * 1e6 / r["macs"] if total is not None and r.get("macs") else None}


def _write_csv(result: SweepResult, gap_rows: list[dict], path: Path) -> None:
    g = {(x["target"], x["config"], x["layer"]): x for x in gap_rows}
    quality = result.workload.quality.key  # accuracy, perplexity, or the encoder's mean_cosine
    cols = ["model", "target", "config", "layer", "layer_name", "backend", "compiler", "compiler_version",
            "emulator_version", "instructions", "estimated_cycles", "memory_stall_cycles", "limiting_level",
            "cycle_model", "board", "macs", "weight_bytes", "param_bytes", "activation_bytes", "load_bytes",
            "store_bytes", "rom_bytes", "ram_bytes", "model_rom_bytes", "model_ram_bytes", "accuracy", "perplexity",
            *([] if quality in ("accuracy", "perplexity") else [quality]), "bit_exact", *GAP_FIELDS,
            *(f"attr_{c}" for c in CATEGORIES), "layer_role", "layer_kind", "energy_uj", "energy_model",
            "energy_compute_uj", "energy_memory_uj", "energy_static_uj", "energy_pj_per_mac", *ENERGY_GAP_FIELDS,
            *npu_report.NPU_COLUMNS]
    npu = {(x["target"], x["config"], x["layer"]): x for x in npu_report.bench_gap_rows(result.runs, FP32)}
    f = io.StringIO(newline="")
    w = csv.DictWriter(f, cols)
    w.writeheader()
    for r in with_layer_energy(result, result.runs):
        x = g.get((r["target"], r["config"], r["layer"]), {})
        cfg = next(c for c in result.configs if c["config"] == r["config"])
        w.writerow({**{c: r.get(c) for c in cols}, **{k: cfg.get(k) for k in ("accuracy", "perplexity", quality)},
                    **{k: x.get(k) for k in GAP_FIELDS}, **{f"attr_{c}": r["attribution"][c] for c in CATEGORIES},
                    "layer_kind": kind_of(r) if r["layer"] is not None else None,
                    **energy_fields(r), **{k: x.get(k) for k in ENERGY_GAP_FIELDS},
                    **npu_report.csv_fields(npu.get((r["target"], r["config"], r["layer"])))})
    _atomic_write(path, f.getvalue())


def layer_rows(result: SweepResult, target: str, config: str) -> list[dict]:
    """The per-layer runs of one target and config as the plots take them (every layer, not summed by role)."""
    return [{"name": r["layer_name"], "kind": kind_of(r), "instructions": r["instructions"],
             "cycles": r["estimated_cycles"], "stalls": _stalls(r), "attribution": r["attribution"]}
            for r in result.runs if r["layer"] is not None and r["target"] == target and r["config"] == config]


def kind_of(run: dict) -> str:
    return run.get("layer_kind") or layer_kind(run["layer_name"], run.get("macs", 0))


def write_plots(result: SweepResult, gap_rows: list[dict], out: Path) -> list[str]:
    files = []
    model = result.model["name"]
    step = result.workload.unit
    whole = {(r["target"], r["config"]): r for r in _whole(result)}
    # 1. per target and config: each layer kind's share of the cycles and of the instructions
    for t in _targets(result):
        for cfg in (c["config"] for c in result.configs):
            rows = layer_rows(result, t, cfg)
            if not rows:
                continue
            w = whole.get((t, cfg), {})
            name = f"layers_{t}_{cfg}.png"
            plots.plot_layer_shares(
                rows, out / name, f"{model} on {t} (board {w.get('board', '?')}), {cfg}: one {step}, "
                f"{len(rows)} layers", w.get("cycle_model", "est. cycles"))
            files.append(name)
    # 2. promised vs realized speedup per target (whole model)
    speed = [{**x, "board": whole.get((x["target"], x["config"]), {}).get("board", "")}
             for x in gap_rows if x["layer"] is None]
    if speed:
        plots.plot_speedups(speed, out / "speedup.png", model)
        files.append("speedup.png")
    # 3. quality vs estimated cycles, the Pareto front per target
    quality = result.workload.quality
    acc = {c["config"]: quality.value(c) for c in result.configs}
    pts = [{"series": f"{r['target']} ({r.get('board', '')})".replace(" ()", ""), "config": r["config"],
            "cost": r["estimated_cycles"], "quality": acc[r["config"]]}
           for r in whole.values() if acc.get(r["config"]) is not None]
    if pts:
        plots.plot_pareto(pts, out / "pareto.png",
                          f"{model}: quality vs estimated cycles; joined: the Pareto front per target",
                          f"estimated cycles per {step} (each target's named model on its board; log scale)",
                          quality.axis, lower_is_better=quality.lower_is_better)
        files.append("pareto.png")
    return files


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def per_target(runs: list[dict], key) -> str:
    """"target: value; ..." of each target's value of `key` (a field, or run -> value), sorted by target."""
    value = key if callable(key) else (lambda r: r[key])
    return "; ".join(f"{t}: {v}" for t, v in sorted({r["target"]: value(r) for r in runs}.items()))


def _section(title: str, text: str, header: list[str], rows: list[list[str]]) -> list[str]:
    return [f"## {title}", "", text, "", _md_table(header, rows), ""]


def _speedups(fp32: dict | None, r: dict, cycles: str = "estimated_cycles") -> list[str]:
    """The cells "x instr." and "x cycles": FP32's instructions and est. cycles over `r`'s ("" without FP32)."""
    if fp32 is None:
        return ["", ""]
    return [_fmt(_ratio(fp32[k], r[k])) for k in ("instructions", cycles)]


SUMMARY_HEADER = ["target", "config", "instr.", "est. cycles", "mem. stalls", "x instr.", "x cycles",
                  "promised B/MAC", "gap B/MAC", "est. energy uJ", "x energy", "weights B", "accuracy", "bit-exact"]


def summary_header(workload) -> list[str]:
    """SUMMARY_HEADER with the workload's quality column."""
    return [workload.quality.column if h == "accuracy" else h for h in SUMMARY_HEADER]


def stall_text(cycles: int, stalls: int, limit: str) -> str:
    """Memory stalls as a share of the estimate, with what limits it when that is a memory level."""
    share = f"{100 * stalls / cycles:.0f}%" if cycles else "0%"
    return share if limit in ("core", "") else f"{share} {limit}"


def summary_table_rows(result: SweepResult) -> list[list[str]]:
    return [[s["target"], s["config"], f"{s['instructions']:,}", f"{s['estimated_cycles']:,}",
             stall_text(s["estimated_cycles"], s["memory_stall_cycles"], s["limiting_level"])
             + ("" if s["fits_board"] else " *"),
             "1.00x" if fp else _fmt(s["speedup_instructions"]), "1.00x" if fp else _fmt(s["speedup_cycles"]),
             "" if fp else f"{s['promised_memory']:.0f}x/{s['promised_compute']:.2g}x",
             "" if fp else f"{_short(s['gap_memory'])}/{_short(s['gap_compute'])}",
             "n/m" if s["energy_uj"] is None else f"{s['energy_uj']:,.2f}",
             "1.00x" if fp and s["energy_uj"] is not None else _fmt(s["realized_energy"]),
             f"{s['weight_bytes']:,}", s["quality"], "n/a" if fp else ("yes" if s["bit_exact"] else "NO")]
            for s in summary_rows(result) for fp in [s["config"] == FP32]]


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def kinds_section(result: SweepResult) -> list[str]:
    """Each target x config's layers summed by kind (intgap/layer_kinds.py), with its share of the layers'
    instructions and est. cycles and its speedup over the same kind in FP32."""
    sums = {(t, c["config"]): sum_by_kind(rows, ("instructions", "cycles", "stalls"))
            for t in _targets(result) for c in result.configs if (rows := layer_rows(result, t, c["config"]))}
    out = []
    for (t, cfg), groups in sums.items():
        fp = {g["kind"]: g for g in sums.get((t, FP32), [])}
        ins, cyc = sum(g["instructions"] for g in groups), sum(g["cycles"] for g in groups)
        out += [[t, cfg, g["kind"], str(g["layers"]), f"{g['instructions']:,}", _pct(g["instructions"], ins),
                 f"{g['cycles']:,}", _pct(g["cycles"], cyc), _pct(g["stalls"], g["cycles"]),
                 *_speedups(fp.get(g["kind"]) if cfg != FP32 else None, g, "cycles")] for g in groups]
    if all(len(g) < 2 for g in sums.values()):  # one kind (the digits MLP): the per-layer table says it all
        return []
    return _section("Per layer kind", "The layers summed by kind (named by the graph's node names, "
                    "intgap/layer_kinds.py); shares are of the sum over the layers; speedups over the same kind in "
                    "FP32 on the same target.", ["target", "config", "kind", "layers", "instructions", "share",
                                                 "est. cycles", "share", "of which memory stalls", "x instr.",
                                                 "x cycles"], out)


def every_layer_section(result: SweepResult) -> list[str]:
    """Transformers: every layer of every run (the per-layer table sums the blocks by role); other models'
    per-layer table has every layer already."""
    if not result.workload.by_role:
        return []
    fp = {(r["target"], r["layer"]): r for r in result.runs if r["layer"] is not None and r["config"] == FP32}
    rows = [[r["target"], r["config"], str(r["layer"]), r["layer_name"], kind_of(r), f"{r['instructions']:,}",
             f"{r['estimated_cycles']:,}", stall_text(r["estimated_cycles"], _stalls(r), ""),
             *_speedups(fp.get((r["target"], r["layer"])) if r["config"] != FP32 else None, r)]
            for r in result.runs if r["layer"] is not None]
    return _section("Every layer", "Each layer of one decode step as measured (results.csv has the same rows with "
                    "every column); speedups over the same layer in FP32 on the same target.",
                    ["target", "config", "#", "layer", "kind", "instructions", "est. cycles", "of which memory stalls",
                     "x instr.", "x cycles"], rows)


def cycles_section(result: SweepResult) -> list[str]:
    """Where the estimated cycles go: the core pipeline model's cycles vs the stalls of the board's memory system,
    whole model and per layer (decoders: per role)."""
    rows = []
    for r in _whole(result) + role_rows(result):
        cyc, st = r["estimated_cycles"], _stalls(r)
        where = "whole model" if r["layer"] is None else (r["layer_name"] if result.workload.by_role else
                                                          f"{r['layer']} ({r['layer_name']})")
        limit = r.get("limiting_level", "core") if r["layer"] is None else ""
        board = r.get("board", "") + ("" if r.get("fits_board", True) else " *")
        rows.append([r["target"], board, r["config"], where, f"{cyc:,}", f"{cyc - st:,}", f"{st:,}",
                     stall_text(cyc, st, limit)])
    return _section("Where the cycles go", "Estimated cycles = the core pipeline model's cycles + memory stalls of "
                    "the board's simulated memory system (caches, prefetcher, DRAM / flash wait states; never below "
                    "bytes moved / the serving memory's bandwidth; docs/memory-models.md). A board without a memory "
                    "system (zero-wait) has no stalls. " + result.workload.caches_text,
                    ["target", "board", "config", "layer", "est. cycles", "core", "memory stalls",
                     "stall share (limit)"], rows) + _misfits(result)


def energy_section(result: SweepResult) -> list[str]:
    """Estimated energy of the whole model per target x config: the split, pJ per MAC, the realized saving over
    FP32 against the promise (the energy gap), each figure named by its model and board."""
    g = {(x["target"], x["config"]): x for x in gaps(result) if x["layer"] is None}
    rows, unmodelled = [], set()
    for r in _whole(result):
        e, x = energy_fields(r), g.get((r["target"], r["config"]), {})
        if e["energy_uj"] is None:
            unmodelled.add(f"{r['target']} on {r.get('board', '?')}")
            continue
        levels = ", ".join(f"{m} {v:,.2f}" for m, v in r["energy"]["memory_by_level_uj"].items())
        fp = r["config"] == FP32
        rows.append([r["target"], r["energy"]["model"], r["config"], f"{e['energy_uj']:,.2f}",
                     f"{e['energy_compute_uj']:,.2f}", f"{e['energy_memory_uj']:,.2f} ({levels})",
                     f"{e['energy_static_uj']:,.2f}", _fmt(e["energy_pj_per_mac"], ",.1f", ""),
                     "1.00x" if fp else _fmt(x.get("realized_energy")),
                     "" if fp else f"{x['promised_energy_bytes']:.0f}x / {x['promised_energy_ops']:.1f}x",
                     "" if fp else f"{_short(x.get('energy_gap_bytes'))} / {_short(x.get('energy_gap_ops'))}"])
    note = [f"Not modelled (a board without energy parameters, docs/energy.md): {', '.join(sorted(unmodelled))}.",
            ""] if unmodelled else []
    if not rows:
        return ["## Estimated energy", ""] + note
    return _section("Estimated energy", f"uJ per {result.workload.unit} from the named energy model on each "
                    "target's board (docs/energy.md): compute = the instruction mix, memory = accesses per level "
                    "(from the board's simulated memory system), static = the board's static power over the "
                    "estimated time. Estimates, not measurements. " + ENERGY_PROMISE_ASSUMPTION,
                    ["target", "energy model", "config", "est. energy uJ", "compute", "memory (levels)", "static",
                     "pJ / MAC", "saving over FP32", "promised (bytes / ops)", "energy gap (bytes / ops)"],
                    rows) + note


def layer_energy_section(result: SweepResult) -> list[str]:
    """The energy gap per layer (or role): each layer's estimated energy and its split, FP32's, the realized saving
    against the promise, per target x non-FP32 config."""
    rows = [[x["target"], x["config"], x["layer_name"], f"{x['energy_uj']:,.3f}", _split(x["energy"]),
             f"{x['fp32_energy_uj']:,.3f}", _split(x["fp32_energy"]), _fmt(x["realized_energy"]),
             f"{x['promised_energy_bytes']:.0f}x / {x['promised_energy_ops']:.1f}x",
             f"{_short(x['energy_gap_bytes'])} / {_short(x['energy_gap_ops'])}"]
            for x in gaps(result) if x["layer"] is not None and x["realized_energy"] is not None]
    if not rows:
        return []
    return _section("Energy gap per layer", f"uJ per {result.workload.unit}: {LAYER_ENERGY_RULE}. Split = compute / "
                    "memory / static. Estimates, not measurements. " + ENERGY_PROMISE_ASSUMPTION,
                    ["target", "config", "layer", "est. energy uJ", "split", "FP32 uJ", "FP32 split",
                     "saving over FP32", "promised (bytes / ops)", "energy gap (bytes / ops)"], rows)


def _split(e: dict) -> str:
    return f"{e['compute_uj']:,.3f} / {e['memory_uj']:,.3f} / {e['static_uj']:,.3f}"


def _misfits(result: SweepResult) -> list[str]:
    """The runs whose program does not fit their board's memories: measured with those memories' timing as if they
    were large enough."""
    notes = sorted({f"- {r['target']} {r['config']}: {n}" for r in _whole(result)
                    for n in r.get("board_fit_notes", [])})
    return (["\\* does not fit the board's memories; estimated with their timing as if they were large enough:", ""]
            + notes + [""]) if notes else []


def plots_section(result: SweepResult, pngs: list[str]) -> list[str]:
    """The whole-model plots shown; the per-layer figures linked from a target x config table."""
    if not pngs:
        return []
    configs = [c["config"] for c in result.configs]
    rows = [[t] + [f"[{c}](layers_{t}_{c}.png)" if f"layers_{t}_{c}.png" in pngs else "" for c in configs]
            for t in _targets(result)]
    layers = ["Per-layer figures (each layer kind's share of the cycles and of the instructions):", "",
              _md_table(["target"] + configs, rows), ""] if any(p.startswith("layers_") for p in pngs) else []
    return ["## Plots", ""] + [f"![{p}]({p})" for p in pngs if not p.startswith("layers_")] + [""] + layers


MEMORY_COLUMNS = (("weights B", "weight_bytes"), ("params B", "param_bytes"), ("activations B", "activation_bytes"),
                  ("loaded B", "load_bytes"), ("stored B", "store_bytes"), ("model ROM B", "model_rom_bytes"),
                  ("model RAM B", "model_ram_bytes"), ("ELF ROM B", "rom_bytes"), ("ELF RAM B", "ram_bytes"))


def per_layer_section(result: SweepResult) -> list[str]:
    """Each layer's (decoders: role's) speedup over the same layer in FP32 against the promise."""
    rows = [[x["target"], x["config"], f"{x['layer']} ({x['layer_name']})", f"{x['instructions']:,}",
             f"{x['fp32_instructions']:,}", f"{x['estimated_cycles']:,}",
             stall_text(x["estimated_cycles"], x["memory_stall_cycles"], ""), _fmt(x["realized_instructions"]),
             _fmt(x["realized_cycles"]), f"{x['promised_memory']:.0f}x / {x['promised_compute']:.2g}x",
             _fmt(x["gap_memory"]), _fmt(x["gap_compute"])] for x in gaps(result) if x["layer"] is not None]
    if not rows:
        return []
    return _section("Per layer", result.workload.per_layer_text,
                    ["target", "config", "layer", "instructions", "FP32 instr.", "est. cycles",
                     "of which memory stalls", "speedup (instr.)", "speedup (cycles)", "promised (bytes / MACs)",
                     "gap (bytes)", "gap (MACs)"], rows)


def markdown(result: SweepResult, pngs: list[str]) -> str:
    m, w = result.model, result.workload
    parts = [f"# Latency gap: {m['name']}", "", m["description"], "",
             f"Instructions are exact emulator counts of {w.unit_text}. Cycles are "
             "**estimates** of each target's named timing model: " + per_target(result.runs, "cycle_model") + ".", "",
             "Built with: " + per_target(result.runs, "compiler_version") + ".", "",
             "Run on: " + per_target(result.runs, "emulator_version") + ".", "",
             "**Promised** speedup over FP32 on the same target: *bytes* = 32 / weight bits (memory-bound), "
             "*MACs* = MACs per instruction at that width / at FP32 (compute-bound). " + PROMISE_ASSUMPTION, "",
             "**Realized** = FP32 / config in instructions and in estimated cycles. **Gap** = promised / realized "
             "(cycles); 1.0x means the promise is met, below 1 that it is beaten (e.g. against a soft-float "
             "baseline).", "", "## Whole model", "",
             _md_table(summary_header(w), summary_table_rows(result)), ""]
    parts += _section("Accuracy", w.accuracy_text, [h for h, _, _ in w.accuracy_columns],
                      [[_fmt(c.get(k), f, "") for _, k, f in w.accuracy_columns] for c in result.configs])
    parts += kinds_section(result) + per_layer_section(result) + every_layer_section(result)
    whole = _whole(result)
    parts += _section("Where the instructions go", "Every instruction of the inference is in exactly one category "
                      "(rules in intgap/attribution.py); the categories sum to the instruction count. Whole model, "
                      "share of that config's instructions:",
                      ["target", "config", "instructions"] + [CATEGORY_LABELS[c] for c in CATEGORIES],
                      [[r["target"], r["config"], f"{r['instructions']:,}"] +
                       [f"{100 * r['attribution'][c] / (r['instructions'] or 1):.1f}%" for c in CATEGORIES]
                       for r in whole])
    parts += cycles_section(result)
    parts += npu_report.bench_section(npu_report.bench_gap_rows(result.runs, FP32), kind_of)
    parts += energy_section(result) + layer_energy_section(result)
    parts += _section("Memory", "weights as the kernels store them (int4 two per byte); params = biases, "
                      "requantization multipliers/shifts, group scales; activations read + written by the layers; "
                      "loaded/stored = exact bytes the inference's loads and stores moved; model ROM = the model's "
                      "code and constants (ig_* symbols), model RAM = its arena; ELF ROM/RAM = all allocated sections "
                      "of the whole program (startup code, harness and stack included).",
                      ["target", "config"] + [h for h, _ in MEMORY_COLUMNS],
                      [[r["target"], r["config"]] + [f"{r[k]:,}" for _, k in MEMORY_COLUMNS] for r in whole])
    parts += plots_section(result, pngs)
    st = result.stats
    parts += [f"Sweep: {st.runs} runs ({st.executed_runs} executed, {st.runs - st.executed_runs} from the cache), "
              f"{st.builds} builds, {st.quantized} quantizations, {st.seconds:.1f} s, {st.where}.", ""]
    return "\n".join(parts)
