"""The sweep and its cache under stress: a Ctrl-C in the middle keeps every finished run and corrupts nothing,
two writers of the same cache at once both end with whole entries, and a full disk during a build is one clear
error that leaves no half-written entry taken as valid."""
from __future__ import annotations

import errno
import json
import multiprocessing as mp

import pytest

import isa
from intgap.cache import VALID_MARK, Cache
from intgap.cli import main
from intgap.models import load_model
from intgap.sweep import Classifier, parse_configs
from intgap.workload import run_workload

from .conftest import one_line_error


@pytest.fixture(scope="module")
def model():
    return load_model("mlp")


def _valid_entries(root, kind):
    d = Cache(root).root / kind
    return sum(1 for p in d.glob("*/*") if (p / VALID_MARK).is_file()) if d.is_dir() else 0


def test_ctrl_c_during_a_sweep_keeps_finished_runs(model, tmp_path, monkeypatch):
    import intgap.sweep as sweep
    real, calls = sweep.execute_run, []

    def interrupted(spec):
        calls.append(spec.label)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(spec)

    cfgs = parse_configs("w8a8")  # fp32 and w8a8, whole model only: two runs
    monkeypatch.setattr(sweep.Classifier, "execute", staticmethod(interrupted))
    with pytest.raises(KeyboardInterrupt):
        run_workload(Classifier(model, False), [isa.get_target("cortex-m4")], cfgs, cache_root=tmp_path)
    # a run builds its program twice: with per-layer kernel copies and as it ships
    assert _valid_entries(tmp_path, "runs") == 1 and _valid_entries(tmp_path, "builds") == 2
    monkeypatch.setattr(sweep.Classifier, "execute", staticmethod(real))
    again = run_workload(Classifier(model, False), [isa.get_target("cortex-m4")], cfgs, cache_root=tmp_path)
    assert again.stats.executed_runs == 1 and again.stats.builds == 1  # only the interrupted run is redone
    assert len(again.runs) == 2 and all(r["bit_exact"] for r in again.runs)
    assert _valid_entries(tmp_path, "runs") == 2


def test_cli_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys, tmp_path):
    import intgap.cli as cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "run_workload", interrupted)
    assert main(["bench", "--targets", "cortex-m4", "--workdir", str(tmp_path), "--cache-dir", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip() == "intgap: interrupted"


def _writer(root: str, worker: int, keys: int) -> None:
    c = Cache(__import__("pathlib").Path(root))
    for k in range(keys):
        key = f"{k:02x}" * 32
        if c.get("builds", key) is not None:
            continue
        tmp = c.begin("builds", key)
        (tmp / "program.elf").write_bytes(bytes([k]) * 4096)  # the same content from every writer
        c.commit("builds", key, tmp, {"writer": worker})


def test_two_writers_of_the_same_cache(tmp_path):
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 40)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    c = Cache(tmp_path)
    assert _valid_entries(c.root, "builds") == 40
    for k in range(40):
        e = c.get("builds", f"{k:02x}" * 32)
        assert (e / "program.elf").read_bytes() == bytes([k]) * 4096
        assert json.loads((e / "entry.json").read_text())["writer"] in (0, 1)
    assert not list(tmp_path.rglob(".tmp-*"))  # the loser of each race removed its copy


def test_full_disk_during_a_build(model, tmp_path, monkeypatch, capsys):
    """The build's output cannot be written: one line naming the cause and the fix; nothing half-written is taken
    as a valid entry, and the next sweep (with space again) builds and runs normally."""
    import toolchain

    real = toolchain.build_elf

    def disk_full(sources, target, out, **kw):
        out.write_bytes(b"\x7fELF half")  # what a full disk leaves: a truncated file
        raise OSError(errno.ENOSPC, "No space left on device", str(out))
    monkeypatch.setattr(toolchain, "build_elf", disk_full)
    cache = tmp_path / "cache"
    rc = main(["bench", "--targets", "cortex-m4", "--configs", "w8a8", "--no-layers", "--no-plots",
               "--workdir", str(tmp_path / "w"), "--cache-dir", str(cache)])
    assert rc == 2
    line = one_line_error(capsys)
    assert "No space left on device" in line and "program.elf" in line and "free some space" in line
    assert _valid_entries(cache, "builds") == 0 and _valid_entries(cache, "runs") == 0
    monkeypatch.setattr(toolchain, "build_elf", real)
    res = run_workload(Classifier(model, False), [isa.get_target("cortex-m4")], parse_configs("w8a8"),
                       cache_root=cache)
    assert res.stats.builds == 2 and all(r["bit_exact"] for r in res.runs)


def _sweep_child(root: str, fingerprints: dict, barrier, queue) -> None:
    """One sweep in a fresh (spawned) process, on the code version the parent saw (other people may edit the
    checkout while the test runs; the keys must not change under it)."""
    try:
        import intgap.sweep as sweep
        sweep.code_fingerprint = lambda folders=None: fingerprints[folders]
        from pathlib import Path
        model = load_model("mlp")
        results = []
        for _ in range(2):  # the second sweep, after both first ones ended, must be served from the cache
            barrier.wait(120)  # both sweeps start together: they race for the same graph, build and run entries
            res = run_workload(Classifier(model, False), [isa.get_target("cortex-m4")], parse_configs("w8a8"),
                               cache_root=Path(root))
            results.append((sorted((r["config"], r["instructions"], r["bit_exact"]) for r in res.runs),
                            res.stats.builds, res.stats.executed_runs))
        queue.put(("ok", results))
    except BaseException as e:  # reported to the parent, which fails the test with it
        queue.put(("error", f"{type(e).__name__}: {e}"))


def test_two_sweeps_writing_the_same_cache_at_once(tmp_path):
    """Two whole sweeps (quantize, build, run, profile) in two processes on one cache at the same time: both end
    with the same bit-exact results, the cache holds one whole entry per key and no temporary leftovers, and a
    second round of both sweeps is served entirely from it."""
    from intgap.cache import CODE_FOLDERS, RUN_CODE, code_fingerprint
    fingerprints = {k: code_fingerprint(k) for k in (CODE_FOLDERS, RUN_CODE, ("quant",))}
    fingerprints[None] = fingerprints[CODE_FOLDERS]
    ctx = mp.get_context("spawn")  # not fork: the parent has torch's threads running
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_sweep_child, args=(str(tmp_path), fingerprints, barrier, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        outs = [queue.get(timeout=240) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    assert [o[0] for o in outs] == ["ok", "ok"], outs
    (first_a, second_a), (first_b, second_b) = outs[0][1], outs[1][1]
    runs = first_a[0]
    assert len(runs) == 2 and all(exact for _, _, exact in runs)
    assert first_b[0] == second_a[0] == second_b[0] == runs
    assert 2 <= first_a[1] + first_b[1] <= 4  # each key built once, or twice when both raced for it
    assert second_a[1:] == second_b[1:] == (0, 0)  # nothing built or run again
    assert [p.exitcode for p in procs] == [0, 0]
    c = Cache(tmp_path)
    # a run: per-layer copies and the shipped build
    assert _valid_entries(c.root, "builds") == 4 and _valid_entries(c.root, "runs") == 2
    assert not list(tmp_path.rglob(".tmp-*"))
