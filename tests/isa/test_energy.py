"""The energy model (isa/energy.py): its arithmetic on hand-computed instruction mixes and access counts, the label
every figure carries, the "not modelled" answer of a board without parameters, and one step of two runs."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from isa.boards import BOARDS, Board, CacheLevel, KiB, Memory, MiB
from isa.energy import estimate_energy, split_text, step_energy, vector_shape
from isa.energy_params import EnergyParams, scaled
from isa.insn import Insn
from isa.memsim import CacheStats, MemoryStats, MemoryTraffic

# At 45 nm and 0.9 V the scaling rule is the identity: every expected figure below is Horowitz's own number.
P45 = EnergyParams(45, 0.9, None, insn_overhead_pj=70.0, static_mw=100.0, dram_pj_per_bit=20.0)
BOARD = Board("test-board", "a board for hand arithmetic", ("cortex-a55",), 1000.0,
              (CacheLevel("L1D", 32 * KiB, 4, 64, 2), CacheLevel("L2", 512 * KiB, 8, 64, 20)),
              (Memory("dram", "dram", 64 * MiB, True, ("code", "rodata", "data"), latency_ns=100.0, read_gb_s=5.0),),
              energy=P45)


def _insn(mn, ops, cls, kind, load=0, store=0):
    return Insn(0x1000, 4, mn, ops, cls, kind, load_bytes=load, store_bytes=store, transfers=1 if load or store else 0)


BLOCK = [
    _insn("add", "x0, x0, x1", "int_alu", "alu"),  # 70 + 0.1
    _insn("mul", "x2, x2, x3", "mul_mac", "mul"),  # 70 + 3.1
    _insn("madd", "x2, x2, x3, x4", "mul_mac", "mac"),  # 70 + 3.1 + 0.1
    _insn("ldr", "w5, [x6]", "load", "load", load=4),  # 70; one 64-bit access of a 32 KiB SRAM: 20
    _insn("ldr", "q0, [x6]", "load", "load", load=16),  # 70; two accesses: 40
    # 16 int8 lanes: 16 x (3.1 x (8/32)^2 + 0.1 x 8/32) = 3.5, and a 128-bit register file: 6 x (128/64 - 1) = 6
    _insn("sdot", "v0.4s, v1.16b, v2.16b", "simd_int", "simd_mac"),
    _insn("b", "#0x1000", "branch", "branch"),  # 70 + 0.1
]
COUNT = 10


def _analysis(arch="aarch64"):
    node = SimpleNamespace(count=COUNT, block=SimpleNamespace(insns=BLOCK))
    return SimpleNamespace(target=SimpleNamespace(arch=arch), img=SimpleNamespace(
        function_at=lambda a: SimpleNamespace(name="kernel")), edges=SimpleNamespace(nodes=[node]))


def _cycles(cycles=1000):
    return SimpleNamespace(cycles=cycles, clock_mhz=1000.0, per_function={"kernel": cycles},
                           per_function_memory_bytes={"kernel": 384.0}, per_function_memory_stalls={})


def _memory():
    caches = [CacheStats("L1D", 30, 20, 10, 0, 0, writebacks=1, bytes_in=640, stall_cycles=0),
              CacheStats("L2", 10, 5, 5, 0, 0, writebacks=0, bytes_in=320, stall_cycles=0)]
    return MemoryStats("test-board", 1000.0, caches, [MemoryTraffic("dram", "dram", 5, 1, 320, 64, 0)], 0)


def test_energy_of_a_hand_computed_mix_and_traffic():
    e = estimate_energy(_cycles(), _analysis(), BOARD, _memory())
    assert e.compute_pj["int_alu"] == pytest.approx(COUNT * 70.1)
    assert e.compute_pj["mul_mac"] == pytest.approx(COUNT * (73.1 + 73.2))
    assert e.compute_pj["load"] == pytest.approx(COUNT * 2 * 70)
    assert e.compute_pj["simd_int"] == pytest.approx(COUNT * (70 + 3.5 + 6))
    assert e.compute_pj["branch"] == pytest.approx(COUNT * 70.1)
    assert e.memory_pj["L1D"] == pytest.approx(COUNT * (20 + 40))
    # L2: what L1D filled from it (640 B), L1D's write-back into it (1 line of 64 B), its own fills (320 B), as
    # 64-bit accesses of a 512 KiB array (10 x sqrt(512 / 8) = 80 pJ)
    assert e.memory_pj["L2"] == pytest.approx((640 + 64 + 320) / 8 * 80)
    assert e.memory_pj["dram"] == pytest.approx((320 + 64) * 8 * 20)  # bytes x 8 bits x 20 pJ/bit
    assert e.static_pj == pytest.approx(100e-3 * 1e-6 * 1e12)  # 100 mW for 1000 cycles at 1 GHz
    assert e.total_pj == pytest.approx(e.compute_total_pj + e.memory_total_pj + e.static_pj)
    assert sum(e.per_function_pj.values()) == pytest.approx(e.total_pj)  # one function: all of it
    doc = e.to_json()
    assert doc["total_uj"] == pytest.approx(e.total_pj * 1e-6)
    assert doc["label"] == "est. energy (intgap energy model v2 on test-board)"


def test_scaling_rule_and_board_parameters():
    assert scaled(10.0, 90, 1.2, 3.3) == pytest.approx(10.0 * 2 * 1.2 * 3.3 / 0.81)
    f4 = BOARDS["stm32f407"].energy
    # (40 - 12) mA x 3.3 V / 168 MHz = 550 pJ per cycle; two thirds core over the M4 CoreMark IPC, less 0.3 SRAM
    # accesses of 128 KiB at 90 nm
    sram = scaled(10.0 * 4, 90, 1.2, 3.3)
    assert f4.insn_overhead_pj == pytest.approx(550.0 * 2 / 3 / (3.40 * 293_435 / 1e6) - 0.3 * sram)
    assert f4.flash_pj_per_byte == pytest.approx(550.0 / 3 * 6 / 16)
    assert BOARDS["rk3566"].energy.insn_overhead_pj == pytest.approx(70 * 22 / 45 * 1.0 / 0.81)
    for b in BOARDS.values():
        if b.energy is not None:
            assert b.energy.sources and all(b.energy.sources.values()), b.name


def test_without_memory_simulation_the_lower_levels_are_left_out_and_said():
    e = estimate_energy(_cycles(), _analysis(), BOARD, None)
    assert set(e.memory_pj) == {"L1D"} and "not in the figure" in e.notes[0]


def test_a_board_without_energy_parameters_is_not_modelled():
    e = estimate_energy(_cycles(), _analysis(), BOARDS["mps2-an386"], None)
    doc = e.to_json()
    assert not e.modelled and doc["total_uj"] is None and e.total_pj == 0
    assert doc["label"] == "est. energy (intgap energy model v2 on mps2-an386: not modelled)"
    text = split_text(doc)
    assert text.startswith("est. energy: not modelled") and "mps2-an386" in text and "stm32f407" in text


def test_one_step_of_two_runs():
    short = estimate_energy(_cycles(1000), _analysis(), BOARD, _memory())
    long = short.scaled(3.0)  # a run three times as long in every count
    step = step_energy(short, long, 2, step_cycles=1000)
    assert step.compute_total_pj == pytest.approx(short.compute_total_pj)
    assert step.memory_total_pj == pytest.approx(short.memory_total_pj)
    assert step.static_pj == pytest.approx(1e5)  # the step's own cycles, not a difference of statics
    assert step.model == short.model == "intgap energy model v2 on test-board"


def test_vector_shapes():
    assert vector_shape(_insn("smlal", "v0.8h, v1.8b, v2.8b", "simd_int", "simd_mac"), "aarch64") == (128, 8)
    assert vector_shape(_insn("vmla.s8", "q0, q1, q2", "simd_int", "vec_mac"), "arm") == (128, 8)
    assert vector_shape(_insn("smlad", "r0, r1, r2, r3", "simd_int", "mac"), "arm") == (32, 16)
    from isa.insn import VecInfo
    rvv = Insn(0, 4, "vi.op", "", "simd_int", "vec_alu", vec=VecInfo(8, 1, "alu", 32))
    assert vector_shape(rvv, "riscv64") == (256, 8)


def test_intgap_run_prints_and_writes_the_labelled_energy(tmp_path, capsys):
    import json

    from intgap.cli import main
    from tests.isa.elf_builds import Builds
    elf = Builds(tmp_path / "elves")("tg_layers.c", "cortex-m4")
    out = tmp_path / "run.json"
    assert main(["run", str(elf), "--target", "cortex-m4", "--board", "stm32f407", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    e = json.loads(out.read_text())["energy"]
    assert e["label"] == "est. energy (intgap energy model v2 on stm32f407)" and e["modelled"]
    assert e["total_uj"] == pytest.approx(e["compute_uj"] + e["memory_uj"] + e["static_uj"], abs=1e-5)
    assert set(e["memory_by_level_uj"]) == {"sram", "flash"} and e["memory_by_level_uj"]["flash"] > 0
    assert f"{e['label']}: {e['total_uj']:,.3f} uJ = compute" in text
    assert main(["run", str(elf), "--target", "cortex-m4", "--board", "mps2-an386", "--json", str(out)]) == 0
    assert "est. energy: not modelled (board mps2-an386 has no energy parameters" in capsys.readouterr().out
    assert json.loads(out.read_text())["energy"]["total_uj"] is None


def test_stall_cycles_are_charged_the_clocked_core_energy():
    from dataclasses import replace
    board = replace(BOARD, energy=replace(P45, stall_pj_per_cycle=50.0))
    cyc = _cycles(1000)
    cyc.memory_stall_cycles, cyc.per_function_memory_stalls = 200, {"kernel": 200}
    e = estimate_energy(cyc, _analysis(), board, _memory())
    assert e.compute_pj["stall"] == pytest.approx(200 * 50.0)
    assert e.to_json()["compute_by_class_uj"]["stall"] == pytest.approx(0.01)
    assert sum(e.per_function_pj.values()) == pytest.approx(e.total_pj)
    assert "stall" not in estimate_energy(cyc, _analysis(), BOARD, _memory()).compute_pj  # 0 pJ: no entry


def test_every_boards_parameters_are_complete_and_sourced():
    from dataclasses import fields, replace
    modelled = [b for b in BOARDS.values() if b.energy is not None]
    assert {"stm32f407", "stm32h743", "rk3566", "jh7110", "spacemit-k1", "pi-zero-2"} <= {b.name for b in modelled}
    for b in modelled:
        assert b.energy.missing_sources() == [], b.name
        need = {f.name for f in fields(b.energy)} - {"sources", "supply_v", "dram_pj_per_bit", "flash_pj_per_byte"}
        assert need <= set(b.energy.sources), b.name
    f4 = BOARDS["stm32f407"].energy
    src = dict(f4.sources)
    del src["stall_pj_per_cycle"]
    assert replace(f4, sources=src).missing_sources() == ["stall_pj_per_cycle"]
    rk = BOARDS["rk3566"].energy
    unscaled = {**rk.sources, "insn_overhead_pj": "Horowitz: ~70 pJ per instruction"}
    assert replace(rk, sources=unscaled).missing_sources() == ["insn_overhead_pj (scaling not stated)"]


def _mcu_loop(board, insns: int, ipc: float, stalls_per_insn: float, flash_lines_per_cycle: float):
    """A hand-built loop on an MCU board: 7 ALU instructions and 3 word loads per 10 (the calibration's 0.3 data
    accesses per instruction), `ipc` instructions per core cycle, `stalls_per_insn` wait-state cycles each, flash
    line reads at `flash_lines_per_cycle` of 16 B. Returns (estimate, power mW)."""
    block = [_insn("adds", "r0, r0, r1", "int_alu", "alu")] * 7 + [_insn("ldr", "r2, [r3]", "load", "load", load=4)] * 3
    n = insns // 10
    an = SimpleNamespace(target=SimpleNamespace(arch="arm"), img=SimpleNamespace(
        function_at=lambda a: SimpleNamespace(name="loop")), edges=SimpleNamespace(
        nodes=[SimpleNamespace(count=n, block=SimpleNamespace(insns=block))]))
    core = insns / ipc
    stall = insns * stalls_per_insn
    cyc = SimpleNamespace(cycles=core + stall, clock_mhz=board.clock_mhz, per_function={"loop": core + stall},
                          per_function_memory_bytes={}, per_function_memory_stalls={"loop": stall},
                          memory_stall_cycles=stall)
    flash = int((core + stall) * flash_lines_per_cycle * 16)
    mem = MemoryStats(board.name, board.clock_mhz, [], [MemoryTraffic("flash", "flash", 0, 0, flash, 0, 0),
                                                        MemoryTraffic("sram", "sram", 0, 0, 0, 0, 0)], 0)
    e = estimate_energy(cyc, an, board, mem)
    return e, e.total_pj * 1e-12 / e.seconds * 1e3


def test_stm32f407_power_against_its_datasheet_run_and_sleep_currents():
    """docs/energy.md "Checks against the datasheet": the datasheet's own workload (stall-free at the M4's CoreMark
    IPC, a 16-byte flash line per 6 cycles) draws the datasheet's Run power, 40 mA x 3.3 V; a loop that waits 5 flash
    wait states per instruction (the ART off) stays between Sleep and Run power, above the 50 mW it had when stalls
    were charged static power only (model v1)."""
    b = BOARDS["stm32f407"]
    run_mw, sleep_mw = 40.0 * 3.3, 12.0 * 3.3
    _, busy = _mcu_loop(b, 1_000_000, ipc=3.40 * 293_435 / 1e6, stalls_per_insn=0, flash_lines_per_cycle=1 / 6)
    assert busy == pytest.approx(run_mw, rel=0.01)
    e, waiting = _mcu_loop(b, 1_000_000, ipc=1.0, stalls_per_insn=5, flash_lines_per_cycle=1 / 24)
    assert e.compute_pj["stall"] == pytest.approx(5e6 * b.energy.stall_pj_per_cycle)
    # stall energy: half of the core's part of a cycle, (40 - 12) mA x 3.3 V / 168 MHz x 2 / 3 / 2 = 183 pJ
    assert b.energy.stall_pj_per_cycle == pytest.approx(550.0 * 2 / 3 / 2)
    assert sleep_mw + 0.3 * (run_mw - sleep_mw) < waiting < run_mw
