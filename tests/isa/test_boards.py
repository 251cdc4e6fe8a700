"""The board registry, placement and the errors of a board that does not fit (isa/boards.py, isa/placement.py)."""
from __future__ import annotations

import gzip
import re
import struct
from pathlib import Path

import pytest

import isa
from isa.boards import BOARDS, board_for, get_board
from isa.errors import BoardMismatch, ProgramDoesNotFitBoard, UnknownBoard
from isa.placement import place
from isa.targets import DEFAULT_BOARDS, TARGETS, get_target
from tests.isa.elf_builds import Builds


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("boards"))


def test_every_target_has_a_default_board_that_hosts_it():
    assert set(DEFAULT_BOARDS) == set(TARGETS)
    for t in TARGETS.values():
        assert t.name in board_for(t).hosts


def test_every_parameter_block_names_a_source():
    for b in BOARDS.values():
        for c in b.caches:
            assert c.sources, (b.name, c.name)
            assert c.size == c.sets * c.ways * c.line and c.sets & (c.sets - 1) == 0
        for m in b.memories:
            assert m.sources, (b.name, m.name)
        lines = {c.line for c in b.caches}
        assert len(lines) <= 1, b.name  # the simulator takes one line size per hierarchy


def test_unknown_board_names_the_choices():
    with pytest.raises(UnknownBoard, match=r"unknown board 'rk3588': choose one of .*rk3566.*stm32f407"):
        get_board("rk3588")


def test_board_that_cannot_host_the_target_is_one_error():
    with pytest.raises(BoardMismatch, match=r"board stm32f407 .* cannot host target cortex-a55: its core runs "
                                            r"cortex-m4, cortex-m4f; for cortex-a55 use rk3566"):
        board_for(get_target("cortex-a55"), "stm32f407")


def test_run_refuses_a_mismatched_board_before_running(builds):
    elf = builds("uc_matmul.c", "cortex-a55")
    with pytest.raises(BoardMismatch):
        isa.run(elf, "cortex-a55", board="jh7110")


def test_mcu_placement_puts_code_and_weights_in_flash_data_in_sram(builds):
    elf = builds("uc_matmul.c", "cortex-m4")
    p = place(elf, get_target("cortex-m4"), get_board("stm32f407"))
    kinds = {(r.what, r.memory) for r in p.ranges}
    assert ("code", "flash") in kinds and ("rodata", "flash") in kinds
    assert ("data", "sram") in kinds and ("stack", "sram") in kinds
    p2 = place(elf, get_target("cortex-m4"), get_board("stm32f407"), weights_in_sram=True)
    assert {r.memory for r in p2.ranges if r.what == "rodata"} == {"sram"}


def test_program_larger_than_the_boards_sram_is_one_error(builds, tmp_path):
    import toolchain
    src = tmp_path / "big.c"
    src.write_text('#include "ig_platform.h"\nstatic volatile unsigned char big[200000];\n'
                   'int main(void) { big[199999] = 1; return big[5]; }\n')
    elf = tmp_path / "big.elf"
    toolchain.build_elf([src], get_target("cortex-m4"), elf)
    with pytest.raises(ProgramDoesNotFitBoard, match=r"does not fit the sram of board stm32f407: .* for 131,072: use a smaller program or model, or a board with more sram"):
        place(elf, get_target("cortex-m4"), get_board("stm32f407"))


def test_flash_overflow_names_each_piece_once(tmp_path):
    """The vector table is its own piece ("vectors"), not a second "rodata" beside the weights."""
    import toolchain
    src = tmp_path / "weights.c"
    src.write_text('#include "ig_platform.h"\nconst unsigned char w[1100000] = {1};\n'
                   'int main(void) { ig_write_hex(w, sizeof w); return 0; }\n')
    elf = tmp_path / "weights.elf"
    toolchain.build_elf([src], get_target("cortex-m4"), elf)
    with pytest.raises(ProgramDoesNotFitBoard) as e:
        place(elf, get_target("cortex-m4"), get_board("stm32f407"))
    msg = str(e.value)
    assert "\n" not in msg and msg.count("rodata") == 1, msg
    assert re.search(r"does not fit the flash of board stm32f407: [\d,]+ bytes \(vectors \d+ B, code [\d,]+ B, "
                     r"rodata 1,100,\d{3} B\) for 1,048,576: use a smaller program or model", msg), msg


