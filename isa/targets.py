"""The one registry of targets.

Every other package asks this module for a target's architecture, compiler triple, flags, memory map,
emulator settings and timing model; nothing else hard-codes a triple, a ``-march`` or a QEMU machine.
Adding a target is one entry here, made with its family's template (plus kernels or startup code where the ISA
family is new); the entry names its timing model and its default board.
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
    timing_model: str  # a model registered in isa/timing/ (@timing_model)
    default_board: str  # the board (isa/boards.py) estimates use unless one is named
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
# Where QEMU 10 user mode maps a 32-bit RISC-V guest's stack itself (guest_base 0, no reservation: mmap's search
# starts at 0x2aaab000, a third of its 2 GiB task size, page-aligned; a guard page, then the `-s` stack), so that
# the Unicorn backend runs it at the same addresses (docs/platform-qemu.md, "Where the guest stack is").
_LINUX32_STACK = MemoryRegion("stack", 0x2AAAC000, 8 * MiB, "rw")
# A 64-bit Linux-style target stands for a board with GiBs of DRAM (intgap boards): its image (linked at 0x10000)
# may grow to 1.5 GiB, well below the stack (0x7F000000) and the guard page QEMU keeps under it; a 0.5 B-parameter
# checkpoint's W8A8 weights (774 MB) fit. The 32-bit rv32imc keeps 64 MiB.
LINUX64_IMAGE_SIZE = 1536 * MiB

TARGETS: dict[str, Target] = {}


def _register(t: Target) -> None:
    TARGETS[t.name] = t


# -- family templates: an entry gives what differs; the template what the family shares ------------------------

# The MPS2 boards AN386 (Cortex-M4) and AN500 (Cortex-M7) share the memory map QEMU 7.2 gives them
# (hw/arm/mps2.c): 4 MiB SSRAM1 at 0 (code, data), 4 MiB SSRAM2/3 at 0x20000000 (stack).
_MPS2_MEMORY = (MemoryRegion("code", 0x00000000, 4 * MiB, "rwx"),
                MemoryRegion("stack", 0x20000000, 4 * MiB, "rw"))


def _cortex_m(name: str, description: str, cpu: str, extensions: tuple[str, ...], *, float_abi: str,
              fpu: str | None, kernel_family: str, unicorn_cpu: str | None, qemu_machine: str | None,
              clock_mhz: int, clock_note: str, board: str, memory: tuple[MemoryRegion, ...] = _MPS2_MEMORY,
              link_base: int = 0x0, linker_script: str = "link.ld", notes: str = "") -> Target:
    """A bare-metal Cortex-M core on an Arm MPS2/MPS3 board: semihosting I/O, gcc, Thumb-2, the core's own timing
    model. QEMU's console: semihosting output to stdout (without a chardev QEMU sends it to stderr)."""
    qemu = None if qemu_machine is None else QemuSettings(
        "system", "qemu-system-arm",
        ("-M", qemu_machine, "-nographic", "-monitor", "none", "-serial", "none",
         "-semihosting-config", "enable=on,target=native,chardev=ig0", "-chardev", "stdio,id=ig0,signal=off"))
    return Target(
        name=name, description=description, arch="arm", bits=32, cpu=cpu, extensions=extensions,
        has_fpu=float_abi == "hard", vlen=None, io="semihosting", platform="cortex-m",
        compiler="gcc", triple="arm-none-eabi",
        arch_flags=(f"-mcpu={cpu}", "-mthumb", f"-mfloat-abi={float_abi}") + ((f"-mfpu={fpu}",) if fpu else ()),
        kernel_family=kernel_family, memory=memory,
        unicorn=None if unicorn_cpu is None else UnicornSettings("ARM", ("THUMB", "MCLASS"), unicorn_cpu),
        qemu=qemu, timing_model=cpu, link_base=link_base, linker_script=linker_script, notes=notes,
        default_board=board, extra={"clock_mhz": clock_mhz, "clock_note": clock_note})


def _linux_aarch64(name: str, description: str, cpu: str, extensions: tuple[str, ...], *, unicorn_cpu: str,
                   qemu_cpu: str, clock_mhz: int, clock_note: str, board: str) -> Target:
    """An AArch64 application core running a static Linux ELF (user-mode QEMU), NEON kernels."""
    return Target(
        name=name, description=description, arch="aarch64", bits=64, cpu=cpu, extensions=extensions, has_fpu=True,
        vlen=None, io="linux", platform="linux-aarch64", compiler="gcc", triple="aarch64-linux-gnu",
        arch_flags=(f"-mcpu={cpu}",), kernel_family="neon",
        memory=(MemoryRegion("image", 0x10000, LINUX64_IMAGE_SIZE, "rwx"), _LINUX_STACK),
        unicorn=UnicornSettings("ARM64", ("ARM",), unicorn_cpu), qemu=QemuSettings("user", "qemu-aarch64",
                                                                                    ("-cpu", qemu_cpu)),
        timing_model=cpu, default_board=board, extra={"clock_mhz": clock_mhz, "clock_note": clock_note})


