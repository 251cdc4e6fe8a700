"""ELF reading with pyelftools: architecture checks, loadable segments, symbols, section patching."""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from isa.errors import BadElf
from isa.targets import Target

# e_machine and ELF class expected for each target architecture
_MACHINE = {"arm": ("EM_ARM", 32), "aarch64": ("EM_AARCH64", 64),
            "riscv32": ("EM_RISCV", 32), "riscv64": ("EM_RISCV", 64)}


@dataclass(frozen=True)
class Segment:
    vaddr: int
    memsz: int
    data: bytes  # file bytes; memsz beyond len(data) is zero-filled
    flags: int  # PF_X=1, PF_W=2, PF_R=4
    paddr: int | None = None  # load address when it differs from vaddr (.data stored in flash, copied at start-up)


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int


@dataclass
class ElfImage:
    path: Path
    machine: str
    elfclass: int
    entry: int
    segments: list[Segment]
    functions: list[Symbol]  # sorted by address
    sections: dict[str, tuple[int, int, int]]  # name -> (vaddr, file offset, size)

    def read(self, addr: int, size: int) -> bytes:
        for s in self.segments:
            if s.vaddr <= addr and addr + size <= s.vaddr + len(s.data):
                off = addr - s.vaddr
                return s.data[off:off + size]
        raise BadElf(f"address 0x{addr:x}+{size} is not in a loaded segment of {self.path.name}")

    def function_at(self, addr: int) -> Symbol | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        f = self.functions[i]
        return f if addr < f.addr + max(f.size, 1) else None

    def describe(self, addr: int) -> str:
        f = self.function_at(addr)
        return f"{f.name}+0x{addr - f.addr:x}" if f else "(no symbol)"

    def __post_init__(self) -> None:
        self._starts = [f.addr for f in self.functions]


def image_end(path: str | Path) -> int:
    """The end of the highest loadable segment's memory (file bytes and zero fill), from the program headers alone
    (a model's ELF can be hundreds of MB); 0 for a file that is not a readable ELF (load_elf says what is wrong)."""
    try:
        with open(path, "rb") as f:
            return max((s["p_vaddr"] + s["p_memsz"] for s in ELFFile(f).iter_segments()
                        if s["p_type"] == "PT_LOAD" and s["p_memsz"]), default=0)
    except (OSError, ELFError):
        return 0


def load_elf(path: str | Path) -> ElfImage:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadElf(f"cannot read {path}: {e.strerror}") from None
    if raw[:4] != b"\x7fELF":
        raise BadElf(f"{path} is not an ELF file (no ELF magic): pass a program built for the target")
    try:
        import io
        ef = ELFFile(io.BytesIO(raw))
        segments = []
        for seg in ef.iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            data = seg.data()
            if len(data) > seg["p_memsz"]:  # file bytes beyond the segment's memory: a damaged header
                raise ValueError(f"a segment at 0x{seg['p_vaddr']:x} has {len(data)} file bytes but"
                                 f" {seg['p_memsz']} bytes of memory")
            paddr = seg["p_paddr"] if seg["p_paddr"] != seg["p_vaddr"] else None
            segments.append(Segment(seg["p_vaddr"], seg["p_memsz"], data, seg["p_flags"], paddr))
        functions: dict[int, Symbol] = {}
        symtab = ef.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] != "SHN_UNDEF":
                    addr = sym["st_value"] & ~1 if ef["e_machine"] == "EM_ARM" else sym["st_value"]
                    # prefer the global name when aliases share an address
                    if addr not in functions or sym["st_info"]["bind"] == "STB_GLOBAL":
                        functions[addr] = Symbol(sym.name, addr, sym["st_size"])
        sections = {s.name: (s["sh_addr"], s["sh_offset"], s["sh_size"]) for s in ef.iter_sections() if s.name}
        return ElfImage(path, ef["e_machine"], ef.elfclass, ef["e_entry"], segments,
                        sorted(functions.values(), key=lambda s: s.addr), sections)
    except (ELFError, ValueError, KeyError, IndexError, OverflowError) as e:
        raise BadElf(f"{path} is a malformed ELF file ({e}): rebuild it") from None


def check_target(img: ElfImage, target: Target) -> None:
    machine, bits = _MACHINE[target.arch]
    if img.machine != machine or img.elfclass != bits:
        raise BadElf(f"{img.path.name} is a {img.elfclass}-bit {img.machine} ELF"
                     f" (ELF{img.elfclass}), but target {target.name} needs ELF{bits} {machine}:"
                     " pick the target the program was built for")
    if not img.segments:
        raise BadElf(f"{img.path.name} has no loadable segment: it is not a program")


def patch_sections(src: str | Path, patches: dict[str, bytes], dst: str | Path) -> None:
    """Copy the ELF at src to dst with the named sections' bytes replaced (the runner's input channel)."""
    raw = bytearray(Path(src).read_bytes())
    img = load_elf(src)
    for name, data in patches.items():
        if name not in img.sections:
            raise BadElf(f"{Path(src).name} has no section {name!r} to fill: build it with the intgap harness")
        _, off, size = img.sections[name]
        if len(data) > size:
            raise BadElf(f"input of {len(data)} bytes does not fit section {name!r} of {size} bytes")
        raw[off:off + len(data)] = data
    Path(dst).write_bytes(bytes(raw))
    os.chmod(dst, 0o700)  # qemu-user refuses to load a file without execute permission (silently, status 1)


def instruction_lengths(arch: str, code: bytes) -> list[int]:
    """Lengths of the instructions that tile `code` (a basic block), decoded from the encoding alone."""
    out = []
    i, n = 0, len(code)
    while i < n:
        if arch == "aarch64":
            step = 4
        elif arch.startswith("riscv"):
            step = 4 if (code[i] & 0b11) == 0b11 else 2
        elif arch == "arm":  # Thumb-2
            hw = code[i] | (code[i + 1] << 8) if i + 1 < n else 0
            step = 4 if (hw >> 11) in (0b11101, 0b11110, 0b11111) else 2
        else:
            raise ValueError(arch)
        out.append(step)
        i += step
    return out


def built_by_intgap(img: ElfImage) -> bool:
    """An ELF linked with intgap's platform layer (runtime_c/platform), whose system-call wrappers make only
    write and exit calls. A marker, not a proof: it tells intgap's own programs from foreign ones."""
    return any(f.name == "ig_sys_exit" for f in img.functions)
