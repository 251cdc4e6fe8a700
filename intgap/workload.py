"""What a sweep measures, for every kind of model (`Workload`), and `run_workload`, the one flow over them:
quantize every config, plan the runs of every target, run them through intgap/runner.py (docs/flow.md)."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import isa
from intgap.cache import Cache, code_fingerprint, graph_digest
from intgap.runner import run_specs
from isa.boards import board_for
from quant import load_graph, save_graph


# how the per-layer rows of a run are exact (intgap/result_rows.py split_rows), for the report
PER_LAYER_COPIES = ("Every layer calls its own copy of each kernel (per-layer kernel copies), so a layer's "
                    "instructions are exact; library helpers the layers share (soft-float, division) are divided "
                    "among them by calls. Est. cycles are those of the program as it ships (one copy of each kernel) "
                    "on the board, divided among the copies (core cycles as the core model divides them, stalls as "
                    "the bytes each moved).")


@dataclass(frozen=True)
class Quality:
    """A workload's accuracy metric as reports show it: the key of a config's accuracy document that holds it, the
    summary table's column, the Pareto plot's axis, and which way is better."""
    key: str
    column: str
    axis: str
    spec: str  # the format of its value in tables
    lower_is_better: bool = False
    change: bool = False  # the text adds the change against FP32 (relative_increase)

    def value(self, c: dict) -> float | None:
        """The metric of a config's accuracy document `c`, as plotted (a percentage in per cent)."""
        v = c.get(self.key)
        return None if v is None else 100 * v if self.spec.endswith("%") else v

    def score(self, c: dict) -> float | None:
        """The metric with higher meaning better (summary rows)."""
        v = c.get(self.key)
        return None if v is None else -v if self.lower_is_better else v

    def text(self, c: dict, fp32: bool) -> str:
        v = c.get(self.key)
        if v is None:
            return "n/a"
        return format(v, self.spec) + ("" if fp32 or not self.change else f" ({c['relative_increase']:+.1%})")


@dataclass
class Quantized:
    """A config's graph in the cache and what was measured of it when it was made."""
    config: object  # a quant.config.QuantSpec (intgap/sweep.py parse_config)
    graph_path: Path
    graph_key: str
    accuracy: dict
    expected: list[int] | None  # a decoder's greedy tokens from the prompt (the reference interpreter's)
    cached: bool


def quantized_graph(cache: Cache, config, key: str, make: Callable) -> Quantized:
    """The graph of `config` under `key` in the cache, or made now: `make()` -> (graph, what its entry keeps beside
    it: its "accuracy" and a decoder's "expected" tokens)."""
    entry = cache.get("graphs", key)
    cached = entry is not None
    if entry is None:
        g, meta = make()
        tmp = cache.begin("graphs", key)
        save_graph(g, tmp / "model.igraph")
        entry = cache.commit("graphs", key, tmp, {**meta, "config": asdict(config)})
    meta = json.loads((entry / "entry.json").read_text())
    path = entry / "model.igraph"
    return Quantized(config, path, graph_digest(load_graph(path)), meta["accuracy"], meta.get("expected"), cached)


@dataclass
class RunSpec:
    """One run of a workload: a program of `graph_path` on a target, from the input rows or tokens `prompt`."""
    model: str
    config: str
    target: str
    backend: str
    graph_path: str
    graph_key: str
    prompt: list[int]  # the tokens the program starts from (a forward run: its input rows, token ids or samples)
    steps: int  # decode steps measured (a forward run: none, one forward call on the prompt)
    expected: list[int] | None  # the reference interpreter's greedy tokens (1 + steps)
    cache_root: str
    build_code: str = ""
    run_code: str = ""
    board: str = ""  # the board of the estimate (isa/boards.py); "" = the target's default board
    layers: bool = True  # False: the whole-model row only (the run measures the layers all the same)

    @property
    def label(self) -> str:
        return f"{self.target} {self.config}"


