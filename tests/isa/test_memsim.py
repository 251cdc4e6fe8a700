"""The native cache / memory simulator (isa/native/ig_memsim.h) against hand-computed sequences, and memory-aware
runs and estimates of streaming and pointer-chasing programs on boards."""
from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import numpy as np
import pytest

import isa
from isa.errors import BoardMismatch
from isa.memsim import CACHE_COUNTERS, EXPORT_WORDS, MEM_COUNTERS, N_CACHES
from isa.targets import get_target
from isa.timing import estimate
from isa.unicorn_backend import native_counter_lib

MEMBENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "membench" / "membench.c"
FETCH, READ, WRITE = 0, 1, 2
DRAM_STALL = 100


class Sim:
    """A bare simulator driven access by access through the counter library's test entry points."""

    def __init__(self, text: str):
        self.lib = native_counter_lib()
        err = ctypes.c_int32(0)
        self.s = self.lib.igm_test_new(text.encode(), ctypes.byref(err))
        self.err = err.value

    def __call__(self, addr: int, size: int = 4, kind: int = READ) -> int:
        return int(self.lib.igm_test_access(self.s, addr, size, kind))

    def cache(self, idx: int) -> dict:
        w = self._words()
        k = len(CACHE_COUNTERS)
        return dict(zip(CACHE_COUNTERS, w[idx * k:(idx + 1) * k].tolist()))

    def mem(self, m: int) -> dict:
        w = self._words()
        off = N_CACHES * len(CACHE_COUNTERS) + m * len(MEM_COUNTERS)
        return dict(zip(MEM_COUNTERS, w[off:off + len(MEM_COUNTERS)].tolist()))

    def _words(self) -> np.ndarray:
        out = np.zeros(EXPORT_WORDS, np.uint64)
        assert int(self.lib.igm_export_words()) == EXPORT_WORDS
        self.lib.igm_test_export(self.s, out.ctypes.data)
        return out

    def close(self):
        if self.s:
            self.lib.igm_test_free(self.s)
            self.s = None


def l1d(size, ways, line=64, write_through=0, prefetch=0, degree=0, extra=""):
    return Sim(f"level 1 {size} {ways} {line} 0 {write_through} {prefetch} {degree}\n{extra}"
               f"mem 0 1 {DRAM_STALL}\ndefault_mem 0\n")


def test_direct_mapped_conflicts():
    s = l1d(256, 1)  # 4 sets of 64 B: 0x000 and 0x100 share set 0
    assert [s(0x000), s(0x004), s(0x100), s(0x000), s(0x040)] == [DRAM_STALL, 0, DRAM_STALL, DRAM_STALL, DRAM_STALL]
    c = s.cache(1)
    assert (c["accesses"], c["hits"], c["misses"], c["bytes_in"]) == (5, 1, 4, 4 * 64)
    assert s.mem(0)["read_bytes"] == 4 * 64 and s.mem(0)["stall_cycles"] == 4 * DRAM_STALL
    s.close()


def test_set_associative_true_lru():
    s = l1d(256, 2)  # 2 sets x 2 ways: lines 0x000, 0x080, 0x100 all map to set 0
    a, b, c = 0x000, 0x080, 0x100
    # A miss, B miss, A hit, C miss (evicts B, the least recently used), A hit, B miss (evicts C), C miss (evicts A)
    got = [s(x) for x in (a, b, a, c, a, b, c)]
    assert got == [DRAM_STALL, DRAM_STALL, 0, DRAM_STALL, 0, DRAM_STALL, DRAM_STALL]
    assert s.cache(1)["hits"] == 2 and s.cache(1)["misses"] == 5
    s.close()


def test_write_back_write_allocate_and_eviction():
    s = l1d(256, 1)
    assert s(0x000, 4, WRITE) == 0  # a store miss allocates (reads the line) but does not stall
    assert s(0x004, 4, READ) == 0  # now a hit
    assert s(0x100, 4, READ) == DRAM_STALL  # evicts the dirty line: one write-back of 64 bytes
    c, m = s.cache(1), s.mem(0)
    assert c["writebacks"] == 1 and m["write_bytes"] == 64 and m["read_bytes"] == 128
    s.close()


