"""The rows a run's result is made of: what every run says about its program (`run_fields`), and a run's
per-function costs split into the whole-model row and one row per layer (docs/modules.md)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from intgap.attribution import CATEGORIES
from intgap.cache import emulator_version
from isa.energy import estimate_energy, step_energy
from isa.profile import is_softfloat_helper
from quant.optable import Group, in_group
from toolchain import memory_report

_COPY = re.compile(r"__L(\d+)(?:\.|$)")
_LAYER = re.compile(r"^ig_layer_(\d+)_")


def layer_of(function: str) -> int | None:
    """The layer a function belongs to: ig_layer_<i>_* and the layer's kernel copies <kernel>__L<i>."""
    m = _COPY.search(function) or _LAYER.match(function)
    return int(m.group(1)) if m else None


def role_of(node_name: str) -> str:
    """A layer's role with its block index taken out (layers.3.mlp.up_proj -> layers.*.mlp.up_proj)."""
    return re.sub(r"\.\d+\.", ".*.", node_name, count=1)


def run_fields(spec, target, built, run, est, board) -> dict:
    """What every row of a run says about it: what ran where, built and estimated how, whether it fits its board,
    and the program's sizes (spec: a run spec, built: intgap/pipeline.py Built, run: its isa.RunResult, est: its
    estimate on `board`). A sweep compares configs: one that does not fit the board's memories is measured on them
    as if they were large enough, and its rows say so (fits_board, board_fit_notes)."""
    notes = list(run.memory.fit_notes) if run.memory is not None else []
    return {"model": spec.model, "config": spec.config, "target": spec.target, "backend": run.backend,
            "compiler": built.compiler, "compiler_version": built.compiler_version,
            "emulator_version": emulator_version(spec.target, spec.backend),
            "kernel_family": built.program.kernel_family, "cycle_model": est.heading, "board": board.name,
            "fits_board": not notes, "board_fit_notes": notes, "arena_bytes": built.program.arena_bytes,
            "program_instructions": int(run.instructions), **section_sizes(built.elf, target)}


def whole_energy(board, runs: list, step_cycles: float | None = None, steps: int = 1) -> dict:
    """The whole-model row's "energy" document: of one run [(run, est, analysis)] on `board` (the estimate made on
    it from that analysis), or of one step of two runs [(short), (long)] `steps` apart whose step took
    `step_cycles` (isa.timing.memory.step_difference)."""
    e = [estimate_energy(est, an, board, r.memory) for r, est, an in runs]
    return (e[0] if len(e) == 1 else step_energy(e[0], e[1], steps, step_cycles)).to_json()


@dataclass
class FunctionCosts:
    """What one measured unit (a decode step, a forward pass) cost, per function of the model (harness excluded)."""
    instructions: dict[str, float]
    cycles: dict[str, float]
    stalls: dict[str, float]
    loads: dict[str, float]
    stores: dict[str, float]
    categories: dict[str, dict[str, float]]  # category -> function -> instructions
    calls: dict[str, dict[str, float]]  # callee -> caller -> calls

    @classmethod
    def of_run(cls, prof, est, per_fn: dict[str, dict[str, int]], harness) -> "FunctionCosts":
        """One run's costs (prof: its isa.profile profile, est: its estimate, per_fn: intgap/attribution.py
        attribute()'s categories per function), the `harness` functions left out."""
        fns = {f: p for f, p in prof.functions.items() if f not in harness}
        calls: dict[str, dict[str, float]] = {}
        for f, p in fns.items():
            for callee, c in p.calls.items():
                calls.setdefault(callee, {})[f] = c
        return cls({f: p.instructions for f, p in fns.items()}, {f: est.per_function.get(f, 0) for f in fns},
                   {f: est.per_function_memory_stalls.get(f, 0) for f in fns},
                   {f: p.load_bytes for f, p in fns.items()}, {f: p.store_bytes for f, p in fns.items()},
                   {c: {f: per_fn.get(f, {}).get(c, 0) for f in fns} for c in CATEGORIES}, calls)

    def per_step(self, short: "FunctionCosts", steps: int) -> "FunctionCosts":
        """One step: these costs (a run that went `steps` steps further) minus `short`'s, divided by the steps.
        Calls stay differences (split_rows uses only their ratios)."""
        names = set(self.instructions) | set(short.instructions)

        def diff(a: dict, b: dict) -> dict[str, float]:
            return {f: (a.get(f, 0) - b.get(f, 0)) / steps for f in names}

        calls = {callee: {f: c - short.calls.get(callee, {}).get(f, 0) for f, c in callers.items()}
                 for callee, callers in self.calls.items()}
        return FunctionCosts(*(diff(getattr(self, k), getattr(short, k))
                               for k in ("instructions", "cycles", "stalls", "loads", "stores")),
                             {c: diff(self.categories[c], short.categories[c]) for c in CATEGORIES}, calls)


def copy_outputs(profile, graph) -> dict[str, int]:
    """Output elements each fully connected kernel copy made in a run (calls, one row each, x N): the
    attribution's per-output threshold (intgap/attribution.py rule 4)."""
    rows_out = {i: int(graph.constants[n.inputs[1]].shape[0]) for i, n in enumerate(graph.nodes)
                if in_group(n.op, Group.FULLY_CONNECTED)}
    outs: dict[str, int] = {}
    for fp in profile.functions.values():
        for callee, c in fp.calls.items():
            li = layer_of(callee)
            if li in rows_out and callee.startswith("ig_fc_"):
                outs[callee] = outs.get(callee, 0) + c * rows_out[li]
    return outs


