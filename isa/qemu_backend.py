"""The QEMU backend: runs an ELF under intgap's QEMU 10 build and counts every translation block natively.

How a run goes (counting, what a TB count means, budget, host access, faults): docs/backends.md.
"""
from __future__ import annotations

import functools
import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from isa.elf import image_end, instruction_lengths, load_elf
from isa.errors import BadElf, EmulatorFault, EmulatorNotFound, InstructionBudgetExceeded, IsaError, RunTimeout, \
    located
from isa import qemu_discovery
from isa.faults import BREAKPOINT_DETAIL, SEMIHOSTING_NAMES, budget_exceeded, in_code, instruction_at, memory_access
from isa.native import build_shared, pkg_config_cflags
from isa.result import BlockCounts, RunResult, VlSites
from isa.targets import Target

PLUGIN_SOURCE = "ig_tcg_counter.c"
PLUGIN_MAGIC = b"IGTCG06\0"
EXIT_BUDGET = 124  # QEMU's status when the plugin stops a run over budget (the file's flag decides)
FLAG_BUDGET = 1
FLAG_STOPPED_BY_TIME = 4  # the plugin's stop_ms ended the run
FLAG_SEMIHOSTING = 8  # the plugin refused a semihosting call other than the console's (stop_detail: the operation)
HARD_FAULT_TEXT = b"ig: hard fault"
HARD_FAULT_STATUS = 134

