"""Errors that are rare in practice but reachable: a sweep program that exits with a failure status, QEMU itself
killed by a signal, paths with a comma (QEMU's -plugin option cannot take them), the static-library archiver
missing or failing, and the Unicorn backend's own consistency checks of the native block counter. Each is one
error of the package's class naming the cause and the fix."""
from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import tempfile

import pytest

import isa
from intgap.cli import main
from isa.errors import EmulatorFault, EmulatorNotFound, IsaError
from toolchain import BuildFailed, CompilerNotFound, build_static_library

from tests.isa.fake_qemu import fake_qemu_install

from .conftest import PROGRAMS, one_line_error


def _fake_tool(tmp_path, name: str, script: str):
    d = tmp_path / "fake-bin"
    d.mkdir(exist_ok=True)
    (d / name).write_text("#!/bin/sh\n" + script)
    (d / name).chmod(0o755)
    return d


# ------------------------------------------------------------------------------------------------ the sweep

def test_sweep_program_that_exits_with_a_failure_status(tmp_path, monkeypatch, capsys):
    """intgap/sweep.py: a built program that exits non-zero is not measured; the message says how to look."""
    real = isa.run

    def failing(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), exit_code=3)
    monkeypatch.setattr(isa, "run", failing)
    rc = main(["bench", "--targets", "cortex-m4", "--configs", "w8a8", "--no-layers", "--no-plots",
               "--workdir", str(tmp_path / "w"), "--cache-dir", str(tmp_path / "cache")])
    assert rc == 2
    line = one_line_error(capsys)
    assert "the program exited with status 3" in line and "intgap run " in line and "--target cortex-m4" in line


# ------------------------------------------------------------------------------------------------ QEMU

def test_qemu_killed_by_a_signal_is_an_emulator_crash(elfs, tmp_path, monkeypatch):
    """QEMU itself dies (here: SIGKILL, as the OOM killer would): not a guest fault, and no count."""
    elf = elfs("uc_hello.c", "rv64gc")
    fake_qemu_install(tmp_path, monkeypatch, {"qemu-riscv64": "kill -KILL $$\n"})
    with pytest.raises(EmulatorFault, match=r"emulator crash: .*qemu-riscv64 died with signal 9") as e:
        isa.run(elf, "rv64gc", "qemu")
    assert e.value.kind == "emulator crash" and e.value.pc is None


def test_plugin_path_with_a_comma(elfs, tmp_path, monkeypatch):
    cache = tmp_path / "cache,with-a-comma"
    monkeypatch.setenv("INTGAP_CACHE", str(cache))
    elf = elfs("uc_hello.c", "rv64gc")
    with pytest.raises(EmulatorNotFound, match=r"the plugin path .*cache,with-a-comma.* contains a comma.*"
                                               r"set INTGAP_CACHE to a directory without commas"):
        isa.run(elf, "rv64gc", "qemu")
    assert isa.run(elf, "rv64gc", "qemu", count=False).exit_code == 7  # no plugin, no problem


def test_run_directory_with_a_comma(elfs, tmp_path, monkeypatch):
    """The counts file lives in a temporary directory: a TMPDIR with a comma cannot be passed to the plugin."""
    elf = elfs("uc_hello.c", "rv64gc")
    isa.run(elf, "rv64gc", "qemu", count=False)  # the plugin is built into the (comma-free) cache before
    from isa.qemu_backend import plugin_path
    plugin_path()
    tmp = tmp_path / "tmp,dir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with pytest.raises(IsaError, match=r"QEMU's -plugin option cannot take a path with a comma: .*tmp,dir.*"
                                       r"set TMPDIR to a directory without commas"):
        isa.run(elf, "rv64gc", "qemu")


# ------------------------------------------------------------------------------------------------ toolchain.library

def test_static_library_archiver_missing(tmp_path, monkeypatch):
    import toolchain.library as lib
    real = shutil.which
    monkeypatch.setattr(lib.shutil, "which", lambda name, *a, **k: None if name.endswith("-ar") else real(name))
    t = isa.get_target("rv64gc")
    with pytest.raises(CompilerNotFound, match=r"riscv64-unknown-elf-ar not found \(the archiver for rv64gc with "
                                               r"gcc\): run `make setup`"):
        build_static_library([PROGRAMS / "uc_hello.c"], t, tmp_path / "libx.a")
    assert not (tmp_path / "libx.a").exists()


def test_static_library_archiving_fails(tmp_path, monkeypatch):
    t = isa.get_target("rv64gc")
    d = _fake_tool(tmp_path, f"{t.triple}-ar", "echo 'ar: libx.a: No space left on device' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(BuildFailed, match=r"(?s)archiving libx.a with .*fake-bin/riscv64-unknown-elf-ar failed:\n"
                                          r"ar: libx.a: No space left on device"):
        build_static_library([PROGRAMS / "uc_hello.c"], t, tmp_path / "libx.a")