def _linux_riscv(name: str, description: str, bits: int, extensions: tuple[str, ...], *, mabi: str,
                 kernel_family: str, unicorn_cpu: str | None, qemu_cpu: str, clock_mhz: int, clock_note: str,
                 board: str, vlen: int | None = None, compiler: str = "gcc", extra_flags: tuple[str, ...] = (),
                 image_size: int = LINUX64_IMAGE_SIZE) -> Target:
    """A RISC-V core running a static Linux ELF (user-mode QEMU); the name is the -march string."""
    return Target(
        name=name, description=description, arch=f"riscv{bits}", bits=bits, cpu=name, extensions=extensions,
        has_fpu="f" in extensions, vlen=vlen, io="linux", platform="linux-riscv",
        compiler=compiler, triple="riscv64-unknown-elf", arch_flags=(f"-march={name}", f"-mabi={mabi}") + extra_flags,
        kernel_family=kernel_family,
        memory=(MemoryRegion("image", 0x10000, image_size, "rwx"),
                _LINUX_STACK if bits == 64 else _LINUX32_STACK),
        unicorn=None if unicorn_cpu is None else UnicornSettings("RISCV", (f"RISCV{bits}",), unicorn_cpu),
        qemu=QemuSettings("user", f"qemu-riscv{bits}", ("-cpu", qemu_cpu)),
        timing_model=name, default_board=board, extra={"clock_mhz": clock_mhz, "clock_note": clock_note})


# -- the targets --------------------------------------------------------------------------------------------------

_register(_cortex_m(
    "cortex-m4", "ARMv7E-M Thumb-2 + DSP, no FPU (FP32 runs in soft-float)", "cortex-m4", ("thumb2", "dsp"),
    float_abi="soft", fpu=None, kernel_family="armdsp", unicorn_cpu="UC_CPU_ARM_CORTEX_M4",
    qemu_machine="mps2-an386", board="stm32f407",
    clock_mhz=168, clock_note="nominal clock: STM32F4-class Cortex-M4 at 168 MHz"))

# start-up code enables CP10/CP11 in CPACR before main (runtime_c/platform/cortex-m/startup.c, __ARM_FP).
# Unicorn's and QEMU's cortex-m4 models both have the FPv4-SP unit (QEMU's mps2-an386 CPU is a cortex-m4).
_register(_cortex_m(
    "cortex-m4f", "ARMv7E-M Thumb-2 + DSP + FPv4-SP (single-precision hard float)", "cortex-m4",
    ("thumb2", "dsp", "fpv4-sp"), float_abi="hard", fpu="fpv4-sp-d16", kernel_family="armdsp",
    unicorn_cpu="UC_CPU_ARM_CORTEX_M4", qemu_machine="mps2-an386", board="stm32f407",
    clock_mhz=168, clock_note="nominal clock: STM32F4-class Cortex-M4F at 168 MHz"))

# The single-precision FPU option of the core (as on STM32F74x/F75x): Unicorn 2.1.4's M-profile cores have no
# double-precision VFP (vmov.f64 is UDEF on every model), QEMU's has; with fpv5-sp both run the same code (doubles
# go to libgcc's soft-float helpers, FP32 runs in hardware).
_register(_cortex_m(
    "cortex-m7", "ARMv7E-M Thumb-2 + DSP + FPv5-SP (single-precision hard float), dual-issue", "cortex-m7",
    ("thumb2", "dsp", "fpv5-sp"), float_abi="hard", fpu="fpv5-sp-d16", kernel_family="armdsp",
    unicorn_cpu="UC_CPU_ARM_CORTEX_M7", qemu_machine="mps2-an500", board="stm32h743",
    clock_mhz=216, clock_note="nominal clock: STM32F7-class Cortex-M7 at 216 MHz"))

# QEMU's mps2-an505 (hw/arm/mps2-tz.c): the core resets in secure state with VTOR 0x10000000; SSRAM1 (4 MiB) is
# seen by secure code at 0x10000000, SSRAM2+3 (2 x 2 MiB) at 0x38000000. The non-secure aliases (0x0, 0x28000000)
# fault from secure code (the MPCs' blocks are secure), so both code and stack use the secure ones.
_register(_cortex_m(
    "cortex-m33", "Armv8-M mainline Thumb-2 + DSP + FPv5-SP (single-precision hard float), secure state",
    "cortex-m33", ("thumb2", "dsp", "fpv5-sp"), float_abi="hard", fpu="fpv5-sp-d16", kernel_family="armdsp",
    memory=(MemoryRegion("code", 0x10000000, 4 * MiB, "rwx"), MemoryRegion("stack", 0x38000000, 4 * MiB, "rw")),
    unicorn_cpu="UC_CPU_ARM_CORTEX_M33", qemu_machine="mps2-an505", board="mps2-an505",
    link_base=0x10000000, linker_script="link-an505.ld",
    clock_mhz=160, clock_note="nominal clock: STM32U5-class Cortex-M33 at 160 MHz"))

