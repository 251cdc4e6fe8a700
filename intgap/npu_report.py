"""The latency gap on targets with an NPU (docs/npu.md, "Reports"): the NPU's modelled cycles next to the core's
estimate, per run, per decode step and per layer, and Amdahl's bound (what the ops left on the CPU cap the speedup
at). Total est. cycles = CPU + NPU: the core waits for each job (polling), so the two never overlap."""
from __future__ import annotations

import re

from intgap.result_rows import layer_of
from isa.npu.config import npu_of
from isa.npu.cycles import LABEL

_VARIANT = re.compile(r"^(s8|s16|s32|f32|s8w4|grouped|asym|dyn|to)$")  # name parts after the op's


def run_fields(run, est) -> dict:
    """What `intgap run --json` adds for one run on an NPU target: the device's jobs and the combined estimate."""
    s = run.npu
    if s is None:
        return {}
    return {"npu": s.to_json(), "npu_cycles": s.cycles, "cpu_cycles": est.cycles,
            "total_est_cycles": est.cycles + s.cycles,
            "cpu_share": est.cycles / (est.cycles + s.cycles) if est.cycles + s.cycles else 1.0}


def add_bench_fields(rows: list[dict], r_short, r_long, steps: int) -> None:
    """A sweep's rows on an NPU target (`intgap bench`: the whole-model row, then one per layer): the NPU cycles of
    the unit (a forward call: r_short None; a decode step: the difference of the two runs over `steps`) added to
    each row's estimated cycles, with the CPU's own figure beside them; the whole row also gets the NPU's
    utilisation and the CPU share."""
    if r_long.npu is None:
        return
    short = r_short.npu.per_tag() if r_short is not None else {}
    per_tag = {t: {k: _per_step(v - short.get(t, {}).get(k, 0), steps) for k, v in d.items()}
               for t, d in r_long.npu.per_tag().items()}
    macs_per_cycle = r_long.npu.config.macs_per_cycle
    for row in rows:
        mine = per_tag.values() if row["layer"] is None else [per_tag.get(row["layer"], {"cycles": 0})]
        cpu, npu = row["estimated_cycles"], sum(x["cycles"] for x in mine)
        row.update(npu_cycles=npu, cpu_estimated_cycles=cpu, estimated_cycles=cpu + npu)
        if row["layer"] is not None:
            macs = sum(x.get("macs", 0) for x in mine)
            row.update(npu_utilization=macs / (macs_per_cycle * npu) if npu else None, on_npu=bool(npu))
    whole = rows[0]
    npu, macs = whole["npu_cycles"], sum(x["macs"] for x in per_tag.values())
    whole.update(npu_model=LABEL, npu_array=r_long.npu.config.label,
                 cpu_share=whole["cpu_estimated_cycles"] / whole["estimated_cycles"] if whole["estimated_cycles"]
                 else 1.0, npu_utilization=macs / (r_long.npu.config.macs_per_cycle * npu) if npu else 0.0)


def _per_step(v: int, steps: int) -> int | float:
    return v // steps if v % steps == 0 else v / steps


def run_text(doc: dict) -> str:
    """One line for `intgap run` on an NPU target."""
    n = doc["npu"]
    return (f"NPU {n['config']['label']} ({n['model']}): {n['jobs']} jobs, {n['cycles']:,} cycles, utilisation "
            f"{n['utilization']:.1%}, {n['bytes_moved']:,} bytes moved; est. total {doc['total_est_cycles']:,} "
            f"cycles (CPU + NPU, CPU share {doc['cpu_share']:.0%})")


def add_generate_fields(doc: dict, target, r_one, r_all, n_new: int, prompt_len: int) -> None:
    """`intgap generate --json` on an NPU target: the prefill's and a decode step's NPU cycles are added to their
    est. cycles (and tokens/s), with the CPU's own figures, the NPU's utilisation and the CPU share beside them."""
    npu = npu_of(target)
    if npu is None or r_one.npu is None:
        return
    one, all_ = r_one.npu, r_all.npu
    doc["npu"] = {"model": LABEL, "config": npu.to_json(), "dma_bytes_per_cycle": one.dma_bytes_per_cycle,
                  "offloaded_layers": sorted(all_.per_tag()), "note": "NPU cycles are added to the core's: the core "
                                                                     "polls while a job runs (no overlap)"}
    cpu = doc["prefill_est_cycles_per_token"]
    npu_tok = one.cycles / prompt_len
    doc.update(prefill_cpu_cycles_per_token=cpu, prefill_npu_cycles_per_token=npu_tok,
               prefill_est_cycles_per_token=cpu + npu_tok, prefill_npu_utilization=one.utilization)
    if n_new > 1:
        steps = n_new - 1
        cpu = doc["decode_est_cycles_per_token"]
        npu_step = (all_.cycles - one.cycles) / steps
        macs = (all_.macs - one.macs) / steps
        doc.update(decode_cpu_cycles_per_token=cpu, decode_npu_cycles_per_token=npu_step,
                   decode_est_cycles_per_token=cpu + npu_step, decode_cpu_share=cpu / (cpu + npu_step),
                   decode_npu_utilization=macs / (npu.macs_per_cycle * npu_step) if npu_step else 0.0,
                   decode_npu_macs_per_token=macs)
        if "clock_mhz" in doc:
            doc["est_tokens_per_second"] = doc["clock_mhz"] * 1e6 / doc["decode_est_cycles_per_token"]


