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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import isa
from codegen import HARNESS_FUNCTIONS
from codegen.emit_c import KERNEL_FOR_OP
from intgap.attribution import attribute
from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, graph_digest, toolchain_id
from intgap.errors import DriverError
from intgap.result_rows import run_fields, weight_and_activation_bytes
from intgap.workload import Quality, SweepResult, Workload, run_workload
from isa.boards import board_for
from isa.profile import analyze, is_softfloat_helper, profile
from isa.timing import estimate
from quant import capture, load_graph, quantize_ptq, reference, save_graph
from quant.accuracy import classifier_accuracy
from quant.config import ConfigError, parse
from quant.ir import Graph

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
    n = g.nodes[i]
    return Graph(f"{g.name}_layer{i}", [n.inputs[0]], [n.outputs[0]],
                 {t: g.tensors[t] for t in (n.inputs[0], n.outputs[0])},
                 {k: g.constants[k] for k in n.inputs[1:] if k in g.constants}, [n], dict(g.meta))


def model_digest(model) -> str:
    sd = model.module.state_dict()
    return digest(model.name, *[x for k in sorted(sd) for x in (k, sd[k].detach().numpy())],
                  model.calibration, model.test_x, model.test_y if model.test_y is not None else "none")


def quantize_config(model, cfg: Config, cache: Cache) -> QuantizedConfig:
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


def kernel_outputs(graph) -> dict[str, int]:
    """Kernel function -> output elements its calls make in one inference (for the attribution's rule 5)."""
    out: dict[str, int] = {}
    for n in graph.nodes:
        if n.op in KERNEL_FOR_OP and n.op.startswith("fully_connected"):
            stem = KERNEL_FOR_OP[n.op] + ("w4" if n.attrs.get("weight_bits", 8) == 4 else "")
            out[stem] = out.get(stem, 0) + int(graph.constants[n.inputs[1]].shape[0])
    return out


def _keys(spec: RunSpec):
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
    doc = Cache(Path(spec.cache_root)).result(_keys(spec)[3])
    if doc is not None:
        doc["wall_seconds"] = time.perf_counter() - t0
    return doc


def execute(spec: RunSpec) -> dict:
    """One run: build (cached), run, profile, estimate, attribute (cached). Returns a JSON-able dict with
    `built` / `ran` saying what work it did."""
    cache = Cache(Path(spec.cache_root))
    t0 = time.perf_counter()
    target = isa.get_target(spec.target)
    graph, xin, build_key, run_key = _keys(spec)
    doc = cached_run(spec)
    if doc is not None:
        return doc
    b, built = cache.program(build_key, graph, target)
    board = board_for(target, spec.board or None)
    res = isa.run(b.elf, target, spec.backend, inputs=b.program.encode_forward(xin), board=board, strict_fit=False)
    if res.exit_code != 0:
        raise DriverError(f"{spec.label}: the program exited with status {res.exit_code}; "
                          f"run it with `intgap run {b.elf} --target {spec.target}` to see why")
    y = b.program.decode_forward(res.stdout, 1)
    an = analyze(res, b.elf, target)
    prof = profile(res, b.elf, target, analysis=an)
    est = estimate(res, b.elf, target, analysis=an, board=board)
    totals, per_fn = attribute(an, HARNESS_FUNCTIONS, kernel_outputs(graph))
    fns = {n: f for n, f in prof.functions.items() if n not in HARNESS_FUNCTIONS}
    ref = reference.run(graph, {graph.inputs[0]: xin})[graph.outputs[0]]
    if graph.is_integer:
        exact, err = bool(np.array_equal(y, ref)), 0.0
    else:
        exact, err = True, float(np.abs(y.astype(np.float64) - ref).max())
    doc = {**run_fields(spec, target, b, res, est, board),
           "layer": spec.layer, "layer_name": graph.nodes[0].name if spec.layer is not None else None,
           "instructions": int(sum(f.instructions for f in fns.values())),
           "estimated_cycles": int(sum(v for k, v in est.per_function.items() if k not in HARNESS_FUNCTIONS)),
           "memory_stall_cycles": int(sum(v for k, v in est.per_function_memory_stalls.items()
                                          if k not in HARNESS_FUNCTIONS)),
           "limiting_level": est.limiting_level,
           "load_bytes": int(sum(f.load_bytes for f in fns.values())),
           "store_bytes": int(sum(f.store_bytes for f in fns.values())),
           "mix": {c: sum(f.mix[c] for f in fns.values()) for c in prof.mix}, "attribution": totals,
           "attribution_per_function": per_fn,
           "softfloat_helper_instructions": int(sum(f.instructions for n, f in fns.items()
                                                    if is_softfloat_helper(n))),
           "macs": int(graph.macs()), **weight_and_activation_bytes(graph),
           "bit_exact": exact, "max_abs_error_vs_reference": err}
    cache.keep_result(run_key, doc, spec.label)
    doc.update(built=built, ran=True, wall_seconds=time.perf_counter() - t0)
    return doc