def test_write_through_no_allocate():
    s = l1d(256, 1, write_through=1)
    assert s(0x000, 4, WRITE) == 0
    assert s.mem(0)["write_bytes"] == 4 and s.mem(0)["read_bytes"] == 0  # not allocated
    assert s(0x000, 4, READ) == DRAM_STALL  # so the load misses
    assert s(0x000, 4, WRITE) == 0  # a store hit still goes through
    assert s.mem(0)["write_bytes"] == 8 and s.cache(1)["writebacks"] == 0
    s.close()


def test_stream_prefetch_of_degree_two():
    s = l1d(4096, 4, prefetch=2, degree=2)
    base = 0x10000
    # line 0 misses (no previous line cached: no stream), line 1 misses with line 0 cached: prefetch lines 2, 3;
    # the first hit of each prefetched line k fetches line k + 2 (k + 1 is there already): lines 4, 5, 6, 7
    got = [s(base + 64 * i) for i in range(6)]
    assert got == [DRAM_STALL, DRAM_STALL, 0, 0, 0, 0]
    c = s.cache(1)
    assert (c["misses"], c["prefetches_issued"], c["prefetches_useful"]) == (2, 6, 4)
    assert s.mem(0)["read_bytes"] == 8 * 64  # 2 demand lines + 6 prefetched
    s.close()


def test_random_accesses_do_not_trigger_the_stream_prefetcher():
    s = l1d(4096, 4, prefetch=2, degree=4)
    for a in (0x10000, 0x30000, 0x20040, 0x50080):
        assert s(a) == DRAM_STALL
    assert s.cache(1)["prefetches_issued"] == 0
    s.close()


def _gemv_rows(s: Sim, rows: int, k: int, at_once: int, step: int, per_element: bool) -> None:
    """A GEMV's weight reads: `rows` rows of `k` bytes, `at_once` rows side by side, `step` bytes per row per step."""
    base = 0x40000000
    for r0 in range(0, rows, at_once):
        for j in range(0, k, step):
            for r in range(at_once):
                a = base + (r0 + r) * k + j
                if per_element:  # as QEMU reports an RVV unit-stride load: one access per element
                    for e in range(step):
                        s(a + e, 1)
                else:
                    s(a, step)


def _all_counters(s: Sim) -> list[int]:
    return s._words().tolist()


def test_a_vector_load_seen_element_by_element_gives_the_same_statistics():
    """QEMU reports RVV loads element by element; the simulator's statistics must not depend on it."""
    whole, elems = (l1d(32768, 4, prefetch=2, degree=4) for _ in range(2))
    _gemv_rows(whole, 64, 576, 8, 64, per_element=False)
    _gemv_rows(elems, 64, 576, 8, 64, per_element=True)
    w, e = _all_counters(whole), _all_counters(elems)
    n = len(CACHE_COUNTERS)
    w[1 * n], e[1 * n], w[1 * n + 1], e[1 * n + 1] = 0, 0, 0, 0  # L1D accesses and hits count the calls
    assert w == e and whole.cache(1)["misses"] == elems.cache(1)["misses"] > 0
    whole.close(), elems.close()


@pytest.mark.parametrize("write_through", [0, 1])
def test_an_element_run_equals_its_elements_one_by_one(write_through):
    """igm_access_run (the QEMU plugin's RVV unit-stride feed) counts the elements after the first in a line
    together; every counter must equal that of one igm_access per element: element sizes 1-8 (8 unaligned, so
    elements straddle lines), runs across a region boundary (the fast path stops there), prefetched lines (it must
    not take them), reads and writes."""
    regions = "region 0x40000000 0x40000fe0 0\nregion 0x40000fe0 0x40100000 1\nmem 1 1 150\n"  # inside a line
    rng = np.random.default_rng(7)
    runs = [(0x40000000 + int(rng.integers(0, 0x3000)), int(size), int(rng.integers(0, 200)), int(kind))
            for size, kind in zip(rng.choice([1, 2, 4, 8], 400), rng.choice([READ, WRITE], 400))]
    runs += [(0x40000fc3, 8, 40, READ), (0x40000fd0, 2, 100, WRITE)]  # straddling lines and the region boundary
    one, run = (l1d(4096, 2, write_through=write_through, prefetch=2, degree=2, extra=regions) for _ in range(2))
    stalls_one = stalls_run = 0
    for addr, size, n, kind in runs:
        stalls_one += sum(one(addr + i * size, size, kind) for i in range(n))
        stalls_run += int(run.lib.igm_test_access_run(run.s, addr, size, n, kind))
    assert _all_counters(one) == _all_counters(run) and stalls_one == stalls_run > 0
    assert one.cache(1)["hits"] > one.cache(1)["misses"] > 0 and one.cache(1)["prefetches_useful"] > 0
    one.close(), run.close()


