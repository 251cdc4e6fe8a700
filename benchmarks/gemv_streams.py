"""How a matrix-vector product's weight order meets each application board's simulated caches and prefetcher: rows
read side by side from a row-major array (the per-channel int8 kernels of ARMv8.0 NEON, 16 rows per call, and RVV,
8, before their row blocks), against one sequential stream (row after row, or a blocked layout that puts the rows of
a block side by side in memory), the per-channel kernels' row blocks as they read them now (codegen/packing.py
interleave_row_chunks: NEON 16 rows per 64 columns; RVV 8 rows per 256 columns, read in steps of 128 B at VLEN 128
and 256 B at VLEN 256 / 512) and the RVV int4 blocked layout's slices, for SmolLM2's K = 576 and 1536. Drives the
board's simulator (isa/native/ig_memsim.h) access by access through the counter library's test entry points, so
no program runs: the figures are the simulator's, for the accesses listed.

    PYTHONPATH=. .venv/bin/python benchmarks/gemv_streams.py

Results: benchmarks/results/gemv_streams.{json,md}. Per layout: L1D misses per row, stall cycles per 64-byte line
(each miss pays the DRAM latency: the cores modelled are in order, misses do not overlap) and the cycles per line
the DRAM read bandwidth allows; the larger of the two decides a streaming layer (docs/memory-models.md).
"""
from __future__ import annotations

import ctypes
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isa.boards import BOARDS  # noqa: E402
from isa.memsim import CACHE_COUNTERS, EXPORT_WORDS, config_text  # noqa: E402
from isa.placement import Placement  # noqa: E402
from isa.targets import get_target  # noqa: E402
from isa.unicorn_backend import native_counter_lib  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
BOARD_TARGETS = (("rk3566", "cortex-a55"), ("pi-zero-2", "cortex-a53"), ("jh7110", "rv64gc"),
                 ("spacemit-k1", "rv64gcv-vlen256"))
ROWS = 1536  # output rows of the layer (SmolLM2's MLP width)
RVV_PAIRS = 128  # row pairs per block of the RVV int4 blocked layout (codegen/packing.py RVV_GROUPED_BLOCK)
READ = 1


def side_by_side(k: int, rows: int, step: int):
    """(offset, bytes) of each read: `rows` row-major rows read side by side, `step` bytes of each at a time."""
    for r0 in range(0, ROWS, rows):
        for j in range(0, k, step):
            for r in range(rows):
                yield (r0 + r) * k + j, min(step, k - j)


def row_blocks(k: int, rows: int, chunk: int, pair: int, vl: int):
    """The per-channel kernels' row blocks (interleave_row_chunks: per chunk of `chunk` columns the block's rows
    side by side) as ig_dot16rows_s8 / ig_dot8rows_s8 read them: per chunk, steps of `pair` bytes of each row while
    that many are left, then of at most `vl`."""
    for b0 in range(0, ROWS * k, rows * k):
        for c0 in range(0, k, chunk):
            width, off = min(chunk, k - c0), 0
            while off < width:
                step = pair if width - off >= pair else min(vl, width - off)
                for r in range(rows):
                    yield b0 + c0 * rows + r * width + off, step
                off += step


