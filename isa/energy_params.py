"""A board's energy parameters (``Board.energy``, isa/boards.py) and the published anchors they are derived from.

The model that uses them is :mod:`isa.energy` (docs/energy.md). This module holds only numbers and the rules that
carry them from their source to a board, so that isa/boards.py can state each board's parameters beside its
memory system without importing the model.

Anchors (45 nm, 0.9 V) from M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014
(keynote, slide "Rough energy costs for various operations" and the instruction-energy breakdown):
  integer add 8 / 32 bit 0.03 / 0.1 pJ; multiply 8 / 32 bit 0.2 / 3.1 pJ; float add 16 / 32 bit 0.4 / 0.9 pJ;
  float multiply 16 / 32 bit 1.1 / 3.7 pJ; a 64-bit read of an 8 KiB / 32 KiB / 1 MiB SRAM 10 / 20 / 100 pJ;
  DRAM 1.3-2.6 nJ per 64-bit access; one instruction of a simple core ~70 pJ in all (fetch from the
  instruction cache ~25 pJ, register file ~6 pJ, control the rest; the add itself 0.1 pJ).

Scaling rule (stated once, used everywhere): dynamic energy is C V^2 and the switched capacitance C scales with the
feature size, so an energy E45 at 45 nm / 0.9 V becomes E45 x (node / 45) x Vcore x Vsupply / 0.9^2 at a board's
node. Vsupply is the rail the charge is drawn from: the core's own rail on an SoC (a switching regulator, Vsupply =
Vcore), the 3.3 V pin on an MCU whose core runs behind an internal linear regulator (the current is the same, the
energy per coulomb is VDD's). This is the first-order rule of constant-field scaling; it overstates the energy of
FinFET nodes (12 nm) somewhat, since their capacitance per gate fell less than linearly; docs/energy.md says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

HOROWITZ = ("Horowitz, \"Computing's energy problem\", ISSCC 2014 Digest of Technical Papers pp. 10-14 (the "
            "figure of operation and memory-access energies), 45 nm / 0.9 V")

# pJ at 45 nm / 0.9 V (HOROWITZ)
INSN_OVERHEAD_45 = 70.0  # fetch, decode, register file, control of one instruction of a simple in-order core
RF_64BIT_45 = 6.0  # the register-file share of it, for a 64-bit wide access (wider SIMD registers add to it)
ADD32_45, MUL32_45 = 0.1, 3.1
FADD32_45, FMUL32_45, FADD16_45, FMUL16_45 = 0.9, 3.7, 0.4, 1.1
SRAM64_8K_45 = 10.0  # one 64-bit read of an 8 KiB SRAM
DRAM64_LOW_45 = 1300.0  # one 64-bit DRAM access, the low end of Horowitz's 1.3-2.6 nJ


# the anchors every board's operation and SRAM energies come from (sources of each board name them)
ANCHOR_KEYS = ("op_pj", "sram_pj")
ANCHOR_SOURCES = {
    "op_pj": f"{HOROWITZ}: integer / float add and multiply energies, scaled to the board's node and voltages by "
             "isa/energy_params.py scaled (width rules: add_45, mul_45, fadd_45, fmul_45)",
    "sram_pj": f"{HOROWITZ}: 64-bit SRAM reads 10 / 20 / 100 pJ at 8 KiB / 32 KiB / 1 MiB, 10 x sqrt(size / 8 KiB) "
               "(sram64_45), scaled to the board's node and voltages by isa/energy_params.py scaled"}


def scaled(e45_pj: float, node_nm: float, core_v: float, supply_v: float | None = None) -> float:
    """An energy at 45 nm / 0.9 V carried to a node and voltages by the module's scaling rule."""
    return e45_pj * (node_nm / 45.0) * core_v * (supply_v or core_v) / 0.81


def sram64_45(size_bytes: int) -> float:
    """pJ of one 64-bit read of an SRAM of `size_bytes` at 45 nm: Horowitz gives 10 / 20 / 100 pJ at 8 KiB / 32 KiB /
    1 MiB; 10 x sqrt(size / 8 KiB) passes through the first two and gives 113 pJ at 1 MiB (13 % above his figure;
    a wire-dominated array's energy grows with its side, i.e. with the square root of its size)."""
    return SRAM64_8K_45 * math.sqrt(max(size_bytes, 1024) / 8192.0)


def add_45(bits: int) -> float:
    """An integer add of `bits` width: linear in the width (8-bit 0.025 against Horowitz's 0.03 pJ)."""
    return ADD32_45 * bits / 32.0