def test_zero_wait_board_leaves_the_estimate_core_only(builds):
    from isa.timing import estimate
    elf = builds("uc_matmul.c", "cortex-m4")
    r = isa.run(elf, "cortex-m4", board="mps2-an386", inputs={".ig_input": struct.pack("<I", 2)})
    assert r.memory is None
    core = estimate(r, elf, "cortex-m4")
    e = estimate(r, elf, "cortex-m4", board="mps2-an386")
    assert e.cycles == core.cycles and e.memory_stall_cycles == 0
    assert e.heading == core.heading[:-1] + " on mps2-an386)"
    assert "core only" in " ".join(core.notes)


def test_stack_deeper_than_the_boards_sram_is_one_error_after_the_run(tmp_path):
    import toolchain
    src = tmp_path / "deep.c"
    src.write_text('#include "ig_platform.h"\n'
                   '__attribute__((noinline)) static int deep(volatile unsigned char *p, int n) {\n'
                   '  volatile unsigned char local[150000]; local[0] = 1; local[n] = p[0]; return local[n] + local[0]; }\n'
                   'int main(void) { unsigned char x = 3; return deep(&x, 149999) - 4; }\n')
    elf = tmp_path / "deep.elf"
    toolchain.build_elf([src], get_target("cortex-m4"), elf)
    assert isa.run(elf, "cortex-m4").exit_code == 0  # the emulators' MPS2 map has 4 MiB of stack
    with pytest.raises(ProgramDoesNotFitBoard, match=r"does not fit the sram of board stm32f407: .*stack 1[45]\d,\d{3} B"
                                                     r"\) for 131,072"):
        isa.run(elf, "cortex-m4", board="stm32f407")


def test_board_summary_and_json():
    b = get_board("rk3566")
    assert b.summary() == ("rk3566: 1800 MHz; L1I 32 KiB 4-way, L1D 32 KiB 4-way, L3 512 KiB 16-way; "
                           "dram 180 ns 5.6 GB/s; hosts cortex-a55")
    import json
    doc = json.loads(json.dumps(get_board("stm32f407").to_json()))
    assert doc["memories"][0]["icache"]["size"] == 1024 and doc["memories"][0]["extra_cycles"] == 5


# One layer of the digits MLP (W4A8, groups of 16) as Debian 13's arm-none-eabi-gcc 14.2 built it (debug info
# stripped): 10 int8 outputs printed by ig_write_hex, whose digit table lies in flash.
GCC14_LAYER = Path(__file__).resolve().parent / "data" / "mlp_layer_gcc14_cortex_m4.elf.gz"


def test_memory_aware_unicorn_run_reads_flash_constants_exactly(tmp_path):
    """On stm32f407 only flash is observed, through ranged Unicorn hooks. Unicorn 2.1.4 restores the IT-block state of
    a hooked access and runs on: a hooked load inside an IT block, the last hooked access of its block, left a stale
    IT state and this gcc-14 build printed 1 of 20 hex digits. ig_mem_hook resets the state after each hooked access
    (remove that and this fails). Output and counts must equal those of the run that only counts and of QEMU's
    memory-aware run."""
    elf = tmp_path / "layer.elf"
    elf.write_bytes(gzip.decompress(GCC14_LAYER.read_bytes()))
    plain = isa.run(elf, "cortex-m4", "unicorn")
    aware = isa.run(elf, "cortex-m4", "unicorn", board="stm32f407")
    assert plain.stdout == b"e6e1d4f8f41e06f0dfe9\n"
    assert aware.stdout == plain.stdout and aware.instructions == plain.instructions
    assert aware.memory.memory("flash").reads > 0 and aware.memory.memory("sram").reads == 0
    q = isa.run(elf, "cortex-m4", "qemu", board="stm32f407")
    assert q.stdout == plain.stdout and q.memory.memory("flash").reads == aware.memory.memory("flash").reads
