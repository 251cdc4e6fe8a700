"""The QEMU backend: outputs, exit codes, exact counts from the TCG plugin, faults, budget, timeout.

Programs are tests/isa/programs/q_*.c, built for every target of the registry (all of them run under QEMU).
Speed is measured by tests/isa/programs/q_speed.py, not here.
"""
from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

import isa
from isa import qemu_backend
from isa.elf import instruction_lengths, load_elf
from isa.errors import EmulatorFault, EmulatorNotFound, InstructionBudgetExceeded, RunTimeout
from isa.targets import TARGETS, QemuSettings, get_target
from tests.isa.elf_builds import back_edges

PROGRAMS = Path(__file__).resolve().parent / "programs"
ALL = [n for n, t in TARGETS.items() if t.qemu is not None]  # cortex-m0plus: no QEMU machine (docs/armv8m.md)
RVV = [n for n, t in TARGETS.items() if t.vlen]
UNICORN_TOO = [n for n, t in TARGETS.items() if t.unicorn is not None and t.qemu is not None]
SEMIHOSTING = [n for n, t in TARGETS.items() if t.io == "semihosting"]


def _representatives() -> list[str]:
    """One target per (architecture, QEMU binary, mode): the fault paths differ only by these."""
    seen, out = set(), []
    for n, t in TARGETS.items():
        if t.qemu is None:
            continue
        key = (t.arch, t.qemu.binary, t.qemu.kind)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


REPRESENTATIVES = _representatives()


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    import toolchain
    from toolchain.errors import CompilerNotFound
    out_dir = tmp_path_factory.mktemp("qemu-elves")
    cache: dict = {}

    def _build(program: str, target: str, *defines: str) -> Path:
        key = (program, target, defines)
        if key not in cache:
            elf = out_dir / f"{Path(program).stem}{''.join(defines)}-{target}.elf".replace("=", "_")
            try:
                toolchain.build_elf([PROGRAMS / program], get_target(target), elf,
                                    extra_cflags=tuple(f"-D{d}" for d in defines))
            except CompilerNotFound as e:
                pytest.skip(str(e))
            cache[key] = elf
        return cache[key]
    return _build


def qrun(elf: Path, target: str, trips: int | None = None, **kw) -> isa.RunResult:
    kw.setdefault("max_instructions", 200_000_000)
    kw.setdefault("timeout_s", 60)
    inputs = {".ig_input": struct.pack("<I", trips)} if trips is not None else None
    return isa.run(elf, target, "qemu", inputs=inputs, **kw)


# ------------------------------------------------------------------------------------------------ outputs

@pytest.mark.parametrize("target", ALL)
def test_output_exit_status_and_count(build, target):
    elf = build("q_hello.c", target)
    r = qrun(elf, target)
    assert (r.target, r.backend, r.counted) == (target, "qemu", True)
    assert r.stdout == b"hello from intgap\ndeadbeef\n"
    assert r.exit_code == 42
    assert r.instructions == r.blocks.instructions > 50
    assert r.blocks.addr.dtype == np.uint64 and r.blocks.size.dtype == np.uint32
    assert r.blocks.insns.dtype == np.uint32 and r.blocks.count.dtype == np.uint64
    assert np.all(r.blocks.count > 0)

    plain = qrun(elf, target, count=False)
    assert (plain.counted, plain.instructions, len(plain.blocks.addr)) == (False, 0, 0)
    assert (plain.stdout, plain.exit_code) == (r.stdout, r.exit_code)


