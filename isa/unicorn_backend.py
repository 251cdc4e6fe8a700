"""The Unicorn backend: runs an ELF under Unicorn 2 with exact, natively collected basic-block counts.

How a run goes (memory map, counting, budget, I/O, faults, limits): docs/backends.md.
"""
from __future__ import annotations

import ctypes
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from isa.disasm import disassembler
from isa.elf import ElfImage, check_target, load_elf
from isa.errors import BadElf, EmulatorFault, EmulatorNotFound, RunTimeout, UnsupportedBackend, located
from isa.faults import BREAKPOINT_DETAIL, SEMIHOSTING_NAMES, budget_exceeded, disassemble_one, memory_access
from isa.result import BlockCounts, RunResult
from isa.targets import Target

try:
    import unicorn as _uc
    from unicorn import arm64_const as _a64
    from unicorn import arm_const as _arm
    from unicorn import riscv_const as _rv
    from unicorn.unicorn_py3 import unicorn as _ucore
except ImportError:  # pragma: no cover - the package is a dependency
    _uc = None

UINT64_MAX = (1 << 64) - 1
# Slots the native block table starts with; it doubles whenever it is half full.
INITIAL_TABLE_CAPACITY = 4096

# ---------------------------------------------------------------------------------------------------------------
# Architecture tables (keyed by Target.arch; nothing here knows target names)
# ---------------------------------------------------------------------------------------------------------------

# arch codes of ig_block_counter.c
_NATIVE_ARCH = {"arm": 0, "aarch64": 1, "riscv32": 2, "riscv64": 2}

LINUX_SYSCALL_NAMES = {
    17: "getcwd", 25: "fcntl", 29: "ioctl", 48: "faccessat", 56: "openat", 57: "close", 62: "lseek",
    63: "read", 64: "write", 65: "readv", 66: "writev", 78: "readlinkat", 79: "newfstatat", 80: "fstat",
    93: "exit", 94: "exit_group", 96: "set_tid_address", 98: "futex", 99: "set_robust_list",
    101: "nanosleep", 220: "clone", 221: "execve", 113: "clock_gettime", 124: "sched_yield", 129: "kill", 131: "tgkill",
    134: "rt_sigaction", 135: "rt_sigprocmask", 160: "uname", 169: "gettimeofday", 172: "getpid",
    174: "getuid", 178: "gettid", 214: "brk", 215: "munmap", 222: "mmap", 226: "mprotect",
    261: "prlimit64", 278: "getrandom", 403: "clock_gettime64",
}
SYS_WRITE_LINUX, SYS_EXIT_LINUX, SYS_EXIT_GROUP_LINUX = 64, 93, 94

ADP_STOPPED_APPLICATION_EXIT = 0x20026
SEMIHOSTING_BKPT = 0xBEAB  # Thumb "bkpt 0xab"

# M-profile System Control Space. Unicorn maps nothing there; start-up code of a core with an FPU must set
# CPACR.CP10/CP11 (QEMU's M-profile cores trap FP instructions until it does), so CPACR is modelled as a
# plain register. Any other SCS register is an EmulatorFault rather than a silently ignored write.
SCS_BASE, SCS_SIZE = 0xE000E000, 0x1000
SCS_CPACR = 0xE000ED88

# QEMU exception numbers (target/arm/cpu.h of Unicorn's QEMU 5.0) as Unicorn passes them to UC_HOOK_INTR
_ARM_EXCEPTIONS = {1: "UDEF", 2: "SWI", 3: "PREFETCH_ABORT", 4: "DATA_ABORT", 5: "IRQ", 6: "FIQ", 7: "BKPT",
                   8: "EXCEPTION_EXIT", 9: "KERNEL_TRAP", 11: "HVC", 12: "HYP_TRAP", 13: "SMC", 14: "VIRQ",
                   15: "VFIQ", 16: "SEMIHOST", 17: "NOCP", 18: "INVSTATE", 19: "STKOF", 20: "LAZYFP",
                   21: "LSERR", 22: "UNALIGNED"}
_ARM_EXCP_UDEF, _ARM_EXCP_SWI, _ARM_EXCP_BKPT = 1, 2, 7
_RISCV_EXCEPTIONS = {0: "instruction address misaligned", 1: "instruction access fault", 2: "illegal instruction",
                     3: "breakpoint", 4: "load address misaligned", 5: "load access fault",
                     6: "store address misaligned", 7: "store access fault", 8: "ecall", 9: "ecall",
                     11: "ecall", 12: "instruction page fault", 13: "load page fault", 15: "store page fault"}
_RISCV_ECALLS = (8, 9, 11)  # from U, S and M mode: Unicorn passes the cause before the privilege remap
_RISCV_ILLEGAL = 2
# On RISC-V the PC Unicorn shows an interrupt hook is the faulting PC + 4 (docs/platform.md), for 2-byte
# instructions too; for ecall that is exactly where execution must resume.
_RISCV_HOOK_PC_OFFSET = 4


@dataclass(frozen=True)
class _Regs:
    pc: int
    sp: int
    lr: int
    args: tuple[int, ...]
    number: int | None  # system call number register (linux)


def _regs(arch: str) -> _Regs:
    if arch == "arm":
        return _Regs(_arm.UC_ARM_REG_PC, _arm.UC_ARM_REG_SP, _arm.UC_ARM_REG_LR,
                     tuple(getattr(_arm, f"UC_ARM_REG_R{i}") for i in range(6)), _arm.UC_ARM_REG_R7)  # EABI: r7
    if arch == "aarch64":
        return _Regs(_a64.UC_ARM64_REG_PC, _a64.UC_ARM64_REG_SP, _a64.UC_ARM64_REG_X30,
                     tuple(getattr(_a64, f"UC_ARM64_REG_X{i}") for i in range(6)), _a64.UC_ARM64_REG_X8)
    if arch.startswith("riscv"):
        return _Regs(_rv.UC_RISCV_REG_PC, _rv.UC_RISCV_REG_SP, _rv.UC_RISCV_REG_RA,
                     tuple(getattr(_rv, f"UC_RISCV_REG_A{i}") for i in range(6)), _rv.UC_RISCV_REG_A7)
    raise UnsupportedBackend(f"the Unicorn backend has no register map for architecture {arch!r}")


