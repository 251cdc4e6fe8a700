"""Measures QEMU's speed with and without intgap's counting plugin (not a test: prints a table).

    cd /work/main && PYTHONPATH=. .venv/bin/python benchmarks/qemu_speed.py [--minstr 20] [--repeat 5]
        [--targets cortex-m4,rv64gcv] [--check-tb]

For each target it builds q_bench.c (and q_rvv_bench.c on RVV targets), sets the repetition count (patched into
.ig_input) so that the program executes about --minstr million instructions, and runs it --repeat times
without the plugin ("plain"), with it ("counted", as `isa.run` does: budget watcher on) and, with --check-tb,
with the plugin's exact per-TB budget callback (check=tb, which intgap does not use). It keeps the fastest run
of each. MIPS = instructions / CPU time (user + system) of the QEMU process, which other load on the machine
disturbs less than wall time; "wall" columns use wall time; "net" subtracts the CPU time of an empty program
(QEMU start-up and exit).
"""
from __future__ import annotations

import argparse
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import isa
from isa import qemu_backend
from isa.elf import patch_sections
from isa.targets import TARGETS
from toolchain import build_elf

HERE = Path(__file__).resolve().parent.parent / "tests" / "isa" / "programs"


def timed(fn) -> tuple[float, float]:
    """(CPU seconds of the children fn ran, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def best(fn, repeat: int) -> tuple[float, float]:
    runs = [timed(fn) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minstr", type=float, default=20.0, help="million instructions per run")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--check-tb", action="store_true")
    args = ap.parse_args()
    head = ["target", "program", "Minsn", "MIPS plain", "MIPS counted", "counted/plain", "net plain",
            "net counted", "wall plain", "wall counted", "start ms"] + (["MIPS check=tb"] if args.check_tb else [])
    print(" | ".join(head), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for t in isa.parse_targets(args.targets):
            hello = Path(tmp) / f"hello-{t.name}.elf"
            build_elf([HERE / "q_hello.c"], t, hello)
            empty, _ = best(lambda: isa.run(hello, t, "qemu", count=False), args.repeat)
            progs = [("q_bench", HERE / "q_bench.c")] + ([("q_rvv_bench", HERE / "q_rvv_bench.c")] if t.vlen else [])
            for name, src in progs:
                elf = Path(tmp) / f"{name}-{t.name}.elf"
                build_elf([src], t, elf)
                one = isa.run(elf, t, "qemu", inputs=_reps(1)).instructions
                two = isa.run(elf, t, "qemu", inputs=_reps(2)).instructions
                reps = max(1, round((args.minstr * 1e6 - one) / (two - one)) + 1)
                patched = Path(tmp) / f"{name}-{t.name}-{reps}.elf"
                patch_sections(elf, _reps(reps), patched)
                counted_result = isa.run(patched, t, "qemu")
                n = counted_result.instructions
                plain_result = isa.run(patched, t, "qemu", count=False)
                assert (plain_result.stdout, plain_result.exit_code) == (counted_result.stdout, counted_result.exit_code)
                runs = {"plain": lambda: isa.run(patched, t, "qemu", count=False),
                        "counted": lambda: isa.run(patched, t, "qemu")}
                if args.check_tb:
                    runs["check=tb"] = _check_tb_runner(patched, t, n, Path(tmp))
                times = {k: [] for k in runs}
                for _ in range(args.repeat):  # interleaved, so that load from elsewhere hits all alike
                    for k, fn in runs.items():
                        times[k].append(timed(fn))
                (plain, plain_wall), (counted, counted_wall) = (
                    (min(c for c, _ in times[k]), min(w for _, w in times[k])) for k in ("plain", "counted"))
                row = [t.name, name, n / 1e6, n / plain / 1e6, n / counted / 1e6, plain / counted,
                       n / max(plain - empty, 1e-9) / 1e6, n / max(counted - empty, 1e-9) / 1e6,
                       n / plain_wall / 1e6, n / counted_wall / 1e6, empty * 1e3]
                if args.check_tb:
                    row.append(n / min(c for c, _ in times["check=tb"]) / 1e6)
                print(" | ".join(f"{x:.2f}" if isinstance(x, float) and x < 10 else
                                 f"{x:.0f}" if isinstance(x, float) else str(x) for x in row), flush=True)
    return 0


def _reps(reps: int) -> dict[str, bytes]:
    return {".ig_input": struct.pack("<I", reps)}


def _check_tb_runner(elf: Path, t, n: int, tmp: Path):
    """A run with the exact per-TB budget callback (budget set far above the run's count)."""
    so = qemu_backend.plugin_path()
    cmd = qemu_backend.qemu_command(qemu_backend.find_qemu(t), t, elf, plugin=so, out=tmp / "tb.bin",
                                    log=tmp / "tb.log", budget=n * 10)
    cmd = [c + ",check=tb" if c.startswith(str(so)) else c for c in cmd]
    return lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=tmp,
                                  timeout=600)


if __name__ == "__main__":
    sys.exit(main())