@pytest.mark.parametrize("write_through", [0, 1])
def test_a_strided_run_equals_its_elements_one_by_one(write_through):
    """igm_access_strided (the QEMU plugin's feed of RVV strided loads / stores) counts the elements that share an L1
    line together; every counter must equal that of one igm_access per element: strides below, at and above the
    element size and the line size, zero and negative strides, elements straddling lines, runs across a region
    boundary, prefetched lines, reads and writes, and behind an L2 (its misses, prefetches and write-backs)."""
    regions = "region 0x40000000 0x40000fe0 0\nregion 0x40000fe0 0x40100000 1\nmem 1 1 150\n"  # inside a line
    l2 = "level 2 16384 4 64 10 0 2 2\n"
    rng = np.random.default_rng(11)
    runs = [(0x40000000 + int(rng.integers(0, 0x3000)), int(size), int(stride), int(rng.integers(0, 120)), int(kind))
            for size, stride, kind in zip(rng.choice([1, 2, 4, 8], 500),
                                          rng.choice([0, 1, 2, 4, 8, 12, 16, 24, 40, 64, 72, 200, -8, -24, -100], 500),
                                          rng.choice([READ, WRITE], 500))]
    runs += [(0x40000fc3, 8, 12, 40, READ), (0x40000fd0, 2, 6, 100, WRITE), (0x40000ff8, 8, -3, 30, READ)]
    one, run = (l1d(4096, 2, write_through=write_through, prefetch=2, degree=2, extra=regions + l2) for _ in range(2))
    stalls_one = stalls_run = 0
    for addr, size, stride, n, kind in runs:
        stalls_one += sum(one(addr + i * stride, size, kind) for i in range(n))
        stalls_run += int(run.lib.igm_test_access_strided(run.s, addr, size, stride, n, kind))
    assert _all_counters(one) == _all_counters(run) and stalls_one == stalls_run > 0
    assert one.cache(1)["hits"] > one.cache(1)["misses"] > 0 and one.cache(1)["prefetches_useful"] > 0
    assert one.cache(2)["misses"] > 0 and one.cache(2)["accesses"] > 0
    one.close(), run.close()


@pytest.mark.parametrize("write_through", [0, 1])
def test_way_hints_change_no_statistic(write_through):
    """Each cache's way hints (ig_memsim.h, igm_cache.hint) skip the set search for a line found or filled lately;
    every counter and stall must equal those of a simulator that searches every set in full: streams through a
    16-way L2 and an L3 with prefetchers (the hints' case), interleaved with random accesses over few sets, so that
    hinted ways are evicted and refilled with other lines, lines 64 apart that share a hint, instruction fetches
    through the shared L2, strided runs and an uncached flash behind ART-like line caches."""
    hier = (f"level 0 2048 2 64 0 0 1 1\nlevel 1 4096 4 64 1 {write_through} 2 4\nlevel 2 16384 16 64 9 0 1 2\n"
            "level 3 65536 16 64 30 0 0 0\nmem 0 1 100\nmem 1 0 5\nside 1 0 256 4 16 1 1\nside 1 1 64 2 16 0 0\n"
            "region 0x08000000 0x08100000 1\ndefault_mem 0\n")
    rng = np.random.default_rng(13)
    ops = []
    for _ in range(600):
        kind = int(rng.choice([FETCH, READ, WRITE]))
        pick = rng.integers(0, 4)
        if pick == 0:  # a stream of lines
            ops.append(("run", 0x40000000 + int(rng.integers(0, 1 << 16)) * 8, 8, 8, int(rng.integers(8, 200)), kind))
        elif pick == 1:  # few sets, many tags: evictions of hinted ways; 64 * 4096 bytes apart share a hint slot
            a = 0x50000000 + int(rng.integers(0, 4)) * 64 + int(rng.integers(0, 40)) * 4096 * int(rng.choice([1, 64]))
            ops.append(("one", a, int(rng.choice([1, 4, 8, 16])), 0, 1, kind))
        elif pick == 2:  # flash: the uncached memory's side caches
            ops.append(("one", 0x08000000 + int(rng.integers(0, 4096)), int(rng.choice([2, 4])), 0, 1, kind))
        else:  # strided, across lines and sets
            ops.append(("run", 0x60000000 + int(rng.integers(0, 1 << 14)) * 4, 4, int(rng.choice([64, 72, 4160, -136])),
                        int(rng.integers(1, 60)), kind))
    hinted, full = Sim(hier), Sim(hier)
    full.lib.igm_test_no_hints(full.s)
    stalls = []
    for s in (hinted, full):
        total = 0
        for form, addr, size, stride, n, kind in ops:
            if form == "one":
                total += s(addr, size, kind)
            else:
                total += int(s.lib.igm_test_access_strided(s.s, addr, size, stride, n, kind))
        stalls.append(total)
    assert _all_counters(hinted) == _all_counters(full) and stalls[0] == stalls[1] > 0
    l2 = hinted.cache(2)
    assert l2["misses"] > 0 and l2["writebacks"] > 0 and l2["prefetches_useful"] > 0
    assert hinted.cache(4 + 2 * 1)["hits"] > 0  # flash's fetch-side line cache
    hinted.close(), full.close()