def _const(name: str, modules) -> int:
    for m in modules:
        if hasattr(m, name):
            return getattr(m, name)
    raise UnsupportedBackend(f"this Unicorn ({_uc.__version__}) has no constant {name}: "
                             f"fix the target's unicorn settings in isa/targets.py")


# ---------------------------------------------------------------------------------------------------------------
# The native block counter
# ---------------------------------------------------------------------------------------------------------------

_native_lock = threading.Lock()
_native_lib: ctypes.CDLL | None = None

_NATIVE_ERRORS = {1: "out of memory growing the block table",
                  2: "the block's bytes could not be read back from guest memory",
                  3: "the block's bytes are not a whole number of instructions"}


def native_counter_lib() -> ctypes.CDLL:
    """The compiled ig_block_counter.c (built once per source version into the cache)."""
    global _native_lib
    with _native_lock:
        if _native_lib is None:
            from isa.native import build_shared
            lib = ctypes.CDLL(str(build_shared("ig_block_counter.c")))
            u64, u32, i32, vp = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int32, ctypes.c_void_p
            lib.ig_bc_new.restype = vp
            lib.ig_bc_new.argtypes = (i32, u64, vp, vp, u64)
            lib.ig_bc_free.restype = None
            lib.ig_bc_free.argtypes = (vp,)
            for name, rt in (("ig_bc_used", u64), ("ig_bc_total", u64), ("ig_bc_budget_hit", i32),
                             ("ig_bc_error", i32), ("ig_bc_error_addr", u64), ("ig_bc_capacity", u64),
                             ("ig_bc_last_addr", u64), ("ig_bc_last_size", u64), ("ig_bc_budget_addr", u64)):
                getattr(lib, name).restype = rt
                getattr(lib, name).argtypes = (vp,)
            lib.ig_bc_export.restype = u64
            lib.ig_bc_export.argtypes = (vp, vp, vp, vp, vp, u64)
            lib.ig_bc_count_insns.restype = ctypes.c_int64
            lib.ig_bc_count_insns.argtypes = (i32, ctypes.c_char_p, u64)
            lib.ig_bc_attach_memsim.restype = i32
            lib.ig_bc_attach_memsim.argtypes = (vp, ctypes.c_char_p)
            lib.ig_bc_observe.restype = i32
            lib.ig_bc_observe.argtypes = (vp, ctypes.c_uint32, vp)
            lib.ig_bc_reset_it_state.restype = None
            lib.ig_bc_reset_it_state.argtypes = (vp, vp, i32)
            lib.ig_bc_export_mem.restype = u64
            lib.ig_bc_export_mem.argtypes = (vp, vp, vp, u64)
            lib.ig_bc_memsim_export.restype = u64
            lib.ig_bc_memsim_export.argtypes = (vp, vp)
            lib.igm_test_new.restype = vp
            lib.igm_test_new.argtypes = (ctypes.c_char_p, ctypes.POINTER(i32))
            lib.igm_test_access.restype = u32
            lib.igm_test_access.argtypes = (vp, u64, u64, i32)
            lib.igm_test_access_run.restype = u32
            lib.igm_test_access_run.argtypes = (vp, u64, u64, u64, i32)
            lib.igm_test_access_strided.restype = u32
            lib.igm_test_access_strided.argtypes = (vp, u64, u64, ctypes.c_int64, u64, i32)
            lib.igm_test_export.restype = None
            lib.igm_test_export.argtypes = (vp, vp)
            lib.igm_test_no_hints.restype = None
            lib.igm_test_no_hints.argtypes = (vp,)
            lib.igm_test_free.restype = None
            lib.igm_test_free.argtypes = (vp,)
            lib.igm_export_words.restype = u64
            _native_lib = lib
        return _native_lib


