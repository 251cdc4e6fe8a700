"""Estimated energy of a run: the instruction mix, the memory traffic per level, and static power over the estimated
time, on a board (docs/energy.md).

    compute  = sum over executed instructions of (the board's per-instruction overhead + the operation's energy)
             + memory-stall cycles x the board's stall energy (MCUs: the core clocked while it waits for flash)
    memory   = data accesses of loads / stores at the first data level (L1D, or the MCU's SRAM / TCM)
             + per cache level below L1: the bytes it filled and gave up (64-bit reads of an array of its size)
             + per backing memory: DRAM bytes x pJ/bit, flash bytes read x pJ/byte, other memories as SRAM arrays
    static   = the board's static power x the estimated cycles / the board's clock
Instructions are the decoded blocks the timing engine estimates from (isa.profile.analyze: one decoder, each
instruction's mix class ``Insn.cls`` and operation ``Insn.kind``); traffic below L1 is the cache / memory
simulator's (isa.memsim.MemoryStats). Parameters and their sources: isa/energy_params.py and each board's
``energy`` (isa/boards.py). Every figure carries its label, e.g. "est. energy (intgap energy model v2 on rk3566)".
A board without energy parameters gives an estimate marked not modelled (``modelled`` False, no figures), never a
number.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from isa.boards import Board
from isa.energy_params import ADD32_45, RF_64BIT_45, EnergyParams, add_45, fadd_45, fmul_45, mul_45, sram64_45
from isa.insn import MIX_CLASSES, Insn

VERSION = 2  # a change of the model's rules or of a board's numbers is a new version

_ELEM = {"b": 8, "h": 16, "s": 32, "d": 64}
_A64_ARRANGEMENT = re.compile(r"\.(\d+)([bhsd])\b")
_QREG = re.compile(r"\bq\d+\b")
_MVE_SUFFIX = re.compile(r"\.[a-z]?(8|16|32|64)$")


def label(board: str) -> str:
    return f"intgap energy model v{VERSION} on {board}"


@dataclass
class EnergyEstimate:
    """Energy of one run (or of a step: :func:`step_energy`) in pJ, split into compute (by instruction class),
    memory (by level) and static. ``modelled`` False: the board has no energy parameters, every figure is 0 and
    ``notes`` says so."""
    model: str
    board: str
    modelled: bool
    compute_pj: dict[str, float] = field(default_factory=dict)  # mix class -> pJ
    memory_pj: dict[str, float] = field(default_factory=dict)  # level ("L1D", "L3", "dram", "flash", ...) -> pJ
    static_pj: float = 0.0
    seconds: float = 0.0  # the estimated time the static power is charged for
    static_mw: float = 0.0
    clock_mhz: float = 0.0
    per_function_pj: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"est. energy ({self.model})"

    @property
    def compute_total_pj(self) -> float:
        return math.fsum(self.compute_pj.values())

    @property
    def memory_total_pj(self) -> float:
        return math.fsum(self.memory_pj.values())

    @property
    def total_pj(self) -> float:
        return self.compute_total_pj + self.memory_total_pj + self.static_pj

    def scaled(self, k: float) -> "EnergyEstimate":
        """Every figure times `k` (e.g. 1 / tokens for a per-token figure)."""
        return EnergyEstimate(self.model, self.board, self.modelled, {c: v * k for c, v in self.compute_pj.items()},
                              {m: v * k for m, v in self.memory_pj.items()}, self.static_pj * k, self.seconds * k,
                              self.static_mw, self.clock_mhz, {f: v * k for f, v in self.per_function_pj.items()},
                              list(self.notes))

    def to_json(self) -> dict:
        """The keys documented in docs/reports.md ("est. energy")."""
        uj = lambda pj: round(pj * 1e-6, 6)
        return {"label": self.heading, "model": self.model, "board": self.board, "modelled": self.modelled,
                "total_uj": uj(self.total_pj) if self.modelled else None,
                "compute_uj": uj(self.compute_total_pj), "memory_uj": uj(self.memory_total_pj),
                "static_uj": uj(self.static_pj),
                "compute_by_class_uj": {c: uj(v) for c, v in self.compute_pj.items() if v},
                "memory_by_level_uj": {m: uj(v) for m, v in self.memory_pj.items()},
                "seconds": self.seconds, "static_mw": self.static_mw, "notes": self.notes}


def not_modelled(board: Board) -> EnergyEstimate:
    from isa.boards import BOARDS
    have = ", ".join(b.name for b in BOARDS.values() if b.energy is not None)
    return EnergyEstimate(f"{label(board.name)}: not modelled", board.name, False,
                          notes=[f"board {board.name} has no energy parameters (isa/boards.py): energy not modelled; "
                                 f"boards with them: {have}"])


def data_level(board: Board) -> tuple[str, int]:
    """(name, size) of the level a load or store accesses first: L1D, else the memory that holds data."""
    l1 = board.cache("L1D")
    if l1 is not None:
        return l1.name, l1.size
    m = next((m for m in board.memories if "data" in m.holds), board.memories[0])
    return m.name, m.size


def vector_shape(ins: Insn, arch: str) -> tuple[int, int]:
    """(bits the instruction operates on, element bits) of a SIMD / vector instruction."""
    if ins.vec is not None:  # RVV: vl elements of SEW bits (the measured mean vl where the run gave it)
        return max(int(ins.vec.elements) * ins.vec.sew, ins.vec.sew), ins.vec.sew
    if arch == "aarch64":
        arr = _A64_ARRANGEMENT.findall(ins.op_str)
        if arr:
            return max(int(n) * _ELEM[t] for n, t in arr), min(_ELEM[t] for _, t in arr)
        return (128 if _QREG.search(ins.op_str) else 64), 32
    if _QREG.search(ins.op_str):  # MVE (Helium): 128-bit Q registers, the element size in the suffix
        m = _MVE_SUFFIX.search(ins.mnemonic)
        return 128, int(m.group(1)) if m else 32
    return 32, 8 if "8" in ins.mnemonic else 16  # Armv7E-M DSP SIMD on a 32-bit register


def _op_45(ins: Insn, arch: str) -> float:
    """The operation's own energy at 45 nm (HOROWITZ anchors; register-file width for vectors)."""
    kind, cls = ins.kind, ins.cls
    if cls in ("simd_int", "simd_float") and not any(k in kind for k in ("cfg", "pred")):
        bits, ew = vector_shape(ins, arch)
        lanes = max(1, bits // ew)
        rf = RF_64BIT_45 * max(0.0, bits / 64.0 - 1.0)
        if cls == "simd_float":
            each = (fmul_45(ew) + fadd_45(ew) if "mac" in kind else 10 * fmul_45(ew) if "div" in kind
                    else fmul_45(ew) if "mul" in ins.mnemonic else fadd_45(ew))
        else:
            each = (mul_45(ew) + add_45(ew) if "mac" in kind else mul_45(ew) if "mul" in kind
                    else ew * add_45(ew) if "div" in kind else add_45(ew))
        return rf + lanes * each
    if cls == "mul_mac":
        # assumed: a divide as 32 add steps (radix-2 iterative); Horowitz gives no divide
        return 32 * ADD32_45 if kind == "div" else mul_45(32) + add_45(32) if kind == "mac" else mul_45(32)
    if cls == "scalar_float":
        return (fmul_45(32) + fadd_45(32) if "mac" in kind else 10 * fmul_45(32) if "div" in kind
                else fmul_45(32) if "mul" in ins.mnemonic else fadd_45(32))
    if cls in ("load", "store"):
        return 0.0  # the access is charged to the data level (memory), the address add is in the overhead
    return add_45(32)


def data_accesses(ins: Insn) -> int:
    """64-bit accesses one execution makes at the first data level."""
    moved = ins.load_bytes + ins.store_bytes
    return max(1, -(-moved // 8)) if (moved or ins.cls in ("load", "store")) else 0


def _block_energy(insns: list[Insn], arch: str, p: EnergyParams, data64_pj: float, function_of) -> tuple:
    """(pJ per class, pJ at the data level, pJ per function) of one execution of a block."""
    by_cls: dict[str, float] = defaultdict(float)
    by_fn: dict[str, float] = defaultdict(float)
    data = 0.0
    for ins in insns:
        c = p.insn_overhead_pj + p.op(_op_45(ins, arch))
        d = data_accesses(ins) * data64_pj
        by_cls[ins.cls] += c
        data += d
        by_fn[function_of(ins.addr)] += c + d
    return by_cls, data, by_fn


def estimate_energy(cycles, analysis, board: Board, memory=None) -> EnergyEstimate:
    """Energy of a run from its estimate (`cycles`: an isa.timing.CycleEstimate on `board`), its decoded blocks
    (`analysis`: isa.profile.analyze of the run) and its memory statistics (`memory`: RunResult.memory, None when
    not simulated: the levels below the first data level are then left out and a note says so)."""
    p = board.energy
    if p is None:
        return not_modelled(board)
    arch = analysis.target.arch
    level, size = data_level(board)
    data64 = p.op(sram64_45(size))
    img = analysis.img
    fn_names: dict[int, str] = {}

    def function_of(a: int) -> str:
        n = fn_names.get(a)
        if n is None:
            f = img.function_at(a)
            n = fn_names[a] = f.name if f else "(no symbol)"
        return n

    compute = {c: 0.0 for c in MIX_CLASSES}
    per_fn: dict[str, float] = defaultdict(float)
    data = 0.0
    for node in analysis.edges.nodes:
        by_cls, d, by_fn = _block_energy(node.block.insns, arch, p, data64, function_of)
        for c, v in by_cls.items():
            compute[c] += v * node.count
        data += d * node.count
        for f, v in by_fn.items():
            per_fn[f] += v * node.count
    # a stalled core is still clocked (MCUs: the datasheet-derived stall energy; SoCs: in static power)
    stalls = max(getattr(cycles, "memory_stall_cycles", 0) or 0, 0)
    if p.stall_pj_per_cycle and stalls:
        compute["stall"] = stalls * p.stall_pj_per_cycle
        _spread(per_fn, compute["stall"], getattr(cycles, "per_function_memory_stalls", None) or cycles.per_function)
    mem = {level: data}
    notes = []
    if memory is not None:
        below = level_energy(board, p, memory, skip=level)
        mem.update(below)
        _spread(per_fn, math.fsum(below.values()), cycles.per_function_memory_bytes or
                cycles.per_function_memory_stalls)
    elif not board.zero_wait:
        notes.append(f"no memory simulation in this run: the levels below {level} are not in the figure")
    clock = cycles.clock_mhz or board.clock_mhz or 0.0
    seconds = cycles.cycles / (clock * 1e6) if clock else 0.0
    static = p.static_mw * 1e-3 * seconds * 1e12
    _spread(per_fn, static, cycles.per_function)
    return EnergyEstimate(label(board.name), board.name, True, compute, mem, static, seconds, p.static_mw, clock,
                          dict(sorted(per_fn.items(), key=lambda kv: -kv[1])), notes)


def _spread(per_fn: dict[str, float], total: float, weights: dict) -> None:
    """Adds `total` to the functions in proportion to `weights` (bytes, stalls or cycles per function)."""
    w = math.fsum(max(v, 0) for v in weights.values()) if weights else 0.0
    if not total or not w:
        return
    for f, v in weights.items():
        if v > 0:
            per_fn[f] += total * v / w


def level_energy(board: Board, p: EnergyParams, memory, skip: str = "") -> dict[str, float]:
    """pJ per level below L1 from the simulator's counters: a cache level reads out what the level above filled
    from it and takes in its write-backs and its own fills; a backing memory its bytes."""
    out: dict[str, float] = {}
    first = board.cache("L1D") or board.cache("L1I")
    line = first.line if first else 16
    l1 = [s for s in memory.caches if s.name in ("L1I", "L1D")]
    above_in = sum(s.bytes_in for s in l1)
    above_wb = sum(s.writebacks for s in l1) * line
    for c in board.caches:
        if c.name in ("L1I", "L1D"):
            continue
        s = memory.cache(c.name)
        if s is None:
            continue
        out[c.name] = (above_in + above_wb + s.bytes_in) / 8.0 * p.op(sram64_45(c.size))
        above_in, above_wb = s.bytes_in, s.writebacks * line
    for m in board.memories:
        t = memory.memory(m.name)
        if t is None or m.name == skip:
            continue
        moved = t.read_bytes + t.write_bytes
        if m.kind == "dram":
            out[m.name] = moved * 8 * (p.dram_pj_per_bit or 0.0)
        elif m.kind == "flash":
            out[m.name] = t.read_bytes * (p.flash_pj_per_byte or 0.0)
        else:
            out[m.name] = moved / 8.0 * p.op(sram64_45(m.size))
    return out


def step_energy(short: EnergyEstimate, long: EnergyEstimate, steps: int, step_cycles: float) -> EnergyEstimate:
    """One step (a decode step) from two runs of one program, `long` `steps` steps longer: compute and memory as the
    difference per step, static as the static power over the step's estimated cycles (`step_cycles`, from
    isa.timing.memory.step_difference, whose bandwidth bound is per step)."""
    if not long.modelled:
        return long
    diff = lambda a, b: {k: (a.get(k, 0.0) - b.get(k, 0.0)) / steps for k in dict.fromkeys([*a, *b])}
    seconds = step_cycles / (long.clock_mhz * 1e6) if long.clock_mhz else 0.0
    return EnergyEstimate(long.model, long.board, True, diff(long.compute_pj, short.compute_pj),
                          diff(long.memory_pj, short.memory_pj), long.static_mw * 1e-3 * seconds * 1e12, seconds,
                          long.static_mw, long.clock_mhz, diff(long.per_function_pj, short.per_function_pj),
                          list(long.notes))


def split_text(e: dict, per: str = "", macs: float = 0) -> str:
    """One line from an :meth:`EnergyEstimate.to_json` document: total and split in uJ (and pJ per MAC), or why
    there is none. `per`: what the figures are per (" per token"); `macs`: weight MACs of the same unit."""
    if not e["modelled"]:
        return f"est. energy: not modelled ({e['notes'][0] if e['notes'] else e['board']})"
    levels = ", ".join(f"{m} {v:,.3f}" for m, v in e["memory_by_level_uj"].items())
    mac = f"; {e['total_uj'] * 1e6 / macs:,.1f} pJ/MAC" if macs else ""
    return (f"{e['label']}: {e['total_uj']:,.3f} uJ{per} = compute {e['compute_uj']:,.3f} + memory "
            f"{e['memory_uj']:,.3f} ({levels}) + static {e['static_uj']:,.3f}{mac}")