@pytest.mark.parametrize("target", ALL)
def test_blocks_are_program_code_from_its_entry(build, target):
    """Every counted block is code of the ELF (no boot ROM, no QEMU helper), its byte size decodes into the
    counted number of instructions, and the first code run (reset vector or ELF entry) runs once."""
    elf = build("q_hello.c", target)
    t, img = get_target(target), load_elf(elf)
    r = qrun(elf, target)
    for addr, size, insns in zip(r.blocks.addr, r.blocks.size, r.blocks.insns):
        code = img.read(int(addr), int(size))  # raises if the block is not in the ELF
        assert len(instruction_lengths(t.arch, code)) == insns
        assert img.function_at(int(addr)) is not None
    if t.qemu.kind == "system":
        vectors = np.frombuffer(img.read(img.sections[".isr_vector"][0], 8), "<u4")
        first = int(vectors[1]) & ~1  # the reset handler
    else:
        first = img.entry
    i = np.flatnonzero(r.blocks.addr == first)
    assert len(i) == 1 and r.blocks.count[i[0]] == 1


# ------------------------------------------------------------------------------------------------ counts

def _loop_body_instructions(target: str, elf: Path) -> int:
    """Instructions from the target of q_kernel's backward branch to the branch itself, from the disassembly."""
    import capstone as cs
    t, img = get_target(target), load_elf(elf)
    f = next(s for s in img.functions if s.name == "q_kernel")
    if "mve" in t.extensions:  # Armv8.1-M: gcc closes the loop with LE, which capstone 5 does not decode
        from isa.decode import decoder_for
        ins = decoder_for(img, t).block(f.addr, f.size).insns
        back = [(i.target, i.addr) for i in ins if i.branch == "cond" and i.target is not None and i.target < i.addr]
        assert len(back) == 1, f"expected one loop in q_kernel, found {back}"
        return sum(1 for i in ins if back[0][0] <= i.addr <= back[0][1])
    if t.arch == "arm":
        md = cs.Cs(cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS)
    elif t.arch == "aarch64":
        md = cs.Cs(cs.CS_ARCH_ARM64, cs.CS_MODE_ARM)
    else:
        md = cs.Cs(cs.CS_ARCH_RISCV, (cs.CS_MODE_RISCV64 if t.bits == 64 else cs.CS_MODE_RISCV32) | cs.CS_MODE_RISCVC)
    md.detail = True
    insns = list(md.disasm(img.read(f.addr, f.size), f.addr))

    def dest(i):
        if cs.CS_GRP_JUMP in i.groups or cs.CS_GRP_BRANCH_RELATIVE in i.groups:
            imms = [o.imm for o in i.operands if o.type == cs.CS_OP_IMM]
            if imms:
                d = i.address + imms[-1] if t.arch.startswith("riscv") else imms[-1]
                return d if d < i.address else None
        return None
    back = back_edges(insns, f.addr, dest)
    assert len(back) == 1, f"expected one loop in q_kernel, found {back}"
    start, branch = back[0]
    return sum(1 for i in insns if start <= i.address <= branch)


def _loop_value(trips: int) -> int:
    acc = 0x12345
    for i in range(trips):
        acc = (acc * 2654435761 + i) & 0xFFFFFFFF
    return acc


@pytest.mark.parametrize("target", ALL)
def test_loop_count_is_exact(build, target):
    """N and N + k trips of the same ELF differ by exactly k x the loop body's instructions."""
    elf = build("q_loop.c", target)
    body = _loop_body_instructions(target, elf)
    n, k = 40, 1234
    a, b = qrun(elf, target, trips=n), qrun(elf, target, trips=n + k)
    for r, trips in ((a, n), (b, n + k)):
        value = _loop_value(trips)
        assert r.stdout == struct.pack("<I", value).hex().encode() + b"\n"
        assert r.exit_code == value & 0x3F
    assert b.instructions - a.instructions == k * body
    again = qrun(elf, target, trips=n + k)
    for field in ("addr", "size", "insns", "count"):
        assert np.array_equal(getattr(again.blocks, field), getattr(b.blocks, field))


