"""The one runner of every sweep: each run spec answered from the cache where it can be, the rest run serially, in
a process pool or on Dask (docs/modules.md)."""
from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

from intgap.errors import DriverError

Report = Callable[[str, int, int], None]


def run_specs(specs: list, execute: Callable, cached: Callable, *, jobs: int = 1, scheduler: str | None = None,
              client=None, report: Report | None = None, scheduler_timeout: float = 10.0) -> tuple[list, str]:
    """results[i] for every specs[i] (cache first, then serial, pool or Dask) and where the work ran."""
    report = report or (lambda label, d, n: None)
    report("runs", 0, len(specs))
    results = [cached(s) for s in specs]  # what the cache holds is served here, without starting any worker
    done = sum(r is not None for r in results)
    report("cached", done, len(specs))
    todo = [i for i, r in enumerate(results) if r is None]
    if not todo:
        return results, "cache"
    if scheduler is not None or client is not None:
        where, finished = _on_dask(execute, specs, todo, scheduler, client, scheduler_timeout)
    elif jobs > 1:
        where, finished = f"process pool ({jobs} workers)", in_pool(execute, specs, todo, jobs)
    else:
        where, finished = "local", ((i, execute(specs[i])) for i in todo)
    for i, r in finished:
        results[i] = r
        done += 1
        report(specs[i].label, done, len(specs))
    return results, where


def in_pool(fn, specs, todo, jobs: int):
    """(i, fn(specs[i])) for i in todo as they finish, from a pool of `jobs` spawned worker processes. The first
    run that raises stops the sweep with its own exception (every project exception pickles, tests/hardening/
    test_pickled_errors.py): runs not yet started are cancelled, the ones under way finish (each run commits
    itself to the cache, so a repeated sweep keeps every finished run)."""
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=mp.get_context("spawn"))
    try:
        futs = {pool.submit(fn, specs[i]): i for i in todo}
        for f in as_completed(futs):
            yield futs[f], f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_dask(fn, specs, todo, scheduler, client, timeout: float):
    """Where the runs go on Dask, and (i, fn(specs[i])) for i in todo as they finish."""
    try:  # Dask is optional: only --scheduler needs it
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

    def finished():
        try:
            futs = client.map(fn, [specs[i] for i in todo], pure=False)
            index = {f.key: i for i, f in zip(todo, futs)}
            for f in dask_completed(futs):
                yield index[f.key], f.result()
        finally:
            if own:
                client.close()
    return f"dask ({client.scheduler.address})", finished()