def test_rows_read_side_by_side_pay_the_stream_prefetchers_training_per_row():
    """Eight 9-line rows read side by side (SmolLM2's K = 576, eight rows per call): each row's first line misses
    (the line before it, the previous row's last, is not read yet) and its second misses too (the stream is seen
    now), except the first row of a group, which the previous group's last row prefetched into. Read row after row,
    the same bytes are one stream: two misses in all."""
    side, one = l1d(32768, 4, prefetch=2, degree=4), l1d(32768, 4, prefetch=2, degree=4)
    _gemv_rows(side, 32, 576, 8, 64, per_element=False)
    _gemv_rows(one, 32, 576, 1, 64, per_element=False)
    assert side.cache(1)["misses"] == 8 * 2 + 3 * 7 * 2  # first group: 8 rows x 2; the others: 7 x 2
    assert one.cache(1)["misses"] == 2
    assert side.mem(0)["read_bytes"] == one.mem(0)["read_bytes"] == 32 * 576 + 4 * 64  # + 4 lines prefetched past
    side.close(), one.close()


def test_a_read_at_a_constant_stride_of_lines_trains_the_stream_prefetcher():
    """One line every 4 lines (a GEMV slice reading 64 of every 256 bytes): line 0 misses (nothing before it), line 4
    misses (a first step of 4 lines), line 8 misses (a second equal step: a stream; prefetch lines 12, 16, 20, 24);
    the first hit of each prefetched line fetches the line 4 x 4 lines past it (the others are there already)."""
    s = l1d(32768, 4, prefetch=2, degree=4)
    base = 0x40000000
    got = [s(base + 256 * i, 64) for i in range(16)]
    assert got == [DRAM_STALL] * 3 + [0] * 13
    c = s.cache(1)
    assert (c["misses"], c["prefetches_issued"], c["prefetches_useful"]) == (3, 4 + 13, 13)
    assert s.mem(0)["read_bytes"] == (16 + 4) * 64  # 16 lines read + 4 prefetched past the end
    s.close()


def test_a_stride_past_four_lines_is_not_a_stream():
    """The detector trains on strides of at most 4 lines (IGM_MAX_STRIDE, as ARM documents for its small cores'
    prefetchers): one line every 5 lines misses every time, and nothing is prefetched."""
    s = l1d(32768, 4, prefetch=2, degree=4)
    assert [s(0x40000000 + 320 * i, 64) for i in range(16)] == [DRAM_STALL] * 16
    assert s.cache(1)["prefetches_issued"] == 0
    s.close()


