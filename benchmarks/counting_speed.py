"""Counting throughput of both emulator backends, with and without counting, on one ~20 M-instruction program
per target (benchmarks/programs/work.c). Run: `make bench-counting` or
`.venv/bin/python benchmarks/counting_speed.py [--targets ...] [--instructions 20e6]`.

MIPS = exact instruction count / CPU time of the run (this process's plus its children's, best of --reps), which
the other work on a shared machine disturbs far less than wall time. Process start-up (QEMU loads its binary and,
in system mode, a board) is measured on a near-empty program of the same target and reported beside the figures;
`mips_net` subtracts it (left out when start-up is over half the run, where the difference is noise). Results: benchmarks/results/counting_speed.{json,md}."""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from toolchain import build_elf  # noqa: E402

PROGRAM = ROOT / "benchmarks" / "programs" / "work.c"
OUT = ROOT / "benchmarks" / "results"


def build(target, rounds: int, build_dir: Path) -> Path:
    elf = build_dir / f"work-{target.name}-{rounds}.elf"
    if not elf.exists():
        build_elf([PROGRAM], target, elf, extra_cflags=(f"-DIG_ROUNDS={rounds}",))
    return elf


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best_of(fn, reps: int):
    best = None
    for _ in range(reps):
        t0 = cpu_seconds()
        r = fn()
        dt = cpu_seconds() - t0
        if best is None or dt < best[0]:
            best = (dt, r)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default=",".join(isa.TARGETS))
    ap.add_argument("--instructions", type=float, default=20e6)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    build_dir = ROOT / ".cache" / "bench-counting"
    rows = []
    for target in isa.parse_targets(args.targets):
        # instructions per round from the difference of two lengths (the set-up before the rounds is not a round)
        short, long_ = (isa.run(build(target, n, build_dir), target).instructions for n in (10, 60))
        per_round = (long_ - short) / 50.0
        rounds = max(10, round(10 + (args.instructions - short) / per_round))
        elf = build(target, rounds, build_dir)
        empty = build(target, 0, build_dir)
        for backend in target.backends:
            counted_t, counted = best_of(lambda: isa.run(elf, target, backend, count=True), args.reps)
            plain_t, plain = best_of(lambda: isa.run(elf, target, backend, count=False), args.reps)
            start_t, _ = best_of(lambda: isa.run(empty, target, backend, count=False), args.reps)
            assert plain.stdout == counted.stdout, "counting changed the program's output"
            n = counted.instructions
            row = {"target": target.name, "backend": backend, "instructions": n, "rounds": rounds,
                   "seconds_counted": counted_t, "seconds_uncounted": plain_t, "seconds_startup": start_t,
                   "mips_counted": n / counted_t / 1e6, "mips_uncounted": n / plain_t / 1e6,
                   "mips_net_counted": _net(n, counted_t, start_t), "mips_net_uncounted": _net(n, plain_t, start_t)}
            row["counted_vs_uncounted"] = row["mips_counted"] / row["mips_uncounted"]
            row["counted_vs_uncounted_net"] = (row["mips_net_counted"] / row["mips_net_uncounted"]
                                               if row["mips_net_counted"] and row["mips_net_uncounted"] else None)
            rows.append(row)
            print(f"{target.name:11s} {backend:8s} {n/1e6:6.1f} M instr  counted {row['mips_counted']:7.1f} MIPS"
                  f"  uncounted {row['mips_uncounted']:7.1f} MIPS  ratio {row['counted_vs_uncounted']:.2f}"
                  f"  (start-up {start_t*1e3:.0f} ms; net {_fmt(row['mips_net_counted'])} / {_fmt(row['mips_net_uncounted'])})",
                  flush=True)
    meta = {"command": "make bench-counting" if len(sys.argv) == 1 else "benchmarks/counting_speed.py " + " ".join(sys.argv[1:]),
            "target_instructions": int(args.instructions), "python": platform.python_version(), "machine": platform.machine(),
            "cpu": _cpu_name(), "cores": _cores(), "date": time.strftime("%Y-%m-%d"),
            "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 2), "emulators": _emulators(),
            "note": "CPU time, best of %d runs on a shared 2-core machine; compare ratios within one run" % args.reps}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "counting_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["# Counting speed (million instructions per second)", "",
             f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores), command `{meta['command']}`.",
             meta["note"] + f" (1-minute load average {meta['load_average_1min_at_end']} at the end of the run). "
             "'net' subtracts the start-up time of an empty program of the same target.", "",
             f"Emulators: {meta['emulators']}.", "",
             f"One program per target (benchmarks/programs/work.c), its length set to about {meta['target_instructions']:,}"
             " instructions.", "",
             "Goals (issue 2): Unicorn counted >= 50 MIPS on every target it runs; QEMU counted >= 0.5 of uncounted.", "",
             "| target | backend | instructions | counted MIPS | uncounted MIPS | counted/uncounted | start-up ms |"
             " net counted | net uncounted | net counted/uncounted |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['backend']} | {r['instructions']:,} | {r['mips_counted']:.1f} | "
                     f"{r['mips_uncounted']:.1f} | {r['counted_vs_uncounted']:.2f} | {r['seconds_startup']*1e3:.0f} | "
                     f"{_fmt(r['mips_net_counted'])} | {_fmt(r['mips_net_uncounted'])} | "
                     f"{'n/a' if r['counted_vs_uncounted_net'] is None else format(r['counted_vs_uncounted_net'], '.2f')} |")
    uc = [r for r in rows if r["backend"] == "unicorn"]
    qm = [r for r in rows if r["backend"] == "qemu"]
    lines += ["", f"Lowest Unicorn counted speed: {min(r['mips_counted'] for r in uc):.1f} MIPS ({min(uc, key=lambda r: r['mips_counted'])['target']})."
              if uc else "", f"Lowest QEMU counted/uncounted: {min(r['counted_vs_uncounted'] for r in qm):.2f} "
              f"({min(qm, key=lambda r: r['counted_vs_uncounted'])['target']})." if qm else ""]
    (OUT / "counting_speed.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT / 'counting_speed.md'}")


def _emulators() -> str:
    """The emulator versions measured: intgap's QEMU build and the unicorn package."""
    from isa.qemu_discovery import find_qemu
    import unicorn
    q = find_qemu("qemu-system-arm")
    where = q.path.parent.parent
    where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    return f"QEMU {q.version} (intgap's build, {where}), Unicorn {unicorn.__version__}"


def _net(n: int, run_s: float, startup_s: float) -> float | None:
    return n / (run_s - startup_s) / 1e6 if startup_s < run_s / 2 else None


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f}"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> int:
    return int(subprocess.run(["nproc"], capture_output=True, text=True, timeout=10).stdout.strip() or 0)


if __name__ == "__main__":
    main()
