"""ROM / RAM of a linked ELF, read from its section headers (pyelftools), placed in the target's memory
regions (isa/targets.py). ROM is what must be stored (code, constants, initial values of data); RAM what is
written at run time (data, .bss: the model's arena among it). The stack is not counted."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from isa.targets import Target
from toolchain.errors import ToolchainError


@dataclass
class SectionUse:
    name: str
    address: int
    size: int
    rom: bool  # stored in the image (not NOBITS)
    ram: bool  # writable at run time
    region: str  # the target memory region that holds it (or that it overflowed), "" if none
    # the region of its stored copy when that is elsewhere (.data and RAM-resident weights kept in flash, copied at
    # start-up): its bytes count there too; "" when it runs where it is stored
    load_region: str = ""


@dataclass
class MemoryReport:
    elf: str
    target: str
    sections: list[SectionUse]
    rom_bytes: int
    ram_bytes: int
    region_use: dict[str, int]  # bytes placed in each region
    region_size: dict[str, int]
    # the model's own symbols (`model_share`): weights, arena, kv_cache, other data buffers, code
    model_bytes: dict[str, int] = field(default_factory=dict)

    def overflows(self) -> list[tuple[str, int, int]]:
        return [(r, used, self.region_size[r]) for r, used in self.region_use.items() if used > self.region_size[r]]

    def to_json(self) -> dict:
        return asdict(self)


def _region_of(addr: int, target: Target) -> str:
    """The region holding `addr`; past a region's end, the region it overflowed from (the nearest base below)."""
    inside = [r for r in target.memory if r.base <= addr < r.base + r.size]
    below = inside or sorted((r for r in target.memory if r.base <= addr), key=lambda r: r.base)[-1:]
    return below[0].name if below else ""


# How the model's share is read from the ELF's symbols (codegen/lower.py, codegen/firmware.py,
# codegen/kernel_cases.py): weights = the constants ig_c_* (an MLP) or the blob ig_weights (a sequence model);
# arena = ig_arena; kv_cache = the key/value caches ig_kv_*; data = any other data object of the model's prefixes
# (e.g. the logits row of ig_model_generate); code = its functions. The platform layer's symbols (output, exit, the
# FPU switch, the vector table, a board map's start-up copies) are not the model's.
PLATFORM_SYMBOLS = ("ig_write_", "ig_sys_", "ig_enable_", "ig_vectors", "ig_board_")


def model_share(name: str, kind: str, model_prefixes: tuple[str, ...] = ("ig_",)) -> str | None:
    """The category of the model's share a defined symbol belongs to, or None."""
    if name.startswith("ig_c_") or name == "ig_weights":
        return "weights"
    if name == "ig_arena":
        return "arena"
    if name.startswith("ig_kv_"):
        return "kv_cache"
    if not name.startswith(model_prefixes) or name.startswith(PLATFORM_SYMBOLS):
        return None
    if kind == "STT_OBJECT":
        return "data"
    if kind == "STT_FUNC":
        return "code"
    return None


def memory_report(elf: str | Path, target: Target, model_prefixes: tuple[str, ...] = ("ig_",)) -> MemoryReport:
    elf = Path(elf)
    try:
        f = open(elf, "rb")
    except OSError as e:
        raise ToolchainError(f"cannot read {elf}: {e}") from None
    with f:
        ef = ELFFile(f)
        loads = [(g["p_vaddr"], g["p_memsz"], g["p_paddr"]) for g in ef.iter_segments() if g["p_type"] == "PT_LOAD"]
        sections = []
        for s in ef.iter_sections():
            flags = s["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or s["sh_size"] == 0:
                continue
            addr, size = s["sh_addr"], s["sh_size"]
            region, stored = _region_of(addr, target), s["sh_type"] != "SHT_NOBITS"
            lma = next((p + addr - v for v, n, p in loads if v <= addr and addr + size <= v + n), addr)
            load_region = _region_of(lma, target) if stored and lma != addr else ""
            sections.append(SectionUse(s.name, addr, size, stored, bool(flags & SH_FLAGS.SHF_WRITE), region,
                                       load_region if load_region != region else ""))
        model = {"weights": 0, "arena": 0, "kv_cache": 0, "data": 0, "code": 0}
        symtab = ef.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                size = sym["st_size"]
                if sym["st_shndx"] == "SHN_UNDEF" or not size:
                    continue
                share = model_share(sym.name, sym["st_info"]["type"], model_prefixes)
                if share:
                    model[share] += size
    use: dict[str, int] = {r.name: 0 for r in target.memory}
    for s in sections:
        for r in {s.region, s.load_region} - {""}:
            use[r] += s.size
    return MemoryReport(str(elf), target.name, sections, sum(s.size for s in sections if s.rom),
                        sum(s.size for s in sections if s.ram), use, {r.name: r.size for r in target.memory}, model)