def _slices(s: Sim, base: int, pairs: int, k: int) -> None:
    """The RVV grouped int4 kernel's weight reads of one block (ig_fc_grouped_s8w4.c): `pairs` row pairs of k
    columns, a column pair's bytes 2 x pairs apart; slices of 32 pairs (VLEN 128, e8m2), each one segment load of
    64 bytes per two columns, slice after slice."""
    ws = 2 * pairs
    for r in range(0, ws, 64):
        for j in range(k // 2):
            s(base + r + j * ws, 64)


@pytest.mark.parametrize("offset, misses", [(0, 4), (16, 2), (32, 2), (48, 2)])
def test_a_weight_block_read_in_slices_costs_about_the_same_at_any_offset_in_a_line(offset, misses):
    """A block of 128 row pairs x 128 columns (16 KiB) read in 4 slices (64 bytes of every 256). Line-aligned, slice 0
    reads lines 0, 4, 8, ...: 3 misses train the stride detector; slice 1 reads lines 1, 5, ...: line 1 misses with
    line 0 cached (a next-line stream that prefetches every line slices 2 and 3 read). Off the line, every load
    touches two lines in a row: line 0 and line 1 miss, then one stream. Not 64 misses a slice, as a next-line
    detector alone gave line-aligned blocks (a tensor's cost then depended on the code before the constants)."""
    s = l1d(32768, 4, prefetch=2, degree=4)
    _slices(s, 0x40000000 + offset, 128, 128)
    assert s.cache(1)["misses"] == misses
    s.close()


def test_l2_serves_an_l1_conflict_miss():
    s = Sim(f"level 1 128 1 64 0 0 0 0\nlevel 2 1024 4 64 10 0 0 0\nmem 0 1 {DRAM_STALL}\ndefault_mem 0\n")
    assert [s(0x000), s(0x080), s(0x000)] == [DRAM_STALL, DRAM_STALL, 10]
    l2 = s.cache(2)
    assert (l2["accesses"], l2["hits"], l2["misses"], l2["stall_cycles"]) == (3, 1, 2, 10)
    s.close()


def test_uncached_flash_behind_a_line_cache_with_next_line_prefetch():
    # flash (mem 0, uncached, 5 stall cycles) with a 4-line fetch-side cache that always prefetches the next line,
    # SRAM (mem 1) for everything else
    s = Sim("mem 0 0 5\nside 0 0 64 4 16 1 1\nmem 1 0 0\nregion 0x0 0x100000 0\ndefault_mem 1\n")
    assert s(0x00, 2, FETCH) == 5  # miss: wait states; line 0x10 prefetched
    assert s(0x10, 4, FETCH) == 0  # prefetched: no wait
    assert s(0x14, 2, FETCH) == 0
    assert s(0x80, 2, FETCH) == 5  # a jump: miss
    assert s(0x80, 4, READ) == 5  # a data read of flash without a data-side cache pays the wait states each time
    assert s(0x20000000, 4, READ) == 0 and s(0x20000000, 4, WRITE) == 0  # SRAM: zero wait
    side = s.cache(4)  # memory 0's fetch-side cache
    assert (side["misses"], side["prefetches_issued"], side["prefetches_useful"]) == (2, 3, 1)
    s.close()


def test_bad_configuration_is_refused():
    assert Sim("level 1 256 1 64 0 0 0\nmem 0 1 1\n").err == 1  # a level line with a field missing
    assert Sim("level 1 192 1 64 0 0 0 0\nmem 0 1 1\ndefault_mem 0\n").err == -1  # 3 sets: not a power of two
    assert Sim("level 1 256 1 64 0 0 0 0\nlevel 2 1024 4 32 0 0 0 0\nmem 0 1 1\ndefault_mem 0\n").err == -1


# --- whole programs on boards ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def membench(tmp_path_factory):
    import toolchain
    from toolchain.errors import CompilerNotFound
    out = tmp_path_factory.mktemp("membench")
    elves = {}

    def build(target: str, nbytes: int) -> Path:
        key = (target, nbytes)
        if key not in elves:
            elf = out / f"membench-{target}-{nbytes}.elf"
            try:
                toolchain.build_elf([MEMBENCH], get_target(target), elf, extra_cflags=(f"-DMB_BYTES={nbytes}",))
            except CompilerNotFound as e:
                pytest.skip(str(e))
            elves[key] = elf
        return elves[key]
    return build


def _run(elf, target, board, mode, nbytes, passes):
    inp = {".ig_input": struct.pack("<4I", mode, nbytes, passes, 0)}
    r = isa.run(elf, target, inputs=inp, board=board, max_instructions=200_000_000)
    return r, estimate(r, elf, target, board=board)


def test_pointer_chase_pays_the_dram_latency_per_step(membench):
    elf = membench("cortex-a55", 4 << 20)  # 4 MiB ring: 8x the RK3566's 512 KiB L3
    steps = 20000
    _, e1 = _run(elf, "cortex-a55", "rk3566", 2, 4 << 20, steps)
    _, e2 = _run(elf, "cortex-a55", "rk3566", 2, 4 << 20, 2 * steps)
    per_step_stall = (e2.memory_stall_cycles - e1.memory_stall_cycles) / steps
    dram = round(180.0 * 1.8) - 2  # 180 ns at 1.8 GHz minus the 2-cycle L1 hit
    l3_share = 0.5 / 4  # the L3 holds at most 512 KiB of the 4 MiB ring
    assert dram * (1 - l3_share) <= per_step_stall <= dram
    assert e2.limiting_level == "dram" and e2.limited_by == "latency"


def test_stream_read_is_bound_by_dram_bandwidth_not_latency(membench):
    elf = membench("cortex-a55", 2 << 20)
    r, e = _run(elf, "cortex-a55", "rk3566", 0, 2 << 20, 2)
    l1 = r.memory.cache("L1D")
    assert l1.prefetches_useful > 0.95 * (2 * 2 * (2 << 20) // 64 - l1.misses) / 2  # the stream is prefetched
    assert r.memory.stall_cycles < 0.01 * e.cycles  # so almost nothing waits on latency
    dram = r.memory.memory("dram")
    assert e.limiting_level == "dram" and e.limited_by == "bandwidth"
    bound = dram.read_bytes / (5.6e9 / 1.8e9)
    # the bound holds per function: the streaming loop takes its bytes / bandwidth, the set-up around it adds its own
    assert bound <= e.cycles <= 1.01 * bound


def test_cache_resident_program_costs_what_the_core_model_says(membench):
    elf = membench("cortex-a55", 16 << 10)  # a 16 KiB array read 200 times: fits the 32 KiB L1D
    r, e = _run(elf, "cortex-a55", "rk3566", 0, 16 << 10, 200)
    assert e.core_cycles <= e.cycles <= 1.03 * e.core_cycles
    assert e.limited_by == "core"


def test_memory_statistics_are_identical_between_runs(membench):
    elf = membench("rv64gc", 1 << 20)
    r1, e1 = _run(elf, "rv64gc", "jh7110", 1, 256 << 10, 2)
    r2, e2 = _run(elf, "rv64gc", "jh7110", 1, 256 << 10, 2)
    assert r1.memory.to_json() == r2.memory.to_json() and e1.to_json() == e2.to_json()
    assert np.array_equal(r1.memory.block_stall_cycles, r2.memory.block_stall_cycles)
    assert int(r1.memory.block_stall_cycles.sum()) == r1.memory.stall_cycles  # every stall lands in a block
    assert sum(e1.per_function_memory_stalls.values()) == pytest.approx(e1.memory_stall_cycles, abs=5)


def test_flash_wait_states_on_stm32f407_and_weights_in_sram(membench):
    elf = membench("cortex-m4", 8 << 10)
    r, e = _run(elf, "cortex-m4", "stm32f407", 0, 8 << 10, 4)
    flash = r.memory.memory("flash")
    assert r.memory.cache("flash:ART-I").misses > 0 and flash.stall_cycles == 5 * (
        r.memory.cache("flash:ART-I").misses + r.memory.cache("flash:ART-D").misses)
    assert e.heading.endswith("model v1 on stm32f407)") and e.clock_mhz == 168.0


def test_estimate_on_another_board_than_the_run_is_refused(membench):
    elf = membench("rv64gc", 1 << 20)
    r, _ = _run(elf, "rv64gc", "jh7110", 0, 64 << 10, 1)
    with pytest.raises(BoardMismatch, match="simulated on board jh7110, the estimate asks for board spacemit-k1"):
        estimate(r, elf, "rv64gc", board="spacemit-k1")


def _both_backends(membench, target, board, mode):
    from tests.isa.test_qemu_backend import cached_board
    board = cached_board(target) if board is None else board
    elf = membench(target, 64 << 10)
    inp = {".ig_input": struct.pack("<4I", mode, 64 << 10, 2, 0)}
    u = isa.run(elf, target, "unicorn", inputs=inp, board=board, max_instructions=200_000_000)
    q = isa.run(elf, target, "qemu", inputs=inp, board=board, max_instructions=200_000_000)
    assert q.instructions == u.instructions and q.memory is not None and q.memory.stall_cycles > 0
    return u, q


def _per_block(r):
    return {(int(a), int(s)): (int(st), int(b)) for a, s, st, b in
            zip(r.blocks.addr, r.blocks.size, r.memory.block_stall_cycles, r.memory.block_memory_bytes)}


@pytest.mark.parametrize("target, board, mode", [("cortex-m4", "stm32f407", 0), ("cortex-m4", "stm32f407", 2),
                                                 ("cortex-m7", "stm32h743", 0), ("cortex-a55", "rk3566", 0),
                                                 ("cortex-a53", "pi-zero-2", 2), ("rv64gc", "jh7110", 1),
                                                 ("rv32imc", None, 1)])
def test_both_backends_give_identical_memory_statistics(membench, target, board, mode):
    """The QEMU plugin feeds the same simulator (ig_memsim.h) as the Unicorn hooks: every block's bytes as fetches
    when it is entered, every observed data access after it. Both emulators run the same addresses: on a bare-metal
    target the stack pointer comes from the vector table; on a 64-bit Linux-style target QEMU's stack lies in the
    guest address space intgap reserves, at the Unicorn backend's stack region; rv32imc's stack region is where
    QEMU maps a 32-bit guest's stack (no board of rv32imc has caches: jh7110's memory system stands in); and Unicorn
    starts the stack pointer where QEMU's loader does (unicorn_backend._LINUX_START_FRAME). So the statistics are
    identical, block for block (cortex-m7 also checks the plugin's I/O-rewind correction: its start-up writes
    CPACR). The one difference: where the stack is not observed (SRAM), Unicorn finds its depth by painting; QEMU
    cannot read guest memory after the run, so its `lowest_touched` stays None."""
    u, q = _both_backends(membench, target, board, mode)
    ju, jq = u.memory.to_json(), q.memory.to_json()
    for j in (ju, jq):
        for p in j["placement"]:
            if p["what"] == "stack" and not p.get("observed", False):
                p.pop("lowest_touched", None), p.pop("lowest_touched_by", None)
    assert jq == ju
    assert _per_block(q) == _per_block(u)


@pytest.mark.parametrize("target", ["rv32imc", "rv64gc", "cortex-a55"])
def test_both_backends_run_a_linux_style_stack_at_the_same_addresses(target, tmp_path):
    """The test above cannot see the stack's page (its statistics do not depend on it); q_stack.c prints its stack
    array's address and reads it against a global array, so both backends must start the stack pointer at the same
    address (rv32imc: where QEMU maps a 32-bit guest's stack, isa/targets.py) for equal output and statistics."""
    import toolchain
    from tests.isa.test_qemu_backend import PROGRAMS, cached_board
    elf = tmp_path / f"q_stack-{target}.elf"
    toolchain.build_elf([PROGRAMS / "q_stack.c"], get_target(target), elf)
    board = cached_board(target)
    u, q = (isa.run(elf, target, be, board=board) for be in ("unicorn", "qemu"))
    stack = get_target(target).stack_region
    where = int.from_bytes(bytes.fromhex(u.stdout.split()[0].decode()), "little")
    assert u.stdout == q.stdout and stack.base <= where < stack.base + stack.size
    assert u.memory.to_json() == q.memory.to_json() and _per_block(u) == _per_block(q)


def test_a_step_is_bounded_by_its_own_bytes_not_by_a_difference_of_bounded_runs():
    """A function compute-bound in the short run (a prefill) and bandwidth-bound in the long one: the difference of
    the two runs' bounded totals would hide the steps' streaming; the step's own bytes bound it."""
    from isa.timing import CycleEstimate
    from isa.timing.memory import step_difference

    def est(core: int, nbytes: int) -> CycleEstimate:
        e = CycleEstimate("m", 0, 0, 0, 0, 0, 0)
        e.memory = {"stall_cycles": 0}
        e.per_function_core, e.per_function_memory_bytes = {"fc": core, "norm": 100}, {"fc": nbytes}
        e.per_function_latency_stalls, e.memory_cycles_per_byte = {}, 5.0
        e.per_function = {"fc": max(core, 5 * nbytes), "norm": 100}
        return e
    short, long = est(1000, 100), est(1400, 300)  # 2 steps: +200 core and +100 bytes (500 cycles at 5 / byte) each
    step = step_difference(short, long, 2)
    assert step.per_function["fc"] == 500 and step.per_function["norm"] == 0
    assert step.cycles == 500 and step.core_cycles == 200 and step.memory_stall_cycles == 300
    assert step.bandwidth_bound_cycles == 500
    assert (sum(long.per_function.values()) - sum(short.per_function.values())) / 2 == 250  # what differencing gave