_HEADER = 8 + 10 * 8  # magic, n_records, flags, instructions, budget, translations, stop_vaddr, n_vl_sites,
#                       n_mem_words, stop_detail, vector_fed
# System mode: QEMU's seccomp sandbox. Semihosting runs on the host (QEMU 7.2 has no option to limit it to the
# console): SYS_SYSTEM would start a host shell command. spawn=deny makes the kernel stop QEMU instead (SIGSYS).
SANDBOX = ("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
# How long a rerun under the gdbstub runs before it is interrupted to show where a timed-out program is.
LOCATE_TIMEOUT_S = 1.0
# Every QEMU run (and rerun) gets the same guest start-up: an empty environment (the host's is not the guest's
# business, and QEMU_* variables would change QEMU) and the ELF as `prog` in its run directory (QEMU runs there), so
# a user-mode stack (argv, envp and auxv strings at its top) starts at the same address whoever calls and wherever
# the temporary directory is: memory-aware statistics of stack lines and any layout-dependent behaviour are
# reproducible (64-bit guests also need guest_space_args).
RUN_DIR_PREFIX = "ig-qemu-"
PROG_NAME = "prog"
GUEST_ENV: dict[str, str] = {}
GUEST_PAGE = 4096  # the target page of qemu-aarch64 and qemu-riscv64 user mode
_RECORD = np.dtype([("addr", "<u8"), ("size", "<u4"), ("insns", "<u4"), ("count", "<u8")])
_VL_SITE = np.dtype([("addr", "<u8"), ("executions", "<u8"), ("vl_sum", "<u8"), ("vl_min", "<u4"),
                     ("vl_max", "<u4")])

# Fault kinds, in the Unicorn backend's words so that both backends name a fault alike. A memory fault is
# refined to "read", "write" or "fetch" from the faulting instruction (see _fault).
_SIGNAL_KINDS = {
    signal.SIGSEGV: ("invalid memory {access}", "the program accessed an address that is not mapped"),
    signal.SIGILL: ("invalid instruction", "the CPU model does not implement this instruction (wrong -march or"
                                           " target?) or the program jumped into data"),
    signal.SIGBUS: ("unaligned memory {access}", "bus error: a misaligned or otherwise invalid access"),
    signal.SIGFPE: ("division by zero", "arithmetic exception"),
    signal.SIGTRAP: ("breakpoint", BREAKPOINT_DETAIL),
    signal.SIGABRT: ("abort", "the program aborted"),
}

# gdb's register number of the PC and the register width in bytes, per architecture ('g' packet layout).
_GDB_PC = {"aarch64": (32, 8), "riscv64": (32, 8), "riscv32": (32, 4), "arm": (15, 4)}


def run_qemu(elf: Path, target: Target, *, max_instructions: int | None, timeout_s: float,
             count: bool = True, memory: tuple | None = None) -> RunResult:
    """Runs `elf` on `target` under QEMU to its exit; with `count`, returns exact per-block counts. `memory` =
    (board, placement) makes the run memory-aware, as the Unicorn backend's: the plugin feeds the native cache
    and memory simulator (isa/native/ig_memsim.h) every block's instruction fetch and the data accesses in the
    observed ranges, and ``RunResult.memory`` holds its counters."""
    elf = Path(elf).resolve()
    check_guest_space(elf, target)
    binary = find_qemu(target, plugins=count)
    plugin = plugin_path() if count else None
    budget = int(max_instructions) if (count and max_instructions) else 0
    with tempfile.TemporaryDirectory(prefix=RUN_DIR_PREFIX) as tmp:
        tmpdir = Path(tmp)
        out = tmpdir / "counts.bin"
        log = tmpdir / "qemu.log"
        cmd = qemu_command(binary, target, elf, plugin=plugin, out=out, log=log, budget=budget,
                           plugin_extra=_memsim_args(memory, target, tmpdir) if (count and memory) else "")
        t0 = time.perf_counter()
        try:
            rc, stdout, stderr = _run(cmd, cwd=tmpdir, timeout_s=timeout_s, what=f"{elf.name} on {target.name}")
        except RunTimeout as e:
            raise _located_timeout(e, binary, target, elf, timeout_s) from None
        wall = time.perf_counter() - t0
        counts = _read_counts(out) if (count and out.exists()) else None
        log_text = log.read_text(errors="replace") if log.exists() else ""

    if counts is not None and counts.flags & FLAG_SEMIHOSTING:
        op = counts.stop_detail
        raise _fault(target, elf, "unsupported semihosting call", counts.stop_vaddr,
                     f"operation 0x{op:02x} ({SEMIHOSTING_NAMES.get(op, 'unknown operation')}): intgap's QEMU plugin"
                     " lets only the console calls reach the host (SYS_OPEN(\":tt\"), SYS_CLOSE, SYS_WRITEC,"
                     " SYS_WRITE0, SYS_WRITE, SYS_EXIT, SYS_EXIT_EXTENDED) and stopped the run before it")
    if counts is not None and counts.flags & FLAG_BUDGET:
        raise _budget_exceeded(binary, plugin, target, elf, budget, counts.total, timeout_s)
    _check_fault(rc, stdout, elf, binary, target, timeout_s)
    if rc == -signal.SIGSYS and target.qemu.kind == "system" and _has_sandbox(binary):
        raise EmulatorFault("forbidden host operation", None, "",
                            f"QEMU's sandbox ({SANDBOX[0]} {SANDBOX[1]}) stopped {elf.name}: it asked the host to"
                            " start a process (a semihosting SYS_SYSTEM call runs a host shell command), which"
                            " intgap never allows; run it with --backend unicorn, which emulates only the console"
                            " calls and names the call")
    if rc < 0:
        raise EmulatorFault("emulator crash", None, "",
                            f"{binary} died with signal {-rc}: {_tail(stderr)}")
    _check_qemu_error(rc, stderr, binary, elf, target)
    if not count:
        return RunResult(target.name, "qemu", rc, stdout, 0, BlockCounts.empty(), wall, counted=False)
    if counts is None:
        raise EmulatorFault("emulator error", None, "",
                            f"{binary} exited with status {rc} without writing the block counts"
                            f" (plugin log: {_tail(log_text) or 'empty'}; stderr: {_tail(stderr) or 'empty'})")
    blocks, total = counts.blocks, counts.total
    if budget and total > budget:  # ended before the watcher saw the budget pass
        raise _budget_exceeded(binary, plugin, target, elf, budget, total, timeout_s)
    blocks, block_mem = _exact_sizes(blocks, elf, target, counts.block_mem)
    stats = None
    if memory is not None and counts.mem_words is not None:
        from isa.memsim import stats_from_words
        stats = stats_from_words(counts.mem_words, memory[0], target, memory[1])
        stats.block_stall_cycles, stats.block_memory_bytes = block_mem[:, 0].copy(), block_mem[:, 1].copy()
    return RunResult(target.name, "qemu", rc, stdout, total, blocks, wall, counted=True, vl_sites=counts.vl_sites,
                     memory=stats)


# True: the plugin feeds RVV loads and stores element by element from QEMU's memory callbacks (vmem=elements), the
# reference its one-callback-per-instruction synthesis is tested against (tests/isa/test_qemu_backend.py)
FEED_VECTOR_ELEMENTS = False


def _memsim_args(memory: tuple, target: Target, tmpdir: Path) -> str:
    """The plugin's memsim= and observe= arguments, their files written into the run's directory."""
    from isa.memsim import config_text, observed_ranges
    board, placement = memory[0], memory[1]
    (tmpdir / "memsim.txt").write_text(config_text(board, target, placement))
    (tmpdir / "observe.txt").write_text("".join(f"{a} {b}\n" for a, b in observed_ranges(board, placement)))
    return (f",memsim={tmpdir / 'memsim.txt'},observe={tmpdir / 'observe.txt'}"
            + (",vmem=elements" if FEED_VECTOR_ELEMENTS else ""))


def _budget_exceeded(binary: str, plugin: Path, target: Target, elf: Path, budget: int, executed: int,
                     timeout_s: float) -> InstructionBudgetExceeded:
    """The budget error, naming the basic block that took the count past the budget.

    The budget watcher stops a run a millisecond or two past the budget, somewhere. To name the block, the
    (deterministic) program is run once more with the plugin's exact per-TB check (check=tb: a callback per
    block, slower, so used only on this error path), which stops at the first TB whose entry takes the count
    past the budget: the rule of the Unicorn backend's native hook, so both backends name the same block.
    If that rerun fails, the error says so and names no block."""
    img = load_elf(elf)
    pc, exact, why = None, executed, ""
    with tempfile.TemporaryDirectory(prefix=RUN_DIR_PREFIX) as tmp:
        out = Path(tmp) / "counts.bin"
        cmd = qemu_command(binary, target, elf, plugin=plugin, out=out, log=Path(tmp) / "qemu.log", budget=budget,
                           check="tb")
        try:
            _run(cmd, cwd=Path(tmp), timeout_s=timeout_s, what=f"{elf.name} on {target.name} (locating the budget)")
            again = _read_counts(out) if out.exists() else None
        except RunTimeout:
            again, why = None, f"the rerun to find the block took over {timeout_s:g} s"
        if again is not None and again.flags & FLAG_BUDGET and again.stop_vaddr:
            pc, exact = again.stop_vaddr, again.total
        elif not why:
            why = "the rerun to find the block did not stop at the budget"
    if pc is None:
        return InstructionBudgetExceeded(
            f"{elf.name} on {target.name} ran past the instruction budget of {budget:,} instructions (stopped after"
            f" {executed:,} under QEMU; {why}): raise it with --max-instructions, or look for an endless loop")
    return budget_exceeded(target, img, budget, pc, exact, _insn_text(target, img, pc),
                           "; QEMU: found by a rerun with the plugin's per-block check")


def _insn_text(target: Target, img, pc: int) -> str:
    insn = instruction_at(target.arch, img, pc)
    return f"{insn[0]} {insn[1]}".strip() if insn else ""


def _located_timeout(err: RunTimeout, binary: str, target: Target, elf: Path, timeout_s: float) -> RunTimeout:
    """The timeout error with where the program is: QEMU was killed, so the (deterministic) program is run
    once more for LOCATE_TIMEOUT_S (at most timeout_s) and stopped: in system mode under the gdbstub,
    interrupted; in user mode (QEMU 10's user-mode gdbstub cannot be interrupted while the guest runs) with the
    plugin's stop_ms, which stops at the first block entered after that time (the pc is that block's start).
    For a program that never exits that is a pc in its endless loop; the message says how the pc was found."""
    secs = min(timeout_s, LOCATE_TIMEOUT_S)
    if target.qemu.kind == "user":
        pc, why = _locate_running_by_plugin(binary, target, elf, secs, timeout_s)
        how = f"a rerun with the counting plugin, stopped at the first block entered after {secs:g} s,"
    else:
        pc, why = _locate_running(binary, target, elf, secs, timeout_s)
        how = f"a rerun under QEMU's gdbstub, interrupted after {secs:g} s,"
    msg = str(err)
    head, sep, fix = msg.partition(": raise it with --timeout")
    if pc is None:
        return RunTimeout(f"{head} (pc unknown: {why}){sep}{fix}")
    img = load_elf(elf)
    where, insn = img.describe(pc), _insn_text(target, img, pc)
    return RunTimeout(f"{head} ({how} was at {located(pc, where, insn)}){sep}{fix} there", pc=pc, where=where,
                      instruction=insn)


def _locate_running_by_plugin(binary: str, target: Target, elf: Path, seconds: float, timeout_s: float
                              ) -> tuple[int | None, str]:
    """(pc, "") of the first block a rerun of `elf` enters after `seconds`, or (None, why)."""
    try:
        plugin = plugin_path()
    except EmulatorNotFound as e:
        return None, str(e)
    with tempfile.TemporaryDirectory(prefix=RUN_DIR_PREFIX) as tmp:
        out = Path(tmp) / "counts.bin"
        cmd = qemu_command(binary, target, elf, plugin=plugin, out=out, log=Path(tmp) / "qemu.log", check="tb",
                           stop_ms=max(1, int(seconds * 1000)))
        try:
            _run(cmd, cwd=Path(tmp), timeout_s=max(timeout_s, seconds) + 10.0, what=f"{elf.name} (locating)")
        except RunTimeout:
            return None, "the rerun to find it did not stop"
        counts = _read_counts(out) if out.exists() else None
    if counts is None or not counts.flags & FLAG_STOPPED_BY_TIME or not counts.stop_vaddr:
        return None, "the rerun to find it ended before it was stopped"
    return counts.stop_vaddr, ""


def _exact_sizes(blocks: BlockCounts, elf: Path, target: Target, extra: np.ndarray
                 ) -> tuple[BlockCounts, np.ndarray]:
    """Block byte sizes re-derived from each block's instruction count and the ELF's encodings.

    QEMU 7.2 misreports the size of a Thumb instruction that ends a block before a 1 KiB page boundary (a
    10-byte block came back as 12), so the plugin's byte sums are only a hint. Rows that become identical merge.
    Blocks outside the ELF image keep the plugin's size. `extra` (one row per block: memory-aware runs' stall
    cycles and memory bytes) is summed over merged rows like the counts."""
    img = load_elf(elf)
    sizes = blocks.size.copy()
    for i, (addr, size, n) in enumerate(zip(blocks.addr.tolist(), blocks.size.tolist(), blocks.insns.tolist())):
        try:
            code = img.read(addr, min(4 * n, _bytes_left(img, addr)))
        except BadElf:
            continue
        lengths = instruction_lengths(target.arch, code)[:n]
        if len(lengths) == n:
            sizes[i] = sum(lengths)
    keys = np.stack([blocks.addr, sizes.astype(np.uint64), blocks.insns.astype(np.uint64)], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    counts = np.zeros(len(uniq), np.uint64)
    np.add.at(counts, inverse.reshape(-1), blocks.count)
    merged = np.zeros((len(uniq), extra.shape[1]), np.uint64)
    np.add.at(merged, inverse.reshape(-1), extra)
    return BlockCounts(uniq[:, 0].astype(np.uint64), uniq[:, 1].astype(np.uint32), uniq[:, 2].astype(np.uint32),
                       counts), merged


def _bytes_left(img, addr: int) -> int:
    for s in img.segments:
        if s.vaddr <= addr < s.vaddr + len(s.data):
            return s.vaddr + len(s.data) - addr
    return 0


# ----------------------------------------------------------------------------------------- set-up

def find_qemu(target: Target, *, plugins: bool = True) -> str:
    """The path of intgap's QEMU binary for `target`; with `plugins`, one that can load the counting plugin."""
    q = qemu_discovery.find_qemu(target.qemu.binary)
    if plugins and not q.plugins:
        raise EmulatorNotFound(f"{q.path} (QEMU {q.version}) cannot load TCG plugins, which intgap needs to count"
                               f" instructions on {target.name}: " + qemu_discovery.SETUP_FIX.format(
                                   where=qemu_discovery.qemu_root()))
    return str(q.path)


def plugin_path() -> Path:
    """The counting plugin, built with the host compiler on first use against the matching qemu-plugin.h
    (cached per source and header version)."""
    include = qemu_discovery.qemu_plugin_header().parent
    so = build_shared(PLUGIN_SOURCE, include_dirs=(include,), cflags=pkg_config_cflags("glib-2.0"))
    if "," in str(so):
        raise EmulatorNotFound(f"the plugin path {so} contains a comma, which QEMU's -plugin option cannot"
                               " take: set INTGAP_CACHE to a directory without commas")
    return so


def qemu_command(binary: str, target: Target, elf: Path, *, plugin: Path | None, out: Path, log: Path,
                 budget: int = 0, extra: tuple[str, ...] = (), check: str | None = None,
                 stop_ms: int = 0, plugin_extra: str = "") -> list[str]:
    """The QEMU command line; `extra` is appended to the emulator options (e.g. a gdbstub); `check` is the
    plugin's budget check mode (None: the default thread watcher; "tb": exact per-TB check); `stop_ms` (with
    check="tb") stops the run at the first block entered after that many milliseconds."""
    opts: list[str] = []
    if plugin is not None:
        if "," in str(out):
            raise IsaError(f"QEMU's -plugin option cannot take a path with a comma: {out}: set TMPDIR to a"
                           " directory without commas")
        arg = f"{plugin},out={out}" + (f",budget={budget}" if budget else "") + (f",check={check}" if check else "")
        arg += (",vl=on" if target.vlen else "") + (f",stop_ms={stop_ms}" if stop_ms else "") + plugin_extra
        opts += ["-plugin", arg, "-d", "plugin", "-D", str(log)]
    opts += list(extra)
    if target.qemu.kind == "user":
        prog = out.parent / PROG_NAME  # see RUN_DIR_PREFIX
        if not prog.exists():
            prog.symlink_to(Path(elf).resolve())
        # relative to the run directory (every caller runs QEMU there): the path QEMU copies onto the guest stack
        # is then the same whatever the temporary directory's name
        return [binary, *target.qemu.args, *guest_space_args(target), *opts, PROG_NAME]
    if target.qemu.kind == "system":
        sandbox = list(SANDBOX) if _has_sandbox(binary) else []
        return [binary, *target.qemu.args, *sandbox, "-kernel", str(elf), *opts]
    raise IsaError(f"target {target.name}: unknown QEMU kind {target.qemu.kind!r} (use user or system)")


def guest_space_args(target: Target) -> tuple[str, ...]:
    """User mode: a fixed stack size (-s) and, for a 64-bit guest, a reserved guest address space (-R), so that QEMU
    places the guest stack itself, at the target's stack region (the Unicorn backend's), in every run
    (docs/platform-qemu.md, "Where the guest stack is"). Without -R QEMU maps a 64-bit guest's stack wherever the
    host's mmap puts it: it moved by whole pages from run to run with address-space randomization, and with it the
    stack lines' cache sets. A 32-bit guest's stack is at the same address in every run without a reservation (QEMU
    refuses one large enough to move it); without -s QEMU takes a larger host `ulimit -s`, which moves the stack's
    top."""
    stack = target.stack_region
    if target.bits != 64:
        return ("-s", str(stack.size))
    return ("-R", str(reserved_guest_space(target)), "-s", str(stack.size))


def reserved_guest_space(target: Target) -> int:
    """Bytes of guest address space QEMU reserves for a 64-bit user-mode target. QEMU 10 (linux-user/main.c) starts
    mmap's search at the reservation's third, page-aligned (its 64-bit TASK_UNMAPPED_BASE, 1 << 38, lies above this
    reservation), and maps the stack there first: a guard page, then the stack. Three times the guard page's address
    therefore puts the stack at target.stack_region; the image below it, mappings above it."""
    return 3 * (target.stack_region.base - GUEST_PAGE)


def check_guest_space(elf: Path, target: Target) -> None:
    """Refuses an ELF whose segments reach the stack's guard page (QEMU would map the stack over them or elsewhere,
    or refuse the ELF with a message that does not say why)."""
    if target.qemu is None or target.qemu.kind != "user":
        return
    limit = target.stack_region.base - GUEST_PAGE
    end = image_end(elf)
    if end <= limit:
        return
    where = (f"QEMU's reserved guest address space for {target.name} ({reserved_guest_space(target) / 2**30:.2f} GiB,"
             f" chosen so that the guest stack sits at 0x{target.stack_region.base:x} in every run) keeps the stack"
             if target.bits == 64 else f"QEMU maps the {target.name} guest's stack (from 0x{limit:x} on)")
    raise BadElf(f"{Path(elf).name}: its segments end at 0x{end:x}, above 0x{limit:x}, where {where}: the program's"
                 f" code and data must fit below it; shrink them (e.g. int4 weights) or relink with the target's"
                 f" linker script")


@functools.lru_cache(maxsize=None)
def _has_sandbox(binary: str) -> bool:
    """Whether this qemu-system binary was built with seccomp (Debian's is): its --help lists -sandbox."""
    try:
        out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "-sandbox on" in out


def _child_setup() -> None:  # runs in the child between fork and exec
    os.setsid()  # own process group: a timeout kills QEMU and anything it started
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no guest or host core files


def _run(cmd: list[str], *, cwd: Path, timeout_s: float, what: str) -> tuple[int, bytes, bytes]:
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_child_setup, env=GUEST_ENV)
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise RunTimeout(f"{what} did not finish within {timeout_s:g} s under QEMU: raise it with --timeout"
                         " (timeout_s=), or look for an endless loop") from None
    except BaseException:
        _kill_group(proc)
        raise
    return proc.returncode, stdout, stderr


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


class PluginCounts(NamedTuple):
    blocks: BlockCounts  # blocks with a non-zero count, sorted by address
    flags: int  # FLAG_BUDGET: the run was stopped by the budget
    total: int  # instructions executed
    translations: int  # TBs translated (more than the records when QEMU retranslated)
    stop_vaddr: int  # check=tb: start of the TB that took the count past the budget (else 0)
    vl_sites: VlSites  # RVV: the vl each vsetvl* site produced (empty without vl=on)
    block_mem: np.ndarray  # (blocks, 2) uint64 aligned with `blocks`: memory-aware runs' stall cycles, memory bytes
    mem_words: np.ndarray | None  # the simulator's exported counters (memory-aware runs), else None
    stop_detail: int  # FLAG_SEMIHOSTING: the semihosting operation refused
    vector_fed: int = 0  # memory-aware RVV runs: vector loads / stores fed by one callback each (not per element)


def _read_counts(path: Path) -> PluginCounts | None:
    """The plugin's file; None if it is not a complete one."""
    raw = path.read_bytes()
    if len(raw) < _HEADER or raw[:8] != PLUGIN_MAGIC:
        return None
    n, flags, total, _budget, translations, stop_vaddr, n_vl, n_words, detail, vector_fed = (
        int(x) for x in np.frombuffer(raw, "<u8", 10, 8))
    mem_at = _HEADER + n * _RECORD.itemsize + n_vl * _VL_SITE.itemsize
    if len(raw) != mem_at + (8 * (2 * n + n_words) if n_words else 0):
        return None
    rec = np.frombuffer(raw, _RECORD, n, _HEADER)
    if np.any(rec["count"] >= 1 << 63):  # the I/O-rewind correction (ig_tcg_counter.c) took a count below 0
        raise EmulatorFault("emulator error", None, "", "intgap's QEMU plugin computed a negative block count (an"
                            " I/O rewind it could not attribute): please report it with the ELF")
    vl = np.frombuffer(raw, _VL_SITE, n_vl, _HEADER + n * _RECORD.itemsize)
    vl = vl[np.argsort(vl["addr"], kind="stable")]
    vl_sites = VlSites(vl["addr"].copy(), vl["executions"].copy(), vl["vl_sum"].copy(), vl["vl_min"].copy(),
                       vl["vl_max"].copy())
    block_mem = (np.frombuffer(raw, "<u8", 2 * n, mem_at).reshape(n, 2) if n_words
                 else np.zeros((n, 2), np.uint64))
    mem_words = np.frombuffer(raw, "<u8", n_words, mem_at + 16 * n).copy() if n_words else None
    ran = rec["count"] > 0
    rec, block_mem = rec[ran], block_mem[ran]
    order = np.lexsort((rec["size"], rec["addr"]))
    rec, block_mem = rec[order], block_mem[order]
    blocks = BlockCounts(rec["addr"].astype(np.uint64), rec["size"].astype(np.uint32),
                         rec["insns"].astype(np.uint32), rec["count"].astype(np.uint64))
    return PluginCounts(blocks, flags, total, translations, stop_vaddr, vl_sites, block_mem, mem_words, detail,
                        vector_fed)


def _tail(text: str | bytes, n: int = 400) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = " ".join(text.strip().split())
    return text if len(text) <= n else "..." + text[-n:]


def _check_qemu_error(rc: int, stderr: bytes, binary: str, elf: Path, target: Target) -> None:
    """QEMU's own start-up errors (bad ELF, bad option) are prefixed with its name on stderr."""
    name = os.path.basename(binary)
    err = stderr.decode(errors="replace")
    if rc != 0 and ("Unable to find a guest_base" in err or "Unable to reserve" in err):
        size = reserved_guest_space(target)
        raise EmulatorFault("emulator error", None, "",
                            f"{name} could not reserve the guest address space for {elf.name} on {target.name}"
                            f" ({size / 2**30:.2f} GiB of host virtual addresses, not memory: intgap reserves it so"
                            f" that the guest stack sits at the same address in every run): the process's"
                            f" virtual-memory limit is too small; raise it (`ulimit -v unlimited`) ({_tail(err)})")
    if rc != 0 and re.search(rf"^{re.escape(name)}: ", err, re.M):
        raise EmulatorFault("emulator error", None, "",
                            f"{name} could not run {elf.name} for {target.name}: {_tail(err)} (intgap runs its own"
                            f" QEMU build, {binary}: if it is broken, delete {Path(binary).parent.parent} and run"
                            " `make setup`)")


# ----------------------------------------------------------------------------------------- faults

def _check_fault(rc: int, stdout: bytes, elf: Path, binary: str, target: Target, timeout_s: float) -> None:
    if target.qemu.kind == "user" and rc < 0 and -rc in _SIGNAL_KINDS:
        kind, detail = _SIGNAL_KINDS[signal.Signals(-rc)]
        pc, extra = _locate_user_fault(binary, target, elf, timeout_s)
        raise _fault(target, elf, kind, pc, detail + extra)
    if target.qemu.kind == "system" and rc == HARD_FAULT_STATUS and HARD_FAULT_TEXT in stdout:
        kind, pc, detail = _locate_cortex_m_fault(binary, target, elf, timeout_s)
        raise _fault(target, elf, kind, pc, detail)


def _fault(target: Target, elf: Path, kind: str, pc: int | None, detail: str) -> EmulatorFault:
    """The fault with its symbol and, where the ELF has code at pc, the instruction; "{access}" in the
    kind becomes read/write (from the instruction) or the kind becomes a fetch fault when pc has no code."""
    where, insn = "", None
    try:
        img = load_elf(elf)
    except IsaError:
        img = None
    if pc is not None and img is not None:
        where = img.describe(pc)
        insn = instruction_at(target.arch, img, pc)
    if "{access}" in kind:
        if pc is not None and img is not None and insn is None and not in_code(img, pc):
            kind, detail = "fetch from unmapped memory", f"no executable code at 0x{pc:x}"
        else:
            access = memory_access(target.arch, insn[0]) if insn else None
            kind = kind.format(access=access) if access else kind.replace(" {access}", " access")
    if kind == "hard fault" and insn and insn[0] == "bkpt":  # a bkpt escalates to HardFault without a debugger
        kind, detail = "breakpoint", f"{_SIGNAL_KINDS[signal.SIGTRAP][1]} ({detail})"
    if insn:
        detail = f"{detail}; instruction: {insn[0]} {insn[1]}".rstrip()
    return EmulatorFault(kind, pc, where, detail)


class _GdbRemote:
    """The few GDB remote-protocol packets needed to read registers and memory from QEMU's gdbstub."""

    def __init__(self, path: Path, proc: subprocess.Popen, timeout_s: float):
        self.proc = proc
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout_s)
        deadline = time.monotonic() + min(timeout_s, 30.0)
        while True:
            try:
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise OSError("QEMU's gdbstub did not come up") from None
                time.sleep(0.005)
        self.buf = b""

    def send(self, payload: str) -> None:
        data = payload.encode()
        self.sock.sendall(b"$%s#%02x" % (data, sum(data) & 0xFF))

    def request(self, payload: str) -> str:
        self.send(payload)
        return self.read_packet()

    def continue_for(self, seconds: float) -> str:
        """Lets the program run; interrupts it with gdb's Ctrl-C byte after `seconds` unless it stops or exits
        first (system mode: QEMU 10's user-mode stub does not read its socket while the guest runs). Returns the
        stop reply."""
        self.send("c")
        old = self.sock.gettimeout()
        self.sock.settimeout(seconds)
        try:
            return self.read_packet()
        except TimeoutError:
            pass
        finally:
            self.sock.settimeout(old)
        self.sock.sendall(b"\x03")
        return self.read_packet()

    def read_packet(self) -> str:
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                packet = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                self.sock.sendall(b"+")
                return packet.decode()
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("QEMU's gdbstub closed the connection")
            self.buf += chunk

    def registers(self, width: int) -> list[int]:
        g = bytes.fromhex(self.request("g"))
        return [int.from_bytes(g[i:i + width], "little") for i in range(0, len(g) - width + 1, width)]

    def read_u32(self, addr: int, n: int = 1) -> list[int] | None:
        reply = self.request(f"m{addr:x},{4 * n:x}")
        if not reply or reply.startswith("E") or len(reply) != 8 * n:
            return None
        raw = bytes.fromhex(reply)
        return [int.from_bytes(raw[4 * i:4 * i + 4], "little") for i in range(n)]

    def close(self) -> None:
        self.sock.close()