def mul_45(bits: int) -> float:
    """An integer multiply of `bits` x `bits`: quadratic in the width, an array multiplier (8-bit 0.19 against
    Horowitz's 0.2 pJ)."""
    return MUL32_45 * (bits / 32.0) ** 2


def fadd_45(bits: int) -> float:
    return FADD16_45 if bits <= 16 else FADD32_45 * (bits / 32.0)


def fmul_45(bits: int) -> float:
    return FMUL16_45 if bits <= 16 else FMUL32_45 * (bits / 32.0) ** 2


# assumed: a core stalled on a flash wait state still clocks its pipeline registers, clock tree and bus / flash
# interface; half of an executing cycle's core energy (no published split for these cores)
STALL_SHARE = 0.5


def mcu_stall_pj(run_ma: float, sleep_ma: float, mhz: float, supply_v: float, flash_share: float) -> float:
    """pJ of a stall cycle above static power on an MCU: STALL_SHARE of the core's part of a cycle's dynamic
    energy ((Run - Sleep) x VDD / f less the flash share). The datasheet's workload runs at ~0 wait states (the ART
    / caches: ST quotes "0-wait state execution from Flash"), so the calibration of the instruction overhead does not
    include stalls and stands as it is."""
    per_cycle = (run_ma - sleep_ma) * 1e-3 * supply_v / (mhz * 1e6) * 1e12
    return per_cycle * (1.0 - flash_share) * STALL_SHARE


def mcu_overhead_and_flash(run_ma: float, sleep_ma: float, mhz: float, supply_v: float, flash_share: float,
                           lines_per_cycle: float, line_bytes: int, data_access_pj: float, insns_per_cycle: float,
                           loads_stores_per_insn: float = 0.3) -> tuple[float, float]:
    """(instruction overhead pJ, flash pJ per byte read) of an MCU from its datasheet Run and Sleep currents.

    (Run - Sleep) x VDD / f is the dynamic energy of one cycle of the datasheet's workload, which runs
    `insns_per_cycle` instructions per cycle. `flash_share` of it is flash reads at `lines_per_cycle` lines of
    `line_bytes`; the rest is the core's, shared by the cycle's instructions, less the workload's data accesses
    (`loads_stores_per_insn` x `data_access_pj` per instruction), which the model charges per access."""
    per_cycle = (run_ma - sleep_ma) * 1e-3 * supply_v / (mhz * 1e6) * 1e12
    flash_per_byte = per_cycle * flash_share / lines_per_cycle / line_bytes
    overhead = per_cycle * (1.0 - flash_share) / insns_per_cycle - loads_stores_per_insn * data_access_pj
    return overhead, flash_per_byte


@dataclass(frozen=True)
class EnergyParams:
    """What the energy model needs of a board besides its caches and memories (whose sizes set their per-access
    energies). Every figure names its source in ``sources``; "assumed" where nothing sets it."""
    node_nm: float  # the SoC's / MCU's process node
    core_v: float  # the core's supply at the board's clock
    supply_v: float | None  # the rail the charge is drawn from (MCU: VDD before the internal regulator); None: core_v
    insn_overhead_pj: float  # per instruction at the board: fetch, decode, register file, control
    static_mw: float  # power drawn whatever the instructions do (leakage, clock tree, regulators, DRAM standby)
    dram_pj_per_bit: float | None = None  # per bit read or written (device + interface)
    flash_pj_per_byte: float | None = None  # per byte read from on-chip flash (line reads past its caches)
    stall_pj_per_cycle: float = 0.0  # per memory-stall cycle above static power (the core still clocked, waiting)
    sources: dict = field(default_factory=dict, compare=False, hash=False)

    def missing_sources(self) -> list[str]:
        """The parameters (fields with a value, and the per-operation / per-access anchors every board uses) whose
        source is not named in ``sources``; and those derived from a 45 nm anchor on another node whose source does
        not state the scaling."""
        need = [f.name for f in fields(self) if f.name != "sources" and getattr(self, f.name) is not None]
        out = [k for k in [*need, *ANCHOR_KEYS] if not self.sources.get(k)]
        if self.node_nm != 45:
            out += [f"{k} (scaling not stated)" for k, v in self.sources.items()
                    if "Horowitz" in v and "scaled" not in v]
        return out

    def op(self, e45_pj: float) -> float:
        """A 45 nm anchor at this board (module docstring's scaling rule)."""
        return scaled(e45_pj, self.node_nm, self.core_v, self.supply_v)
