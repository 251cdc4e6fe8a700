"""clang and its LLVM tools are found by version: the newest supported clang-N with the lld / llvm-objcopy /
llvm-ar of the same N, else unversioned tools of a supported version (fake tools on PATH print versions)."""
from __future__ import annotations

import os

import pytest

import isa
import toolchain.compilers as tc
from toolchain import CompilerNotFound, CompilerUnusable, find_compiler, find_llvm


def _tool(d, name: str, version_line: str, body: str = "") -> None:
    p = d / name
    p.write_text(f"#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{version_line}'; exit 0; fi\n{body}exit 0\n")
    p.chmod(0o755)


def _llvm(d, n: int | None, version: str, only=tc.LLVM_TOOLS) -> None:
    for t in only:
        line = f"Debian LLD {version} (compatible with GNU linkers)" if t == "ld.lld" else \
            f"Debian clang version {version}"
        _tool(d, t if n is None else f"{t}-{n}", line)


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    d = tmp_path / "bin"
    d.mkdir()
    monkeypatch.setenv("PATH", str(d))
    tc.rvv_capability.cache_clear()
    yield d
    tc.rvv_capability.cache_clear()


def test_newest_complete_version_wins(fake_bin):
    _llvm(fake_bin, 16, "16.0.6")
    _llvm(fake_bin, 19, "19.1.7")
    _llvm(fake_bin, 22, "22.1.0", only=("clang", "ld.lld"))  # no llvm-objcopy-22 / llvm-ar-22: not complete
    _llvm(fake_bin, 14, "14.0.6")  # unsupported
    t = find_llvm()
    assert t.major == 19
    assert [os.path.basename(p) for p in (t.clang, t.lld, t.objcopy, t.ar)] == \
        ["clang-19", "ld.lld-19", "llvm-objcopy-19", "llvm-ar-19"]


def test_bookworm_layout_gives_clang_16(fake_bin):
    _llvm(fake_bin, 16, "16.0.6")
    _llvm(fake_bin, 15, "15.0.7")
    assert find_llvm().major == 16


def test_unversioned_tools_of_a_supported_version(fake_bin):
    _llvm(fake_bin, None, "19.1.7")
    t = find_llvm()
    assert t.major == 19 and os.path.basename(t.clang) == "clang"


def test_unversioned_tools_of_an_unsupported_version_are_refused(fake_bin):
    _llvm(fake_bin, None, "14.0.6")
    with pytest.raises(CompilerNotFound, match=r"clang / LLVM tools not found \(needed for clang builds\): run "
                                               r"`make setup` \(`intgap doctor` lists every tool and its fix\); "
                                               r"looked for clang-N, ld.lld-N, llvm-objcopy-N, llvm-ar-N of one "
                                               r"version N in 16..22"):
        find_llvm()


def test_missing_clang_names_the_target_and_the_fix(fake_bin):
    _llvm(fake_bin, 19, "19.1.7", only=("clang", "ld.lld", "llvm-objcopy"))
    with pytest.raises(CompilerNotFound, match=r"not found \(needed for target rv64gcv\): run `make setup`"):
        find_compiler(isa.get_target("rv64gcv"))


def test_clang_that_cannot_compile_the_rvv_kernels_is_unusable(fake_bin):
    """A clang of the range that fails the RVV probe (here: it reports an error) is named, with the error."""
    _llvm(fake_bin, 18, "18.1.8", only=("ld.lld", "llvm-objcopy", "llvm-ar"))
    _tool(fake_bin, "clang-18", "Debian clang version 18.1.8",
          "echo \"probe.c:2:1: error: call to undeclared function '__riscv_vsmul_vv_i32m2'\" >&2\nexit 1\n")
    with pytest.raises(CompilerUnusable, match=r"clang-18 cannot compile the RVV kernels for target rv64gcv "
                                               r"\(.*error: call to undeclared function.*\): install clang 16"):
        find_compiler(isa.get_target("rv64gcv"))


def test_the_compiler_version_is_the_first_line(fake_bin):
    _llvm(fake_bin, 19, "19.1.7")
    cc = find_compiler(isa.get_target("rv64gcv"))  # the fake clang 'compiles' the probe (exit 0)
    assert cc.version == "Debian clang version 19.1.7"


def test_installed_clang_compiles_the_rvv_kernels_api():
    """The real toolchain of this machine passes the probe (the ratified-API call through ig_rvv_api.h)."""
    t = find_llvm()
    assert tc.rvv_capability(t.clang, ("--target=riscv64-unknown-elf", "-march=rv64gcv", "-mabi=lp64d")) == ""
