"""What a sweep measures, for every kind of model: a `Workload` says how a config becomes a graph and its accuracy
(`quantize`), which runs measure that graph on a target (`specs`, each built as a program of the workload's `mode`)
and what a run yields (`executor` / `cached`: one result row, or several: the whole model and its layers).
`run_workload` is the one flow over them: quantize every config, plan the runs of every target, and run them
through intgap/runner.py (cache, then serial, pool or Dask).

Workloads: the classifier (intgap/sweep.py: forward programs of the whole model and of each layer alone) and the
decoder (intgap/sequence_sweep.py: a generate program whose decode step is measured per layer).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from intgap.cache import Cache, code_fingerprint
from intgap.runner import run_specs


class Workload:
    name: str
    kind: str  # "classifier" | "decoder"
    mode: str  # the program mode its runs build (codegen/program.py): "forward" | "generate"
    run_code: tuple[str, ...]  # the code a run's result depends on (part of its cache key)

    def quantize(self, config, cache: Cache):
        """The config's graph in the cache, with `.config`, `.accuracy` (a dict) and `.cached`."""
        raise NotImplementedError

    def specs(self, quantized, target, backend: str, board: str, cache_root: str, codes: dict) -> list:
        """The runs (picklable specs with a `label`) that measure one quantized config on one target."""
        raise NotImplementedError

    def executor(self) -> Callable:
        """A module-level function spec -> a result row or a list of rows (picklable, for pool and Dask workers)."""
        raise NotImplementedError

    def cached(self) -> Callable:
        """A module-level function spec -> what `executor` returned, from the cache, or None."""
        raise NotImplementedError

    def model_doc(self, quantized: list) -> dict:
        """The report's description of the model: name, description, kind and the unit one run measures (what
        reports key on instead of asking which kind of model it is)."""
        raise NotImplementedError

    def check(self, rows: list[dict]) -> None:
        """Refuses results that cannot be right (a DriverError); called with every row of the sweep."""


def run_workload(workload: Workload, targets: list, configs: list, *, backend: str | None = None, jobs: int = 1,
                 scheduler: str | None = None, cache_root: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None, client=None,
                 scheduler_timeout: float = 10.0, boards: dict | None = None):
    """Every run of workload x targets x configs. `boards`: target name -> isa.boards.Board of the estimates
    (default: each target's default board)."""
    import isa
    from intgap.sweep import SweepResult, SweepStats
    from isa.boards import board_for

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
    results, where = run_specs(specs, workload.executor(), workload.cached(), jobs=jobs, scheduler=scheduler,
                               client=client, report=report, scheduler_timeout=scheduler_timeout)
    rows = [r if isinstance(r, list) else [r] for r in results]
    workload.check([d for r in rows for d in r])
    stats = SweepStats(len(specs), sum(r[0]["built"] for r in rows), sum(r[0]["ran"] for r in rows),
                       sum(not q.cached for q in qs), time.perf_counter() - t0, where)
    cdocs = [{"config": q.config.name, "weight_bits": q.config.weight_bits, "group_size": q.config.group_size,
              **q.accuracy} for q in qs]
    return SweepResult(workload.model_doc(qs), cdocs, [d for r in rows for d in r], stats)
