"""Sweeps: model x targets x configs (x whole model and each layer on its own), as independent runs.

The parent quantizes each config once (cached) and writes the graphs; every run then builds (cached by graph,
target and code), runs on the emulator and profiles (cached by build and input) without torch. Runs go to a local
process pool (`jobs`) or a Dask cluster (`scheduler`); the result of a run does not depend on where it ran.

A run of one layer builds a program of that layer alone (the same kernel call with the same arguments), which
gives exact per-layer instructions and estimated cycles even where layers share one kernel function.

On a Dask cluster the workers read the graphs and write the cache at the same path as the client: give them a
shared file system (or run them on this machine), and the same project checkout (the code fingerprint is part of
every key).
"""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, graph_digest, toolchain_id
from intgap.errors import DriverError

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
    from quant import capture, load_graph, quantize_ptq, reference, save_graph
    if cfg.name.startswith("mixed:"):
        raise DriverError(f"config {cfg.name}: mixed precision is for transformer models (intgap bench --model "
                          "shakespeare-decoder); for an MLP use w8a8 or w4a8")
    key = digest("quantize", model_digest(model), asdict(cfg), code_fingerprint(("quant",)))
    entry = cache.get("graphs", key)
    cached = entry is not None
    if entry is None:
        import torch
        tmp = cache.begin("graphs", key)
        fg = capture(model.module, model.in_features, name=model.name)
        g = fg if cfg.is_float else quantize_ptq(fg, model.calibration, cfg.weight_bits, cfg.group_size)
        save_graph(g, tmp / "model.igraph")
        with torch.no_grad():
            y_fp = model.module(torch.from_numpy(model.test_x)).numpy()
        if cfg.is_float:
            y = reference.run(g, {g.inputs[0]: model.test_x})[g.outputs[0]]
        else:
            y = reference.dequantize_output(
                g, reference.run(g, {g.inputs[0]: reference.quantize_input(g, model.test_x)})[g.outputs[0]])
        acc = {"samples": int(len(model.test_x)), "argmax_agreement_with_fp32": float((y.argmax(1) == y_fp.argmax(1)).mean()),
               "output_max_abs_error_vs_fp32": float(np.abs(y - y_fp).max())}
        if model.test_y is not None:
            acc["accuracy"] = float((y.argmax(1) == model.test_y).mean())
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
    # fingerprints of the code that builds / runs, taken once by the planner so that every worker of a sweep
    # uses the same keys (a file edited during the sweep does not split it between two sets of keys)
    build_code: str = ""
    run_code: str = ""
    board: str = ""  # the board of the estimate (isa/boards.py); "" = the target's default board

    @property
    def label(self) -> str:
        return f"{self.target} {self.config}" + (f" layer {self.layer}" if self.layer is not None else "")


def _section_sizes(elf: Path) -> dict:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.constants import SH_FLAGS
    rom = ram = model_rom = 0
    with open(elf, "rb") as f:
        e = ELFFile(f)
        writable_idx = set()
        for i, s in enumerate(e.iter_sections()):
            fl = s["sh_flags"]
            if not fl & SH_FLAGS.SHF_ALLOC:
                continue
            if fl & SH_FLAGS.SHF_WRITE:
                ram += s["sh_size"]
                writable_idx.add(i)
                if s["sh_type"] != "SHT_NOBITS":
                    rom += s["sh_size"]  # initial values of .data live in ROM too
            else:
                rom += s["sh_size"]
        st = e.get_section_by_name(".symtab")
        arena = 0
        if st is not None:
            for sym in st.iter_symbols():
                nm = sym.name
                if not nm.startswith("ig_") or sym["st_size"] == 0 or not isinstance(sym["st_shndx"], int):
                    continue
                if nm == "ig_arena":
                    arena = sym["st_size"]
                elif sym["st_shndx"] not in writable_idx and nm not in ("ig_write_hex", "ig_write_str",
                                                                         "ig_sys_write", "ig_sys_exit"):
                    model_rom += sym["st_size"]
    return {"rom_bytes": int(rom), "ram_bytes": int(ram), "model_rom_bytes": int(model_rom),
            "model_ram_bytes": int(arena)}


