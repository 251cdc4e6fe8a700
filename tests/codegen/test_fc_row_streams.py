"""The per-channel int8 fully connected kernels of NEON (ARMv8.0 and dot product) and RVV read their row blocks in
one stream (codegen/packing.py interleave_row_chunks, docs/memory-models.md): the layout is the kernels' read order,
and the kernels stay bit-exact on its edges (N not a multiple of a block, K tails around the chunk widths, int8 /
int16 / int32 outputs; RVV at VLEN 128, 256 and 512)."""
import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import build_graph_cases, fc_wide_case, graph_expected_bytes, run_cases
from codegen.packing import ROW_BLOCKS, ROW_CHUNK, pack_fc_weights, row_block_heights

# N: blocks of every height and a last partial one; K: below, at and around the chunk widths (NEON 64, RVV 256),
# SmolLM2's 576, and a tail of each length class
SHAPES = [(1, 17), (63, 45), (64, 21), (200, 45), (255, 70), (256, 9), (257, 70), (320, 3), (576, 24), (600, 13)]


def _read_order(w: np.ndarray, family: str) -> np.ndarray:
    """The weights in the order the family's kernel reads them: per block of rows, per chunk of columns, each row's
    bytes of the chunk (a plain loop: the oracle of interleave_row_chunks)."""
    n, k = w.shape
    chunk, out, r0 = ROW_CHUNK[family], [], 0
    for h in row_block_heights(n, ROW_BLOCKS[family]):
        for c0 in range(0, k, chunk):
            for r in range(r0, r0 + h):
                out += list(w[r, c0:c0 + chunk])
        r0 += h
    return np.array(out, np.int8)


def test_row_blocks_are_the_kernels_calls():
    assert row_block_heights(45, ROW_BLOCKS["neon"]) == [16, 16, 8, 4, 1]  # ig_fc_s8.c: 16, then 8, then 4 at a time
    assert row_block_heights(70, ROW_BLOCKS["rvv"]) == [8] * 8 + [4, 2]
    assert row_block_heights(3, ROW_BLOCKS["rvv"]) == [3] and row_block_heights(0, ROW_BLOCKS["neon"]) == []


@pytest.mark.parametrize("family", sorted(ROW_BLOCKS))
def test_the_layout_is_the_kernels_read_order(family):
    rng = np.random.default_rng(3)
    for k, n in SHAPES:
        w = rng.integers(-127, 128, (n, k)).astype(np.int8)
        p = pack_fc_weights(w, 8, family)
        assert p.dtype == np.int8 and np.array_equal(p, _read_order(w, family)), (family, k, n)
    assert np.array_equal(pack_fc_weights(w, 8, "scalar"), w.reshape(-1))  # other families: row-major


def _cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for k, n in SHAPES:
        cases += [fc_wide_case(rng, k, n, 8, out) for out in ("int8", "int16", "int32")]
    return cases


@pytest.mark.parametrize("target_name", ["cortex-a53", "cortex-a55", "rv64gcv"])
def test_per_channel_kernels_bit_exact_on_the_layouts_edges(target_name, tmp_path):
    target = isa.get_target(target_name)
    cases = _cases({"cortex-a53": 21, "cortex-a55": 22, "rv64gcv": 23}[target_name])
    kc, elf, _ = build_graph_cases(cases, target, tmp_path)
    assert f"{target.kernel_family}/ig_fc_s8" in set(kc.kernel_stems), kc.kernel_stems
    for vlen in (128, 256, 512) if target.kernel_family == "rvv" else (None,):
        run = run_cases(kc, elf, target, vlen=vlen)
        bad = [f"{kc.kernel_stems[i]} {cases[i][0].name}" for i, out in enumerate(run.outputs)
               if out != graph_expected_bytes(*cases[i])]
        assert not bad, f"{target_name} vlen={vlen}: {len(bad)} of {len(cases)} differ: {bad}"


@pytest.mark.parametrize("board_name,target_name", [("pi-zero-2", "cortex-a53"), ("spacemit-k1", "rv64gcv-vlen256")])
def test_row_blocks_are_one_stream_on_the_boards_simulator(board_name, target_name):
    """The kernels' read order of their row blocks (benchmarks/gemv_streams.py row_blocks: NEON 16 rows per 64
    columns; RVV 8 per 256 at VLEN 128 and 256) pays a few misses per layer on the board's simulated caches, where
    the same rows read side by side from row-major weights pay the prefetcher's training on every row."""
    from benchmarks.gemv_streams import ROWS, row_blocks, side_by_side, simulate
    from isa.boards import BOARDS
    from isa.memsim import config_text
    from isa.placement import Placement
    text = config_text(BOARDS[board_name], isa.get_target(target_name),
                       Placement(board=board_name, ranges=(), default_memory="dram", used={}))
    k = 576
    assert simulate(text, side_by_side(k, 8, 64))["l1d_misses"] > 1.5 * ROWS
    for order in (row_blocks(k, 16, 64, 64, 64), row_blocks(k, 8, 256, 128, 64), row_blocks(k, 8, 256, 256, 128)):
        assert simulate(text, order)["l1d_misses"] <= 4