class Workload:
    name: str
    kind: str  # "classifier" | "encoder" | "decoder"
    mode: str  # the program mode its runs build (codegen/program.py): "forward" | "generate"
    run_code: tuple[str, ...]  # the code a run's result depends on (part of its cache key)
    # how the report reads its results
    unit: str  # what one run measures, in titles: "inference", "forward pass", "decode step"
    unit_text: str  # the same, said in full for report.md
    quality: Quality
    by_role: bool  # per-layer rows summed over the blocks by role (layers.*.mlp.up_proj) in the per-layer table
    caches_text: str  # whether the caches start cold or warm in what is measured
    per_layer_text: str  # how per-layer counts are made exact
    accuracy_text: str  # what the accuracy table measures
    accuracy_columns: tuple[tuple[str, str, str], ...]  # (header, key of a config's accuracy document, format)
    # module-level functions (picklable, for pool and Dask workers): spec -> its result rows; the same from the cache
    # or None
    execute: Callable
    cached: Callable
    steps = 0  # decode steps a run measures (0: one forward call)
    per_layer = True  # False: the whole-model rows only

    def quantize(self, config, cache: Cache) -> Quantized:
        raise NotImplementedError

    def inputs(self, quantized: Quantized) -> list:
        """What a run's program starts from: token ids, or input rows of the graph's dtype."""
        raise NotImplementedError

    def specs(self, q: Quantized, target, backend: str, board: str, cache_root: str, codes: dict) -> list[RunSpec]:
        """The runs that measure one quantized config on one target: one, from the workload's inputs."""
        return [RunSpec(self.name, q.config.name, target.name, backend, str(q.graph_path), q.graph_key,
                        self.inputs(q), self.steps, None if q.config.is_float else q.expected, cache_root, **codes,
                        board=board, layers=self.per_layer)]

    def model_doc(self, quantized: list) -> dict:
        """The report's description of the model: name, description, kind and the unit one run measures."""
        raise NotImplementedError

    def check(self, rows: list[dict]) -> None:
        """Refuses results that cannot be right (a DriverError); called with every row of the sweep."""

    def json_extra(self, result: "SweepResult") -> dict:
        """Keys `intgap bench --json` writes beside the report's for this kind of model."""
        return {}


@dataclass
class SweepStats:
    runs: int = 0
    builds: int = 0
    executed_runs: int = 0
    quantized: int = 0
    seconds: float = 0.0
    where: str = "local"


@dataclass
class SweepResult:
    workload: Workload
    model: dict
    configs: list[dict]
    runs: list[dict]
    stats: SweepStats = field(default_factory=SweepStats)


def run_workload(workload: Workload, targets: list, configs: list, *, backend: str | None = None, jobs: int = 1,
                 scheduler: str | None = None, cache_root: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None, client=None,
                 scheduler_timeout: float = 10.0, boards: dict | None = None) -> SweepResult:
    """Every run of workload x targets x configs. `boards`: target name -> isa.boards.Board of the estimates
    (default: each target's default board)."""
    t0 = time.perf_counter()
    cache = Cache(cache_root)
    report = progress or (lambda label, d, n: None)
    qs = []
    for i, c in enumerate(configs):
        report(f"quantizing {c.name}", i, len(configs))
        qs.append(workload.quantize(c, cache))
    # fingerprints of the code that builds / runs, taken once so that every worker of a sweep uses the same keys
    # (a file edited during the sweep does not split it between two sets of keys)
    codes = {"build_code": code_fingerprint(), "run_code": code_fingerprint(workload.run_code)}
    specs = []
    for t in targets:
        be = backend or t.default_backend
        isa.run_check_backend(t, be)
        board = ((boards or {}).get(t.name) or board_for(t)).name
        for q in qs:
            specs += workload.specs(q, t, be, board, str(cache.root), codes)
    results, where = run_specs(specs, workload.execute, workload.cached, jobs=jobs, scheduler=scheduler,
                               client=client, report=report, scheduler_timeout=scheduler_timeout)
    rows = [d for r in results for d in r]  # each run's whole-model row, then its layers'
    workload.check(rows)
    stats = SweepStats(len(specs), sum(r[0]["built"] for r in results), sum(r[0]["ran"] for r in results),
                       sum(not q.cached for q in qs), time.perf_counter() - t0, where)
    cdocs = [{"config": q.config.name, "weight_bits": q.config.weight_bits, "group_size": q.config.group_size,
              **q.accuracy} for q in qs]
    return SweepResult(workload, workload.model_doc(qs), cdocs, rows, stats)
