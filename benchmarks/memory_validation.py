"""Memory-aware estimates against public board measurements (docs/memory-models.md, /work/shared/BOARD-FACTS.md).

Runs the project's own calibration kernels (benchmarks/membench/membench.c: stream read, copy, pointer chase, and a
read of a constant array) on each board (under Unicorn; the RVV target under QEMU), makes memory-aware estimates, and compares
  single-core read bandwidth, copy bandwidth and DRAM load latency
with the public tinymembench / sbc-bench figures for that board. Each kernel runs twice with different pass / step
counts; the difference of the two estimates over the difference of the work is the figure (the set-up cancels).
Also: a cache-resident check (a 16 KiB array read 200 times: memory-aware estimate within 3 % of the core-only
one) and, on stm32f407, a stream read of a constant array in flash against the same read from SRAM.

Run: `.venv/bin/python benchmarks/memory_validation.py` (about 3 minutes). Writes
benchmarks/results/memory_validation.{json,md}."""
from __future__ import annotations

import argparse
import json
import platform
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from isa.boards import get_board  # noqa: E402
from isa.targets import get_target  # noqa: E402
from isa.timing import estimate  # noqa: E402
from toolchain import build_elf  # noqa: E402

KERNELS = ROOT / "benchmarks" / "membench" / "membench.c"
OUT = ROOT / "benchmarks" / "results"
READ, COPY, CHASE, ROM_READ = 0, 1, 2, 3
STREAM_BYTES = 16 << 20  # > every board's last-level cache
RING_BYTES = 64 << 20  # the sbc-bench latency figures are for 64 MiB
TOLERANCE = 0.15

# board, target, {figure: (low, high, source)}: the public measurements (BOARD-FACTS.md) each estimate is held to
CHECKS = [
    ("rk3566", "cortex-a55", {
        "read_gb_s": (4.961, 6.292, "tinymembench NEON read, sbc-bench 4L4k / 4qJF / 4KU0 / 4KDv"),
        "copy_gb_s": (2.399, 3.246, "tinymembench C copy, same runs"),
        "latency_ns": (170.0, 204.0, "64 MiB random read, same runs")}),
    ("pi-zero-2", "cortex-a53", {
        "read_gb_s": (2.099, 2.114, "tinymembench NEON read, sbc-bench 3E85 (Pi Zero 2) / 4CPF (H618)"),
        "copy_gb_s": (1.280, 1.410, "tinymembench C copy, same runs"),
        "latency_ns": (175.0, 190.0, "64 MiB random read, same runs")}),
    ("jh7110", "rv64gc", {
        "copy_gb_s": (0.803, 0.934, "tinymembench C copy, sbc-bench 4xOY / 4tjq / 4K7E"),
        "latency_ns": (167.0, 173.0, "64 MiB random read, same runs")}),
    ("spacemit-k1", "rv64gc", {
        "copy_gb_s": (2.624, 2.776, "tinymembench C copy / libc memcpy, sbc-bench 8to7qX"),
        "latency_ns": (264.0, 322.0, "64 MiB random read 272 ns (8to7qX); ramlat DRAM 264 ns")}),
    # the X60 as it is: RVV at VLEN 256, membench's read and copy streaming with vle64.v / vse64.v (QEMU runs)
    ("spacemit-k1", "rv64gcv-vlen256", {
        "copy_gb_s": (2.624, 2.776, "tinymembench C copy / libc memcpy, sbc-bench 8to7qX"),
        "latency_ns": (264.0, 322.0, "64 MiB random read 272 ns (8to7qX); ramlat DRAM 264 ns")}),
]


def build(target: str, nbytes: int, build_dir: Path, rom_bytes: int = 4096) -> Path:
    elf = build_dir / f"membench-{target}-{nbytes}-{rom_bytes}.elf"
    if not elf.exists():
        build_elf([KERNELS], get_target(target), elf,
                  extra_cflags=(f"-DMB_BYTES={nbytes}", f"-DMB_ROM_BYTES={rom_bytes}"))
    return elf


def run(elf: Path, target: str, board: str, mode: int, nbytes: int, passes: int, **kw):
    inp = {".ig_input": struct.pack("<4I", mode, nbytes, passes, 0)}
    r = isa.run(elf, target, inputs=inp, board=board, max_instructions=500_000_000, **kw)
    return r, estimate(r, elf, target, board=board)


def delta(elf, target, board, mode, nbytes, lo, hi, **kw):
    """(extra cycles, the second estimate) of `hi` passes / steps over `lo`."""
    _, e1 = run(elf, target, board, mode, nbytes, lo, **kw)
    _, e2 = run(elf, target, board, mode, nbytes, hi, **kw)
    return e2.cycles - e1.cycles, e2