def kernel_outputs(graph) -> dict[str, int]:
    """Kernel function -> output elements its calls make in one inference (for the attribution's rule 5)."""
    from codegen.emit_c import KERNEL_FOR_OP
    out: dict[str, int] = {}
    for n in graph.nodes:
        if n.op in KERNEL_FOR_OP and n.op.startswith("fully_connected"):
            stem = KERNEL_FOR_OP[n.op] + ("w4" if n.attrs.get("weight_bits", 8) == 4 else "")
            out[stem] = out.get(stem, 0) + int(graph.constants[n.inputs[1]].shape[0])
    return out


def weight_and_activation_bytes(graph) -> dict:
    """Bytes one inference must read of weights (as stored for the kernels: int4 packed two per byte) and of
    other constants (biases, requantization parameters, group scales), and of activations read + written."""
    w = other = act = 0
    for n in graph.nodes:
        consts = [k for k in n.inputs if k in graph.constants]
        for k in consts:
            a = graph.constants[k]
            if k == n.inputs[1] and n.op.startswith("fully_connected"):
                bits = n.attrs.get("weight_bits", 8 if a.dtype == np.int8 else 32)
                w += (a.shape[0] + a.shape[0] % 2) * a.shape[1] // 2 if bits == 4 else a.nbytes
            else:
                other += a.nbytes
        for t in [n.inputs[0], n.outputs[0]]:
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
    from codegen import HARNESS_FUNCTIONS, emit_program
    from codegen.program import Program
    from intgap.attribution import attribute
    from quant import load_graph, reference
    from toolchain import build_elf, require_integer_purity

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
        program = emit_program(graph, target, tmp / "src")
        cc = build_elf(program.sources, target, tmp / "program.elf")
        if graph.is_integer:
            require_integer_purity(tmp / "program.elf")
        bentry = cache.commit("builds", build_key, tmp, {
            "compiler": cc.kind, "compiler_version": cc.version, "input_dtype": program.input_dtype.str,
            "input_size": program.input_size,
            "output_dtype": program.output_dtype.str, "output_size": program.output_size,
            "arena_bytes": program.arena_bytes, "kernel_family": program.kernel_family})
        built = True
    bmeta = json.loads((bentry / "entry.json").read_text())
    elf = bentry / "program.elf"
    program = Program(graph.name, bentry, [], np.dtype(bmeta["input_dtype"]), bmeta["input_size"],
                      np.dtype(bmeta["output_dtype"]), bmeta["output_size"], 1, bmeta["arena_bytes"], [],
                      bmeta["kernel_family"])
    from isa.boards import board_for
    from isa.profile import analyze, is_softfloat_helper, profile
    from isa.timing import estimate
    board = board_for(target, spec.board or None)
    # a sweep compares configs: one that does not fit the board's memories is measured on them as if they were
    # large enough, and its row says so (fits_board, the estimate's notes)
    res = isa.run(elf, target, spec.backend, inputs=program.encode_inputs(xin), board=board, strict_fit=False)
    if res.exit_code != 0:
        raise DriverError(f"{spec.label}: the program exited with status {res.exit_code}; "
                          f"run it with `intgap run {elf} --target {spec.target}` to see why")
    y = program.decode_outputs(res.stdout)
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
           "kernel_family": bmeta["kernel_family"],
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
           "macs": int(graph.macs()), "arena_bytes": bmeta["arena_bytes"],
           **weight_and_activation_bytes(graph), **_section_sizes(elf),
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


