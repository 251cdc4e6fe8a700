"""Speed of memory-aware runs (the native cache / memory simulator on) against plain counted runs, under Unicorn,
on each target's default board. Programs per target: benchmarks/programs/work.c (~20 M instructions, the counting
benchmark's mixed integer work), benchmarks/membench/membench.c's stream read over 16 MiB (one load in about every
two instructions, every one of them through the simulator; on RVV VLEN / 128 times as many bytes) and the bundled
decoder's W8A8 and W4A8 generate programs as `intgap bench` builds them (benchmarks/workload_programs.py), built for
64 new tokens where that run is under 20 M instructions (DECODER_ROWS).

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
from benchmarks.counting_speed import _cores, _cpu_name, _fmt, _net, best_of, build  # noqa: E402
from benchmarks.workload_programs import WORKLOADS, workload_label, workload_program  # noqa: E402
from isa.boards import board_for  # noqa: E402
from toolchain import build_elf  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
MEMBENCH = ROOT / "benchmarks" / "membench" / "membench.c"
GOAL_MIPS = 30.0
GATHER_LABEL = "membench read, indexed gathers (vluxei64)"
# A workload run shorter than this (instructions) is measured on the program built for LONG_TOKENS new tokens
STEADY_INSTRUCTIONS, LONG_TOKENS = 20_000_000, 64
DECODER_ROWS = ("the bundled decoder's generate program (prompt prefill, then 4 decode steps) at W8A8 and W4A8 as "
                "`intgap bench` builds and runs it (benchmarks/workload_programs.py); where that run is under "
                f"{STEADY_INSTRUCTIONS // 1_000_000} M instructions (the SIMD and vector cores), the program built for "
                f"{LONG_TOKENS} new tokens instead (labelled so), long enough to time the emulator past its start-up "
                "and first translation.")


def stream_elf(target, build_dir: Path, gather: bool = False) -> tuple[Path, dict]:
    """membench's stream read over 16 MiB (64 KiB on a microcontroller) and its input; `gather`: through RVV
    indexed loads with 64-bit indices (membench.c, mb_args[3])."""
    nbytes = (16 << 20) if target.io == "linux" else (64 << 10)  # a microcontroller board's SRAM is 128 KiB
    elf = build_dir / f"membench-{target.name}-{nbytes}.elf"
    if not elf.exists():
        build_elf([MEMBENCH], target, elf, extra_cflags=(f"-DMB_BYTES={nbytes}",))
    # 32 MiB read in all, on a vector target VLEN / 128 times that (the read's instructions shrink with VLEN: the same
    # ~16 M instructions at VLEN 128, 256 and 512, so start-up weighs alike)
    passes = max(1, (32 << 20) * max(1, (target.vlen or 128) // 128) // nbytes)
    return elf, {".ig_input": struct.pack("<4I", 0, nbytes, passes, int(gather))}


def programs(target, backend: str, build_dir: Path, workloads: bool) -> list[tuple]:
    """(label, ELF, inputs) of every program measured on `target`: work.c (~20 M instructions, its length set as
    benchmarks/counting_speed.py does), membench's stream read (on RVV also its indexed-gather form) and the
    project's workloads as `intgap bench` builds them (benchmarks/workload_programs.py)."""
    short, long_ = (isa.run(build(target, n, build_dir), target, backend).instructions for n in (10, 60))
    work = build(target, max(10, round(10 + (20e6 - short) / ((long_ - short) / 50.0))), build_dir)
    out = [("work.c", work, None), ("membench stream read", *stream_elf(target, build_dir))]
    if target.vlen:
        out.append((GATHER_LABEL, *stream_elf(target, build_dir, gather=True)))
    for model, config in WORKLOADS if workloads else ():
        elf, inputs = workload_program(model, config, target, backend)
        label = workload_label(model, config)
        if isa.run(elf, target, backend, inputs=inputs).instructions < STEADY_INSTRUCTIONS:
            # `intgap bench`'s run (prefill, 4 decode steps) is too short to time the emulator past its start-up and
            # first translation: the program built for LONG_TOKENS new tokens instead
            elf, inputs = workload_program(model, config, target, backend, new_tokens=LONG_TOKENS)
            label += f" ({LONG_TOKENS} tokens)"
        out.append((label, elf, inputs))
    return out


