"""Speed of memory-aware runs (the native cache / memory simulator on) against plain counted runs, under Unicorn,
on each target's default board. Two programs per target: benchmarks/programs/work.c (~20 M instructions, the
counting benchmark's mixed integer work) and benchmarks/membench/membench.c's stream read over 16 MiB (one load in
about every two instructions, every one of them through the simulator).

MIPS = exact instructions / CPU time of the run (best of --reps), as benchmarks/counting_speed.py measures it.
Run: `.venv/bin/python benchmarks/memory_speed.py`. Writes benchmarks/results/memory_speed.{json,md}."""
from __future__ import annotations

import argparse
import json
import os
import platform
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from benchmarks.counting_speed import _cores, _cpu_name, best_of, build  # noqa: E402
from isa.boards import board_for  # noqa: E402
from toolchain import build_elf  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
MEMBENCH = ROOT / "benchmarks" / "membench" / "membench.c"
GOAL_MIPS = 30.0


def stream_elf(target, build_dir: Path) -> tuple[Path, dict]:
    nbytes = (16 << 20) if target.io == "linux" else (64 << 10)  # a microcontroller board's SRAM is 128 KiB
    elf = build_dir / f"membench-{target.name}-{nbytes}.elf"
    if not elf.exists():
        build_elf([MEMBENCH], target, elf, extra_cflags=(f"-DMB_BYTES={nbytes}",))
    passes = max(1, (32 << 20) // nbytes)
    return elf, {".ig_input": struct.pack("<4I", 0, nbytes, passes, 0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default=",".join(t.name for t in isa.TARGETS.values()
                                                  if t.unicorn is not None and not board_for(t).zero_wait))
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    build_dir = ROOT / ".cache" / "bench-memory"
    build_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for target in isa.parse_targets(args.targets):
        board = board_for(target)
        # work.c's length set to about 20 M instructions, as benchmarks/counting_speed.py does
        short, long_ = (isa.run(build(target, n, build_dir), target).instructions for n in (10, 60))
        work = build(target, max(10, round(10 + (20e6 - short) / ((long_ - short) / 50.0))), build_dir)
        for program, (elf, inputs) in (("work.c", (work, None)), ("membench stream read", stream_elf(target, build_dir))):
            plain_t, plain = best_of(lambda: isa.run(elf, target, "unicorn", inputs=inputs), args.reps)
            mem_t, mem = best_of(lambda: isa.run(elf, target, "unicorn", inputs=inputs, board=board), args.reps)
            assert plain.stdout == mem.stdout and plain.instructions == mem.instructions
            n = mem.instructions
            accesses = sum(c.accesses for c in mem.memory.caches if c.name in ("L1D",)) or \
                sum(m.reads + m.writes for m in mem.memory.memories)
            row = {"target": target.name, "board": board.name, "program": program, "instructions": n,
                   "mips_counted": n / plain_t / 1e6, "mips_memory": n / mem_t / 1e6,
                   "data_accesses_per_instruction": accesses / n}
            row["ratio"] = row["mips_memory"] / row["mips_counted"]
            rows.append(row)
            print(f"{target.name:11s} {board.name:10s} {program:22s} {n/1e6:6.1f} M  counted {row['mips_counted']:6.1f}"
                  f"  memory-aware {row['mips_memory']:6.1f} MIPS  ratio {row['ratio']:.2f}", flush=True)
    meta = {"command": "benchmarks/memory_speed.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])),
            "python": platform.python_version(), "cpu": _cpu_name(), "cores": _cores(), "date": time.strftime("%Y-%m-%d"),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            "note": f"CPU time, best of {args.reps} runs on a shared machine; compare ratios within one run"}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "memory_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["# Memory-aware run speed (Unicorn, million instructions per second)", "",
             f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores), command `.venv/bin/python "
             f"{meta['command']}`. {meta['note']} (1-minute load average {meta['load_average_1min_at_end']} at the end).",
             "", f"Goal (issue 13): memory-aware runs at >= {GOAL_MIPS:.0f} MIPS. 'counted' is the plain counted run "
             "(block hook only), 'memory-aware' adds the native memory hook and the cache / memory simulator of the "
             "target's default board. 'data accesses / instruction': L1D accesses, or on a board without L1D its "
             "memories' reads and writes (stm32f407: flash reads that miss the ART line caches; SRAM is not "
             "observed).", "",
             "| target | board | program | instructions | counted MIPS | memory-aware MIPS | ratio | data accesses / instruction |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['board']} | {r['program']} | {r['instructions']:,} | {r['mips_counted']:.1f} |"
                     f" {r['mips_memory']:.1f} | {r['ratio']:.2f} | {r['data_accesses_per_instruction']:.2f} |")
    low = min(rows, key=lambda r: r["mips_memory"])
    lines += ["", f"Lowest memory-aware speed: {low['mips_memory']:.1f} MIPS ({low['target']}, {low['program']}).", "",
              "On the microcontroller boards the simulator observes flash only, through ranged memory hooks: Unicorn "
              "sends every load and store through its slow path once any memory hook exists, but restores the guest "
              "state (the costly part) only for accesses inside a hook's range, so SRAM traffic stays cheap. On Thumb "
              "the hook resets the IT state that restore leaves behind (isa/native/ig_block_counter.c, ig_mem_hook; "
              "tests/isa/test_boards.py::test_memory_aware_unicorn_run_reads_flash_constants_exactly). On the "
              "application boards every access is observed (all memory is DRAM behind the caches).", ""]
    (OUT / "memory_speed.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT / 'memory_speed.md'}")


if __name__ == "__main__":
    main()