# Unicorn's cortex-m0 model is Armv6-M (what the M0+ executes). QEMU's only Cortex-M0 machine, microbit, has
# 256 KiB of flash (read-only to the core) and 16 KiB of RAM at 0x20000000: none of our programs fits it
# (the bundled decoder alone is ~1 MiB) and the MPS2 boards do not accept another CPU.
_register(_cortex_m(
    "cortex-m0plus", "Armv6-M Thumb (no DSP, no FPU: FP32 runs in soft-float; Unicorn only)", "cortex-m0plus", (),
    float_abi="soft", fpu=None, kernel_family="scalar", unicorn_cpu="UC_CPU_ARM_CORTEX_M0", qemu_machine=None,
    board="m0plus-sram", notes="QEMU: no machine (microbit is too small for the memory map)",
    clock_mhz=133, clock_note="nominal clock: RP2040-class Cortex-M0+ at 133 MHz"))

# QEMU's mps3-an547 (hw/arm/mps2-tz.c): the vector table in the 512 KiB ITCM at 0 (VTOR reset value 0), code
# and data in DDR at 0x60000000 (16 MiB used; the TCMs are too small for the decoder), the stack in the 512 KiB
# DTCM at 0x20000000.
_register(_cortex_m(
    "cortex-m55", "Armv8.1-M Thumb-2 + DSP + Helium (MVE-I, MVE-F) + FPv5 (QEMU only: Unicorn has no MVE)",
    "cortex-m55", ("thumb2", "dsp", "mve", "mve-f", "fpv5"), float_abi="hard", fpu=None, kernel_family="mve",
    memory=(MemoryRegion("vectors", 0x00000000, 512 * KiB, "r"), MemoryRegion("code", 0x60000000, 16 * MiB, "rwx"),
            MemoryRegion("stack", 0x20000000, 512 * KiB, "rw")),
    unicorn_cpu=None, qemu_machine="mps3-an547", board="mps3-an547", linker_script="link-an547.ld",
    clock_mhz=400, clock_note="nominal clock: Alif Ensemble-class Cortex-M55 at 400 MHz"))

# QEMU 10 enables Zawrs and Zfa by default; Zawrs needs A ("Zawrs extension requires A extension") and Zfa F.
_register(_linux_riscv(
    "rv32imc", "RV32IMC, no F (FP32 runs in soft-float)", 32, ("m", "c"), mabi="ilp32", kernel_family="scalar",
    unicorn_cpu="UC_CPU_RISCV32_BASE32", qemu_cpu="rv32,f=false,d=false,a=false,zawrs=false,zfa=false",
    image_size=64 * MiB, board="rv32-sram",
    clock_mhz=160, clock_note="nominal clock: ESP32-C3-class RV32IMC at 160 MHz"))

# Unicorn's A53 model is ARMv8.0: an ARMv8.2 instruction (sdot) is an invalid instruction, as on the core.
_register(_linux_aarch64(
    "cortex-a53", "AArch64 ARMv8.0-A NEON (no dot product)", "cortex-a53", ("neon",),
    unicorn_cpu="UC_CPU_ARM64_A53", qemu_cpu="cortex-a53", board="pi-zero-2",
    clock_mhz=1200, clock_note="nominal clock: Raspberry Pi 3-class Cortex-A53 at 1.2 GHz"))

# Unicorn's A53/A57/A72 models raise UDEF on sdot; its "max" model has it. QEMU 7.2 has no cortex-a55 model;
# "max" implements ARMv8.2 dotprod.
_register(_linux_aarch64(
    "cortex-a55", "AArch64 ARMv8.2-A NEON + dot product (sdot)", "cortex-a55", ("neon", "dotprod"),
    unicorn_cpu="UC_CPU_ARM64_MAX", qemu_cpu="max", board="rk3566",
    clock_mhz=1800, clock_note="nominal clock: a Cortex-A55 little core at 1.8 GHz"))

