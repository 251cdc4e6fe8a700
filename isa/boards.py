"""The board registry: the clock and memory system a target runs on (docs/memory-models.md).

A target (isa/targets.py) fixes the ISA and the core's pipeline model; a board fixes the clock, the caches, the
prefetcher and the memories behind them. Every parameter names its source in ``sources`` (a datasheet, reference
manual, TRM or a public measurement from /work/shared/BOARD-FACTS.md, cited by its sbc-bench result id), or says
"assumed" where nothing sets it. Latencies are load-to-use cycles at the board's clock (DRAM in ns).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from isa.energy_params import (ANCHOR_SOURCES, DRAM64_LOW_45, HOROWITZ, INSN_OVERHEAD_45, STALL_SHARE, EnergyParams,
                               mcu_overhead_and_flash, mcu_stall_pj, scaled, sram64_45)
from isa.errors import BoardMismatch, UnknownBoard
from isa.targets import Target, default_board_name

KiB = 1024
MiB = 1024 * KiB

WRITE_BACK = "write-back write-allocate"
WRITE_THROUGH = "write-through no-allocate"


@dataclass(frozen=True)
class Prefetcher:
    # "next-line": on every demand miss, and on the first demand hit of a prefetched line, fetch the next `degree`
    # lines; "stream": the same, but a miss triggers it only when the previous line is cached (a sequential stream)
    kind: str
    degree: int
    source: str


@dataclass(frozen=True)
class CacheLevel:
    name: str  # "L1I", "L1D", "L2", "L3" (L2 and L3 are unified and shared by instruction and data sides)
    size: int  # bytes
    ways: int  # 1 = direct-mapped
    line: int  # bytes
    hit_latency: int  # load-to-use cycles when this level serves a load
    write_policy: str = WRITE_BACK
    replacement: str = "LRU"  # true LRU
    prefetcher: Prefetcher | None = None
    sources: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def sets(self) -> int:
        return self.size // (self.ways * self.line)


@dataclass(frozen=True)
class Memory:
    """A backing memory. DRAM and cached memories sit behind the caches; MCU flash / SRAM / TCM may be uncached."""
    name: str  # "dram", "flash", "sram", "dtcm", ...
    kind: str  # "dram", "flash", "sram", "tcm"
    size: int  # bytes (capacity for the placement check)
    cached: bool  # served through L1/L2 (lines) or directly (per access)
    holds: tuple[str, ...]  # what placement puts here by default, in order of preference: "code", "rodata", "data"
    latency_ns: float | None = None  # DRAM: load-to-use latency of a demand miss (converted at the board clock)
    extra_cycles: int = 0  # non-DRAM: stall cycles of a demand access (uncached) or a line fill (cached)
    read_gb_s: float | None = None  # sustained single-core bandwidths (1 GB = 1e9 B), None: not a limit
    write_gb_s: float | None = None
    bytes_per_cycle: float | None = None  # non-DRAM bandwidth (e.g. flash: line bytes / (wait states + 1))
    # memory-side line caches for uncached flash (STM32 ART accelerator): instruction and data side
    icache: CacheLevel | None = None
    dcache: CacheLevel | None = None
    sources: dict = field(default_factory=dict, compare=False, hash=False)
    base: int | None = None  # address in the board's memory map (firmware linker scripts); None: not mapped


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    hosts: tuple[str, ...]  # target names whose core this board has
    clock_mhz: float | None  # None: the target's nominal clock (the zero-wait emulator boards)
    caches: tuple[CacheLevel, ...]
    memories: tuple[Memory, ...]
    zero_wait: bool = False  # no memory system modelled: estimates stay core-only
    notes: str = ""
    energy: EnergyParams | None = None  # isa/energy.py's parameters; None: energy not modelled on this board
    sources: dict = field(default_factory=dict, compare=False, hash=False)
    # Memory map of firmware builds (codegen/firmware_layout.py): mapped memories the default placement leaves
    # empty (CCM, ITCM), and the memory each --weights-in / --arena-in choice names ("flash", "sram", "tcm", "ccm")
    spare: tuple[Memory, ...] = ()
    section_homes: dict = field(default_factory=dict, compare=False, hash=False)

    def with_spare(self) -> "Board":
        """The board with its spare memories simulated too: what a firmware build that uses them runs on."""
        from dataclasses import replace
        return replace(self, memories=self.memories + self.spare, spare=())

    def cache(self, name: str) -> CacheLevel | None:
        return next((c for c in self.caches if c.name == name), None)

    def memory(self, name: str) -> Memory:
        return next(m for m in self.memories if m.name == name)

    def clock_for(self, target: Target) -> float:
        return float(self.clock_mhz or target.extra["clock_mhz"])

    def dram_latency_cycles(self, m: Memory, target: Target) -> int:
        return int(round(m.latency_ns * self.clock_for(target) / 1000.0))

    def summary(self) -> str:
        """One line for listings (`intgap boards`): clock, caches, memories, the targets it hosts."""
        clock = f"{self.clock_mhz:g} MHz" if self.clock_mhz else "the target's clock"
        caches = ", ".join(f"{c.name} {_size(c.size)} {c.ways}-way" for c in self.caches) or "no caches"
        mems = []
        for m in self.memories:
            if m.latency_ns is not None:
                mems.append(f"{m.name} {m.latency_ns:g} ns {m.read_gb_s:g} GB/s")
            else:
                mems.append(f"{m.name} {_size(m.size)}" + (f" +{m.extra_cycles} cycles" if m.extra_cycles else ""))
        return f"{self.name}: {clock}; {caches}; {', '.join(mems)}; hosts {', '.join(self.hosts)}"

    def to_json(self) -> dict:
        from dataclasses import asdict
        return asdict(self)


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n // KiB} KiB" if n % KiB == 0 else f"{n} B"


BOARDS: dict[str, Board] = {}


def _register(b: Board) -> None:
    BOARDS[b.name] = b


def _gb_s(bytes_per_s_in_mb: float) -> float:
    return bytes_per_s_in_mb / 1000.0


# --- Energy parameters (isa/energy_params.py's anchors and scaling rule; the model: isa/energy.py) ---------------

# Horowitz's low end, 1.3 nJ per 64-bit access = 20.3 pJ/bit, for the boards' LPDDR2 / LPDDR4: a DDR3-era system
# figure (device, interface and controller); not node-scaled (the DRAM's own process, not the SoC's, sets it)
_DRAM_PJ_PER_BIT = DRAM64_LOW_45 / 64
_DRAM_SOURCE = (f"{HOROWITZ}: DRAM 1.3-2.6 nJ per 64-bit access, the low end taken (assumed for LPDDR: no per-board "
                "LPDDR2 / LPDDR4 figure checked; later LPDDR4 figures are lower, so this errs high); not scaled to the SoC's "
                "node: the DRAM's own process and interface set it")
_SOC_STALL = ("0: a stalled application core's clocks are in static_mw (the active cluster's clocks, assumed); its "
              "pipeline's own stall energy is not modelled (docs/energy.md)")
_SOC_STATIC = ("assumed: leakage and clocks of the SoC's active cluster, its interconnect and the DRAM's standby "
               "while one core runs; no per-board measurement (the weakest parameter: docs/energy.md)")


def _soc_energy(node_nm: float, core_v: float, static_mw: float, node_source: str, volt_source: str) -> EnergyParams:
    """An application SoC: the per-instruction overhead is Horowitz's ~70 pJ carried to the node and the core's
    voltage (a switching regulator: the core's rail is the supply)."""
    return EnergyParams(node_nm, core_v, None, scaled(INSN_OVERHEAD_45, node_nm, core_v), static_mw,
                        dram_pj_per_bit=_DRAM_PJ_PER_BIT,
                        sources={"node_nm": node_source, "core_v": volt_source,
                                 "insn_overhead_pj": f"{HOROWITZ}: ~70 pJ per instruction (fetch, decode, register "
                                                     f"file, control), scaled from 45 nm / 0.9 V to {node_nm:g} nm / "
                                                     f"{core_v:g} V (isa/energy_params.py scaled)",
                                 "static_mw": _SOC_STATIC, "dram_pj_per_bit": _DRAM_SOURCE,
                                 "stall_pj_per_cycle": _SOC_STALL, **ANCHOR_SOURCES})


# --- Application boards (Linux, everything in DRAM behind the caches) ---------------------------------------------

_ASSUMED_STREAM = ("assumed: the cores' data prefetchers detect sequential streams (TRMs); modelled as a stream "
                   "prefetcher of degree 4 whose lines arrive in time")

_register(Board(
    name="rk3566",
    description="Rockchip RK3566 (Radxa Zero 3, Quartz64, Orange Pi 3B): Cortex-A55 @ 1.8 GHz, LPDDR4",
    hosts=("cortex-a55",), clock_mhz=1800.0,
    caches=(
        CacheLevel("L1I", 32 * KiB, 4, 64, 1, sources={"size": "RK3566/RK3568 datasheet 1.2.1: 32 KB L1 I per core",
                                                          "ways, line": "Cortex-A55 TRM (4-way, 64-byte lines)"}),
        CacheLevel("L1D", 32 * KiB, 4, 64, 2, prefetcher=Prefetcher("stream", 4, _ASSUMED_STREAM),
                   sources={"size": "RK3566/RK3568 datasheet 1.2.1: 32 KB L1 D per core",
                            "ways, line": "Cortex-A55 TRM (4-way, 64-byte lines)",
                            "hit_latency": "BOARD-FACTS ramlat: A55 L1 hit 2 cycles (sbc-bench 4L4k, 4KU0)"}),
        # The RK3566's A55s have no private L2; the DSU's 512 KiB L3 is the next level.
        CacheLevel("L3", 512 * KiB, 16, 64, 33,
                   sources={"size": "RK3566/RK3568 datasheet 1.2.1: 512 KB unified system L3",
                            "ways": "assumed (DSU L3 16-way)",
                            "hit_latency": "BOARD-FACTS ramlat: 33 cycles at a 256 KiB set, A55 @ 1.85 GHz (4KU0)"}),
    ),
    memories=(Memory("dram", "dram", 8 * 1024 * MiB, cached=True, holds=("code", "rodata", "data"),
                     latency_ns=180.0, read_gb_s=_gb_s(5600), write_gb_s=_gb_s(5600),
                     sources={"latency_ns": "BOARD-FACTS: 64 MiB random read 170 / 191 / 180 / 204 ns "
                                            "(sbc-bench 4qJF, 4KU0, 4KDv, 4L4k); 180 ns taken; includes TLB misses,"
                                            " which are not modelled separately",
                              "read_gb_s": "BOARD-FACTS tinymembench NEON read 4961-6292 MB/s (4L4k, 4qJF, 4KU0, "
                                           "4KDv): 5600 taken",
                              "write_gb_s": "assumed equal to the read bandwidth"}),),
    energy=_soc_energy(22, 1.0, 100.0, "RK3566 datasheet: 22 nm", "assumed: ~1.0 V at 1.8 GHz (the A55 OPP range of "
                       "Linux rk356x device trees, 0.9-1.15 V; not re-checked)"),
    sources={"clock_mhz": "RK3566 datasheet: A55 up to 1.8 GHz"},
))

_register(Board(
    name="pi-zero-2",
    description="Raspberry Pi Zero 2 W (RP3A0 = BCM2710A1): Cortex-A53 @ 1.0 GHz, LPDDR2",
    hosts=("cortex-a53",), clock_mhz=1000.0,
    caches=(
        CacheLevel("L1I", 16 * KiB, 2, 64, 1, sources={"all": "assumed (BCM2837 A53 L1 I; not in BOARD-FACTS)"}),
        CacheLevel("L1D", 32 * KiB, 4, 64, 3, prefetcher=Prefetcher("stream", 4, _ASSUMED_STREAM),
                   sources={"size": "BOARD-FACTS: A53 L1D 32 KiB / core (Pi 3, same SoC family)",
                            "ways, line": "Cortex-A53 TRM (4-way, 64-byte lines)",
                            "hit_latency": "BOARD-FACTS ramlat: A53 L1 hit 3 cycles"}),
        CacheLevel("L2", 512 * KiB, 16, 64, 34,
                   sources={"size": "BOARD-FACTS: L2 512 KiB shared (Pi 3)", "ways": "Cortex-A53 TRM (16-way)",
                            "hit_latency": "BOARD-FACTS ramlat: ~34 cycles at a 256 KiB set (Pi 3)"}),
    ),
    memories=(Memory("dram", "dram", 512 * MiB, cached=True, holds=("code", "rodata", "data"),
                     latency_ns=175.0, read_gb_s=_gb_s(2114), write_gb_s=_gb_s(2114),
                     sources={"latency_ns": "BOARD-FACTS: 64 MiB random read 175 ns (sbc-bench 3E85)",
                              "read_gb_s": "BOARD-FACTS: tinymembench NEON read 2114 MB/s (3E85, at 905 MHz)",
                              "write_gb_s": "assumed equal to the read bandwidth"}),),
    energy=_soc_energy(40, 1.2, 100.0, "BCM2837 / RP3A0: 40 nm (assumed from the BCM2837's published node)",
                       "assumed: 1.2 V (the Pi firmware's default core voltage at 1 GHz; not re-checked)"),
    sources={"clock_mhz": "Raspberry Pi Zero 2 W product brief: 1 GHz (sbc-bench measured 905 MHz under a 32-bit OS)"},
))

_register(Board(
    name="jh7110",
    description="StarFive JH7110 (VisionFive 2, Star64, Milk-V Mars): SiFive U74 @ 1.5 GHz, LPDDR4",
    hosts=("rv64gc",), clock_mhz=1500.0,
    caches=(
        CacheLevel("L1I", 32 * KiB, 4, 64, 1, sources={"all": "gem5 riscvmatched cache hierarchy (FU740 datasheet "
                                                              "Table 7): 32 KiB 4-way"}),
        CacheLevel("L1D", 32 * KiB, 8, 64, 3, prefetcher=Prefetcher("stream", 4, _ASSUMED_STREAM),
                   sources={"size, ways, line": "JH71x0 device tree: d-cache 32 KiB, 64 sets of 64 B (8-way)",
                            "hit_latency": "BOARD-FACTS ramlat: U74 L1 hit 3 cycles"}),
        CacheLevel("L2", 2 * MiB, 16, 64, 20,
                   sources={"size, ways": "Linux sifive,ccache0 binding: jh7110 ccache 2 MiB, 2048 sets (16-way)",
                            "hit_latency": "BOARD-FACTS ramlat: 20 cycles at a 256 KiB set"}),
    ),
    memories=(Memory("dram", "dram", 8 * 1024 * MiB, cached=True, holds=("code", "rodata", "data"),
                     latency_ns=170.0, read_gb_s=_gb_s(1720), write_gb_s=_gb_s(1720),
                     sources={"latency_ns": "BOARD-FACTS: 64 MiB random read 169 / 173 / 167 ns (4xOY, 4tjq, 4K7E)",
                              "read_gb_s": "calibrated: no read figure is published; a write-allocate copy reads "
                                           "both buffers, so read = 2 x the C copy rate 803-934 MB/s (4xOY, 4tjq, "
                                           "4K7E): 2 x 860",
                              "write_gb_s": "assumed equal to the read bandwidth"}),),
    energy=_soc_energy(28, 1.0, 150.0, "JH7110 datasheet: TSMC 28 nm", "assumed: ~1.0 V at 1.5 GHz (the "
                       "JH7110 OPP table's top point is about 1.04 V; not re-checked)"),
    sources={"clock_mhz": "JH7110 datasheet: U74 up to 1.5 GHz"},
))

_register(Board(
    name="spacemit-k1",
    description="SpacemiT K1 (Banana Pi BPI-F3): X60 @ 1.6 GHz, RVV 1.0 VLEN 256, LPDDR4",
    # The X60 runs RV64GC code as well; with target rv64gc the core model is the target's (U74-like).
    hosts=("rv64gcv-vlen256", "rv64gc"), clock_mhz=1600.0,
    caches=(
        CacheLevel("L1I", 32 * KiB, 4, 64, 1, sources={"size": "assumed (BOARD-FACTS gives L1D only)",
                                                          "ways": "assumed"}),
        CacheLevel("L1D", 32 * KiB, 4, 64, 2, prefetcher=Prefetcher("stream", 4, _ASSUMED_STREAM),
                   sources={"size": "BOARD-FACTS: X60 L1D 32 KiB / core", "ways": "assumed",
                            "hit_latency": "BOARD-FACTS ramlat: X60 L1 hit 2 cycles (8to7qX)"}),
        CacheLevel("L2", 512 * KiB, 16, 64, 40,
                   sources={"size": "BOARD-FACTS: L2 512 KiB per 4-core cluster", "ways": "assumed",
                            "hit_latency": "BOARD-FACTS ramlat: ~40 cycles at a 256 KiB set"}),
    ),
    memories=(Memory("dram", "dram", 4 * 1024 * MiB, cached=True, holds=("code", "rodata", "data"),
                     latency_ns=272.0, read_gb_s=_gb_s(5550), write_gb_s=_gb_s(5550),
                     sources={"latency_ns": "BOARD-FACTS: 64 MiB random read 272 ns (sbc-bench 8to7qX)",
                              "read_gb_s": "calibrated: read = 2 x the C copy rate 2776 MB/s (8to7qX; a "
                                           "write-allocate copy reads both buffers)",
                              "write_gb_s": "assumed equal to the read bandwidth"}),),
    energy=_soc_energy(12, 0.95, 100.0, "SpacemiT K1 product brief: 12 nm", "assumed: ~0.95 V at 1.6 GHz (not "
                       "found; a 12 nm core's typical top-clock voltage)"),
    sources={"clock_mhz": "BOARD-FACTS: X60 @ 1.6 GHz (8to7qX)"},
))

_register(Board(
    name="rvv-generic",
    description="no measured board: an RVV 1.0 core at 1.6 GHz with the SpacemiT K1's memory system (assumed)",
    hosts=("rv64gcv", "rv64gcv-vlen512"), clock_mhz=1600.0,
    caches=tuple(c for c in (BOARDS["spacemit-k1"].caches)),
    memories=BOARDS["spacemit-k1"].memories,
    notes="assumed: no public measurement of a VLEN 128 or 512 RVV 1.0 board was available; every parameter is the "
          "spacemit-k1 board's, so figures on this board are the K1's memory system with another vector length",
    energy=BOARDS["spacemit-k1"].energy,
    sources={"all": "assumed (copied from spacemit-k1, energy parameters too)"},
))

# --- Microcontroller boards ----------------------------------------------------------------------------------------

_VDD = 3.3  # the STM32 datasheets' current tables are at VDD = 3.3 V; the core sits behind the internal regulator


def _mcu_energy(node_nm: float, core_v: float, run_ma: float, sleep_ma: float, mhz: float, data_bytes: int,
                flash_share: float, lines_per_cycle: float, line_bytes: int, ipc: float, sources: dict) -> EnergyParams:
    """An STM32 calibrated to its datasheet currents (isa/energy_params.py mcu_overhead_and_flash); static power is
    the Sleep current at VDD. `data_bytes`: the size of the first data level (its accesses' energy); `ipc`: the
    core's instructions per cycle on a CoreMark-like workload."""
    data = scaled(sram64_45(data_bytes), node_nm, core_v, _VDD)
    overhead, flash = mcu_overhead_and_flash(run_ma, sleep_ma, mhz, _VDD, flash_share, lines_per_cycle, line_bytes,
                                             data, ipc)
    stall = mcu_stall_pj(run_ma, sleep_ma, mhz, _VDD, flash_share)
    return EnergyParams(node_nm, core_v, _VDD, overhead, sleep_ma * _VDD, flash_pj_per_byte=flash,
                        stall_pj_per_cycle=stall, sources={**sources, **ANCHOR_SOURCES, "stall_pj_per_cycle": (
                            f"derived with an assumption: {STALL_SHARE:g} x the core's part of a cycle's dynamic "
                            "energy ((Run - Sleep) x VDD / f less the flash share; isa/energy_params.py "
                            "mcu_stall_pj): the core stays clocked while it waits for flash")})


# STM32F407: 90 nm, core at 1.2 V. Run / Sleep: DS8626 at 168 MHz, typical, 25 C, all peripherals disabled
# IPC on CoreMark: Arm's 3.40 (M4) and 5.01 (M7) CoreMark/MHz x this project's counted instructions per iteration
# (293,435 and 290,121, gcc 12; benchmarks/results/coremark_models.md) = 1.00 and 1.45 instructions per cycle
_M4_IPC, _M7_IPC = 3.40 * 293_435 / 1e6, 5.01 * 290_121 / 1e6
_IPC_SOURCE = ("derived: Arm's published CoreMark/MHz x the instructions per CoreMark iteration counted here "
               "(benchmarks/results/coremark_models.md)")
_F4_ENERGY = _mcu_energy(90, 1.2, 40.0, 12.0, 168.0, 128 * KiB, flash_share=1 / 3, lines_per_cycle=1 / 6,
                         line_bytes=16, ipc=_M4_IPC, sources={"ipc": _IPC_SOURCE,
    "node_nm": "ST: STM32F4 in 90 nm", "core_v": "RM0090: the regulator's 1.2 V core domain",
    "supply_v": "DS8626 current tables at VDD = 3.3 V",
    "run current": "DS8626 Table 20 (typical, 25 C): 40 mA at 168 MHz, code with data processing from flash, ART on, "
                   "all peripherals disabled (as recalled; re-check against the datasheet)",
    "static_mw": "DS8626 Table 24 (typical): Sleep mode at 168 MHz, peripherals disabled, 12 mA x 3.3 V (as "
                 "recalled; re-check): the clock tree and leakage the core pays whatever it executes",
    "insn_overhead_pj": "derived: (Run - Sleep) x 3.3 V / 168 MHz = 550 pJ per cycle at 1.00 instruction per "
                        "cycle, two thirds of it the core, less 0.3 data accesses per instruction "
                        "(isa/energy_params.py mcu_overhead_and_flash)",
    "flash_pj_per_byte": "derived with an assumption: a third of the dynamic energy of a cycle is flash reads at one "
                         "128-bit line per 6 cycles (sequential prefetch at 5 wait states)"})

# STM32H743: 40 nm, VOS0 core 1.35 V; data accesses at its 16 KiB L1D
_H7_ENERGY = _mcu_energy(40, 1.35, 135.0, 45.0, 480.0, 16 * KiB, flash_share=0.1, lines_per_cycle=1 / 32,
                         line_bytes=32, ipc=_M7_IPC, sources={"ipc": _IPC_SOURCE,
    "node_nm": "ST: STM32H7 in 40 nm", "core_v": "DS12110: VOS0 (1.26-1.40 V) for 480 MHz; 1.35 V taken",
    "supply_v": "DS12110 current tables at VDD = 3.3 V (LDO supply)",
    "run current": "assumed: 135 mA at 480 MHz (~280 uA/MHz, the order of DS12110's Run-mode table, code from "
                   "flash with caches on, peripherals disabled; not re-checked)",
    "static_mw": "assumed: Sleep 45 mA at 480 MHz (a third of Run, about the STM32F407's Sleep / Run ratio)",
    "insn_overhead_pj": "derived as for the STM32F407 (isa/energy_params.py mcu_overhead_and_flash), 90 % of the "
                        "dynamic energy the core's, shared by 1.45 instructions per cycle",
    "flash_pj_per_byte": "derived with an assumption: 10 % of the dynamic energy is flash reads at one 256-bit "
                         "flash word per 32 cycles (instruction-cache misses of a cache-resident workload)"})

_F4_FLASH_WS = 5  # at 150-168 MHz, 2.7-3.6 V (BOARD-FACTS: ST SPL stm32f4xx_flash.c)

_register(Board(
    name="stm32f407",
    description="STM32F407 (Cortex-M4F @ 168 MHz): 1 MiB flash with 5 wait states behind the ART accelerator, "
                "112 + 16 KiB SRAM, 64 KiB CCM",
    hosts=("cortex-m4", "cortex-m4f"), clock_mhz=168.0,
    caches=(),
    memories=(
        Memory("flash", "flash", 1 * MiB, cached=False, holds=("code", "rodata"), extra_cycles=_F4_FLASH_WS,
               bytes_per_cycle=16 / (_F4_FLASH_WS + 1),
               icache=CacheLevel("ART-I", 64 * 16, 4, 16, 0, prefetcher=Prefetcher(
                   "next-line", 1, "RM0090 3.5.2: sequential prefetch of the next 128-bit line on the I-Code bus")),
               dcache=CacheLevel("ART-D", 8 * 16, 8, 16, 0),
               sources={"size": "RM0090 / DS8626: 1 MiB at 0x08000000",
                        "extra_cycles": "BOARD-FACTS: 5 WS at 150-168 MHz (ST SPL stm32f4xx_flash.c); a 128-bit "
                                        "line read that misses the ART pays them",
                        "bytes_per_cycle": "derived: 16-byte line / (5 WS + 1)",
                        "ART-I": "RM0090 3.5.2: 64 lines x 128 bits; associativity assumed 4-way",
                        "ART-D": "RM0090 3.5.2: 8 lines x 128 bits for D-Code reads; assumed fully associative"},
               base=0x08000000),
        Memory("sram", "sram", 128 * KiB, cached=False, holds=("data",), extra_cycles=0,
               sources={"size": "RM0090: 112 + 16 KiB SRAM1/SRAM2 at 0x20000000 (contiguous)",
                        "extra_cycles": "RM0090: zero wait states at the CPU clock"}, base=0x20000000),
    ),
    spare=(Memory("ccm", "sram", 64 * KiB, cached=False, holds=(), extra_cycles=0, base=0x10000000,
                  sources={"all": "RM0090 2.3.1 / DS8626: 64 KiB CCM data RAM at 0x10000000, D-bus only (no "
                                  "instruction fetch, no DMA), zero wait states"}),),
    section_homes={"flash": "flash", "sram": "sram", "ccm": "ccm"},
    energy=_F4_ENERGY,
    notes="the 64 KiB CCM (0x10000000) is not used by placement: data, bss and stack go to SRAM (a firmware build "
          "may put the arena there: intgap compile --arena-in ccm)",
    sources={"clock_mhz": "DS8626: up to 168 MHz"},
))

_H7_FLASH_WS = 4  # at AXI 240 MHz (core 480 MHz)

_register(Board(
    name="stm32h743",
    description="STM32H743 (Cortex-M7 @ 480 MHz): 16 KiB I + 16 KiB D L1 caches, 2 MiB flash, 128 KiB DTCM, "
                "512 KiB AXI SRAM",
    hosts=("cortex-m7",), clock_mhz=480.0,
    caches=(
        CacheLevel("L1I", 16 * KiB, 2, 32, 1, sources={"size": "DS12110: 16 KiB I-cache",
                                                         "ways, line": "Cortex-M7 TRM: I-cache 2-way, 32-byte lines"}),
        CacheLevel("L1D", 16 * KiB, 4, 32, 1, sources={"size": "DS12110: 16 KiB D-cache",
                                                         "ways, line": "Cortex-M7 TRM: D-cache 4-way, 32-byte lines",
                                                         "write_policy": "assumed: write-back (MPU default for"
                                                                         " normal memory)"}),
    ),
    memories=(
        Memory("flash", "flash", 2 * MiB, cached=True, holds=("code", "rodata"), extra_cycles=(_H7_FLASH_WS + 1) * 2,
               bytes_per_cycle=32 / ((_H7_FLASH_WS + 1) * 2),
               sources={"size": "DS12110: 2 MiB",
                        "extra_cycles": "assumed: 4 wait states at AXI 240 MHz (public STM32H7 clock set-up code; "
                                        "RM0433 Table 17 not checked), (4 + 1) AXI cycles = 10 core cycles per "
                                        "256-bit flash word",
                        "bytes_per_cycle": "derived: 32-byte flash word / 10 core cycles"}, base=0x08000000),
        Memory("dtcm", "tcm", 128 * KiB, cached=False, holds=("data",), extra_cycles=0, base=0x20000000,
               sources={"all": "DS12110: 128 KiB DTCM, zero wait states at the core clock", "base": "RM0433 2.3.2"}),
        Memory("axi-sram", "sram", 512 * KiB, cached=True, holds=("data",), extra_cycles=4, base=0x24000000,
               sources={"size": "DS12110: 512 KiB AXI SRAM", "extra_cycles": "assumed (AXI at half the core clock)",
                        "base": "RM0433 2.3.2"}),
    ),
    spare=(Memory("itcm", "tcm", 64 * KiB, cached=False, holds=(), extra_cycles=0, base=0x00000000,
                  sources={"all": "DS12110 / RM0433 2.3.2: 64 KiB ITCM at 0x00000000, zero wait states"}),),
    section_homes={"flash": "flash", "sram": "axi-sram", "tcm": "dtcm"},
    energy=_H7_ENERGY,
    sources={"clock_mhz": "DS12110: up to 480 MHz"},
))

def _zero_wait(name: str, description: str, hosts: tuple[str, ...], memory: str, size: int, source: str, notes: str,
               clock_mhz: float | None = None, **board) -> Board:
    """A board without a memory system: one zero-wait memory holds code, data and stack (estimates are core-only)."""
    return Board(name=name, description=description, hosts=hosts, clock_mhz=clock_mhz, caches=(),
                 memories=(Memory(memory, "sram", size, cached=False, holds=("code", "rodata", "data"), extra_cycles=0,
                                  sources={"all": source}),),
                 zero_wait=True, notes=notes, **board)


_register(_zero_wait(
    "rv32-sram", "no measured board: an RV32IMC microcontroller at 160 MHz running from zero-wait SRAM (assumed)",
    ("rv32imc",), "sram", 64 * MiB, clock_mhz=160.0,
    source="assumed: code and data in zero-wait SRAM, as the rv32imc model's per-MHz figures assume",
    notes="assumed: the rv32imc target's model is a generic 5-stage core, not a vendor's; no board is claimed",
    sources={"clock_mhz": "the rv32imc target's nominal clock (ESP32-C3-class)"}))

for _name, _hosts, _core in (("mps2-an386", ("cortex-m4", "cortex-m4f"), "Cortex-M4"),
                             ("mps2-an500", ("cortex-m7",), "Cortex-M7")):
    _register(_zero_wait(
        _name, f"Arm MPS2 {_name[5:].upper()} ({_core}) as the emulators model it: zero-wait SSRAM for code, "
               f"data and stack; the target's nominal clock",
        _hosts, "ssram", 8 * MiB, source="QEMU hw/arm/mps2.c memory map; zero wait states as the emulators run it",
        notes="the zero-wait assumption every estimate made before boards existed; estimates on it are core-only"))

_register(_zero_wait(
    "mps2-an505", "Arm MPS2 AN505 (Cortex-M33) as the emulators model it: zero-wait SSRAM for code, data and stack; "
                  "the target's nominal clock",
    ("cortex-m33",), "ssram", 8 * MiB,
    source="QEMU hw/arm/mps2-tz.c AN505 map (SSRAM1 4 MiB, SSRAM2/3 2 x 2 MiB); zero wait states as the emulators "
           "run it",
    notes="core-only estimates; a real Cortex-M33 board (STM32U5, nRF54, MCX N) with flash wait states should follow"))

_register(_zero_wait(
    "mps3-an547", "Arm MPS3 AN547 (Cortex-M55) as QEMU models it: zero-wait ITCM/DTCM and DDR for code, data and "
                  "stack; the target's nominal clock",
    ("cortex-m55",), "ddr", 16 * MiB + 1 * MiB,
    source="QEMU hw/arm/mps2-tz.c AN547 map (ITCM 512 KiB, DTCM 512 KiB, DDR, 16 MiB used); zero wait states as the "
           "emulator runs it",
    notes="core-only estimates; a real Cortex-M55 board (Alif Ensemble E7, STM32N6) with its MRAM/SRAM and caches "
          "should follow"))

_register(_zero_wait(
    "m0plus-sram", "no measured board: a Cortex-M0+ running from zero-wait SRAM (the MPS2 map Unicorn gives it) at "
                   "the target's nominal clock",
    ("cortex-m0plus",), "sram", 8 * MiB, source="assumed: zero wait states, as the Cortex-M0+ TRM cycle counts assume",
    notes="assumed; a real board (RP2040 with its XIP flash cache, STM32G0 with flash wait states) should follow"))


# --- Boards of the NPU targets (isa/npu/, docs/npu.md): the core's memory is zero-wait (estimates of the core stay
# core-only, as on mps3-an547 and rv32-sram); the memory's bytes per cycle is the NPU's DMA bandwidth ---------------

def _npu_board(name: str, description: str, hosts: tuple[str, ...], size: int, bytes_per_cycle: float, source: str,
               clock_mhz: float | None = None) -> Board:
    return Board(name=name, description=description, hosts=hosts, clock_mhz=clock_mhz, caches=(),
                 memories=(Memory("sram", "sram", size, cached=False, holds=("code", "rodata", "data"), extra_cycles=0,
                                  bytes_per_cycle=bytes_per_cycle,
                                  sources={"all": "assumed: zero wait states for the core, as the emulator runs it",
                                           "bytes_per_cycle": source}),),
                 zero_wait=True, notes="assumed: no NPU silicon is claimed; the core's estimates are core-only",
                 sources={"clock_mhz": "the target's nominal clock"})


_NPU_SIZES = ("", "-8x8", "-32x32")
_register(_npu_board(
    "corstone-npu", "no measured board: a Cortex-M55-class core with an Ethos-U55-like NPU (Corstone-300-like) whose "
                    "DMA reads 8 bytes per cycle; zero-wait SRAM for the core; the target's nominal clock",
    tuple(f"cortex-m55-npu{v}" for v in _NPU_SIZES), 8 * MiB, 8.0,
    "assumed: one 64-bit AXI read per NPU cycle (the Ethos-U55's AXI masters are 64 bits wide)"))
_register(_npu_board(
    "rv32-npu", "no measured board: an RV32IMC microcontroller at 160 MHz with an integer NPU whose DMA reads 4 bytes "
                "per cycle; zero-wait SRAM for the core",
    tuple(f"rv32imc-npu{v}" for v in _NPU_SIZES), 64 * MiB, 4.0,
    "assumed: one 32-bit bus read per cycle (a microcontroller's system bus)", clock_mhz=160.0))


def get_board(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise UnknownBoard(f"unknown board {name!r}: choose one of {', '.join(BOARDS)}") from None


def board_for(target: Target, board: str | Board | None = None) -> Board:
    """The board `board` (a name or a Board; None: the target's default board), checked to host the target."""
    board = board if isinstance(board, Board) else get_board(board or default_board_name(target))
    if target.name not in board.hosts:
        fits = [b.name for b in BOARDS.values() if target.name in b.hosts]
        raise BoardMismatch(f"board {board.name} ({board.description}) cannot host target {target.name}: "
                            f"its core runs {', '.join(board.hosts)}; for {target.name} use {', '.join(fits)}")
    return board