# ------------------------------------------------------------------ the sweep
class Classifier(Workload):
    """An MLP classifier: forward programs of the whole model and (per_layer) of each layer alone, on one test
    sample; accuracy against its PyTorch module on the test set (quant/accuracy.py)."""
    kind, mode, run_code = "classifier", "forward", RUN_CODE
    unit, unit_text = "inference", "one inference (batch 1, run harness excluded)"
    quality = Quality("accuracy", "accuracy", "test accuracy (%)", ".2%")
    by_role = False
    caches_text = ("One inference from reset: the caches start cold, so the first fetch of each code and weight line "
                   "pays its memory's latency (a warm, repeated inference would pay less where they fit the caches).")
    per_layer_text = ("Each layer built and run on its own (the same kernel call), so per-layer counts are exact even "
                      "where layers share a kernel.")
    accuracy_text = ("Integer results are the reference interpreter's, which every target reproduces bit for bit "
                     "(checked per run on the benchmark sample).")
    accuracy_columns = (("config", "config", ""), ("test accuracy", "accuracy", ".2%"),
                        ("top-1 agreement with FP32", "argmax_agreement_with_fp32", ".2%"),
                        ("max |output - FP32|", "output_max_abs_error_vs_fp32", ".4f"), ("samples", "samples", ""))

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
                "unit": self.unit}

    def json_extra(self, result: SweepResult) -> dict:
        """The int8-vs-FP32 keys `intgap bench --json` has always written for an MLP (kept for its readers)."""
        acc = {c["config"]: c for c in result.configs}
        doc: dict = {"description": result.model["description"], "targets": []}
        if "fp32" not in acc or "w8a8" not in acc:
            return doc
        a8, af = acc["w8a8"], acc["fp32"]
        doc["accuracy"] = {"samples": a8["samples"], "argmax_agreement": a8["argmax_agreement_with_fp32"],
                           "output_max_abs_error": a8["output_max_abs_error_vs_fp32"]}
        if a8.get("accuracy") is not None:
            doc["accuracy"].update(fp32_accuracy=af["accuracy"], int8_accuracy=a8["accuracy"])
        whole = {(r["target"], r["config"]): r for r in result.runs if r["layer"] is None}
        for t in dict.fromkeys(r["target"] for r in result.runs):
            r8, rf = whole[(t, "w8a8")], whole[(t, "fp32")]
            doc["macs_per_inference"] = r8["macs"]
            doc["targets"].append({
                "target": t, "backend": r8["backend"], "compiler": r8["compiler"],
                "int8_instructions": r8["instructions"], "fp32_instructions": rf["instructions"],
                "realized_speedup": rf["instructions"] / r8["instructions"],
                "int8_weight_bytes": r8["weight_bytes"] + r8["param_bytes"],
                "fp32_weight_bytes": rf["weight_bytes"] + rf["param_bytes"],
                "int8_arena_bytes": r8["arena_bytes"], "fp32_arena_bytes": rf["arena_bytes"],
                "bit_exact": r8["bit_exact"], "fp32_max_abs_error": rf["max_abs_error_vs_reference"],
                "int8_program_instructions": r8["program_instructions"],
                "fp32_program_instructions": rf["program_instructions"]})
        return doc


def _layer_inputs(g, x: np.ndarray) -> list[np.ndarray]:
    """The float view of each node's input for the sample x (re-quantized by the layer graph to the same ints)."""
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