_register(_linux_riscv(
    "rv64gc", "RV64GC scalar (RV64IMAFDC, hard double float)", 64, ("m", "a", "f", "d", "c"), mabi="lp64d",
    kernel_family="scalar", unicorn_cpu="UC_CPU_RISCV64_BASE64", qemu_cpu="rv64,v=false", board="jh7110",
    clock_mhz=1500, clock_note="nominal clock: JH7110-class SiFive U74 at 1.5 GHz"))

# gcc 12 (Debian 12) has no RVV intrinsics; clang 16-22 have them (toolchain/compilers.py picks the version).
# lld needs -mno-relax.
_register(_linux_riscv(
    "rv64gcv", "RV64GC + RVV 1.0, VLEN 128 (QEMU only: Unicorn has no RVV)", 64, ("m", "a", "f", "d", "c", "v"),
    mabi="lp64d", vlen=128, compiler="clang", extra_flags=("-mno-relax",), kernel_family="rvv", unicorn_cpu=None,
    qemu_cpu="rv64,v=true,vlen=128,elen=64,vext_spec=v1.0", board="rvv-generic",
    clock_mhz=1600, clock_note="nominal clock: an RVV 1.0 application core at 1.6 GHz"))


def _rvv_variant(base: Target, vlen: int, board: str) -> Target:
    """`rv64gcv` with another VLEN: the same ISA, compiler and kernels; QEMU gets `vlen=<vlen>`."""
    from dataclasses import replace
    args = tuple(a.replace(f"vlen={base.vlen}", f"vlen={vlen}") for a in base.qemu.args)
    return replace(base, name=f"{base.name}-vlen{vlen}",
                   description=base.description.replace(f"VLEN {base.vlen}", f"VLEN {vlen}"),
                   vlen=vlen, qemu=replace(base.qemu, args=args), default_board=board)


_register(_rvv_variant(TARGETS["rv64gcv"], 256, "spacemit-k1"))
_register(_rvv_variant(TARGETS["rv64gcv"], 512, "rvv-generic"))


# -- targets with an NPU beside the core (isa/npu/, docs/npu.md) ---------------------------------------------------
# The NPU is an MMIO device of the Unicorn backend, so these targets have no QEMU settings. Each takes its core from an
# existing target and adds Target.extra["npu"]; its array-size variants are `<name>-8x8` and `<name>-32x32`.

def _with_npu(base: Target, name: str, description: str, board: str, npu, **changes) -> Target:
    from dataclasses import replace
    return replace(base, name=name, description=description, qemu=None, default_board=board,
                   extra={**base.extra, **changes.pop("extra", {}), "npu": npu}, **changes)


def _npu_variant(base: Target, rows: int, cols: int) -> Target:
    from dataclasses import replace

    from isa.npu.config import sized
    npu = sized(rows, cols, base.extra["npu"].dataflow)
    old = base.extra["npu"]
    return replace(base, name=f"{base.name}-{rows}x{cols}",
                   description=base.description.replace(f"{old.rows}x{old.cols} integer NPU ({old.macs_per_cycle}",
                                                        f"{rows}x{cols} integer NPU ({npu.macs_per_cycle}"),
                   extra={**base.extra, "npu": npu})


def _register_npu_target(t: Target) -> None:
    _register(t)
    for size in (8, 32):
        _register(_npu_variant(t, size, size))


# Unicorn has no Armv8.1-M core (no Cortex-M55 model; gcc's Armv8.1-M code has low-overhead loops, dls / le, that its
# Cortex-M33 cannot run), so the core runs the Cortex-M33's Armv8-M mainline + DSP code, timed with the cortex-m55
# model (the M55's scalar pipeline) at an M55's clock; the NPU stands for an Ethos-U55-256.
def _npu_targets() -> None:
    from isa.npu.config import sized
    _register_npu_target(_with_npu(
        TARGETS["cortex-m33"], "cortex-m55-npu",
        "Cortex-M55-class core (Armv8-M mainline + DSP code: Unicorn has no Armv8.1-M) + an Ethos-U55-like 16x16 "
        "integer NPU (256 MACs/cycle); Unicorn only", "corstone-npu", sized(16, 16), timing_model="cortex-m55",
        extra={"clock_mhz": 400, "clock_note": "nominal clock: Alif Ensemble-class Cortex-M55 at 400 MHz"},
        notes="QEMU: no NPU device (the NPU is a Unicorn MMIO region)"))
    _register_npu_target(_with_npu(
        TARGETS["rv32imc"], "rv32imc-npu",
        "RV32IMC, no F + a 16x16 integer NPU (256 MACs/cycle); Unicorn only", "rv32-npu", sized(16, 16),
        notes="QEMU: no NPU device (the NPU is a Unicorn MMIO region)"))


_npu_targets()


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
DEFAULT_BOARDS = {t.name: t.default_board for t in TARGETS.values()}


def default_board_name(target: Target) -> str:
    return target.default_board
