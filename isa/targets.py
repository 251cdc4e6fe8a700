"""The one registry of targets.

Every other package asks this module for a target's architecture, compiler triple, flags, memory map,
emulator settings and timing model; nothing else hard-codes a triple, a ``-march`` or a QEMU machine.
Adding a target is one entry here (plus kernels or startup code where the ISA family is new).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from isa.errors import UnknownTarget

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    base: int
    size: int
    perms: str  # subset of "rwx"


@dataclass(frozen=True)
class UnicornSettings:
    arch: str  # unicorn constant suffix: "ARM", "ARM64", "RISCV"
    mode: tuple[str, ...]  # unicorn mode constant suffixes, or-ed together
    cpu_model: str | None  # unicorn UC_CPU_* constant name, or None for the default


@dataclass(frozen=True)
class QemuSettings:
    kind: str  # "user" (Linux user mode) or "system" (a board, semihosting)
    binary: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    arch: str  # "arm" (Thumb-2 M-profile), "aarch64", "riscv32", "riscv64"
    bits: int
    cpu: str
    extensions: tuple[str, ...]
    has_fpu: bool
    vlen: int | None  # RVV vector length in bits, None without RVV
    # How the program talks to the outside world:
    #   "semihosting": bare-metal Cortex-M, vector table at 0, BKPT 0xAB calls (SYS_WRITE0, SYS_EXIT_EXTENDED)
    #   "linux": static Linux-style ELF, `write`/`exit`/`exit_group` system calls
    io: str
    platform: str  # folder of runtime_c/platform with the startup code and linker script
    compiler: str  # "gcc" or "clang"
    triple: str  # the GNU triple (gcc prefix) or the clang --target
    arch_flags: tuple[str, ...]
    kernel_family: str  # runtime_c/kernels/<family>/ preferred for this target
    memory: tuple[MemoryRegion, ...]
    unicorn: UnicornSettings | None
    qemu: QemuSettings | None  # None: no QEMU machine runs this core with our memory map (the note says why)
    timing_model: str
    # Linux targets: where the image is linked; M-profile: the vector table's address (the reset SP and PC)
    link_base: int = 0x10000
    linker_script: str = "link.ld"  # in runtime_c/platform/<platform>/
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def backends(self) -> tuple[str, ...]:
        return (("unicorn",) if self.unicorn is not None else ()) + (("qemu",) if self.qemu is not None else ())

    @property
    def default_backend(self) -> str:
        return self.backends[0]

    @property
    def stack_region(self) -> MemoryRegion:
        return next(r for r in self.memory if r.name == "stack")


_LINUX_STACK = MemoryRegion("stack", 0x7F000000, 8 * MiB, "rw")

TARGETS: dict[str, Target] = {}


def _register(t: Target) -> None:
    TARGETS[t.name] = t


_register(Target(
    name="cortex-m4",
    description="ARMv7E-M Thumb-2 + DSP, no FPU (FP32 runs in soft-float)",
    arch="arm", bits=32, cpu="cortex-m4", extensions=("thumb2", "dsp"), has_fpu=False, vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    arch_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"),
    kernel_family="armdsp",
    # The MPS2 AN386 board's map: 4 MiB SSRAM1 at 0 (code, data), 4 MiB SSRAM2/3 at 0x20000000 (stack).
    memory=(MemoryRegion("code", 0x00000000, 4 * MiB, "rwx"),
            MemoryRegion("stack", 0x20000000, 4 * MiB, "rw")),
    unicorn=UnicornSettings("ARM", ("THUMB", "MCLASS"), "UC_CPU_ARM_CORTEX_M4"),
    qemu=QemuSettings("system", "qemu-system-arm",
                      ("-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
                       # semihosting output to stdout (without a chardev QEMU sends it to stderr)
                       "-semihosting-config", "enable=on,target=native,chardev=ig0",
                       "-chardev", "stdio,id=ig0,signal=off")),
    timing_model="cortex-m4", link_base=0x0,
    extra={"clock_mhz": 168, "clock_note": "nominal clock: STM32F4-class Cortex-M4 at 168 MHz"},
))

# The MPS2 boards AN386 (Cortex-M4) and AN500 (Cortex-M7) share the memory map QEMU 7.2 gives them
# (hw/arm/mps2.c): 4 MiB SSRAM1 at 0 (code, data), 4 MiB SSRAM2/3 at 0x20000000 (stack).
_MPS2_MEMORY = (MemoryRegion("code", 0x00000000, 4 * MiB, "rwx"),
                MemoryRegion("stack", 0x20000000, 4 * MiB, "rw"))


def _mps2_qemu(machine: str) -> QemuSettings:
    return QemuSettings("system", "qemu-system-arm",
                        ("-M", machine, "-nographic", "-monitor", "none", "-serial", "none",
                         "-semihosting-config", "enable=on,target=native,chardev=ig0",
                         "-chardev", "stdio,id=ig0,signal=off"))


_register(Target(
    name="cortex-m4f",
    description="ARMv7E-M Thumb-2 + DSP + FPv4-SP (single-precision hard float)",
    arch="arm", bits=32, cpu="cortex-m4", extensions=("thumb2", "dsp", "fpv4-sp"), has_fpu=True, vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    # start-up code enables CP10/CP11 in CPACR before main (runtime_c/platform/cortex-m/startup.c, __ARM_FP)
    arch_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
    kernel_family="armdsp",
    memory=_MPS2_MEMORY,
    # Unicorn's and QEMU's cortex-m4 models both have the FPv4-SP unit (QEMU's mps2-an386 CPU is a cortex-m4)
    unicorn=UnicornSettings("ARM", ("THUMB", "MCLASS"), "UC_CPU_ARM_CORTEX_M4"),
    qemu=_mps2_qemu("mps2-an386"),
    timing_model="cortex-m4", link_base=0x0,
    extra={"clock_mhz": 168, "clock_note": "nominal clock: STM32F4-class Cortex-M4F at 168 MHz"},
))

_register(Target(
    name="cortex-m7",
    description="ARMv7E-M Thumb-2 + DSP + FPv5-SP (single-precision hard float), dual-issue",
    arch="arm", bits=32, cpu="cortex-m7", extensions=("thumb2", "dsp", "fpv5-sp"), has_fpu=True, vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    # The single-precision FPU option of the core (as on STM32F74x/F75x): Unicorn 2.1.4's M-profile cores have
    # no double-precision VFP (vmov.f64 is UDEF on every model), QEMU's has; with fpv5-sp both run the same
    # code (doubles go to libgcc's soft-float helpers, FP32 runs in hardware).
    arch_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
    kernel_family="armdsp",
    memory=_MPS2_MEMORY,
    unicorn=UnicornSettings("ARM", ("THUMB", "MCLASS"), "UC_CPU_ARM_CORTEX_M7"),
    qemu=_mps2_qemu("mps2-an500"),
    timing_model="cortex-m7", link_base=0x0,
    extra={"clock_mhz": 216, "clock_note": "nominal clock: STM32F7-class Cortex-M7 at 216 MHz"},
))

_register(Target(
    name="cortex-m33",
    description="Armv8-M mainline Thumb-2 + DSP + FPv5-SP (single-precision hard float), secure state",
    arch="arm", bits=32, cpu="cortex-m33", extensions=("thumb2", "dsp", "fpv5-sp"), has_fpu=True, vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    arch_flags=("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
    kernel_family="armdsp",
    # QEMU's mps2-an505 (hw/arm/mps2-tz.c): the core resets in secure state with VTOR 0x10000000; SSRAM1 (4 MiB) is
    # seen by secure code at 0x10000000, SSRAM2+3 (2 x 2 MiB) at 0x38000000. The non-secure aliases (0x0, 0x28000000)
    # fault from secure code (the MPCs' blocks are secure), so both code and stack use the secure ones.
    memory=(MemoryRegion("code", 0x10000000, 4 * MiB, "rwx"),
            MemoryRegion("stack", 0x38000000, 4 * MiB, "rw")),
    unicorn=UnicornSettings("ARM", ("THUMB", "MCLASS"), "UC_CPU_ARM_CORTEX_M33"),
    qemu=_mps2_qemu("mps2-an505"),
    timing_model="cortex-m33", link_base=0x10000000, linker_script="link-an505.ld",
    extra={"clock_mhz": 160, "clock_note": "nominal clock: STM32U5-class Cortex-M33 at 160 MHz"},
))

_register(Target(
    name="cortex-m0plus",
    description="Armv6-M Thumb (no DSP, no FPU: FP32 runs in soft-float; Unicorn only)",
    arch="arm", bits=32, cpu="cortex-m0plus", extensions=(), has_fpu=False, vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    arch_flags=("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"),
    kernel_family="scalar",
    memory=_MPS2_MEMORY,
    # Unicorn's cortex-m0 model is Armv6-M (what the M0+ executes). QEMU's only Cortex-M0 machine, microbit, has
    # 256 KiB of flash (read-only to the core) and 16 KiB of RAM at 0x20000000: none of our programs fits it
    # (the bundled decoder alone is ~1 MiB) and the MPS2 boards do not accept another CPU.
    unicorn=UnicornSettings("ARM", ("THUMB", "MCLASS"), "UC_CPU_ARM_CORTEX_M0"),
    qemu=None,
    timing_model="cortex-m0plus", link_base=0x0,
    notes="QEMU: no machine (microbit is too small for the memory map)",
    extra={"clock_mhz": 133, "clock_note": "nominal clock: RP2040-class Cortex-M0+ at 133 MHz"},
))

_register(Target(
    name="cortex-m55",
    description="Armv8.1-M Thumb-2 + DSP + Helium (MVE-I, MVE-F) + FPv5 (QEMU only: Unicorn has no MVE)",
    arch="arm", bits=32, cpu="cortex-m55", extensions=("thumb2", "dsp", "mve", "mve-f", "fpv5"), has_fpu=True,
    vlen=None,
    io="semihosting", platform="cortex-m",
    compiler="gcc", triple="arm-none-eabi",
    arch_flags=("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"),
    kernel_family="mve",
    # QEMU's mps3-an547 (hw/arm/mps2-tz.c): the vector table in the 512 KiB ITCM at 0 (VTOR reset value 0), code
    # and data in DDR at 0x60000000 (16 MiB used; the TCMs are too small for the decoder), the stack in the 512 KiB
    # DTCM at 0x20000000.
    memory=(MemoryRegion("vectors", 0x00000000, 512 * KiB, "r"),
            MemoryRegion("code", 0x60000000, 16 * MiB, "rwx"),
            MemoryRegion("stack", 0x20000000, 512 * KiB, "rw")),
    unicorn=None,
    qemu=_mps2_qemu("mps3-an547"),
    timing_model="cortex-m55", link_base=0x0, linker_script="link-an547.ld",
    extra={"clock_mhz": 400, "clock_note": "nominal clock: Alif Ensemble-class Cortex-M55 at 400 MHz"},
))

_register(Target(
    name="rv32imc",
    description="RV32IMC, no F (FP32 runs in soft-float)",
    arch="riscv32", bits=32, cpu="rv32imc", extensions=("m", "c"), has_fpu=False, vlen=None,
    io="linux", platform="linux-riscv",
    compiler="gcc", triple="riscv64-unknown-elf",
    arch_flags=("-march=rv32imc", "-mabi=ilp32"),
    kernel_family="scalar",
    memory=(MemoryRegion("image", 0x10000, 64 * MiB, "rwx"), _LINUX_STACK),
    unicorn=UnicornSettings("RISCV", ("RISCV32",), "UC_CPU_RISCV32_BASE32"),
    # QEMU 10 enables Zawrs and Zfa by default; Zawrs needs A ("Zawrs extension requires A extension") and Zfa F.
    qemu=QemuSettings("user", "qemu-riscv32", ("-cpu", "rv32,f=false,d=false,a=false,zawrs=false,zfa=false")),
    timing_model="rv32imc",
    extra={"clock_mhz": 160, "clock_note": "nominal clock: ESP32-C3-class RV32IMC at 160 MHz"},
))

_register(Target(
    name="cortex-a53",
    description="AArch64 ARMv8.0-A NEON (no dot product)",
    arch="aarch64", bits=64, cpu="cortex-a53", extensions=("neon",), has_fpu=True, vlen=None,
    io="linux", platform="linux-aarch64",
    compiler="gcc", triple="aarch64-linux-gnu",
    arch_flags=("-mcpu=cortex-a53",),
    kernel_family="neon",
    memory=(MemoryRegion("image", 0x10000, 512 * MiB, "rwx"), _LINUX_STACK),
    # Unicorn's A53 model is ARMv8.0: an ARMv8.2 instruction (sdot) is an invalid instruction, as on the core.
    unicorn=UnicornSettings("ARM64", ("ARM",), "UC_CPU_ARM64_A53"),
    qemu=QemuSettings("user", "qemu-aarch64", ("-cpu", "cortex-a53")),
    timing_model="cortex-a53",
    extra={"clock_mhz": 1200, "clock_note": "nominal clock: Raspberry Pi 3-class Cortex-A53 at 1.2 GHz"},
))

_register(Target(
    name="cortex-a55",
    description="AArch64 ARMv8.2-A NEON + dot product (sdot)",
    arch="aarch64", bits=64, cpu="cortex-a55", extensions=("neon", "dotprod"), has_fpu=True, vlen=None,
    io="linux", platform="linux-aarch64",
    compiler="gcc", triple="aarch64-linux-gnu",
    arch_flags=("-mcpu=cortex-a55",),
    kernel_family="neon",
    memory=(MemoryRegion("image", 0x10000, 512 * MiB, "rwx"), _LINUX_STACK),
    # Unicorn's A53/A57/A72 models raise UDEF on sdot; its "max" model has it.
    unicorn=UnicornSettings("ARM64", ("ARM",), "UC_CPU_ARM64_MAX"),
    # QEMU 7.2 has no cortex-a55 model; "max" implements ARMv8.2 dotprod.
    qemu=QemuSettings("user", "qemu-aarch64", ("-cpu", "max")),
    timing_model="cortex-a55",
    extra={"clock_mhz": 1800, "clock_note": "nominal clock: a Cortex-A55 little core at 1.8 GHz"},
))

_register(Target(
    name="rv64gc",
    description="RV64GC scalar (RV64IMAFDC, hard double float)",
    arch="riscv64", bits=64, cpu="rv64gc", extensions=("m", "a", "f", "d", "c"), has_fpu=True, vlen=None,
    io="linux", platform="linux-riscv",
    compiler="gcc", triple="riscv64-unknown-elf",
    arch_flags=("-march=rv64gc", "-mabi=lp64d"),
    kernel_family="scalar",
    memory=(MemoryRegion("image", 0x10000, 512 * MiB, "rwx"), _LINUX_STACK),
    unicorn=UnicornSettings("RISCV", ("RISCV64",), "UC_CPU_RISCV64_BASE64"),
    qemu=QemuSettings("user", "qemu-riscv64", ("-cpu", "rv64,v=false")),
    timing_model="rv64gc",
    extra={"clock_mhz": 1500, "clock_note": "nominal clock: JH7110-class SiFive U74 at 1.5 GHz"},
))

_register(Target(
    name="rv64gcv",
    description="RV64GC + RVV 1.0, VLEN 128 (QEMU only: Unicorn has no RVV)",
    arch="riscv64", bits=64, cpu="rv64gcv", extensions=("m", "a", "f", "d", "c", "v"), has_fpu=True, vlen=128,
    io="linux", platform="linux-riscv",
    # gcc 12 (Debian 12) has no RVV intrinsics; clang 16-22 have them (toolchain/compilers.py picks the version).
    # lld needs -mno-relax.
    compiler="clang", triple="riscv64-unknown-elf",
    arch_flags=("-march=rv64gcv", "-mabi=lp64d", "-mno-relax"),
    kernel_family="rvv",
    memory=(MemoryRegion("image", 0x10000, 512 * MiB, "rwx"), _LINUX_STACK),
    unicorn=None,
    qemu=QemuSettings("user", "qemu-riscv64", ("-cpu", "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0")),
    timing_model="rv64gcv",
    extra={"clock_mhz": 1600, "clock_note": "nominal clock: an RVV 1.0 application core at 1.6 GHz"},
))


def _rvv_variant(base: Target, vlen: int) -> Target:
    """`rv64gcv` with another VLEN: the same ISA, compiler and kernels; QEMU gets `vlen=<vlen>`."""
    from dataclasses import replace
    args = tuple(a.replace(f"vlen={base.vlen}", f"vlen={vlen}") for a in base.qemu.args)
    return replace(base, name=f"{base.name}-vlen{vlen}",
                   description=base.description.replace(f"VLEN {base.vlen}", f"VLEN {vlen}"),
                   vlen=vlen, qemu=replace(base.qemu, args=args))


for _vlen in (256, 512):
    _register(_rvv_variant(TARGETS["rv64gcv"], _vlen))


def get_target(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise UnknownTarget(
            f"unknown target {name!r}: choose one of {', '.join(TARGETS)}") from None


def parse_targets(spec: str) -> list[Target]:
    """A comma-separated list of target names, as the CLI takes it."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise UnknownTarget(f"no target named in {spec!r}: choose from {', '.join(TARGETS)}")
    return [get_target(n) for n in names]


# The board each target runs on unless one is named (isa/boards.py; docs/memory-models.md says why each one).
DEFAULT_BOARDS = {
    "cortex-m4": "stm32f407", "cortex-m4f": "stm32f407", "cortex-m7": "stm32h743", "rv32imc": "rv32-sram",
    "cortex-a53": "pi-zero-2", "cortex-a55": "rk3566", "rv64gc": "jh7110", "rv64gcv": "rvv-generic",
    "rv64gcv-vlen256": "spacemit-k1", "rv64gcv-vlen512": "rvv-generic",
    "cortex-m33": "mps2-an505", "cortex-m0plus": "m0plus-sram", "cortex-m55": "mps3-an547",
}


def default_board_name(target: Target) -> str:
    return DEFAULT_BOARDS[target.name]