def console_text(doc: dict) -> str:
    """One line for `intgap generate` on an NPU target."""
    n = doc["npu"]["config"]
    text = (f"NPU {n['label']} ({n['macs_per_cycle']} MACs/cycle, {doc['npu']['model']}): "
            f"{len(doc['npu']['offloaded_layers'])} layers offloaded; prefill "
            f"{doc['prefill_npu_cycles_per_token']:,.0f} NPU + {doc['prefill_cpu_cycles_per_token']:,.0f} CPU cycles / "
            f"token")
    if "decode_npu_cycles_per_token" in doc:
        text += (f"; decode {doc['decode_npu_cycles_per_token']:,.0f} NPU + {doc['decode_cpu_cycles_per_token']:,.0f} "
                 f"CPU cycles / token (CPU share {doc['decode_cpu_share']:.0%}, NPU utilisation "
                 f"{doc['decode_npu_utilization']:.1%})")
    return text


def op_of(function: str) -> str:
    """The op a kernel function computes (ig_rmsnorm_s8_s8__L3 -> rmsnorm); layer functions and others: 'other'."""
    if function.startswith("ig_layer_"):
        return "layer glue"
    if function.startswith("ig_npu_"):
        return "npu driver"
    if not function.startswith("ig_"):
        return "other"
    parts = re.sub(r"__L\d+$", "", function)[3:].split("_")
    op = []
    for p in parts:
        if _VARIANT.match(p) and op:
            break
        op.append(p)
    return "_".join(op)


def layer_rows(graph, per_function_cpu: dict[str, float], per_tag_npu: dict[int, dict], npu_macs: int) -> list[dict]:
    """One row per graph node: its CPU cycles (the layer function and its kernel copies), its NPU cycles and
    utilisation (jobs tagged with its index). `per_function_cpu`: cycles per function of a build with per-layer
    kernel copies (one step); `per_tag_npu`: NpuStats.per_tag() of the same step."""
    cpu: dict[int, float] = {}
    for f, c in per_function_cpu.items():
        i = layer_of(f)
        if i is not None:
            cpu[i] = cpu.get(i, 0.0) + c
    rows = []
    for i, n in enumerate(graph.nodes):
        t = per_tag_npu.get(i, {})
        rows.append({"layer": i, "name": n.name, "op": n.op, "where": "npu" if t else "cpu",
                     "cpu_cycles": cpu.get(i, 0.0), "npu_cycles": t.get("cycles", 0),
                     "npu_utilization": t["macs"] / (npu_macs * t["cycles"]) if t.get("cycles") else None})
    return rows


def amdahl(cpu_only_total: float, cpu_only_offloaded: float, cpu_total: float, npu_total: float) -> dict:
    """Promised vs realized speedup of the NPU target over its core alone. promised (Amdahl's bound): an NPU that
    took no time, the offloaded layers' CPU cycles gone; realized: the CPU-only cycles over the NPU target's CPU +
    NPU cycles."""
    rest = cpu_only_total - cpu_only_offloaded
    return {"cpu_only_cycles": cpu_only_total, "offloaded_share": cpu_only_offloaded / cpu_only_total,
            "amdahl_bound": cpu_only_total / rest if rest > 0 else float("inf"),
            "realized": cpu_only_total / (cpu_total + npu_total), "cpu_share": cpu_total / (cpu_total + npu_total)}


# the latency-gap report of `intgap bench` on NPU targets (intgap/report.py calls these)
NPU_COLUMNS = ("npu_array", "on_npu", "cpu_estimated_cycles", "npu_cycles", "npu_utilization", "cpu_share",
               "npu_realized_cycles", "npu_amdahl_bound")


def bench_gap_rows(runs: list[dict], fp32: str = "fp32") -> list[dict]:
    """Per NPU target x integer config x (whole model, each layer): CPU and NPU cycles, the NPU's utilisation, and
    against FP32 on the same target (its layers all on the core): realized = FP32 cycles / (CPU + NPU cycles);
    Amdahl's bound = FP32 cycles / the CPU cycles alone, the speedup if every NPU job took no time (what the layers
    left on the core cap it at)."""
    base = {(r["target"], r["layer"]): r for r in runs if r["config"] == fp32}
    array = {r["target"]: r["npu_array"] for r in runs if r["layer"] is None and "npu_array" in r}
    out = []
    for r in runs:
        if r["config"] == fp32 or "npu_cycles" not in r:
            continue
        cpu, npu, f = r["cpu_estimated_cycles"], r["npu_cycles"], base.get((r["target"], r["layer"]))
        fc = f["estimated_cycles"] if f else None
        out.append({"target": r["target"], "config": r["config"], "layer": r["layer"], "layer_name": r["layer_name"],
                    "npu_array": array.get(r["target"]), "on_npu": r.get("on_npu", npu > 0),
                    "cpu_estimated_cycles": cpu, "npu_cycles": npu, "estimated_cycles": cpu + npu,
                    "npu_utilization": r.get("npu_utilization"),
                    "cpu_share": cpu / (cpu + npu) if cpu + npu else None, "fp32_estimated_cycles": fc,
                    "npu_realized_cycles": fc / (cpu + npu) if fc and cpu + npu else None,
                    "npu_amdahl_bound": fc / cpu if fc and cpu else None})
    return out