def check_board(board_name: str, target: str, build_dir: Path) -> dict:
    board = get_board(board_name)
    hz = board.clock_for(get_target(target)) * 1e6
    stream = build(target, STREAM_BYTES, build_dir)
    ring = build(target, RING_BYTES, build_dir)
    out = {"board": board_name, "target": target, "clock_mhz": hz / 1e6, "figures": {}}
    cyc, e = delta(stream, target, board_name, READ, STREAM_BYTES, 1, 3)
    out["figures"]["read_gb_s"] = {"estimate": 2 * STREAM_BYTES / (cyc / hz) / 1e9, "label": e.heading,
                                   "limited_by": f"{e.limiting_level} {e.limited_by}"}
    half = STREAM_BYTES // 2
    cyc, e = delta(stream, target, board_name, COPY, half, 1, 3)
    out["figures"]["copy_gb_s"] = {"estimate": 2 * half / (cyc / hz) / 1e9, "label": e.heading,
                                   "limited_by": f"{e.limiting_level} {e.limited_by}"}
    steps = 200_000
    cyc, e = delta(ring, target, board_name, CHASE, RING_BYTES, 50_000, 50_000 + steps)
    out["figures"]["latency_ns"] = {"estimate": cyc / steps / hz * 1e9, "label": e.heading,
                                    "limited_by": f"{e.limiting_level} {e.limited_by}"}
    return out


def cache_resident(board_name: str, target: str, build_dir: Path) -> dict:
    elf = build(target, 16 << 10, build_dir)
    r, e = run(elf, target, board_name, READ, 16 << 10, 200)
    return {"board": board_name, "target": target, "core_cycles": e.core_cycles, "memory_aware_cycles": e.cycles,
            "excess": e.cycles / e.core_cycles - 1, "label": e.heading}


def flash_vs_sram(build_dir: Path) -> dict:
    """stm32f407: 8 KiB of constants read 4 times from flash (behind the ART) and from SRAM (weights_in_sram)."""
    elf = build("cortex-m4", 1024, build_dir, rom_bytes=8 << 10)
    out = {}
    for where, kw in (("flash", {}), ("sram", {"weights_in_sram": True})):
        cyc, e = delta(elf, "cortex-m4", "stm32f407", ROM_READ, 0, 1, 5, **kw)
        r, _ = run(elf, "cortex-m4", "stm32f407", ROM_READ, 0, 5, **kw)
        art_d = r.memory.cache("flash:ART-D")
        out[where] = {"bytes_per_cycle": 4 * (8 << 10) / cyc, "label": e.heading,
                      "art_d_hits": art_d.hits, "art_d_misses": art_d.misses,
                      "flash_stall_cycles": r.memory.memory("flash").stall_cycles,
                      "memory_stall_cycles": e.memory_stall_cycles, "cycles": e.cycles}
    return out


def verdict(est: float, lo: float, hi: float) -> tuple[str, float]:
    """Relative distance to the published range (0 inside it) and pass / FAIL at the tolerance."""
    dev = 0.0 if lo <= est <= hi else (est - hi) / hi if est > hi else (est - lo) / lo
    return ("pass" if abs(dev) <= TOLERANCE else "FAIL"), dev


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--boards", default=",".join(dict.fromkeys(b for b, _, _ in CHECKS)),
                    help="boards to run; the rows of the others are kept from the last results file")
    args = ap.parse_args()
    last = OUT / "memory_validation.json"
    kept = {(r["board"], r["target"]): r for r in json.loads(last.read_text())["boards"]} if last.exists() else {}
    build_dir = ROOT / ".cache" / "bench-memory"
    build_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rows = []
    for board, target, figures in CHECKS:
        if board not in args.boards.split(","):
            if (board, target) in kept:
                rows.append(kept[(board, target)])
            continue
        res = check_board(board, target, build_dir)
        for name, (lo, hi, src) in figures.items():
            f = res["figures"][name]
            f["published"], f["source"] = [lo, hi], src
            f["verdict"], f["deviation"] = verdict(f["estimate"], lo, hi)
        res["checked"] = list(figures)
        rows.append(res)
        print(board, {k: round(v["estimate"], 3) for k, v in res["figures"].items()}, flush=True)
    resident = [cache_resident(b, t, build_dir) for b, t in (("rk3566", "cortex-a55"), ("jh7110", "rv64gc"),
                                                             ("stm32f407", "cortex-m4"))]
    flash = flash_vs_sram(build_dir)
    doc = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": f"{platform.machine()} {platform.node()}",
           "python": platform.python_version(),
           "command": "benchmarks/memory_validation.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])),
           "seconds": round(time.time() - t0, 1), "boards": rows, "cache_resident": resident,
           "stm32f407_constants_flash_vs_sram": flash}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "memory_validation.json").write_text(json.dumps(doc, indent=1) + "\n")
    (OUT / "memory_validation.md").write_text(markdown(doc))
    print(markdown(doc))