def _with_gdb(binary: str, target: Target, elf: Path, timeout_s: float, session) -> tuple:
    """Reruns `elf` without the plugin under QEMU's gdbstub and calls `session(gdb)`."""
    with tempfile.TemporaryDirectory(prefix=RUN_DIR_PREFIX) as tmp:
        sock = Path(tmp) / "gdb.sock"
        if target.qemu.kind == "user":
            extra = ("-g", str(sock))
        else:
            extra = ("-S", "-chardev", f"socket,id=iggdb,path={sock},server=on,wait=off", "-gdb", "chardev:iggdb")
        cmd = qemu_command(binary, target, elf, plugin=None, out=Path(tmp) / "unused", log=Path(tmp) / "log",
                           extra=extra)
        proc = subprocess.Popen(cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, preexec_fn=_child_setup, env=GUEST_ENV)
        gdb = None
        try:
            gdb = _GdbRemote(sock, proc, timeout_s)
            gdb.request("?")
            return session(gdb)
        finally:
            if gdb is not None:
                gdb.close()
            _kill_group(proc)


def _locate_running(binary: str, target: Target, elf: Path, seconds: float, timeout_s: float
                    ) -> tuple[int | None, str]:
    """(pc, "") where a rerun of `elf` under the gdbstub is after `seconds`, or (None, why). System mode."""
    reg, width = _GDB_PC[target.arch]

    def session(gdb: _GdbRemote) -> tuple[int | None, str]:
        stop = gdb.continue_for(seconds)
        if not stop or stop[0] not in "TS":
            return None, f"the rerun ended before it was interrupted ({stop!r})"
        return gdb.registers(width)[reg], ""

    try:
        return _with_gdb(binary, target, elf, max(timeout_s, seconds) + 10.0, session)
    except (OSError, ValueError, IndexError) as e:
        return None, str(e)