def plan(model, targets: list, configs: list[Config], backend: str | None, cache: Cache,
         per_layer: bool = True, boards: dict | None = None) -> tuple[list[RunSpec], list[QuantizedConfig], int]:
    import isa
    from isa.boards import board_for
    qcs = [quantize_config(model, c, cache) for c in configs]
    quantized = sum(not q.cached for q in qcs)
    x = model.test_x[:1].astype(np.float32)
    codes = {"build_code": code_fingerprint(), "run_code": code_fingerprint(RUN_CODE)}
    specs = []
    from quant import load_graph
    for t in targets:
        be = backend or t.default_backend
        isa.run_check_backend(t, be)
        board = (boards or {}).get(t.name) or board_for(t)
        for q in qcs:
            specs.append(RunSpec(model.name, q.config.name, t.name, be, None, str(q.graph_path), q.graph_key, x,
                                 str(cache.root), **codes, board=board.name))
            if per_layer:
                # a layer's input: the activations the whole model feeds it (reference interpreter, float view)
                g = load_graph(q.graph_path)
                acts = _layer_inputs(g, x)
                for i, (p, k) in enumerate(zip(q.layer_paths, q.layer_keys)):
                    specs.append(RunSpec(model.name, q.config.name, t.name, be, i, str(p), k, acts[i],
                                         str(cache.root), **codes, board=board.name))
    return specs, qcs, quantized


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
    t0 = time.perf_counter()
    cache = Cache(cache_root)
    specs, qcs, quantized = plan(model, targets, configs, backend, cache, per_layer, boards)
    results: list[dict | None] = [None] * len(specs)
    done = 0
    report = progress or (lambda label, d, n: None)
    report("runs", 0, len(specs))
    where = "local"
    for i, s in enumerate(specs):  # what the cache holds is served here, without starting any worker
        results[i] = cached_run(s)
        if results[i] is not None:
            done += 1
    report("cached", done, len(specs))
    todo = [i for i, r in enumerate(results) if r is None]
    if not todo:
        where = "cache"
    elif scheduler is not None or client is not None:
        where = _run_dask(specs, todo, results, scheduler, client, report, scheduler_timeout, done)
    elif jobs <= 1:
        for i in todo:
            results[i] = execute(specs[i])
            done += 1
            report(specs[i].label, done, len(specs))
    else:
        where = run_in_pool(execute, specs, todo, results, jobs, report, done)
    stats = SweepStats(len(specs), sum(r["built"] for r in results), sum(r["ran"] for r in results), quantized,
                       time.perf_counter() - t0, where)
    mdoc = {"name": model.name, "description": model.description}
    cdocs = [{"config": q.config.name, "weight_bits": q.config.weight_bits, "group_size": q.config.group_size,
              **q.accuracy} for q in qcs]
    return SweepResult(mdoc, cdocs, results, stats)


def run_in_pool(fn, specs, todo, results, jobs: int, report, done: int) -> str:
    """results[i] = fn(specs[i]) for i in todo, in a pool of `jobs` spawned worker processes. The first run that
    raises stops the sweep with its own exception (every project exception pickles, tests/hardening/
    test_pickled_errors.py): runs not yet started are cancelled, the ones under way finish (each run commits
    itself to the cache, so a repeated sweep keeps every finished run)."""
    import multiprocessing as mp
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=mp.get_context("spawn"))
    try:
        futs = {pool.submit(fn, specs[i]): i for i in todo}
        for f in as_completed(futs):
            results[futs[f]] = f.result()
            done += 1
            report(specs[futs[f]].label, done, len(specs))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return f"process pool ({jobs} workers)"


def _run_dask(specs, todo, results, scheduler, client, report, timeout: float, done: int, fn=None) -> str:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise DriverError("--scheduler needs Dask distributed: pip install -r requirements.txt") from None
    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise DriverError(f"cannot reach the Dask scheduler at {scheduler} ({e}): start one with "
                              "`dask scheduler` and workers with `dask worker <address>`") from None
    try:
        futs = client.map(fn or execute, [specs[i] for i in todo], pure=False)
        index = {f.key: i for i, f in zip(todo, futs)}
        for f in dask_completed(futs):
            i = index[f.key]
            results[i] = f.result()
            done += 1
            report(specs[i].label, done, len(specs))
        return f"dask ({client.scheduler.address})"
    finally:
        if own:
            client.close()


def env_jobs(default: int = 1) -> int:
    return int(os.environ.get("INTGAP_JOBS", default))