def markdown(doc: dict) -> str:
    lines = ["# Memory-aware estimates against public board measurements", "",
             f"Command: `.venv/bin/python {doc['command']}` ({doc['date']}, {doc['machine']}, Python {doc['python']},"
             f" {doc['seconds']} s). Board parameters and their sources: isa/boards.py, docs/memory-models.md.",
             "Each figure is the difference of two memory-aware estimates (Unicorn runs, QEMU for rv64gcv-vlen256, of "
             "benchmarks/membench/membench.c with different pass / step counts) over the difference of the work: "
             "read and copy over 16 MiB (copy: 8 MiB each way; bytes copied per second, as tinymembench counts), "
             "latency per step of a random pointer chase over a 64 MiB ring (one pointer per 64-byte line). "
             f"`pass`: within {TOLERANCE:.0%} of the published range.", "",
             "| board | target | figure | estimate | published | deviation | verdict | bound by | source |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["boards"]:
        for name, f in r["figures"].items():
            if "published" in f:
                lo, hi = f["published"]
                pub = f"{lo:g}-{hi:g}" if lo != hi else f"{lo:g}"
                lines.append(f"| {r['board']} | {r['target']} | {name} | {f['estimate']:.3g} | {pub} | "
                             f"{f['deviation']:+.1%} | {f['verdict']} | {f['limited_by']} | {f['source']} |")
            else:
                lines.append(f"| {r['board']} | {r['target']} | {name} | {f['estimate']:.3g} | (none published) | "
                             f"| | {f['limited_by']} | |")
    lines += ["", "Calibrated, not independent: the DRAM latency of every board and the read bandwidth of rk3566 and "
              "pi-zero-2 are set from these same measurements (isa/boards.py says which); jh7110's and spacemit-k1's "
              "read bandwidth is set to twice their copy rate. What the rows check is that the simulator and the "
              "estimate reproduce them from the kernels' real access streams (prefetching, write-allocate, the L2/L3 "
              "share of a random ring, the core's own cycles). The independent rows are rk3566 and pi-zero-2 copy.", "",
              "spacemit-k1 twice: with the scalar rv64gc build and with the X60's RVV at VLEN 256 (rv64gcv-vlen256, "
              "QEMU), whose read and copy stream with unit-stride vle64.v / vse64.v at vl = VLMAX "
              "(benchmarks/membench/membench.c; clang had made indexed gathers of the scalar loops). `--boards` runs "
              "the boards named and keeps the other rows from the last results file.", "",
              "pi-zero-2 copy comes out below the measurement: the model's L1D is write-allocate, so a copy reads the "
              "destination too (2 bytes read per byte copied against a 2.1 GB/s read bandwidth). The A53's L1 switches "
              "to no-allocate for streams of full-line writes (write streaming, Cortex-A53 TRM), which this model does "
              "not have; with it and reads and writes overlapping fully the copy would come out at ~2.1 GB/s, above the "
              "measured 1.28-1.41. It is left as measured, not tuned: the measurement lies between the two bounds the "
              "model can give (1.06 GB/s: write-allocate, or write streaming with reads and writes sharing the 2.1 "
              "GB/s; 2.1 GB/s: write streaming with separate read and write bandwidths), and which applies is set by "
              "the board's write bandwidth, which no source here gives (tinymembench's fill figure would). The "
              "Cortex-A55 streams writes too (Cortex-A55 TRM A6.5), and its copy, measured at about half its read "
              "rate (2.4-3.2 against 5.0-6.3 GB/s), is what the model gives (2.8): adding write streaming with "
              "overlapped reads and writes would put rk3566 copy near 5.6 GB/s, far above its measurement.", "",
              "## Cache-resident check (a 16 KiB array read 200 times)", "",
              "| board | target | core-only cycles | memory-aware cycles | excess |", "|---|---|---|---|---|"]
    for c in doc["cache_resident"]:
        lines.append(f"| {c['board']} | {c['target']} | {c['core_cycles']:,} | {c['memory_aware_cycles']:,} | "
                     f"{c['excess']:+.2%} |")
    f = doc["stm32f407_constants_flash_vs_sram"]
    lines += ["", "## stm32f407: 8 KiB of constants read from flash and from SRAM", "",
              "| placement | bytes / cycle | ART-D hits | ART-D misses | flash stall cycles | memory stall cycles |",
              "|---|---|---|---|---|---|"]
    for where, x in f.items():
        lines.append(f"| {where} | {x['bytes_per_cycle']:.2f} | {x['art_d_hits']:,} | {x['art_d_misses']:,} | "
                     f"{x['flash_stall_cycles']:,} | {x['memory_stall_cycles']:,} |")
    lines += ["", "In flash, every new 16-byte line misses the 8-line ART data cache (the array is larger) and pays "
              "the 5 wait states; the same reads from SRAM have none.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