def measure(target, board, backend: str, label: str, elf: Path, inputs: dict | None, reps: int,
            startup: tuple[float, float]) -> dict:
    """One row: the program uncounted, counted and memory-aware (CPU time, best of `reps`), MIPS gross and net of the start-up
    (`startup`: CPU seconds of an empty program, counted and memory-aware). A program larger than the board's
    memories (the decoder's W8A8 weights in stm32f407's 1 MiB flash) runs as if they were large enough, as `intgap
    bench` measures it (isa.run's strict_fit=False)."""
    bare_t, _ = best_of(lambda: isa.run(elf, target, backend, inputs=inputs, count=False), reps)
    plain_t, plain = best_of(lambda: isa.run(elf, target, backend, inputs=inputs), reps)
    mem_t, mem = best_of(lambda: isa.run(elf, target, backend, inputs=inputs, board=board, strict_fit=False), reps)
    assert plain.stdout == mem.stdout and plain.instructions == mem.instructions
    n = mem.instructions
    accesses = sum(c.accesses for c in mem.memory.caches if c.name == "L1D") or \
        sum(m.reads + m.writes for m in mem.memory.memories)
    row = {"target": target.name, "board": board.name, "program": label, "instructions": n,
           "mips_uncounted": n / bare_t / 1e6, "mips_counted": n / plain_t / 1e6, "mips_memory": n / mem_t / 1e6,
           "mips_net_counted": _net(n, plain_t, startup[0]), "mips_net_memory": _net(n, mem_t, startup[1]),
           "startup_ms": [round(1e3 * t, 1) for t in startup], "data_accesses_per_instruction": accesses / n}
    row["ratio"] = row["mips_memory"] / row["mips_counted"]
    print(f"{target.name:15s} {board.name:11s} {label:36s} {n/1e6:6.1f} M  uncounted {row['mips_uncounted']:6.1f}"
          f"  counted {row['mips_counted']:6.1f}"
          f"  memory-aware {row['mips_memory']:6.1f} MIPS  ratio {row['ratio']:.2f}  net {_fmt(row['mips_net_counted'])}"
          f" / {_fmt(row['mips_net_memory'])}", flush=True)
    return row


def measure_target(target, backend: str, build_dir: Path, reps: int, workloads: bool) -> list[dict]:
    board = board_for(target)
    empty = build(target, 0, build_dir)
    startup = (best_of(lambda: isa.run(empty, target, backend), reps)[0],
               best_of(lambda: isa.run(empty, target, backend, board=board), reps)[0])
    return [measure(target, board, backend, label, elf, inputs, reps, startup)
            for label, elf, inputs in programs(target, backend, build_dir, workloads)]


def table(rows: list[dict]) -> list[str]:
    """The Markdown table both speed benchmarks write."""
    lines = ["| target | board | program | instructions | uncounted MIPS | counted MIPS | memory-aware MIPS | ratio |"
             " start-up ms (counted / memory-aware) | net counted | net memory-aware | accesses / instruction |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['board']} | {r['program']} | {r['instructions']:,} |"
                     f" {r['mips_uncounted']:.1f} | {r['mips_counted']:.1f} |"
                     f" {r['mips_memory']:.1f} | {r['ratio']:.2f} | {r['startup_ms'][0]:.0f} / {r['startup_ms'][1]:.0f} |"
                     f" {_fmt(r['mips_net_counted'])} | {_fmt(r['mips_net_memory'])} |"
                     f" {r['data_accesses_per_instruction']:.2f} |")
    return lines