def _locate_user_fault(binary: str, target: Target, elf: Path, timeout_s: float) -> tuple[int | None, str]:
    reg, width = _GDB_PC[target.arch]

    def session(gdb: _GdbRemote) -> tuple[int | None, str]:
        stop = gdb.request("c")
        if not stop or stop[0] not in "TS":
            return None, f" (the rerun to find the pc ended differently: {stop!r})"
        return gdb.registers(width)[reg], ""

    try:
        return _with_gdb(binary, target, elf, timeout_s, session)
    except (OSError, ValueError, IndexError) as e:
        return None, f" (pc unknown: {e})"


# Cortex-M Configurable Fault Status Register bits -> (kind, description)
_CFSR_BITS = (
    (16, "invalid instruction", "undefined instruction (UsageFault UNDEFINSTR)"),
    (17, "invalid instruction", "invalid state: branch to an address without the Thumb bit (UsageFault INVSTATE)"),
    (18, "invalid instruction", "invalid exception return (UsageFault INVPC)"),
    (19, "invalid instruction", "coprocessor or FPU instruction with the unit absent or disabled (UsageFault NOCP)"),
    (24, "unaligned memory {access}", "unaligned access (UsageFault UNALIGNED)"),
    (25, "division by zero", "integer division by zero (UsageFault DIVBYZERO)"),
    (0, "fetch from unmapped memory", "instruction fetch from a protected address (MemManage IACCVIOL)"),
    (1, "invalid memory {access}", "data access to a protected address (MemManage DACCVIOL)"),
    (8, "fetch from unmapped memory", "instruction fetch bus error (BusFault IBUSERR)"),
    (9, "invalid memory {access}", "data access bus error (BusFault PRECISERR)"),
    (10, "invalid memory access", "imprecise data bus error (BusFault IMPRECISERR; the pc is past the access)"),
    (12, "invalid memory write", "bus error while stacking the exception frame (stack overflow?)"),
    (11, "invalid memory read", "bus error while unstacking an exception frame"),
)
_SCB_CFSR, _SCB_HFSR, _SCB_MMFAR, _SCB_BFAR = 0xE000ED28, 0xE000ED2C, 0xE000ED34, 0xE000ED38


