"""Assembles small instruction sequences with the cross assemblers and decodes them as one basic block, for
the profile and timing-model tests (no emulator needed)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from isa.decode import BlockDecoder
from isa.elf import Symbol

AS = {"arm": ("arm-none-eabi-as", ("-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16")),
      # Armv8.1-M with Helium (cortex-m55): decoded as "arm" with the MVE decoder (isa.decode_mve)
      "armv8.1m": ("arm-none-eabi-as", ("-march=armv8.1-m.main+mve.fp+fp.dp", "-mthumb")),
      "aarch64": ("aarch64-linux-gnu-as", ("-march=armv8.2-a+dotprod",)),
      "riscv64": ("riscv64-unknown-elf-as", ("-march=rv64gcv",)),
      "riscv32": ("riscv64-unknown-elf-as", ("-march=rv32imc", "-mabi=ilp32"))}
OBJCOPY = {"arm": "arm-none-eabi-objcopy", "armv8.1m": "arm-none-eabi-objcopy", "aarch64": "aarch64-linux-gnu-objcopy",
           "riscv64": "riscv64-unknown-elf-objcopy", "riscv32": "riscv64-unknown-elf-objcopy"}
BASE = 0x1000


class FakeImage:
    """The two things BlockDecoder asks of an ElfImage: bytes at an address, and the function there."""

    def __init__(self, code: bytes, base: int = BASE):
        self.code, self.base = code, base
        self.functions = [Symbol("snippet", base, len(code))]

    def read(self, addr: int, size: int) -> bytes:
        return self.code[addr - self.base:addr - self.base + size]

    def function_at(self, addr: int):
        return self.functions[0] if self.base <= addr < self.base + len(self.code) else None


def assemble(arch: str, source: str) -> bytes:
    exe, flags = AS[arch]
    if shutil.which(exe) is None:
        pytest.skip(f"{exe} not installed: run `make setup`")
    prologue = ".syntax unified\n.thumb\n" if arch.startswith("arm") else ""
    if arch.startswith("riscv"):
        prologue = ".option norelax\n"
    with tempfile.TemporaryDirectory() as d:
        s, o, b = Path(d) / "a.s", Path(d) / "a.o", Path(d) / "a.bin"
        s.write_text(prologue + ".text\n" + source + "\n")
        subprocess.run([exe, *flags, str(s), "-o", str(o)], check=True, capture_output=True)
        subprocess.run([OBJCOPY[arch], "-O", "binary", "-j", ".text", str(o), str(b)], check=True,
                       capture_output=True)
        return b.read_bytes()


def decode(arch: str, source: str, vlen: int = 128):
    code = assemble(arch, source)
    mve = arch == "armv8.1m"
    dec = BlockDecoder(FakeImage(code), "arm" if mve else arch, vlen, mve=mve)
    return dec.block(BASE, len(code)).insns