class _NativeCounter:
    """Owns one ig_counter and its registration as a UC_HOOK_BLOCK hook of one Unicorn instance."""

    def __init__(self, mu, arch: str, budget: int | None, memsim_config: str | None = None,
                 observed: tuple[tuple[int, int], ...] = ((1, 0),)):
        self.lib = native_counter_lib()
        self.mu = mu
        uclib = _ucore.uclib
        mem_read = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p).value
        emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        limit = UINT64_MAX if budget is None else max(0, min(int(budget), UINT64_MAX))
        self.ctx = self.lib.ig_bc_new(_NATIVE_ARCH[arch], limit, mem_read, emu_stop, INITIAL_TABLE_CAPACITY)
        if not self.ctx:
            raise MemoryError("cannot allocate the native block counter")
        self.handle = _ucore.uc_hook_h()
        fn = ctypes.cast(self.lib.ig_bc_hook, ctypes.c_void_p)
        status = uclib.uc_hook_add(mu._uch, ctypes.byref(self.handle), _uc.UC_HOOK_BLOCK, fn,
                                   ctypes.c_void_p(self.ctx), ctypes.c_uint64(1), ctypes.c_uint64(0))
        if status != _uc.UC_ERR_OK:
            self.free()
            raise EmulatorNotFound(f"Unicorn refused the native block hook ({_uc.UcError(status)}): "
                                   f"reinstall unicorn=={_uc.__version__}")
        self.mem_handles = []
        self.memory_aware = memsim_config is not None
        if memsim_config is not None:
            self._attach_memsim(memsim_config, observed, arch)

    def _attach_memsim(self, text: str, observed: tuple[tuple[int, int], ...], arch: str) -> None:
        """Memory-aware run: data accesses in the `observed` address ranges ((first, last) pairs; (1, 0): all) go to
        the native simulator through one native memory hook per range. Unicorn runs every load and store through
        its slow path once any memory hook exists, but restores the guest state (the costly part) only for the
        accesses a hook's range covers, so memories that cannot stall (zero-wait SRAM / TCM) are left out. On
        Thumb the hook resets the IT state that restore leaves behind (ig_mem_hook says why)."""
        bad = self.lib.ig_bc_attach_memsim(self.ctx, text.encode())
        if bad:
            self.free()
            raise UnsupportedBackend(f"the memory simulator refused its configuration (line {bad}, -1: a cache whose"
                                     f" sets or line are not a power of two):\n{text}")
        fn = ctypes.cast(self.lib.ig_mem_hook, ctypes.c_void_p)
        ranges = [] if observed == ((1, 0),) else [v for pair in observed for v in pair]
        buf = (ctypes.c_uint64 * max(1, len(ranges)))(*ranges)
        if self.lib.ig_bc_observe(self.ctx, len(ranges) // 2, buf) != 0:
            self.free()
            raise UnsupportedBackend(f"the memory simulator takes at most 16 observed address ranges, not "
                                     f"{len(ranges) // 2}")
        if arch == "arm":
            self.lib.ig_bc_reset_it_state(self.ctx, ctypes.cast(_ucore.uclib.uc_reg_write, ctypes.c_void_p).value,
                                          _arm.UC_ARM_REG_EPSR)
        for first, last in observed:
            handle = _ucore.uc_hook_h()
            status = _ucore.uclib.uc_hook_add(self.mu._uch, ctypes.byref(handle),
                                              _uc.UC_HOOK_MEM_READ | _uc.UC_HOOK_MEM_WRITE, fn,
                                              ctypes.c_void_p(self.ctx), ctypes.c_uint64(first), ctypes.c_uint64(last))
            if status != _uc.UC_ERR_OK:
                self.free()
                raise EmulatorNotFound(f"Unicorn refused the native memory hook ({_uc.UcError(status)}): "
                                       f"reinstall unicorn=={_uc.__version__}")
            self.mem_handles.append(handle)

    def memsim_words(self) -> np.ndarray | None:
        """The simulator's counters (isa.memsim.EXPORT_WORDS words), None for a run that only counts."""
        if not self.memory_aware:
            return None
        out = np.zeros(int(self.lib.igm_export_words()), np.uint64)
        self.lib.ig_bc_memsim_export(self.ctx, out.ctypes.data)
        return out

    @property
    def total(self) -> int:
        return int(self.lib.ig_bc_total(self.ctx))

    @property
    def budget_hit(self) -> bool:
        return bool(self.lib.ig_bc_budget_hit(self.ctx))

    @property
    def error(self) -> tuple[int, int]:
        return int(self.lib.ig_bc_error(self.ctx)), int(self.lib.ig_bc_error_addr(self.ctx))

    @property
    def budget_addr(self) -> int:
        """Start address of the block whose execution took the total past the budget."""
        return int(self.lib.ig_bc_budget_addr(self.ctx))

    @property
    def last_block(self) -> tuple[int, int]:
        """(address, size) of the block entered most recently: the one a fault happened in."""
        return int(self.lib.ig_bc_last_addr(self.ctx)), int(self.lib.ig_bc_last_size(self.ctx))

    def remove_hook(self) -> None:
        if self.handle is not None:
            _ucore.uclib.uc_hook_del(self.mu._uch, self.handle)
            self.handle = None
        for h in self.mem_handles:
            _ucore.uclib.uc_hook_del(self.mu._uch, h)
        self.mem_handles = []

    def export(self) -> BlockCounts:
        n = int(self.lib.ig_bc_used(self.ctx))
        addr = np.zeros(n, np.uint64)
        size = np.zeros(n, np.uint32)
        insns = np.zeros(n, np.uint32)
        count = np.zeros(n, np.uint64)
        got = self.lib.ig_bc_export(self.ctx, addr.ctypes.data, size.ctypes.data, insns.ctypes.data,
                                    count.ctypes.data, n)
        assert got == n
        order = np.lexsort((size, addr))
        self.order = order
        return BlockCounts(addr[order], size[order], insns[order], count[order])

    def export_block_memory(self) -> tuple[np.ndarray, np.ndarray]:
        """(stall cycles, bytes from memories) per block, in the order of the last export()."""
        n = int(self.lib.ig_bc_used(self.ctx))
        stall = np.zeros(n, np.uint64)
        moved = np.zeros(n, np.uint64)
        self.lib.ig_bc_export_mem(self.ctx, stall.ctypes.data, moved.ctypes.data, n)
        return stall[self.order], moved[self.order]

    def free(self) -> None:
        if self.ctx:
            self.lib.ig_bc_free(self.ctx)
            self.ctx = None


def native_instruction_count(arch: str, code: bytes) -> int:
    """How the native hook counts the instructions of a block's bytes (-1: the lengths do not tile it)."""
    return int(native_counter_lib().ig_bc_count_insns(_NATIVE_ARCH[arch], code, len(code)))


# ---------------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------------

_PROT = {1: "UC_PROT_EXEC", 2: "UC_PROT_WRITE", 4: "UC_PROT_READ"}  # ELF PF_* -> Unicorn
_MEM_ERRORS = {  # uc_err name -> fault kind
    "UC_ERR_READ_UNMAPPED": "invalid memory read",
    "UC_ERR_WRITE_UNMAPPED": "invalid memory write",
    "UC_ERR_FETCH_UNMAPPED": "fetch from unmapped memory",
    "UC_ERR_READ_PROT": "read from protected memory",
    "UC_ERR_WRITE_PROT": "write to read-only memory",
    "UC_ERR_FETCH_PROT": "fetch from non-executable memory",
    "UC_ERR_READ_UNALIGNED": "unaligned memory read",
    "UC_ERR_WRITE_UNALIGNED": "unaligned memory write",
    "UC_ERR_FETCH_UNALIGNED": "unaligned instruction fetch",
    "UC_ERR_INSN_INVALID": "invalid instruction",
    "UC_ERR_EXCEPTION": "unhandled exception",
}
_ACCESS_NAMES = {"UC_MEM_READ_UNMAPPED": "read", "UC_MEM_WRITE_UNMAPPED": "write",
                 "UC_MEM_FETCH_UNMAPPED": "fetch", "UC_MEM_READ_PROT": "read", "UC_MEM_WRITE_PROT": "write",
                 "UC_MEM_FETCH_PROT": "fetch"}


def _perm_bits(flags: int) -> int:
    out = 0
    for bit, name in _PROT.items():
        if flags & bit:
            out |= getattr(_uc, name)
    return out


def _perm_text(perms: str) -> int:
    out = 0
    for ch, name in (("r", "UC_PROT_READ"), ("w", "UC_PROT_WRITE"), ("x", "UC_PROT_EXEC")):
        if ch in perms:
            out |= getattr(_uc, name)
    return out


@dataclass
class _Session:
    target: Target
    img: ElfImage
    mu: object
    regs: _Regs
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    error: Exception | None = None
    mem_fault: tuple[str, int, int] | None = None  # access, address, size
    handles: dict[int, str] = field(default_factory=dict)  # semihosting handle -> stdin/stdout/stderr
    cpacr: int = 0  # the M-profile CPACR (see SCS_CPACR)

    # -- helpers ------------------------------------------------------------------------------------------------
    def reg(self, r: int) -> int:
        return self.mu.reg_read(r)

    def arg(self, i: int) -> int:
        return self.mu.reg_read(self.regs.args[i])

    def read(self, addr: int, size: int, what: str, pc: int) -> bytes:
        try:
            return bytes(self.mu.mem_read(addr, size))
        except _uc.UcError:
            raise self.fault("invalid system call argument", pc,
                             f"{what} at 0x{addr:x} ({size} bytes) is not in mapped memory")

    def code_at(self, pc: int) -> bytes:
        for n in (4, 2):
            try:
                return bytes(self.mu.mem_read(pc, n))
            except _uc.UcError:
                continue
        return b""

    def insn_text(self, pc: int) -> str:
        """The instruction at pc as text (mnemonic and operands, without its bytes)."""
        return disassemble_one(self.target.arch, self.code_at(pc), pc).split(" (")[0]

    def fault(self, kind: str, pc: int | None, detail: str, *, with_insn: bool = True) -> EmulatorFault:
        where = self.img.describe(pc) if pc is not None else ""
        parts = []
        if with_insn and pc is not None:
            parts.append(disassemble_one(self.target.arch, self.code_at(pc), pc))
        if detail:
            parts.append(detail)
        return EmulatorFault(kind, pc, where, "; ".join(parts))

    def stop(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self.mu.emu_stop()

    def finish(self, status: int) -> None:
        self.exit_code = status & 0xFF
        self.mu.emu_stop()

    # -- exceptions ---------------------------------------------------------------------------------------------
    def on_interrupt(self, mu, intno: int, _user) -> None:
        if self.exit_code is not None or self.error is not None:
            return
        try:
            arch = self.target.arch
            if arch == "arm":
                self._arm_exception(intno)
            elif arch == "aarch64":
                self._aarch64_exception(intno)
            else:
                self._riscv_exception(intno)
        except EmulatorFault as e:  # kept and raised after emu_start returns
            self.stop(e)

    def _arm_exception(self, intno: int) -> None:
        pc = self.reg(self.regs.pc)
        if intno == _ARM_EXCP_BKPT and self.target.io == "semihosting":
            insn = self.code_at(pc)[:2]
            if insn == SEMIHOSTING_BKPT.to_bytes(2, "little"):
                self._semihosting(pc)
                return
            raise self.fault("breakpoint", pc, f"{BREAKPOINT_DETAIL} (a bkpt that is not a semihosting call, bkpt 0xab)")
        if intno == _ARM_EXCP_UDEF:
            raise self.fault("invalid instruction", pc, "")
        if intno == _ARM_EXCP_SWI:
            pc_insn = pc - 2  # PC is after the (Thumb) svc
            if self.target.io == "linux":
                self._linux_syscall(pc_insn)
                return
            raise self.fault("unsupported system call", pc_insn,
                             "svc on a target that talks through semihosting (bkpt 0xab)")
        name = _ARM_EXCEPTIONS.get(intno, "unknown")
        raise self.fault("unexpected exception", pc, f"exception {intno} ({name})")

    def _aarch64_exception(self, intno: int) -> None:
        pc = self.reg(self.regs.pc)
        if intno == _ARM_EXCP_SWI and self.target.io == "linux":
            self._linux_syscall(pc - 4)  # PC is after the svc
            return
        if intno == _ARM_EXCP_UDEF:
            raise self.fault("invalid instruction", pc, "")
        if intno == _ARM_EXCP_BKPT:  # brk #imm
            raise self.fault("breakpoint", pc, BREAKPOINT_DETAIL)
        name = _ARM_EXCEPTIONS.get(intno, "unknown")
        raise self.fault("unexpected exception", pc, f"exception {intno} ({name})")

    def _riscv_exception(self, intno: int) -> None:
        pc = self.reg(self.regs.pc) - _RISCV_HOOK_PC_OFFSET
        if intno in _RISCV_ECALLS and self.target.io == "linux":
            self._linux_syscall(pc)  # execution resumes at the PC Unicorn already shows (ecall + 4)
            return
        if intno == _RISCV_ILLEGAL:
            raise self.fault("invalid instruction", pc, "")
        name = _RISCV_EXCEPTIONS.get(intno, "unknown")
        raise self.fault("unexpected exception", pc, f"exception cause {intno} ({name})")

    # -- Linux system calls -------------------------------------------------------------------------------------
    def _linux_syscall(self, pc: int) -> None:
        nr = self.reg(self.regs.number)
        if nr == SYS_WRITE_LINUX:
            fd, buf, n = self.arg(0), self.arg(1), self.arg(2)
            if fd not in (1, 2):
                raise self.fault("unsupported system call", pc,
                                 f"write to file descriptor {fd}: only 1 (stdout) and 2 (stderr) are supported",
                                 with_insn=False)
            data = self.read(buf, n, "write buffer", pc) if n else b""
            (self.stdout if fd == 1 else self.stderr).extend(data)
            self.mu.reg_write(self.regs.args[0], n)
            return
        if nr in (SYS_EXIT_LINUX, SYS_EXIT_GROUP_LINUX):
            self.finish(self.arg(0))
            return
        name = LINUX_SYSCALL_NAMES.get(nr)
        label = f"system call {nr}" + (f" ({name})" if name else "")
        raise self.fault("unsupported system call", pc,
                         f"{label}: the Unicorn runner implements only write (64), exit (93) and "
                         f"exit_group (94); use the platform's ig_sys_write / ig_sys_exit", with_insn=False)

    # -- Arm semihosting ----------------------------------------------------------------------------------------
    def _semihosting(self, pc: int) -> None:
        op, arg = self.arg(0), self.arg(1)
        r0 = self.regs.args[0]

        def word(addr: int, what: str) -> int:
            return int.from_bytes(self.read(addr, 4, what, pc), "little")

        if op == 0x03:  # SYS_WRITEC: r1 points at the character
            self.stdout.extend(self.read(arg, 1, "SYS_WRITEC character", pc))
        elif op == 0x04:  # SYS_WRITE0: r1 points at a NUL-terminated string
            self.stdout.extend(self._c_string(arg, pc, "SYS_WRITE0 string"))
        elif op == 0x05:  # SYS_WRITE: r1 -> [handle, buffer, length]; returns the bytes NOT written
            handle, buf, n = word(arg, "SYS_WRITE block"), word(arg + 4, "SYS_WRITE block"), \
                word(arg + 8, "SYS_WRITE block")
            stream = self.handles.get(handle)
            if stream not in ("stdout", "stderr"):
                opened = ", ".join(f"{h}={s}" for h, s in sorted(self.handles.items())) or "none"
                raise self.fault("unsupported semihosting call", pc,
                                 f"SYS_WRITE to handle {handle}, which is not an open output handle (open: "
                                 f"{opened}); open one with SYS_OPEN(\":tt\", mode 4 for stdout, 8 for stderr)"
                                 f" as QEMU 7.2 pre-opens none, or write with SYS_WRITE0",
                                 with_insn=False)
            data = self.read(buf, n, "SYS_WRITE buffer", pc) if n else b""
            (self.stdout if stream == "stdout" else self.stderr).extend(data)
            self.mu.reg_write(r0, 0)
        elif op == 0x01:  # SYS_OPEN: r1 -> [name, mode, name length]
            name_ptr, mode = word(arg, "SYS_OPEN block"), word(arg + 4, "SYS_OPEN block")
            name = self._c_string(name_ptr, pc, "SYS_OPEN file name")
            if name != b":tt" or mode >= 12:
                raise self.fault("unsupported semihosting call", pc,
                                 f"SYS_OPEN of {name.decode('latin-1')!r} (mode {mode}): only the console "
                                 f"\":tt\" can be opened", with_insn=False)
            handle = 1
            while handle in self.handles:  # QEMU allocates the lowest free handle from 1
                handle += 1
            self.handles[handle] = "stdin" if mode < 4 else "stdout" if mode < 8 else "stderr"
            self.mu.reg_write(r0, handle)
        elif op == 0x02:  # SYS_CLOSE: r1 -> [handle]
            handle = word(arg, "SYS_CLOSE block")
            if handle in self.handles:
                del self.handles[handle]
                self.mu.reg_write(r0, 0)
            else:
                self.mu.reg_write(r0, 0xFFFFFFFF)
        elif op == 0x18:  # SYS_EXIT: r1 is the reason itself on 32-bit Arm
            self.finish(0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1)
            return
        elif op == 0x20:  # SYS_EXIT_EXTENDED: r1 -> [reason, subcode]
            reason, subcode = word(arg, "SYS_EXIT_EXTENDED block"), word(arg + 4, "SYS_EXIT_EXTENDED block")
            self.finish(subcode if reason == ADP_STOPPED_APPLICATION_EXIT else 1)
            return
        else:
            name = SEMIHOSTING_NAMES.get(op, "unknown operation")
            raise self.fault("unsupported semihosting call", pc,
                             f"operation 0x{op:02x} ({name}): the Unicorn runner implements SYS_OPEN(\":tt\"), "
                             f"SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_EXIT and SYS_EXIT_EXTENDED",
                             with_insn=False)
        self.mu.reg_write(self.regs.pc, (pc + 2) | 1)  # resume after the bkpt, in Thumb state

    def _c_string(self, addr: int, pc: int, what: str, limit: int = 1 << 20) -> bytes:
        out = bytearray()
        while len(out) < limit:
            try:
                chunk = bytes(self.mu.mem_read(addr + len(out), 64))
            except _uc.UcError:  # near the end of a region: go byte by byte
                chunk = self.read(addr + len(out), 1, what, pc)
            end = chunk.find(b"\0")
            if end >= 0:
                out.extend(chunk[:end])
                return bytes(out)
            out.extend(chunk)
        raise self.fault("invalid system call argument", pc, f"{what} at 0x{addr:x} has no NUL in {limit} bytes",
                         with_insn=False)

    # -- M-profile System Control Space (an MMIO stub, called only when the program touches it) ------------------
    def on_scs_read(self, mu, offset: int, size: int, _user) -> int:
        if SCS_BASE + offset == SCS_CPACR and size == 4:
            return self.cpacr
        self._scs_unsupported("read", offset, size)
        return 0

    def on_scs_write(self, mu, offset: int, size: int, value: int, _user) -> None:
        if SCS_BASE + offset == SCS_CPACR and size == 4:
            self.cpacr = value & 0x00F00000  # only CP10/CP11 exist
            return
        self._scs_unsupported("write", offset, size)

    def _scs_unsupported(self, access: str, offset: int, size: int) -> None:
        pc = self.reg(self.regs.pc)
        self.stop(self.fault("unsupported system register", pc,
                             f"{access} of {size} bytes at 0x{SCS_BASE + offset:x} in the System Control Space:"
                             f" the Unicorn backend models only CPACR (0x{SCS_CPACR:x}); the pc is the start of"
                             f" the basic block (Unicorn does not sync it for device accesses)", with_insn=False))

    def on_mem_invalid(self, mu, access: int, address: int, size: int, value: int, _user) -> bool:
        if self.mem_fault is None:
            name = next((n for n in _ACCESS_NAMES if getattr(_uc, n) == access), "")
            self.mem_fault = (_ACCESS_NAMES.get(name, "access"), address, size)
        return False  # not handled: Unicorn stops with the matching error


def _new_uc(target: Target):
    s = target.unicorn
    if s is None:
        raise UnsupportedBackend(f"backend unicorn cannot run target {target.name} ({target.description}): "
                                 f"use --backend qemu")
    if _uc is None:
        raise EmulatorNotFound("the unicorn Python package is not installed: run `make setup`")
    arch = _const(f"UC_ARCH_{s.arch}", (_uc,))
    mode = 0
    for m in s.mode:
        mode |= _const(f"UC_MODE_{m}", (_uc,))
    mu = _uc.Uc(arch, mode)
    if s.cpu_model:
        mu.ctl_set_cpu_model(_const(s.cpu_model, (_arm, _a64, _rv)))
    return mu


def _is_m_profile(target: Target) -> bool:
    return target.arch == "arm" and target.unicorn is not None and "MCLASS" in target.unicorn.mode


def _regions_of(target: Target, addr: int, size: int) -> bool:
    return any(r.base <= addr and addr + size <= r.base + r.size for r in target.memory)


def _check_fits(img: ElfImage, target: Target) -> None:
    for s in img.segments:
        if s.memsz and not _regions_of(target, s.vaddr, s.memsz):
            regions = ", ".join(f"{r.name} 0x{r.base:x}+{r.size // 1024} KiB" for r in target.memory)
            raise BadElf(f"{img.path.name}: the segment at 0x{s.vaddr:x} ({s.memsz} bytes) does not fit the memory"
                         f" map of target {target.name} ({regions}): the program is too large for the target, or"
                         f" was linked for another one")


def _setup_semihosting(mu, img: ElfImage, target: Target, regs: _Regs) -> int:
    for r in target.memory:
        mu.mem_map(r.base, r.size, _perm_text(r.perms))
    for s in img.segments:
        if s.data:  # at the load address, as a flash programmer stores it: the start-up code copies .data
            mu.mem_write(s.vaddr if s.paddr is None else s.paddr, s.data)
    vtor = target.link_base  # where the core's reset VTOR points (0 on most M-profile boards)
    try:
        vectors = bytes(mu.mem_read(vtor, 8))
    except _uc.UcError:
        raise BadElf(f"{img.path.name}: no memory at address 0x{vtor:x} for the vector table of target"
                     f" {target.name}") from None
    sp, pc = int.from_bytes(vectors[:4], "little"), int.from_bytes(vectors[4:], "little")
    if not pc & 1 or not any(s.vaddr <= pc & ~1 < s.vaddr + s.memsz for s in img.segments):
        raise BadElf(f"{img.path.name}: the reset vector (word 1 at address 0x{vtor:x}) is 0x{pc:x}, not a Thumb"
                     f" address in the program: build it with the {target.platform} start-up code (vector table at"
                     f" 0x{vtor:x})")
    mu.reg_write(regs.sp, sp)
    return pc | 1


# Bytes above the initial stack pointer of a Linux-style program: what intgap's QEMU 10 puts there (argc, argv,
# envp, the auxiliary vector, the strings and AT_RANDOM's bytes of a program started as `prog` with an empty
# environment, at the top of the target's stack region, where qemu_backend.guest_space_args has QEMU put the stack;
# `qemu-<arch> -d page` prints it as start_stack), so that both backends run the stack at the same addresses and give
# the same memory statistics (tests/isa/test_memsim.py::test_both_backends_give_identical_memory_statistics).
_LINUX_START_FRAME = {"aarch64": 0x190, "riscv64": 0x170, "riscv32": 0xD0}


def _setup_linux(mu, img: ElfImage, target: Target, regs: _Regs) -> int:
    page = mu.ctl_get_page_size()
    perms: dict[int, int] = {}  # page -> union of permissions of the segments on it
    for s in img.segments:
        if not s.memsz:
            continue
        first, last = s.vaddr // page, (s.vaddr + s.memsz - 1) // page
        for p in range(first, last + 1):
            perms[p] = perms.get(p, 0) | _perm_bits(s.flags)
    stack = target.stack_region
    pages = sorted(perms)
    i = 0
    while i < len(pages):  # map runs of consecutive pages with the same permissions
        j = i
        while j + 1 < len(pages) and pages[j + 1] == pages[j] + 1 and perms[pages[j + 1]] == perms[pages[i]]:
            j += 1
        base, size = pages[i] * page, (pages[j] - pages[i] + 1) * page
        if base < stack.base + stack.size and stack.base < base + size:
            raise BadElf(f"{img.path.name}: a segment overlaps the stack region of target {target.name}"
                         f" (0x{stack.base:x}+0x{stack.size:x}): relink it with the target's linker script")
        mu.mem_map(base, size, perms[pages[i]])
        i = j + 1
    for s in img.segments:
        if s.data:
            mu.mem_write(s.vaddr, s.data)  # uc_mem_write ignores page permissions
    mu.mem_map(stack.base, stack.size, _perm_text(stack.perms))
    # argc = 0, argv = {NULL}, envp = {NULL}, auxv = {AT_NULL}: zeros, as mapped
    sp = (stack.base + stack.size - _LINUX_START_FRAME[target.arch]) & ~0xF
    mu.reg_write(regs.sp, sp)
    if target.arch == "aarch64":
        # CPACR_EL1.FPEN = 0b11: FP/SIMD instructions do not trap
        cpacr = mu.reg_read(_a64.UC_ARM64_REG_CPACR_EL1)
        mu.reg_write(_a64.UC_ARM64_REG_CPACR_EL1, cpacr | (3 << 20))
    elif target.arch.startswith("riscv") and target.has_fpu:
        # mstatus.FS = Initial (0b01): float instructions do not trap (left Off without an FPU)
        mstatus = mu.reg_read(_rv.UC_RISCV_REG_MSTATUS)
        mu.reg_write(_rv.UC_RISCV_REG_MSTATUS, mstatus | (1 << 13))
    return img.entry


def run_unicorn(elf: Path, target: Target, *, max_instructions: int | None, timeout_s: float,
                count: bool = True, instrument: Callable[[object], None] | None = None,
                memory: tuple | None = None) -> RunResult:
    """Runs `elf` on `target` under Unicorn to its exit. See the module documentation for the details.

    `memory` = (board, placement) makes the run memory-aware: the native simulator (isa/native/ig_memsim.h,
    configured by isa.memsim.config_text) sees every instruction fetch and data access, and ``RunResult.memory``
    holds its counters. It needs counting.

    `instrument`, for tests and tools, is called with the `unicorn.Uc` once memory and registers are set up
    and the runner's hooks are in place, just before the emulation starts (e.g. to add a reference hook)."""
    mu = _new_uc(target)  # refuses a target Unicorn cannot run before anything else
    img = load_elf(elf)
    check_target(img, target)
    _check_fits(img, target)
    regs = _regs(target.arch)
    if target.io == "semihosting":
        begin = _setup_semihosting(mu, img, target, regs)
    elif target.io == "linux":
        begin = _setup_linux(mu, img, target, regs)
    else:
        raise UnsupportedBackend(f"the Unicorn backend does not know the I/O convention {target.io!r}"
                                 f" of target {target.name}")
    session = _Session(target, img, mu, regs)
    if _is_m_profile(target) and not any(r.base < SCS_BASE + SCS_SIZE and SCS_BASE < r.base + r.size
                                         for r in target.memory):
        mu.mmio_map(SCS_BASE, SCS_SIZE, session.on_scs_read, None, session.on_scs_write, None)
    from isa.npu.unicorn_mmio import attach_npu
    npu = attach_npu(mu, session, target, memory[0] if memory is not None else None)  # None without an NPU
    mu.hook_add(_uc.UC_HOOK_INTR, session.on_interrupt)
    mu.hook_add(_uc.UC_HOOK_MEM_INVALID, session.on_mem_invalid)
    memsim_config, observed = None, ()
    if memory is not None:
        from isa.memsim import config_text, observed_ranges
        memsim_config = config_text(memory[0], target, memory[1])
        observed = observed_ranges(memory[0], memory[1])
    counter = _NativeCounter(mu, target.arch, max_instructions, memsim_config, observed) if count else None
    if instrument is not None:
        instrument(mu)
    # PCs are even (Thumb bit stripped), 4-aligned or 2-aligned: an odd `until` is never reached
    until = (1 << target.bits) - 1
    timeout_us = max(1, int(round(timeout_s * 1e6))) if timeout_s and timeout_s > 0 else 0
    try:
        uc_error = None
        t0 = time.perf_counter()
        try:
            mu.emu_start(begin, until, timeout=timeout_us, count=0)
        except _uc.UcError as e:
            uc_error = e
        wall = time.perf_counter() - t0
        result = _conclude(session, counter, uc_error, wall, max_instructions, timeout_s,
                           timed_out=bool(timeout_us) and bool(mu.query(_uc.UC_QUERY_TIMEOUT)))
        result.npu = npu.stats if npu is not None else None
        if memory is not None and counter is not None:
            from isa.memsim import stats_from_words
            stats = stats_from_words(counter.memsim_words(), memory[0], target, memory[1])
            stats.block_stall_cycles, stats.block_memory_bytes = counter.export_block_memory()
            _stack_depth_by_painting(mu, stats)
            result.memory = stats
        return result
    finally:
        if counter is not None:
            counter.free()


def _stack_depth_by_painting(mu, stats) -> None:
    """The stack's lowest touched address where the memory hooks did not watch it: the region starts zero-filled,
    so the lowest non-zero word is how deep the stack went (stack painting; a lower bound where the deepest words
    were written with zeros)."""
    for p in stats.placement:
        if p["what"] != "stack" or p["lowest_touched"] is not None:
            continue
        data = np.frombuffer(bytes(mu.mem_read(p["base"], p["end"] - p["base"])), np.uint32)
        nz = np.flatnonzero(data)
        p["lowest_touched"] = p["base"] + 4 * int(nz[0]) if len(nz) else None
        p["lowest_touched_by"] = "stack painting (the region is not observed by the memory hooks)"


def _conclude(session: _Session, counter: _NativeCounter | None, uc_error, wall: float,
              max_instructions: int | None, timeout_s: float, *, timed_out: bool) -> RunResult:
    mu, img, target = session.mu, session.img, session.target
    pc = mu.reg_read(session.regs.pc)
    executed = f"after {counter.total:,} instructions" if counter is not None else "uncounted"

    if counter is not None:
        code, addr = counter.error
        if code:
            raise EmulatorFault("uncountable block", addr, img.describe(addr),
                                f"{_NATIVE_ERRORS.get(code, f'native counter error {code}')}: "
                                f"instruction counts would not be exact")
        if counter.budget_hit:
            raise budget_exceeded(target, img, max_instructions, counter.budget_addr, counter.total,
                                  session.insn_text(counter.budget_addr))
    if session.error is not None:
        raise session.error
    if uc_error is not None:
        raise _memory_or_insn_fault(session, counter, uc_error, pc)
    if session.exit_code is not None:
        blocks = counter.export() if counter is not None else BlockCounts.empty()
        instructions = blocks.instructions if counter is not None else 0
        if counter is not None and instructions != counter.total:
            raise EmulatorFault("inconsistent count", None, "",
                                f"the block table sums to {instructions} instructions but the running total"
                                f" is {counter.total}: report this as a bug of isa/native/ig_block_counter.c")
        # stderr: fd 2 / semihosting stderr handles, kept apart from stdout
        result = RunResult(target=target.name, backend="unicorn", exit_code=session.exit_code,
                           stdout=bytes(session.stdout), instructions=instructions, blocks=blocks,
                           wall_seconds=wall, counted=counter is not None, stderr=bytes(session.stderr))
        return result
    if timed_out:
        insn = session.insn_text(pc)
        raise RunTimeout(f"program on {target.name} did not exit within {timeout_s:g} s (stopped at"
                         f" {located(pc, img.describe(pc), insn)}, {executed}): raise the limit with --timeout, or"
                         f" look for an endless loop there", pc=pc, where=img.describe(pc), instruction=insn)
    raise session.fault("stopped without exiting", pc,
                        f"the emulator stopped ({executed}) but the program never called exit: a halt"
                        f" (wfi/wfe) or a stop at an unexpected point")


def _memory_or_insn_fault(session: _Session, counter: _NativeCounter | None, err, pc: int) -> EmulatorFault:
    name = next((n for n in _MEM_ERRORS if getattr(_uc, n, None) == err.errno), None)
    kind = _MEM_ERRORS.get(name, f"emulator error ({err})")
    detail = []
    if session.mem_fault is not None:
        access, address, size = session.mem_fault
        if access == "fetch":
            detail.append(f"no executable code at 0x{address:x}")
        else:
            detail.append(f"{access} of {size} bytes at address 0x{address:x}")
            stack = _stack_of(session.target)
            if stack is not None and stack.base - 64 * 1024 <= address < stack.base:
                detail.append(f"just below the stack region 0x{stack.base:x}..0x{stack.base + stack.size:x}: a stack"
                              f" overflow (the target's stack is {stack.size // 1024} KiB)")
    if name in ("UC_ERR_FETCH_UNMAPPED", "UC_ERR_FETCH_PROT"):
        lr = session.mu.reg_read(session.regs.lr)
        if session.target.arch == "arm":
            lr &= ~1
        detail.append(f"return address {lr:#x} is in {session.img.describe(lr)}")
        return session.fault(kind, pc, "; ".join(detail), with_insn=False)
    if kind == "invalid instruction" and session.target.arch.startswith("riscv") and \
            session.insn_text(pc).split()[0] in ("ebreak", "c.ebreak"):
        # Unicorn 2.1.4 stops at a RISC-V ebreak with UC_ERR_INSN_INVALID, without calling the interrupt hook
        return session.fault("breakpoint", pc, BREAKPOINT_DETAIL)
    if session.target.arch == "arm" and name in _WRITE_ERRORS and session.mem_fault is not None:
        exact = _locate_thumb_store(session, counter, pc)
        if exact is None:
            start, size = counter.last_block if counter is not None else (pc, 0)
            detail.append(f"Unicorn does not give the exact PC of a faulting store in Thumb code; the store is in the"
                          f" basic block 0x{start:x}..0x{start + size:x}" if size else
                          "Unicorn does not give the exact PC of a faulting store in Thumb code; pc is approximate")
            return session.fault(kind, start, "; ".join(detail), with_insn=False)
        pc = exact
    return session.fault(kind, pc, "; ".join(detail))


def _stack_of(target: Target):
    return next((r for r in target.memory if r.name == "stack"), None)


_WRITE_ERRORS = ("UC_ERR_WRITE_UNMAPPED", "UC_ERR_WRITE_PROT", "UC_ERR_WRITE_UNALIGNED")


def _locate_thumb_store(session: _Session, counter: _NativeCounter | None, reported_pc: int) -> int | None:
    """Unicorn (2.1.4) leaves the PC of a Thumb store that faults at the start of its translation block (or
    older). The registers are those just before the faulting store, so each store of the block the fault
    happened in is tried once from that state; the one that faults at the same address is the culprit."""
    mu = session.mu
    if counter is not None:
        start, size = counter.last_block
        counter.remove_hook()
    else:
        start, size = reported_pc, 64
    code = b""
    while size >= 2 and not code:
        try:
            code = bytes(mu.mem_read(start, size))
        except _uc.UcError:
            size //= 2
    fault = session.mem_fault
    candidates = [i.address for i in disassembler("arm").disasm(code, start)
                  if memory_access("arm", i.mnemonic) == "write"]
    until = (1 << session.target.bits) - 1
    saved = mu.context_save()
    found = None
    try:
        for addr in candidates:
            mu.context_restore(saved)
            session.mem_fault = None
            try:
                mu.emu_start(addr | 1, until, timeout=1_000_000, count=1)
            except _uc.UcError:
                pass
            if session.mem_fault is not None and session.mem_fault[1] == fault[1] and session.mem_fault[0] == fault[0]:
                found = addr
                break
    finally:
        session.mem_fault = fault
        mu.context_restore(saved)
    return found