def below_goal(rows: list[dict]) -> list[str]:
    low = min(rows, key=lambda r: r["mips_memory"])
    below = [r for r in rows if r["mips_memory"] < GOAL_MIPS]
    return [f"Lowest memory-aware speed: {low['mips_memory']:.1f} MIPS ({low['target']}, {low['program']}).", "",
            "Below the goal: " + ("; ".join(f"{r['target']} {r['program']} {r['mips_memory']:.1f} MIPS (counted "
                                            f"{r['mips_counted']:.1f}, net memory-aware {_fmt(r['mips_net_memory'])})"
                                            for r in below) if below else "none") + ".", ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default=",".join(t.name for t in isa.TARGETS.values()
                                                  if t.unicorn is not None and not board_for(t).zero_wait))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-workloads", action="store_true", help="only work.c and membench (no model builds)")
    ap.add_argument("--render", action="store_true", help="only rewrite the .md from the last run's .json")
    args = ap.parse_args()
    if args.render:
        doc = json.loads((OUT / "memory_speed.json").read_text())
        write_markdown(doc["meta"], doc["rows"])
        return
    build_dir = ROOT / ".cache" / "bench-memory"
    build_dir.mkdir(parents=True, exist_ok=True)
    rows = [row for target in isa.parse_targets(args.targets)
            for row in measure_target(target, "unicorn", build_dir, args.reps, not args.no_workloads)]
    meta = {"command": "benchmarks/memory_speed.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])),
            "python": platform.python_version(), "cpu": _cpu_name(), "cores": _cores(), "date": time.strftime("%Y-%m-%d"),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            "note": f"CPU time, best of {args.reps} runs on a shared machine; compare ratios within one run"}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "memory_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    write_markdown(meta, rows)


def write_markdown(meta: dict, rows: list[dict]) -> None:
    lines = ["# Memory-aware run speed (Unicorn, million instructions per second)", "",
             f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores), command `.venv/bin/python "
             f"{meta['command']}`. {meta['note']} (1-minute load average {meta['load_average_1min_at_end']} at the end).",
             "", f"Goal (issue 13): memory-aware runs at >= {GOAL_MIPS:.0f} MIPS. 'uncounted' is Unicorn alone (no "
             "hook), 'counted' the plain counted run (block hook only), 'memory-aware' adds the native memory hook and the cache / memory simulator of the "
             "target's default board. Programs: work.c, membench's stream read, and " + DECODER_ROWS + " MIPS is the whole run's (what a user waits for); 'net' subtracts "
             "the CPU time of an empty program run the same way (start-up: loading, mapping, the simulator's set-up; "
             "n/a where the start-up is more than half the run). 'accesses / instruction': L1D accesses, or on a "
             "board without L1D its memories' reads and writes (stm32f407: flash reads that miss the ART line "
             "caches; SRAM is not observed).", ""] + table(rows) + [""] + below_goal(rows) + [
             "On the microcontroller boards the simulator observes flash only, through ranged memory hooks: Unicorn "
             "sends every load and store through its slow path once any memory hook exists, but restores the guest "
             "state (the costly part) only for accesses inside a hook's range, so SRAM traffic stays cheap. On Thumb "
             "the hook resets the IT state that restore leaves behind (isa/native/ig_block_counter.c, ig_mem_hook; "
             "tests/isa/test_boards.py::test_memory_aware_unicorn_run_reads_flash_constants_exactly). On the "
             "application boards every access is observed (all memory is DRAM behind the caches), and each one "
             "costs Unicorn's guest-state restore (cpu_restore_state_from_tb), which re-walks the translated block "
             "up to the access: its cost grows with the block's length, so the decoder's long NEON kernel blocks "
             "run far slower memory-aware than membench's short loop (`perf record` of the cortex-a55 W8A8 program's "
             "memory-aware runs, 2026-12-06: 51 % of the samples in that restore, 7 % in the hook and the simulator; "
             "docs/memory-models.md). The same on the Cortex-M boards for weights in flash (observed). Unicorn 2.1.4 "
             "has no supported way to get the accesses without that restore (docs/platform.md, Emulators: the "
             "source read hook by hook); the QEMU backend has no such cost (benchmarks/results/qemu_memory_speed.md).",
             ""]
    (OUT / "memory_speed.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT / 'memory_speed.md'}")


if __name__ == "__main__":
    main()