def test_static_library_source_that_does_not_compile(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int f(void) { return undefined_name; }\n")
    with pytest.raises(BuildFailed, match=r"(?s)compiling bad.c for rv64gc with gcc failed:\n.*undefined_name"):
        build_static_library([bad], isa.get_target("rv64gc"), tmp_path / "libx.a")


# ------------------------------------------------------------------------------------------------ Unicorn's counter

def test_native_counter_reports_blocks_it_cannot_count():
    """ig_block_counter.c, driven directly: a block whose bytes cannot be read (error 2) or whose bytes are not
    a whole number of instructions (error 3) stops the run instead of giving an inexact count."""
    from isa.unicorn_backend import native_counter_lib
    lib = ctypes.CDLL(native_counter_lib()._name)  # own handle: argtypes set here do not leak
    lib.ig_bc_new.restype = ctypes.c_void_p
    lib.ig_bc_new.argtypes = (ctypes.c_int32, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64)
    lib.ig_bc_hook.argtypes = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p)
    for name in ("ig_bc_error", "ig_bc_total", "ig_bc_error_addr"):
        getattr(lib, name).argtypes = (ctypes.c_void_p,)
    lib.ig_bc_error.restype = ctypes.c_int32
    lib.ig_bc_total.restype = lib.ig_bc_error_addr.restype = ctypes.c_uint64
    lib.ig_bc_free.argtypes = (ctypes.c_void_p,)
    READ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64)
    STOP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
    stops = []
    stop = STOP(lambda uc: stops.append(1) or 0)

    def reader(code: bytes | None):
        def read(uc, addr, buf, size):
            if code is None:
                return 1  # UC_ERR_NOMEM-like failure
            ctypes.memmove(buf, code, min(size, len(code)))
            return 0
        return READ(read)

    cases = [(0, None, 0x100, 4, 2),  # unreadable
             (0, bytes.fromhex("00bf00f0"), 0x200, 4, 3),  # Thumb: nop, then half of a 32-bit instruction
             (0, bytes.fromhex("00bf00bf"), 0x300, 4, 0)]  # two 16-bit nops: fine
    for arch, code, addr, size, error in cases:
        read = reader(code)
        ctx = lib.ig_bc_new(arch, (1 << 64) - 1, ctypes.cast(read, ctypes.c_void_p), ctypes.cast(stop, ctypes.c_void_p),
                            16)
        try:
            lib.ig_bc_hook(None, addr, size, ctx)
            assert lib.ig_bc_error(ctx) == error
            assert lib.ig_bc_total(ctx) == (2 if error == 0 else 0)
            if error:
                assert lib.ig_bc_error_addr(ctx) == addr
        finally:
            lib.ig_bc_free(ctx)
    assert len(stops) == 2  # the two errors stopped the emulator, the good block did not


def test_uncountable_block_is_a_fault_not_a_count(elfs, monkeypatch):
    import isa.unicorn_backend as ub
    elf = elfs("uc_hello.c", "rv64gc")
    main_addr = next(f.addr for f in isa.elf.load_elf(elf).functions if f.name == "main")
    monkeypatch.setattr(ub._NativeCounter, "error", property(lambda self: (3, main_addr)))
    with pytest.raises(EmulatorFault, match=r"uncountable block at pc=0x[0-9a-f]+ in main\+0x0: the block's bytes are "
                                            r"not a whole number of instructions: instruction counts would not be "
                                            r"exact") as e:
        isa.run(elf, "rv64gc", "unicorn")
    assert e.value.pc == main_addr


def test_inconsistent_block_table_is_a_fault_not_a_count(elfs, monkeypatch):
    import isa.unicorn_backend as ub
    real = ub._NativeCounter.export

    def lossy(self):
        b = real(self)
        return isa.BlockCounts(b.addr[1:], b.size[1:], b.insns[1:], b.count[1:])  # one row lost
    monkeypatch.setattr(ub._NativeCounter, "export", lossy)
    with pytest.raises(EmulatorFault, match=r"inconsistent count: the block table sums to \d+ instructions but the "
                                            r"running total is \d+: report this as a bug of "
                                            r"isa/native/ig_block_counter.c"):
        isa.run(elfs("uc_hello.c", "rv64gc"), "rv64gc", "unicorn")


# ------------------------------------------------------------------------------------------------ native helpers

def test_native_helper_without_a_host_compiler(tmp_path, monkeypatch):
    import isa.native as native
    monkeypatch.setenv("INTGAP_CACHE", str(tmp_path / "cache"))  # not built yet
    monkeypatch.setattr(native.shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(EmulatorNotFound, match=r"no host C compiler to build the native counter: run `make setup` "
                                               r"\(installs build-essential\)"):
        native.build_shared("ig_block_counter.c")


def test_native_helper_that_does_not_build(tmp_path, monkeypatch):
    import isa.native as native
    monkeypatch.setenv("INTGAP_CACHE", str(tmp_path / "cache"))
    d = _fake_tool(tmp_path, "broken-cc", "echo 'cc1: fatal error: cannot write output' >&2\nexit 1\n")
    monkeypatch.setenv("CC", str(d / "broken-cc"))
    with pytest.raises(EmulatorNotFound, match=r"(?s)building ig_block_counter.c failed:\ncc1: fatal error"):
        native.build_shared("ig_block_counter.c")
    assert not list((tmp_path / "cache").rglob("*.so"))  # nothing half-built is taken as the helper