def _cortex_m_handlers(elf: Path) -> list[int]:
    """Addresses of the HardFault/MemManage/BusFault/UsageFault handlers from the ELF's vector table."""
    img = load_elf(elf)
    base = img.sections.get(".isr_vector", (min(s.vaddr for s in img.segments), 0, 0))[0]
    words = np.frombuffer(img.read(base, 7 * 4), "<u4")
    return sorted({int(w) & ~1 for w in words[3:7] if w})


def _locate_cortex_m_fault(binary: str, target: Target, elf: Path, timeout_s: float
                           ) -> tuple[str, int | None, str]:
    unknown = ("hard fault", None, "the program's Fault_Handler ran")
    try:
        handlers = _cortex_m_handlers(elf)
    except (IsaError, ValueError):
        return unknown[0], None, unknown[2] + " (no vector table found to locate the fault)"
    if not handlers:
        return unknown

    def session(gdb: _GdbRemote) -> tuple[str, int | None, str]:
        for h in handlers:
            gdb.request(f"Z0,{h:x},2")
        stop = gdb.request("c")
        if not stop or stop[0] not in "TS":
            return unknown[0], None, unknown[2] + f" (the rerun to find the pc ended differently: {stop!r})"
        regs = gdb.registers(4)
        sp, exc_return = regs[13], regs[14]
        pc = None
        if exc_return & 0xF0000000 == 0xF0000000 and not exc_return & 0x4:  # frame on the main stack
            frame = gdb.read_u32(sp, 8)
            pc = frame[6] if frame else None
        cfsr, hfsr, mmfar, bfar = (gdb.read_u32(a) or [0] for a in (_SCB_CFSR, _SCB_HFSR, _SCB_MMFAR, _SCB_BFAR))
        cfsr, hfsr, mmfar, bfar = cfsr[0], hfsr[0], mmfar[0], bfar[0]
        for bit, kind, text in _CFSR_BITS:
            if cfsr >> bit & 1:
                if bit in (0, 1) and cfsr & (1 << 7):
                    text += f" at address 0x{mmfar:x}"
                if bit in (9,) and cfsr & (1 << 15):
                    text += f" at address 0x{bfar:x}"
                return kind, pc, f"{text}; CFSR=0x{cfsr:08x}"
        return "hard fault", pc, f"HardFault with CFSR=0x{cfsr:08x} HFSR=0x{hfsr:08x}"

    try:
        return _with_gdb(binary, target, elf, timeout_s, session)
    except (OSError, ValueError, IndexError) as e:
        return unknown[0], None, unknown[2] + f" (pc unknown: {e})"