def weight_macs(graph, nodes=None) -> int:
    """Weight MACs of one token (fully connected layers; attention adds 2 * heads * head_dim per cached
    position)."""
    return int(sum(graph.constants[n.inputs[1]].size for n in (nodes or graph.nodes)
                   if in_group(n.op, Group.FULLY_CONNECTED)))


def split_rows(costs: FunctionCosts, graph, base: dict, activations: bool = False) -> list[dict]:
    """The whole-model row, then one row per node of `graph` (`base`: the fields every row shares). The whole
    row also says what belongs to no layer (`outside_layers`: the forward step's own glue and helpers only that
    glue calls) and what the shared helpers cost. activations: the rows count the activation bytes of one pass."""
    names = set(costs.instructions) | set(costs.cycles) | set(costs.stalls)

    def row(fns: dict[str, float], layer: int | None, name: str | None, nodes) -> dict:
        """fns: function -> the share of it that belongs to this row (1 for its own functions)."""
        def total(d: dict[str, float]) -> int:  # fsum: the same figure whatever the order (workers hash differently)
            return int(round(math.fsum(d.get(f, 0) * w for f, w in fns.items())))
        return {**base, "layer": layer, "layer_name": name, "layer_role": role_of(name) if name else None,
                "instructions": total(costs.instructions), "estimated_cycles": total(costs.cycles),
                "memory_stall_cycles": total(costs.stalls), "load_bytes": total(costs.loads),
                "store_bytes": total(costs.stores),
                "attribution": {c: total(costs.categories[c]) for c in CATEGORIES}, "mix": {},
                "macs": weight_macs(graph, nodes), **weight_and_activation_bytes(graph, nodes, activations),
                "softfloat_helper_instructions": total({f: v for f, v in costs.instructions.items()
                                                        if is_softfloat_helper(f)}),
                "inclusive_exact": all(w == 1 for w in fns.values())}

    docs = [row({f: 1.0 for f in names}, None, None, None)]
    share = layer_shares(names, costs.calls)
    for i, n in enumerate(graph.nodes):
        docs.append(row({f: w[i] for f, w in share.items() if w.get(i)}, i, n.name, [n]))
    docs[0]["shared_helper_instructions"] = int(round(sum(costs.instructions.get(f, 0) for f in names
                                                          if layer_of(f) is None)))
    outside = {f: costs.instructions.get(f, 0) * (1 - sum(share[f].values())) for f in names}
    docs[0]["outside_layers"] = {f: int(round(v)) for f, v in sorted(outside.items(), key=lambda kv: -kv[1])
                                 if round(v)}
    return docs


def layer_shares(names: set[str], calls: dict[str, dict[str, float]]) -> dict[str, dict[int, float]]:
    """function -> {layer: share}: a layer's own functions wholly its own, a shared helper divided by calls
    (module docstring)."""
    memo: dict[str, dict[int, float]] = {}

    def shares(f: str, stack: frozenset) -> dict[int, float]:
        if f in memo:
            return memo[f]
        li = layer_of(f)
        if li is not None:
            return {li: 1.0}
        acc: dict[int, float] = {}
        total = 0.0
        for caller, c in sorted(calls.get(f, {}).items()):
            if caller in stack or c <= 0:
                continue
            total += c
            for layer, w in shares(caller, stack | {f}).items():
                acc[layer] = acc.get(layer, 0.0) + c * w
        out = {k: v / total for k, v in acc.items()} if total else {}
        memo[f] = out
        return out

    return {f: shares(f, frozenset()) for f in names}


def section_sizes(elf: Path, target) -> dict:
    """ROM / RAM of the linked program and the model's share of them (toolchain.memory_report)."""
    r = memory_report(elf, target)
    m = r.model_bytes
    return {"rom_bytes": r.rom_bytes, "ram_bytes": r.ram_bytes, "model_rom_bytes": m["weights"] + m["code"],
            "model_ram_bytes": m["arena"] + m["kv_cache"]}


def weight_and_activation_bytes(graph, nodes=None, activations: bool = True) -> dict:
    """Bytes one inference of `nodes` (default: all) must read of weights (as stored for the kernels: int4 packed
    two per byte) and of other constants (biases, requantization parameters, group scales), and (activations) of
    activations read + written."""
    w = other = act = 0
    for n in graph.nodes if nodes is None else nodes:
        consts = [k for k in n.inputs if k in graph.constants]
        for k in consts:
            a = graph.constants[k]
            if k == n.inputs[1] and in_group(n.op, Group.FULLY_CONNECTED):
                bits = n.attrs.get("weight_bits", 8 if a.dtype == np.int8 else 32)
                w += (a.shape[0] + a.shape[0] % 2) * a.shape[1] // 2 if bits == 4 else a.nbytes
            else:
                other += a.nbytes
        for t in [n.inputs[0], n.outputs[0]] if activations else []:
            info = graph.tensors[t]
            act += int(np.prod(info.shape)) * (1 if info.dtype == "int8" else 4)
    return {"weight_bytes": int(w), "param_bytes": int(other), "activation_bytes": int(act)}
