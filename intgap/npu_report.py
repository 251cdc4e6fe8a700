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
    per_tag = {t: {k: (v - short.get(t, {}).get(k, 0)) / steps for k, v in d.items()}
               for t, d in r_long.npu.per_tag().items()}
    for row in rows:
        mine = per_tag.values() if row["layer"] is None else [per_tag.get(row["layer"], {"cycles": 0})]
        cpu, npu = row["estimated_cycles"], sum(x["cycles"] for x in mine)
        row.update(npu_cycles=npu, cpu_estimated_cycles=cpu, estimated_cycles=cpu + npu)
    whole = rows[0]
    npu, macs = whole["npu_cycles"], sum(x["macs"] for x in per_tag.values())
    whole.update(npu_model=LABEL, npu_array=r_long.npu.config.label,
                 cpu_share=whole["cpu_estimated_cycles"] / whole["estimated_cycles"] if whole["estimated_cycles"]
                 else 1.0, npu_utilization=macs / (r_long.npu.config.macs_per_cycle * npu) if npu else 0.0)


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
