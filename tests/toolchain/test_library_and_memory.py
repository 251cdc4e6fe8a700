"""Static libraries (gcc's and clang's archivers) and the ROM/RAM report of a linked ELF (sections placed in the
target's memory regions; a region over its size is reported)."""
import dataclasses
import subprocess

import isa
from isa.targets import MemoryRegion
from toolchain import build_elf, build_static_library, find_llvm, memory_report

LIB = r"""
#include <stdint.h>
const int8_t ig_c_table[3000] = {1, 2, 3};
uint8_t ig_arena[512];
int32_t ig_model_invoke(int32_t i) { ig_arena[i & 511] = (uint8_t)ig_c_table[i % 3000]; return ig_arena[i & 511]; }
"""
MAIN = r"""
#include <stdint.h>
#include "ig_platform.h"
int32_t ig_model_invoke(int32_t i);
volatile int32_t sink = 2;
int main(void) { sink = ig_model_invoke(sink); ig_write_hex((const void *)&sink, 4); return 0; }
"""


def _lib_and_elf(tmp_path, target_name):
    target = isa.get_target(target_name)
    (tmp_path / "lib.c").write_text(LIB)
    (tmp_path / "main.c").write_text(MAIN)
    lib = tmp_path / "libm.a"
    cc = build_static_library([tmp_path / "lib.c"], target, lib)
    elf = tmp_path / "app.elf"
    build_elf([tmp_path / "main.c", lib], target, elf)
    return target, cc, lib, elf


def test_clang_library_links_and_runs(tmp_path):
    target, cc, lib, elf = _lib_and_elf(tmp_path, "rv64gcv")
    assert cc.kind == "clang"
    assert "lib.o" in subprocess.run([find_llvm().ar, "t", str(lib)], capture_output=True, text=True).stdout
    r = isa.run(elf, target)
    assert r.exit_code == 0 and r.stdout.strip() == b"03000000"


def test_memory_report_places_sections_and_flags_an_overflow(tmp_path):
    target, _, _, elf = _lib_and_elf(tmp_path, "cortex-m4")
    rep = memory_report(elf, target)
    assert rep.model_bytes["weights"] == 3000 and rep.model_bytes["arena"] == 512
    assert rep.rom_bytes >= 3000 and rep.ram_bytes >= 512
    assert all(s.region == "code" for s in rep.sections)
    assert rep.overflows() == []
    small = dataclasses.replace(target, memory=(MemoryRegion("code", 0, 2048, "rwx"), target.stack_region))
    (region, used, size), = memory_report(elf, small).overflows()
    assert region == "code" and used > 3512 and size == 2048


def test_no_empty_loadable_segment(tmp_path):
    """A program without data still gets a non-empty RW segment: GNU ld turns an unused PHDRS entry into a
    zero-size PT_LOAD at address 0, which QEMU 10's loader refuses."""
    from elftools.elf.elffile import ELFFile
    src = tmp_path / "nodata.c"
    src.write_text("int main(void) { return 3; }\n")
    for name in ("rv64gc", "rv32imc", "cortex-a53", "rv64gcv"):
        elf = tmp_path / f"nodata-{name}.elf"
        build_elf([src], isa.get_target(name), elf)
        with open(elf, "rb") as f:
            loads = [(s["p_vaddr"], s["p_memsz"]) for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
        assert len(loads) == 2 and all(vaddr >= 0x10000 and memsz > 0 for vaddr, memsz in loads), (name, loads)
