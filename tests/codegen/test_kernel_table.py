"""runtime_c/kernels/kernel_table.tsv says exactly what each kernel file defines: every file of every family is
compiled and its global function symbols compared with its rows; codegen links by the table."""
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

import isa
from codegen import kernel_table
from codegen.errors import CodegenError
from codegen.op_calls import kernel_for
from toolchain.build import COMMON_CFLAGS
from toolchain.compilers import find_compiler

FAMILY_TARGET = {"armdsp": "cortex-m4", "mve": "cortex-m55", "neon": "cortex-a55", "rvv": "rv64gcv",
                 "scalar": "rv32imc"}


def _defined(obj) -> set[str]:
    with open(obj, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name for s in symtab.iter_symbols() if s["st_info"]["type"] == "STT_FUNC"
                and s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK") and s["st_shndx"] != "SHN_UNDEF"}


@pytest.mark.parametrize("family", sorted(FAMILY_TARGET))
def test_every_kernel_file_defines_exactly_its_rows(family, tmp_path):
    cc = find_compiler(isa.get_target(FAMILY_TARGET[family]))
    files = sorted((kernel_table.RUNTIME_C / "kernels" / family).glob("*.c"))
    assert files
    for src in files:
        obj = tmp_path / f"{src.stem}.o"
        proc = subprocess.run([cc.path, *cc.target_flags, *COMMON_CFLAGS, f"-I{kernel_table.RUNTIME_C / 'include'}",
                               "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{family}/{src.name}: {proc.stderr}"
        assert _defined(obj) == kernel_table.provides(family, src.stem), f"{family}/{src.name}"


def test_codegen_links_the_family_file_only_for_the_symbols_it_lists():
    assert kernel_for("ig_rmsnorm_s8_s8", "ig_rmsnorm", "neon").parent.name == "neon"
    assert kernel_for("ig_rmsnorm_s8_s32", "ig_rmsnorm", "neon").parent.name == "scalar"
    assert kernel_for("ig_gelu_s32_s8", "ig_gelu", "armdsp").parent.name == "scalar"
    assert kernel_for("ig_gelu_s16_s8", "ig_gelu", "armdsp").parent.name == "armdsp"


def test_a_bad_table_row_is_refused(tmp_path):
    bad = tmp_path / "t.tsv"
    bad.write_text("# symbol\tfamily\tfile\nig_gelu_s8_s8 neon ig_gelu.c\n")
    with pytest.raises(CodegenError, match=r"t.tsv:2: a kernel table row is"):
        kernel_table.provides("neon", "ig_gelu", bad)
    bad.write_text("ig_gelu_s8_s8\tneon\tig_nothing.c\n")
    with pytest.raises(CodegenError, match="does not exist"):
        kernel_table.provides("neon", "ig_nothing", bad)