@pytest.mark.parametrize("target", UNICORN_TOO)
def test_counts_agree_with_unicorn(build, target):
    pytest.importorskip("unicorn")
    elf = build("q_loop.c", target)
    inputs = {".ig_input": struct.pack("<I", 77)}
    q = isa.run(elf, target, "qemu", inputs=inputs, max_instructions=10**7, timeout_s=60)
    u = isa.run(elf, target, "unicorn", inputs=inputs, max_instructions=10**7, timeout_s=60)
    assert (q.stdout, q.exit_code, q.instructions) == (u.stdout, u.exit_code, u.instructions)
    for field in ("addr", "size", "count"):
        assert np.array_equal(getattr(q.blocks, field), getattr(u.blocks, field))


@pytest.mark.parametrize("target", SEMIHOSTING[:1])
def test_retranslated_block_shares_its_counter(build, target, tmp_path):
    """Self-modifying code makes QEMU translate the routine at q_code again; its count stays in one record."""
    elf = build("q_retranslate.c", target)
    t = get_target(target)
    out = tmp_path / "counts.bin"
    cmd = qemu_backend.qemu_command(qemu_backend.find_qemu(t), t, elf, plugin=qemu_backend.plugin_path(),
                                    out=out, log=tmp_path / "log")
    proc = subprocess.run(cmd, capture_output=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, struct.pack("<I", 30).hex().encode() + b"\n")
    counts = qemu_backend._read_counts(out)
    blocks, total, translations = counts.blocks, counts.total, counts.translations
    assert translations >= len(blocks.addr) + 2  # the routine was translated three times
    with open(elf, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name("q_code")[0]
    rows = np.flatnonzero(blocks.addr == sym["st_value"])
    assert len(rows) == 1
    assert (blocks.insns[rows[0]], blocks.count[rows[0]]) == (2, 30)
    assert total == blocks.instructions == qrun(elf, target).instructions


@pytest.mark.parametrize("target", RVV)
def test_rvv_vector_add(build, target):
    elf = build("q_rvv_add.c", target)
    r = qrun(elf, target)
    a = [i * 3 - 50 for i in range(37)]
    b = [1000 - i * i for i in range(37)]
    c = struct.pack("<37i", *(x + y for x, y in zip(a, b)))
    vlmax = get_target(target).vlen // 32
    assert r.stdout == c.hex().encode() + b"\n" + struct.pack("<Q", vlmax).hex().encode() + b"\n"
    assert r.exit_code == 0 and r.instructions > 0


# ------------------------------------------------------------------------------------------------ RVV vl

def _strip_sites(r: isa.RunResult) -> dict[tuple[int, int, int, int], int]:
    """{(executions, vl sum, vl min, vl max): number of vsetvl* sites with those values}."""
    out: dict = {}
    v = r.vl_sites
    for key in zip(v.executions.tolist(), v.vl_sum.tolist(), v.vl_min.tolist(), v.vl_max.tolist()):
        out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize("target", RVV)
def test_rvv_vl_per_vsetvl_site(build, target):
    """q_rvv_add.c strip-mines 37 int32 elements with vsetvl_e32m1(37 - i): VLMAX = VLEN/32 elements, so the loop's
    site runs ceil(37/VLMAX) times, its vl values sum to 37, the last one is the tail. The vsetvlmax site gives
    VLMAX once. No site's vl exceeds VLMAX."""
    r = qrun(build("q_rvv_add.c", target), target)
    vlmax = get_target(target).vlen // 32
    trips = -(-37 // vlmax)
    tail = 37 - (trips - 1) * vlmax
    sites = _strip_sites(r)
    assert sites.get((trips, 37, tail, vlmax)) == 1, sites
    assert sites.get((1, vlmax, vlmax, vlmax), 0) >= 1, sites  # vsetvlmax (clang adds vsetvlis of its own)
    v = r.vl_sites
    assert np.all(v.executions > 0) and np.all(v.vl_min <= v.vl_max) and np.all(v.vl_max <= vlmax)
    assert np.all(v.vl_min * v.executions <= v.vl_sum) and np.all(v.vl_sum <= v.vl_max * v.executions)
    ends = set((r.blocks.addr + r.blocks.size).tolist())
    assert all(a + 4 in ends for a in v.addr.tolist())  # each vsetvl* ends a counted block (QEMU ends TBs there)


def test_no_vl_capture_without_rvv(build):
    r = qrun(build("q_hello.c", "rv64gc"), "rv64gc")
    assert len(r.vl_sites) == 0


def test_rvv_model_charges_the_measured_vl(build):
    """VLEN 512, e32m1: VLMAX 16, but the loop runs vl 16, 16, 5 (mean 12.33 -> 12 elements). Each of its two
    loads and one store then moves 3 x 12 x 4 bytes instead of 3 x 16 x 4 (96 load bytes and 48 store bytes
    fewer than VLMAX gives), and the vector unit is busy ceil(12 x 32 / 128) = 3 beats per instruction instead
    of 4, so the estimate is lower."""
    from isa.profile import profile
    from isa.result import VlSites
    from isa.timing import estimate
    target = "rv64gcv-vlen512"
    elf = build("q_rvv_add.c", target)
    measured = qrun(elf, target)
    assumed = dataclasses.replace(measured, vl_sites=VlSites.empty())
    pm, pa = profile(measured, elf), profile(assumed, elf)
    assert (pa.load_bytes - pm.load_bytes, pa.store_bytes - pm.store_bytes) == (96, 48)
    em, ea = estimate(measured, elf), estimate(assumed, elf)
    assert em.model == ea.model and "rvv-vlen512" in em.model
    assert em.cycles < ea.cycles


@pytest.mark.parametrize("target", RVV)
def test_rvv_accesses_fed_per_instruction_equal_the_per_element_ones(build, target, monkeypatch):
    """Memory-aware RVV runs: the plugin feeds unmasked unit-stride, strided, mask, whole-register and indexed
    loads / stores by one callback per instruction from the registers (ig_tcg_counter.c, feed_vector). The
    simulator must see exactly what QEMU's per-element callbacks report (vmem=elements): same statistics, block for
    block. q_rvv_mem.c runs 29 such instructions per repetition (3 repetitions), plus whatever the compiler
    vectorised, and masked / segment / fault-only-first ones and gathers with 64-bit indices that stay per element
    (a vloxei64 among them); four of them share a base
    register, which the plugin reads once unless an instruction between them writes it (vmv.x.s, addi)."""
    from isa.boards import board_for
    elf = build("q_rvv_mem.c", target)
    board = board_for(get_target(target))
    seen = []
    read = qemu_backend._read_counts
    monkeypatch.setattr(qemu_backend, "_read_counts", lambda path: seen.append(read(path)) or seen[-1])
    whole = qrun(elf, target, board=board)
    monkeypatch.setattr(qemu_backend, "FEED_VECTOR_ELEMENTS", True)
    elements = qrun(elf, target, board=board)
    assert seen[0].vector_fed >= 87 and seen[1].vector_fed == 0
    assert whole.stdout == elements.stdout and whole.instructions == elements.instructions
    assert whole.memory.to_json() == elements.memory.to_json()
    assert np.array_equal(whole.memory.block_stall_cycles, elements.memory.block_stall_cycles)
    assert np.array_equal(whole.memory.block_memory_bytes, elements.memory.block_memory_bytes)


USER_64 = [n for n in ("rv64gcv", "cortex-a55") if n in TARGETS]


def cached_board(target: str):
    """A board with caches for `target`: its default one, or for rv32imc (whose rv32-sram board is zero-wait, so
    nothing to simulate) jh7110's memory system hosting it."""
    from isa.boards import board_for, get_board
    t = get_target(target)
    if not board_for(t).zero_wait:
        return board_for(t)
    return dataclasses.replace(get_board("jh7110"), name="jh7110-rv32", hosts=(target,))


@pytest.mark.parametrize("target", USER_64 + ["rv32imc"])
def test_memory_aware_runs_of_a_user_mode_guest_are_reproducible(build, target):
    """A 64-bit user-mode guest's stack used to sit where the host's mmap put it, moving by whole pages from run to
    run with address-space randomization (and its lines with it into other cache sets). With the reserved guest
    address space (qemu_backend.guest_space_args) QEMU places it itself, at the Unicorn backend's stack region; a
    32-bit guest's stack (fixed size, -s) is where the rv32imc target's stack region says: three memory-aware runs
    print the same stack address, inside that region, with identical statistics and estimates. q_stack.c reads a
    stack array and a global one in turns, so its misses depend on where the stack is."""
    from isa.timing import estimate
    elf = build("q_stack.c", target)
    t, board = get_target(target), cached_board(target)
    runs = [qrun(elf, target, board=board) for _ in range(3)]
    where = int.from_bytes(bytes.fromhex(runs[0].stdout.split()[0].decode()), "little")
    assert t.stack_region.base <= where < t.stack_region.base + t.stack_region.size
    ests = [estimate(r, elf, target, board=board).to_json() for r in runs]
    for r, e in zip(runs[1:], ests[1:]):
        assert r.stdout == runs[0].stdout and r.memory.to_json() == runs[0].memory.to_json() and e == ests[0]
        assert np.array_equal(r.memory.block_stall_cycles, runs[0].memory.block_stall_cycles)
    assert runs[0].memory.cache("L1D").misses > 0


@pytest.mark.parametrize("target, words", [
    (USER_64[0], r"0x7f000000, above 0x7efff000, where QEMU's reserved guest address space .*shrink them"),
    ("rv32imc", r"0x2aaac000, above 0x2aaab000, where QEMU maps the rv32imc guest's stack .*shrink them")])
def test_an_image_reaching_the_reserved_stack_is_refused(build, tmp_path, target, words):
    """A segment that ends above the stack's guard page: one clear error before QEMU runs."""
    elf = build("q_hello.c", target)
    raw = bytearray(elf.read_bytes())
    with open(elf, "rb") as f:
        e = ELFFile(f)
        phoff, phentsize, wide = e["e_phoff"], e["e_phentsize"], e.elfclass == 64
        i = max(k for k, seg in enumerate(e.iter_segments()) if seg["p_type"] == "PT_LOAD")
        vaddr = e.get_segment(i)["p_vaddr"]
    # p_memsz: Elf64_Phdr type, flags, offset, vaddr, paddr, filesz, memsz; Elf32_Phdr type, offset, vaddr, paddr,
    # filesz, memsz
    memsz_at, fmt = (phoff + i * phentsize + 40, "<Q") if wide else (phoff + i * phentsize + 20, "<I")
    raw[memsz_at:memsz_at + struct.calcsize(fmt)] = struct.pack(fmt, get_target(target).stack_region.base - vaddr)
    big = tmp_path / "big-bss.elf"
    big.write_bytes(bytes(raw))
    with pytest.raises(isa.BadElf, match=r"big-bss.elf: its segments end at " + words):
        qrun(big, target)


def test_a_reservation_the_host_refuses_names_the_limit(build, monkeypatch):
    """The reservation is host virtual address space, not memory; under a virtual-memory limit smaller than it
    QEMU cannot start the guest: one error naming the limit and the fix."""
    import resource
    target = USER_64[0]
    elf = build("q_hello.c", target)
    setup = qemu_backend._child_setup

    def limited() -> None:
        setup()
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    monkeypatch.setattr(qemu_backend, "_child_setup", limited)
    with pytest.raises(EmulatorFault, match=r"could not reserve the guest address space .* GiB of host virtual"
                                            r" addresses.*virtual-memory limit is too small; raise it \(`ulimit -v"):
        qrun(elf, target)


# ------------------------------------------------------------------------------------------------ faults

@pytest.mark.parametrize("target", REPRESENTATIVES)
def test_invalid_read_is_a_fault_with_pc(build, target):
    elf = build("q_fault.c", target, "Q_FAULT=1")
    with pytest.raises(EmulatorFault) as e:
        qrun(elf, target)
    crash = next(s for s in load_elf(elf).functions if s.name == "q_crash")
    assert e.value.kind == "invalid memory read"
    assert crash.addr < e.value.pc < crash.addr + crash.size
    assert e.value.where.startswith("q_crash+")
    assert "ld" in str(e.value) or "lw" in str(e.value)  # the load instruction is named


@pytest.mark.parametrize("target", REPRESENTATIVES)
def test_undefined_instruction_is_a_fault_with_pc(build, target):
    elf = build("q_fault.c", target, "Q_FAULT=2")
    with pytest.raises(EmulatorFault) as e:
        qrun(elf, target)
    crash = next(s for s in load_elf(elf).functions if s.name == "q_crash")
    assert e.value.kind == "invalid instruction"
    assert e.value.pc == crash.addr and e.value.where == "q_crash+0x0"


# ------------------------------------------------------------------------------------------------ limits

@pytest.mark.parametrize("target", REPRESENTATIVES[:2])
def test_budget_stops_an_endless_run(build, target):
    elf = build("q_loop.c", target)
    with pytest.raises(InstructionBudgetExceeded, match="budget of 20,000,000"):
        qrun(elf, target, trips=0xFFFFFFFF, max_instructions=20_000_000, timeout_s=60)


def test_budget_is_checked_after_a_short_run(build):
    elf = build("q_hello.c", ALL[0])
    with pytest.raises(InstructionBudgetExceeded):
        qrun(elf, ALL[0], max_instructions=20)


def test_timeout_kills_the_run(build, monkeypatch):
    target = REPRESENTATIVES[-1]
    elf = build("q_loop.c", target)
    started: list[int] = []  # this run's processes only: other intgap runs may share the machine
    popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        proc = popen(*args, **kwargs)
        started.append(proc.pid)
        return proc

    monkeypatch.setattr(qemu_backend.subprocess, "Popen", recording_popen)
    with pytest.raises(RunTimeout, match="timeout_s"):
        qrun(elf, target, trips=0xFFFFFFFF, count=False, timeout_s=0.5)
    monkeypatch.undo()
    assert started

    def alive(pid: int) -> bool:  # a zombie (state Z) has exited; only its exit status is left
        stat = Path(f"/proc/{pid}/stat")
        return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"

    assert not [pid for pid in started if alive(pid)]


# ------------------------------------------------------------------------------------------------ set-up errors

def test_missing_qemu_names_the_fix(build):
    t = get_target(REPRESENTATIVES[0])
    broken = dataclasses.replace(t, qemu=QemuSettings(t.qemu.kind, "qemu-intgap-nonexistent", t.qemu.args))
    with pytest.raises(EmulatorNotFound, match=r"qemu-intgap-nonexistent not found in .*make setup.*setup-qemu\.sh"):
        qemu_backend.run_qemu(build("q_hello.c", t.name), broken, max_instructions=None, timeout_s=10)


def test_plugin_build_without_glib(tmp_path, monkeypatch):
    """QEMU 10's qemu-plugin.h includes glib.h: without pkg-config (or glib's headers) the plugin cannot build."""
    qemu_backend.plugin_path()  # the real build works first
    monkeypatch.setenv("PATH", str(tmp_path))  # no pkg-config
    with pytest.raises(EmulatorNotFound, match=r"pkg-config cannot find glib-2.0 .*make setup.*libglib2.0-dev"):
        qemu_backend.plugin_path()


def test_missing_qemu_build_names_setup(build, tmp_path, monkeypatch):
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))
    with pytest.raises(EmulatorNotFound, match=r"not found in .*make setup.*setup-qemu\.sh"):
        qrun(build("q_hello.c", ALL[0]), ALL[0])
    assert os.environ["INTGAP_DEPS_DIR"] == str(tmp_path)