def int4_slices(k: int, step: int):
    """ig_grouped_slice_s8w4: a block's column pair is 2 x 128 bytes, read in slices of `step` bytes."""
    ws, block = 2 * RVV_PAIRS, 2 * RVV_PAIRS * (k // 2)
    for b0 in range(0, ROWS * k, block):
        for off in range(0, ws, step):
            for col in range(k // 2):
                yield b0 + col * ws + off, step


LAYOUTS = (("16 rows side by side, 64 B per row per step (NEON per-channel, ARMv8.0, row-major: before)",
            lambda k: side_by_side(k, 16, 64)),
           ("8 rows side by side, 64 B per row per step (RVV per-channel, VLEN 128, row-major: before)",
            lambda k: side_by_side(k, 8, 64)),
           ("one stream (row after row, or a blocked layout)", lambda k: side_by_side(k, 1, 64)),
           ("NEON per-channel row blocks: 16 rows per 64 columns (ig_dot16rows_s8)",
            lambda k: row_blocks(k, 16, 64, 64, 64)),
           ("RVV per-channel row blocks: 8 rows per 256 columns, VLEN 128 (steps of 128 B)",
            lambda k: row_blocks(k, 8, 256, 128, 64)),
           ("RVV per-channel row blocks: 8 rows per 256 columns, VLEN 256 (steps of 256 B)",
            lambda k: row_blocks(k, 8, 256, 256, 128)),
           ("RVV per-channel row blocks: 8 rows per 256 columns, VLEN 512 (steps of 256 B)",
            lambda k: row_blocks(k, 8, 256, 512, 256)),
           ("RVV int4 blocked (128 row pairs), slices of 64 B at a 256 B stride (VLEN 128)",
            lambda k: int4_slices(k, 64)),
           ("RVV int4 blocked (128 row pairs), slices of 128 B at a 256 B stride (VLEN 256)",
            lambda k: int4_slices(k, 128)))


def simulate(text: str, accesses) -> dict:
    lib = native_counter_lib()
    err = ctypes.c_int32(0)
    s = lib.igm_test_new(text.encode(), ctypes.byref(err))
    if not s:
        raise RuntimeError(f"simulator configuration refused at line {err.value}")
    base, stall = 0x40000000, 0
    try:
        for off, size in accesses:
            stall += int(lib.igm_test_access(s, base + off, size, READ))
        words = np.zeros(EXPORT_WORDS, np.uint64)
        lib.igm_test_export(s, words.ctypes.data)
    finally:
        lib.igm_test_free(s)
    n = len(CACHE_COUNTERS)
    l1d = dict(zip(CACHE_COUNTERS, words[n:2 * n].tolist()))
    return {"l1d_misses": l1d["misses"], "stall_cycles": stall}


def main() -> int:
    rows = []
    t0 = time.time()
    for board_name, target_name in BOARD_TARGETS:
        board, target = BOARDS[board_name], get_target(target_name)
        text = config_text(board, target, Placement(board=board_name, ranges=(), default_memory="dram", used={}))
        dram = board.memory("dram")
        bw_cycles_per_line = 64 * board.clock_mhz * 1e6 / (dram.read_gb_s * 1e9)
        for k in (576, 1536):
            for name, accesses in LAYOUTS:
                got = simulate(text, accesses(k))
                lines = ROWS * k // 64
                stall_per_line = got["stall_cycles"] / lines
                rows.append({"board": board_name, "target": target_name, "k": k, "layout": name,
                             "l1d_misses": got["l1d_misses"],
                             "misses_per_row": got["l1d_misses"] / ROWS, "stall_cycles_per_line": stall_per_line,
                             "bandwidth_cycles_per_line": bw_cycles_per_line,
                             "latency_over_bandwidth": stall_per_line / bw_cycles_per_line})
    doc = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/gemv_streams.py", "date": time.strftime("%Y-%m-%d"),
           "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
           "seconds": round(time.time() - t0, 1), "rows_per_layer": ROWS, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gemv_streams.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# Weight order against the boards' caches and prefetchers (a matrix-vector product)", "",
             f"Command: `{doc['command']}` ({doc['date']}, {doc['machine']}, {doc['seconds']} s). "
             f"The board's simulator driven with the weight reads of one {ROWS} x K int8 layer, no program run. "
             "Stall cycles per line: the DRAM latency of each L1D miss (in-order cores: misses do not overlap); "
             "bandwidth cycles per line: 64 B over the board's DRAM read bandwidth at its clock. A streaming "
             "layer costs at least the larger of the two per line (plus its core cycles on the latency side).", "",
             "| board | target | K | weight order | L1D misses / row | stall cycles / line | bandwidth cycles / line |"
             " latency / bandwidth |", "|---|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['board']} | {r['target']} | {r['k']} | {r['layout']} | {r['misses_per_row']:.2f} | "
                     f"{r['stall_cycles_per_line']:.1f} | {r['bandwidth_cycles_per_line']:.1f} | "
                     f"{r['latency_over_bandwidth']:.2f} |")
    lines += ["", "RVV int4 blocked: one call reads a block's bytes in slices of vl row pairs; a slice's segment loads "
              "step over the block's column pairs (256 B apart), so the +1-line stream prefetcher sees no stream "
              "within a slice and the lines the other slices need arrive as prefetches of its misses, or from L2.",
              "", "Rows side by side: each row is a stream of its own, and the stream prefetcher (degree 4, a miss "
              "whose previous line is cached starts it) needs two misses per row to see it: the row's first line "
              "(the line before it is the previous row's last, not read yet) and its second. With K = 576 a row is "
              "9 lines, so 2 of every 9 lines pay the full DRAM latency. One stream pays two misses per layer.", "",
              "Row blocks (the per-channel kernels now, codegen/packing.py interleave_row_chunks): a block's rows lie "
              "side by side per chunk, so a step reads consecutive bytes; at VLEN 128 an RVV step reads 128 of a "
              "row's 256 chunk bytes, skipping two lines per row, which the degree-4 prefetcher's run-ahead covers.",
              ""]
    (RESULTS / "gemv_streams.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
