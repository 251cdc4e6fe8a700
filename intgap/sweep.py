"""Sweeps: model x targets x configs (x whole model and each layer on its own), as independent runs.

The parent quantizes each config once (cached) and writes the graphs; every run then builds (cached by graph,
target and code), runs on the emulator and profiles (cached by build and input) without torch. The classifier is a
workload (intgap/workload.py) whose runs go through intgap/runner.py (cache, then serial, a process pool or Dask).

A run of one layer builds a program of that layer alone (the same kernel call with the same arguments), which
gives exact per-layer instructions and estimated cycles even where layers share one kernel function.

On a Dask cluster the workers read the graphs and write the cache at the same path as the client: give them a
shared file system (or run them on this machine), and the same project checkout (the code fingerprint is part of
every key).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, graph_digest, toolchain_id
from intgap.errors import DriverError
from intgap.workload import Workload, run_workload

FP32 = "fp32"


@dataclass(frozen=True)
class Config:
    name: str
    weight_bits: int  # 32 for the FP32 baseline
    group_size: int | None = None

    @property
    def is_float(self) -> bool:
        return self.weight_bits == 32


def parse_config(spec: str) -> Config:
    """One config of quant/config.py's grammar as a sweep Config (mixed:<bits>: decoders, Theorem 8's allocation)."""
    from quant.config import ConfigError, parse
    try:
        q = parse(spec)
    except ConfigError as e:
        raise DriverError(str(e)) from None
    if q.layer_file is not None:
        raise DriverError(f"config {spec!r}: a per-layer .json file is for `intgap quantize` / `compile` / "
                          "`generate`; bench sweeps fp32, w8a8, w4a8, w4a8-g<N> / w8a8-g<N> and mixed:<bits>")
    return Config(q.name, q.weight_bits, q.group_size)


def parse_configs(text: str) -> list[Config]:
    cfgs = [parse_config(s) for s in text.split(",") if s.strip()]
    if not cfgs:
        raise DriverError("--configs is empty: pass e.g. fp32,w8a8,w4a8")
    if FP32 not in [c.name for c in cfgs]:
        cfgs.insert(0, Config(FP32, 32))  # the gap is measured against the FP32 baseline on the same target
    return cfgs


# ------------------------------------------------------------------ quantization (in the parent, cached)
@dataclass
class QuantizedConfig:
    config: Config
    graph_path: Path
    graph_key: str
    accuracy: dict
    layer_paths: list[Path]
    layer_keys: list[str]
    cached: bool


def layer_graph(g, i: int):
    """Node i of graph g as a graph of its own (input: the node's input tensor, output: its output)."""
    from quant.ir import Graph
    n = g.nodes[i]
    return Graph(f"{g.name}_layer{i}", [n.inputs[0]], [n.outputs[0]],
                 {t: g.tensors[t] for t in (n.inputs[0], n.outputs[0])},
                 {k: g.constants[k] for k in n.inputs[1:] if k in g.constants}, [n], dict(g.meta))


def model_digest(model) -> str:
    sd = model.module.state_dict()
    return digest(model.name, *[x for k in sorted(sd) for x in (k, sd[k].detach().numpy())],
                  model.calibration, model.test_x, model.test_y if model.test_y is not None else "none")


def quantize_config(model, cfg: Config, cache: Cache) -> QuantizedConfig:
    from quant import capture, load_graph, quantize_ptq, save_graph
    from quant.accuracy import classifier_accuracy
    if cfg.name.startswith("mixed:"):
        raise DriverError(f"config {cfg.name}: mixed precision is for transformer models (intgap bench --model "
                          "shakespeare-decoder); for an MLP use w8a8 or w4a8")
    key = digest("quantize", model_digest(model), asdict(cfg), code_fingerprint(("quant",)))
    entry = cache.get("graphs", key)
    cached = entry is not None
    if entry is None:
        tmp = cache.begin("graphs", key)
        fg = capture(model.module, model.in_features, name=model.name)
        g = fg if cfg.is_float else quantize_ptq(fg, model.calibration, cfg.weight_bits, cfg.group_size)
        save_graph(g, tmp / "model.igraph")
        acc = classifier_accuracy(g, model.module, model.test_x, model.test_y)
        for i in range(len(g.nodes)):
            save_graph(layer_graph(g, i), tmp / f"layer{i}.igraph")
        entry = cache.commit("graphs", key, tmp, {"accuracy": acc, "layers": len(g.nodes), "config": asdict(cfg)})
    meta = json.loads((entry / "entry.json").read_text())
    g = load_graph(entry / "model.igraph")
    lpaths = [entry / f"layer{i}.igraph" for i in range(meta["layers"])]
    lkeys = [graph_digest(load_graph(p)) for p in lpaths]
    return QuantizedConfig(cfg, entry / "model.igraph", graph_digest(g), meta["accuracy"], lpaths, lkeys, cached)


# ------------------------------------------------------------------ runs (anywhere: pool worker, Dask worker)
@dataclass
class RunSpec:
    model: str
    config: str
    target: str
    backend: str
    layer: int | None  # None: the whole model
    graph_path: str
    graph_key: str
    x: np.ndarray  # one sample, float32 (FP32) or float32 to be quantized by the graph's input parameters
    cache_root: str
    build_code: str = ""
    run_code: str = ""
    board: str = ""  # the board of the estimate (isa/boards.py); "" = the target's default board

    @property
    def label(self) -> str:
        return f"{self.target} {self.config}" + (f" layer {self.layer}" if self.layer is not None else "")


def _section_sizes(elf: Path, target) -> dict:
    """ROM / RAM of the linked program and the model's share of them (toolchain.memory_report)."""
    from toolchain import memory_report
    r = memory_report(elf, target)
    m = r.model_bytes
    return {"rom_bytes": r.rom_bytes, "ram_bytes": r.ram_bytes, "model_rom_bytes": m["weights"] + m["code"],
            "model_ram_bytes": m["arena"] + m["kv_cache"]}


def kernel_outputs(graph) -> dict[str, int]:
    """Kernel function -> output elements its calls make in one inference (for the attribution's rule 5)."""
    from codegen.emit_c import KERNEL_FOR_OP
    out: dict[str, int] = {}
    for n in graph.nodes:
        if n.op in KERNEL_FOR_OP and n.op.startswith("fully_connected"):
            stem = KERNEL_FOR_OP[n.op] + ("w4" if n.attrs.get("weight_bits", 8) == 4 else "")
            out[stem] = out.get(stem, 0) + int(graph.constants[n.inputs[1]].shape[0])
    return out


def weight_and_activation_bytes(graph, nodes=None, activations: bool = True) -> dict:
    """Bytes one inference of `nodes` (default: all) must read of weights (as stored for the kernels: int4 packed
    two per byte) and of other constants (biases, requantization parameters, group scales), and (activations) of
    activations read + written."""
    w = other = act = 0
    for n in graph.nodes if nodes is None else nodes:
        consts = [k for k in n.inputs if k in graph.constants]
        for k in consts:
            a = graph.constants[k]
            if k == n.inputs[1] and n.op.startswith("fully_connected"):
                bits = n.attrs.get("weight_bits", 8 if a.dtype == np.int8 else 32)
                w += (a.shape[0] + a.shape[0] % 2) * a.shape[1] // 2 if bits == 4 else a.nbytes
            else:
                other += a.nbytes
        for t in [n.inputs[0], n.outputs[0]] if activations else []:
            info = graph.tensors[t]
            act += int(np.prod(info.shape)) * (1 if info.dtype == "int8" else 4)
    return {"weight_bytes": int(w), "param_bytes": int(other), "activation_bytes": int(act)}


def _keys(spec: RunSpec):
    from quant import load_graph, reference
    graph = load_graph(spec.graph_path)
    x = spec.x.reshape(1, -1)
    xin = x.astype(np.float32) if not graph.is_integer else reference.quantize_input(graph, x)
    build_key = digest("build", spec.graph_key, spec.target, toolchain_id(spec.target),
                       spec.build_code or code_fingerprint())
    run_key = digest("run", build_key, spec.backend, emulator_version(spec.target, spec.backend), spec.board, xin,
                     spec.run_code or code_fingerprint(RUN_CODE))
    return graph, xin, build_key, run_key


def cached_run(spec: RunSpec) -> dict | None:
    """The run's result from the cache, or None."""
    t0 = time.perf_counter()
    hit = Cache(Path(spec.cache_root)).get("runs", _keys(spec)[3])
    if hit is None:
        return None
    doc = json.loads((hit / "result.json").read_text())
    doc.update(built=False, ran=False, wall_seconds=time.perf_counter() - t0)
    return doc


def execute(spec: RunSpec) -> dict:
    """One run: build (cached), run, profile, estimate, attribute (cached). Returns a JSON-able dict with
    `built` / `ran` saying what work it did."""
    import isa
    from codegen import HARNESS_FUNCTIONS, Program
    from intgap.attribution import attribute
    from intgap.pipeline import build_program
    from quant import reference

    cache = Cache(Path(spec.cache_root))
    t0 = time.perf_counter()
    target = isa.get_target(spec.target)
    graph, xin, build_key, run_key = _keys(spec)
    doc = cached_run(spec)
    if doc is not None:
        return doc
    built = False
    bentry = cache.get("builds", build_key)
    if bentry is None:
        tmp = cache.begin("builds", build_key)
        b = build_program(graph, target, tmp)
        (tmp / "weights.bin").unlink()  # linked into the ELF; the entry keeps the sources and the ELF
        bentry = cache.commit("builds", build_key, tmp, {
            "compiler": b.compiler, "compiler_version": b.compiler_version, "program": b.program.describe()})
        built = True
    bmeta = json.loads((bentry / "entry.json").read_text())
    elf = bentry / "program.elf"
    program = Program.described(bmeta["program"], bentry)
    from isa.boards import board_for
    from isa.profile import analyze, is_softfloat_helper, profile
    from isa.timing import estimate
    board = board_for(target, spec.board or None)
    # a sweep compares configs: one that does not fit the board's memories is measured on them as if they were
    # large enough, and its row says so (fits_board, the estimate's notes)
    res = isa.run(elf, target, spec.backend, inputs=program.encode_forward(xin), board=board, strict_fit=False)
    if res.exit_code != 0:
        raise DriverError(f"{spec.label}: the program exited with status {res.exit_code}; "
                          f"run it with `intgap run {elf} --target {spec.target}` to see why")
    y = program.decode_forward(res.stdout, 1)
    an = analyze(res, elf, target)
    prof = profile(res, elf, target, analysis=an)
    est = estimate(res, elf, target, analysis=an, board=board)
    harness = set(HARNESS_FUNCTIONS)
    totals, per_fn = attribute(an, harness, kernel_outputs(graph))
    fns = {n: f for n, f in prof.functions.items() if n not in harness}
    ref = reference.run(graph, {graph.inputs[0]: xin})[graph.outputs[0]]
    if graph.is_integer:
        exact, err = bool(np.array_equal(y, ref)), 0.0
    else:
        exact, err = True, float(np.abs(y.astype(np.float64) - ref).max())
    mix = {c: sum(f.mix[c] for f in fns.values()) for c in prof.mix}
    doc = {"model": spec.model, "config": spec.config, "target": spec.target, "backend": res.backend,
           "layer": spec.layer, "layer_name": graph.nodes[0].name if spec.layer is not None else None,
           "compiler": bmeta["compiler"], "compiler_version": bmeta["compiler_version"],
           "emulator_version": emulator_version(spec.target, spec.backend),
           "kernel_family": program.kernel_family,
           "instructions": int(sum(f.instructions for f in fns.values())),
           "program_instructions": int(res.instructions),
           "estimated_cycles": int(sum(v for k, v in est.per_function.items() if k not in harness)),
           "cycle_model": est.heading, "board": board.name, "fits_board": not _fit_notes(res),
           "board_fit_notes": _fit_notes(res),
           "memory_stall_cycles": int(sum(v for k, v in est.per_function_memory_stalls.items() if k not in harness)),
           "limiting_level": est.limiting_level,
           "load_bytes": int(sum(f.load_bytes for f in fns.values())),
           "store_bytes": int(sum(f.store_bytes for f in fns.values())),
           "mix": mix, "attribution": totals,
           "attribution_per_function": per_fn,
           "softfloat_helper_instructions": int(sum(f.instructions for n, f in fns.items()
                                                    if is_softfloat_helper(n))),
           "macs": int(graph.macs()), "arena_bytes": program.arena_bytes,
           **weight_and_activation_bytes(graph), **_section_sizes(elf, target),
           "bit_exact": exact, "max_abs_error_vs_reference": err}
    tmp = cache.begin("runs", run_key)
    (tmp / "result.json").write_text(json.dumps(doc))
    cache.commit("runs", run_key, tmp, {"label": spec.label})
    doc.update(built=built, ran=True, wall_seconds=time.perf_counter() - t0)
    return doc


def _fit_notes(res) -> list[str]:
    return list(res.memory.fit_notes) if res.memory is not None else []


# ------------------------------------------------------------------ the sweep
@dataclass
class SweepStats:
    runs: int = 0
    builds: int = 0
    executed_runs: int = 0
    quantized: int = 0
    seconds: float = 0.0
    where: str = "local"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SweepResult:
    model: dict
    configs: list[dict]
    runs: list[dict]
    stats: SweepStats = field(default_factory=SweepStats)


class Classifier(Workload):
    """An MLP classifier: forward programs of the whole model and (per_layer) of each layer alone, on one test
    sample; accuracy against its PyTorch module on the test set (quant/accuracy.py)."""
    kind, mode, run_code = "classifier", "forward", RUN_CODE

    def __init__(self, model, per_layer: bool = True):
        self.model, self.per_layer, self.name = model, per_layer, model.name

    def quantize(self, config: Config, cache: Cache) -> QuantizedConfig:
        return quantize_config(self.model, config, cache)

    def specs(self, q: QuantizedConfig, target, backend: str, board: str, cache_root: str, codes: dict) -> list:
        x = self.model.test_x[:1].astype(np.float32)
        specs = [RunSpec(self.name, q.config.name, target.name, backend, None, str(q.graph_path), q.graph_key, x,
                         cache_root, **codes, board=board)]
        if self.per_layer:
            # a layer's input: the activations the whole model feeds it (reference interpreter, float view)
            from quant import load_graph
            acts = _layer_inputs(load_graph(q.graph_path), x)
            specs += [RunSpec(self.name, q.config.name, target.name, backend, i, str(p), k, acts[i], cache_root,
                              **codes, board=board) for i, (p, k) in enumerate(zip(q.layer_paths, q.layer_keys))]
        return specs

    def executor(self):
        return execute

    def cached(self):
        return cached_run

    def model_doc(self, quantized: list) -> dict:
        return {"name": self.model.name, "description": self.model.description, "kind": self.kind,
                "unit": "inference"}


def _layer_inputs(g, x: np.ndarray) -> list[np.ndarray]:
    """The float view of each node's input for the sample x (re-quantized by the layer graph to the same ints)."""
    from quant import reference
    if not g.is_integer:
        acts = reference.run(g, {g.inputs[0]: x}, keep_all=True)
        return [np.asarray(acts[n.inputs[0]], np.float32) for n in g.nodes]
    acts = reference.run(g, {g.inputs[0]: reference.quantize_input(g, x)}, keep_all=True)
    out = []
    for n in g.nodes:
        info = g.tensors[n.inputs[0]]
        out.append(((acts[n.inputs[0]].astype(np.float64) - info.zero_point) * info.scale).astype(np.float32))
    return out


def run_sweep(model, targets: list, configs: list[Config], *, backend: str | None = None, jobs: int = 1,
              scheduler: str | None = None, cache_root: Path | None = None, per_layer: bool = True,
              progress: Callable[[str, int, int], None] | None = None, client=None,
              scheduler_timeout: float = 10.0, boards: dict | None = None) -> SweepResult:
    """All runs of model x targets x configs (whole model, and each layer alone when per_layer); `boards`:
    target name -> isa.boards.Board of the estimates (default: each target's default board)."""
    return run_workload(Classifier(model, per_layer), targets, configs, backend=backend, jobs=jobs,
                        scheduler=scheduler, cache_root=cache_root, progress=progress, client=client,
                        scheduler_timeout=scheduler_timeout, boards=boards)