def csv_fields(gap: dict | None) -> dict:
    """A results.csv row's NPU columns (empty on targets without an NPU)."""
    return {k: (gap or {}).get(k) for k in NPU_COLUMNS}


def _x(v) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def _top_cpu_kind(rows: list[dict], whole: dict, kind_of) -> tuple[str | None, float]:
    """The layer kind with the most CPU cycles among the layers left on the core, and its share of the CPU's."""
    kinds: dict[str, float] = {}
    for r in rows:
        if r["layer"] is not None and not r["on_npu"] and (r["target"], r["config"]) == (whole["target"],
                                                                                         whole["config"]):
            kinds[kind_of(r)] = kinds.get(kind_of(r), 0.0) + r["cpu_estimated_cycles"]
    if not kinds:
        return None, 0.0
    top = max(kinds, key=kinds.get)
    return top, kinds[top] / whole["cpu_estimated_cycles"] if whole["cpu_estimated_cycles"] else 0.0


def _of_bound(w: dict) -> str:
    return f"{w['npu_realized_cycles'] / w['npu_amdahl_bound']:.0%}" if w["npu_amdahl_bound"] else "n/a"


def console_lines(rows: list[dict], kind_of) -> list[str]:
    """`intgap bench`'s lines on NPU targets: one per target x config, the whole model."""
    out = []
    for w in (r for r in rows if r["layer"] is None):
        top, share = _top_cpu_kind(rows, w, kind_of)
        out.append(f"NPU {w['npu_array']} on {w['target']} {w['config']}: CPU {w['cpu_estimated_cycles']:,.0f} + "
                   f"NPU {w['npu_cycles']:,.0f} cycles (NPU utilisation {w['npu_utilization'] or 0:.1%}, CPU share "
                   f"{w['cpu_share']:.0%}); over FP32 realized {_x(w['npu_realized_cycles'])}, Amdahl's bound "
                   f"{_x(w['npu_amdahl_bound'])} (NPU at 0 cycles)" + (f"; top CPU-side kind {top} ({share:.0%})"
                                                                        if top else ""))
    return out


def bench_section(rows: list[dict], kind_of) -> list[str]:
    """report.md's NPU section: the whole model per target x config, then every layer (kind_of names its kind)."""
    if not rows:
        return []
    whole = [r for r in rows if r["layer"] is None]
    out = ["## The NPU: CPU vs NPU cycles, Amdahl's bound", "",
           f"On targets with an NPU ({LABEL}, docs/npu.md) the est. cycles are the core's plus the NPU's (the core "
           "polls while a job runs). Against FP32 on the same target (every FP32 layer runs on the core): "
           "**realized** = FP32 cycles / (CPU + NPU cycles); **Amdahl's bound** = FP32 cycles / CPU cycles, the "
           "speedup if the NPU's jobs took no time: what the layers left on the core cap it at. The CPU-side layer "
           "kind that costs most is what to move or speed up next.", "",
           "| target | config | array | CPU cycles | NPU cycles | total | NPU utilisation | CPU share | realized "
           "| Amdahl's bound | realized / bound | top CPU-side kind |", "|---" * 12 + "|"]
    for w in whole:
        top, share = _top_cpu_kind(rows, w, kind_of)
        out.append(f"| {w['target']} | {w['config']} | {w['npu_array']} | {w['cpu_estimated_cycles']:,.0f} | "
                   f"{w['npu_cycles']:,.0f} | {w['estimated_cycles']:,.0f} | {w['npu_utilization'] or 0:.1%} | "
                   f"{w['cpu_share']:.0%} | {_x(w['npu_realized_cycles'])} | {_x(w['npu_amdahl_bound'])} | "
                   f"{_of_bound(w)} | " + (f"{top} ({share:.0%} of CPU) |" if top else "n/a |"))
    out += ["", "Every layer (results.csv has the same columns):", "",
            "| target | config | # | layer | kind | where | CPU cycles | NPU cycles | NPU utilisation | FP32 cycles | "
            "realized |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["layer"] is not None:
            out.append(f"| {r['target']} | {r['config']} | {r['layer']} | {r['layer_name']} | {kind_of(r)} | "
                       f"{'NPU' if r['on_npu'] else 'CPU'} | {r['cpu_estimated_cycles']:,.0f} | "
                       f"{r['npu_cycles']:,.0f} | "
                       + ("" if r["npu_utilization"] is None else f"{r['npu_utilization']:.1%}")
                       + f" | {r['fp32_estimated_cycles'] or 0:,.0f} | {_x(r['npu_realized_cycles'])} |")
    return out + [""]
