"""The one disassembler factory (isa/disasm.py) and the fault helpers both backends share (isa/faults.py)."""
from __future__ import annotations

import pytest

from isa.disasm import disassembler, first_instruction
from isa.errors import UnsupportedBackend
from isa.faults import disassemble_one, memory_access

# (arch, bytes, mnemonic): one instruction per architecture, little-endian encodings
SAMPLES = [("arm", bytes.fromhex("abbe"), "bkpt"),  # Thumb bkpt 0xab (the semihosting call)
           ("arm", bytes.fromhex("eff30980"), "mrs"),  # mrs r0, psp: M-profile only (needs CS_MODE_MCLASS)
           ("aarch64", bytes.fromhex("c0035fd6"), "ret"),
           ("riscv32", bytes.fromhex("13051500"), "addi"),
           ("riscv64", bytes.fromhex("3b05b500"), "addw")]  # RV64-only


@pytest.mark.parametrize("arch,code,mnemonic", SAMPLES)
def test_each_architecture_decodes_its_own_instructions(arch, code, mnemonic):
    assert first_instruction(arch, code, 0x1000)[0] == mnemonic
    assert first_instruction(arch, code, 0x1000)[2] == len(code)
    assert disassemble_one(arch, code, 0x1000).startswith(mnemonic)
    assert disassemble_one(arch, code, 0x1000).endswith(f"({code.hex(' ')})")


def test_m_profile_special_register_names_need_mclass():
    ins = next(disassembler("arm", detail=True).disasm(bytes.fromhex("eff30980"), 0))
    assert ins.op_str == "r0, psp"


def test_an_unknown_architecture_is_one_error_naming_the_known_ones():
    with pytest.raises(UnsupportedBackend, match="no disassembler for architecture 'mips'.*arm, aarch64"):
        disassembler("mips")


def test_fault_text_without_code_or_with_undecodable_bytes():
    assert disassemble_one("aarch64", b"", 0) == "(no code mapped at this address)"
    assert disassemble_one("aarch64", b"\xff" * 4, 0) == "undecodable instruction (ff ff ff ff)"
    assert first_instruction("aarch64", b"\xff" * 4, 0) is None


@pytest.mark.parametrize("arch,mnemonic,access", [
    ("arm", "str.w", "write"), ("arm", "vpush", "write"), ("arm", "ldrd", "read"), ("arm", "add", None),
    ("aarch64", "stp", "write"), ("aarch64", "ldr", "read"), ("aarch64", "prfm", "read"),
    ("riscv64", "c.sdsp", "write"), ("riscv64", "vse8.v", "write"), ("riscv32", "lbu", "read"),
    ("riscv32", "amoadd.w", "write"), ("riscv64", "addi", None)])
def test_memory_access_of_a_faulting_mnemonic(arch, mnemonic, access):
    assert memory_access(arch, mnemonic) == access
