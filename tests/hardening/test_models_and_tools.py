"""Bad models, unsupported ops, bad configurations, missing tools: one error naming the cause and the fix.
Model files are never unpickled with code: torch.load(weights_only=True) refuses anything but tensors."""
from __future__ import annotations

import os
import pickle
import shutil

import numpy as np
import pytest
import torch
from torch import nn

import isa
from codegen import CodegenError, emit_program
from intgap.cli import main
from intgap.errors import DriverError
from intgap.models import load_model, mlp
from isa.errors import EmulatorFault, EmulatorNotFound
from quant import QuantError, UnsupportedOp, capture
from quant.ir import Graph, Node, TensorInfo
from toolchain import BuildFailed, CompilerNotFound, build_elf, find_compiler

from tests.isa.fake_qemu import fake_qemu_install

from .conftest import PROGRAMS, one_line_error, small_int_graph


# ------------------------------------------------------------------------------------ model files

class _Payload:
    """Unpickling this runs code (creates a marker file): a model file must never do that."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mknod, (self.marker,))


def _model_files(tmp_path):
    marker = tmp_path / "code-ran"
    files = {}
    files["plain pickle with code"] = tmp_path / "evil.pt"
    files["plain pickle with code"].write_bytes(pickle.dumps({"0.weight": _Payload(marker)}))
    files["torch.save with code"] = tmp_path / "evil2.pt"
    torch.save({"0.weight": _Payload(marker)}, files["torch.save with code"])
    files["garbage"] = tmp_path / "garbage.pt"
    files["garbage"].write_bytes(np.random.default_rng(0).integers(0, 256, 700, dtype=np.uint8).tobytes())
    files["whole module"] = tmp_path / "module.pt"
    torch.save(nn.Sequential(nn.Linear(3, 2)), files["whole module"])
    return marker, files


@pytest.mark.parametrize("case", ["plain pickle with code", "torch.save with code", "garbage", "whole module"])
def test_model_file_that_is_not_a_state_dict(tmp_path, case):
    marker, files = _model_files(tmp_path)
    with pytest.raises(DriverError, match=r"is not a loadable PyTorch state dict .*save it with "
                                          r"torch.save\(model.state_dict\(\), path\)"):
        load_model(str(files[case]))
    assert not marker.exists()  # the pickled code never ran


@pytest.mark.parametrize("content,expect", [
    ([torch.zeros(3)], "holds a list, not a state dict"),
    ({"x": torch.zeros(3)}, r"not the state dict of an nn.Sequential of Linear layers \(keys like '0.weight'\)"),
    ({"0.weight": "hello"}, "entry '0.weight' is a str, not a tensor"),  # an AttributeError traceback before
    ({"0.weight": torch.zeros(4), "0.bias": torch.zeros(4)},  # an IndexError traceback before
     r"layer 0 has weight \(4,\) and bias \(4,\), not a Linear layer's"),
    ({"0.weight": torch.zeros(4, 3), "0.bias": torch.zeros(5)}, r"layer 0 has weight \(4, 3\) and bias \(5,\)"),
    ({"0.weight": torch.zeros(4, 3), "2.weight": torch.zeros(5, 7)},
     r"layer shapes do not chain \(layer 0 gives 4 features, layer 2 takes 7\)"),
])
def test_state_dict_that_is_not_an_mlp(tmp_path, content, expect):
    p = tmp_path / "m.pt"
    torch.save(content, p)
    with pytest.raises(DriverError, match=expect):
        load_model(str(p))


def test_unknown_model_name():
    with pytest.raises(DriverError, match="unknown model 'resnet50': use .*mlp \\(classifier\\)"):
        load_model("resnet50")


def test_missing_model_file(tmp_path):
    with pytest.raises(DriverError, match="does not exist: pass a model name"):
        load_model(str(tmp_path / "nope.pt"))


def test_cli_bench_refuses_a_pickle_before_building(tmp_path, capsys):
    marker, files = _model_files(tmp_path)
    work = tmp_path / "work"
    rc = main(["bench", "--model", str(files["plain pickle with code"]), "--targets", "cortex-m4",
               "--workdir", str(work)])
    assert rc == 2
    assert "not a loadable PyTorch state dict" in one_line_error(capsys)
    assert not marker.exists() and not work.exists()


def test_cli_bench_state_dict_not_chaining(tmp_path, capsys):
    p = tmp_path / "m.pt"
    torch.save({"0.weight": torch.zeros(4, 3), "2.weight": torch.zeros(5, 7)}, p)
    assert main(["bench", "--model", str(p), "--targets", "cortex-m4", "--workdir", str(tmp_path / "w")]) == 2
    assert "layer shapes do not chain" in one_line_error(capsys)


# ------------------------------------------------------------------------------------ unsupported ops

class _Sigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


class _DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:  # control flow on values: torch.export cannot capture it
            return self.fc(x)
        return x


@pytest.mark.parametrize("model,expect", [
    (_Sigmoid(), "unsupported op .*sigmoid.*replace or remove this op"),
    (nn.Sequential(nn.Linear(4, 4), nn.Tanh()), "unsupported op Tanh .*intgap lowers Linear and ReLU today"),
    (nn.Sequential(nn.Conv1d(1, 1, 3)), "unsupported op Conv1d"),
    (_DataDependent(), r"cannot capture _DataDependent with torch.export .*use a module made of supported ops"),
])
def test_unsupported_torch_op(model, expect):
    with pytest.raises(UnsupportedOp, match=expect):
        capture(model, 4)


def test_linear_widths_that_do_not_chain():
    with pytest.raises(UnsupportedOp, match="Linear expects 5 features, gets 4"):
        capture(nn.Sequential(nn.Linear(4, 4), nn.Linear(5, 2)), 4)


# ------------------------------------------------------------------------------------ quantize / eval CLI

def test_quantize_config_typos_are_refused():
    from quant.recipes import parse_config
    for bad in ("w4a8gabc", "w4a8g0", "w4a8x", "w3a8", "int8"):  # "w4a8gabc" was a ValueError traceback
        with pytest.raises(QuantError, match="unknown config .*use fp32, w8a8, w4a8, w8a8-g<N>"):
            parse_config(bad)
    assert parse_config("w4a8g64").group_size == 64 and parse_config("w4a8").group_size == 32


def test_cli_quantize_unknown_model(tmp_path, capsys):
    assert main(["quantize", "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "x.igraph")]) == 2
    assert "unknown model" in one_line_error(capsys)


def test_cli_quantize_directory_without_a_model(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{not json")
    assert main(["quantize", "--model", str(tmp_path), "-o", str(tmp_path / "x.igraph")]) == 2
    assert "cannot load a Hugging Face model from" in one_line_error(capsys)


# ------------------------------------------------------------------------------------ codegen

def test_codegen_refuses_graphs_it_cannot_lower(tmp_path):
    g = small_int_graph()
    t = isa.get_target("cortex-m4")
    two_out = Graph(g.name, g.inputs, g.outputs + ["0.out"], g.tensors, g.constants, g.nodes, g.meta)
    with pytest.raises(CodegenError, match="one input and one output"):
        emit_program(two_out, t, tmp_path / "a")
    fg = capture(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), 4, batch=2)
    with pytest.raises(CodegenError, match="batch 1"):
        emit_program(fg, t, tmp_path / "b")


def test_codegen_refuses_an_invalid_graph(tmp_path):
    from quant import GraphError
    g = small_int_graph()
    g.constants["0.shift"] = np.full_like(g.constants["0.shift"], 99)
    with pytest.raises(GraphError, match="shifts must lie"):
        emit_program(g, isa.get_target("cortex-m4"), tmp_path)


# ------------------------------------------------------------------------------------ missing tools

@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    """A PATH holding nothing: every cross compiler and QEMU is 'not installed'."""
    d = tmp_path / "empty-bin"
    d.mkdir()
    monkeypatch.setenv("PATH", str(d))
    return d


@pytest.mark.parametrize("target", ["cortex-m4", "rv64gc", "rv64gcv"])
def test_missing_compiler(empty_path, tmp_path, target):
    t = isa.get_target(target)
    with pytest.raises(CompilerNotFound, match=f"not found \\(needed for target {target}\\): run `make setup`"):
        build_elf([PROGRAMS / "uc_hello.c"], t, tmp_path / "x.elf")
    assert not (tmp_path / "x.elf").exists()


def test_unknown_compiler_kind():
    with pytest.raises(CompilerNotFound, match="unknown compiler kind 'tcc': use gcc or clang"):
        find_compiler(isa.get_target("rv64gc"), "tcc")


def test_cli_bench_without_the_compiler(empty_path, tmp_path, capsys):
    rc = main(["bench", "--targets", "rv64gc", "--configs", "w8a8", "--no-layers", "--workdir", str(tmp_path / "w"),
               "--cache-dir", str(tmp_path / "cache")])  # a fresh cache: the build is not served from it
    assert rc == 2
    line = one_line_error(capsys)
    assert f"{isa.get_target('rv64gc').triple}-gcc not found" in line and "make setup" in line


def test_compiler_error_is_reported_with_its_output(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return undeclared_name; }\n")
    with pytest.raises(BuildFailed, match="(?s)building x.elf for rv64gc with gcc failed:\n.*undeclared_name"):
        build_elf([bad], isa.get_target("rv64gc"), tmp_path / "x.elf")


def test_hung_compiler_is_stopped(tmp_path, monkeypatch):
    """A compiler that never returns is killed at the build timeout."""
    import toolchain.compilers as tc
    fake = tmp_path / "bin" / f"{isa.get_target('rv64gc').triple}-gcc"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ["PATH"])
    assert tc.find_compiler(isa.get_target("rv64gc")).path == str(fake)
    with pytest.raises(BuildFailed, match="took over 1 s: the compiler hung"):
        build_elf([PROGRAMS / "uc_hello.c"], isa.get_target("rv64gc"), tmp_path / "x.elf", timeout=1)


@pytest.mark.parametrize("target", ["rv64gc", "cortex-m4", "rv64gcv"])
def test_missing_qemu(elfs, tmp_path, monkeypatch, target):
    elf = elfs("uc_hello.c", target if target != "rv64gcv" else "rv64gc")
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))  # after the build: now no QEMU is installed
    binary = isa.get_target(target).qemu.binary
    with pytest.raises(EmulatorNotFound, match=f"{binary} not found in .*: run `make setup` \\(scripts/setup-qemu"):
        isa.run(elf, target, "qemu")


def test_qemu_without_plugins(elfs, tmp_path, monkeypatch):
    elf = elfs("uc_hello.c", "rv64gc")
    fake_qemu_install(tmp_path, monkeypatch, {"qemu-riscv64": "exit 0\n"}, plugins=False)
    with pytest.raises(EmulatorNotFound, match=r"qemu-riscv64 \(QEMU 10.0.99\) cannot load TCG plugins.*make setup"):
        isa.run(elf, "rv64gc", "qemu")


def test_cli_run_without_qemu(elfs, tmp_path, monkeypatch, capsys):
    elf = elfs("uc_hello.c", "rv64gc")
    monkeypatch.setenv("INTGAP_DEPS_DIR", str(tmp_path))
    assert main(["run", str(elf), "--target", "rv64gc", "--backend", "qemu"]) == 2
    assert "qemu-riscv64 not found" in one_line_error(capsys)


def test_program_too_large_for_the_target_memory(tmp_path):
    """5 MiB of constants on a 4 MiB Cortex-M4: the linker's overflow becomes one error with cause and fix."""
    src = tmp_path / "big.c"
    src.write_text("const char ig_big[5 << 20] = {1};\nvolatile int ig_index;\n"
                   "int main(void) { return ig_big[ig_index]; }\n")
    with pytest.raises(BuildFailed, match=r"big.elf does not fit the memory of target cortex-m4 \(code 4096 KiB.*"
                                          r"overflowed by 1,04\d,\d{3} bytes; use a smaller model or narrower weights"):
        build_elf([src], isa.get_target("cortex-m4"), tmp_path / "big.elf")


def test_nan_weights_are_refused_at_calibration():
    from quant import quantize_ptq
    m = mlp((4, 3))
    with torch.no_grad():
        m[0].weight[1, 2] = float("nan")
    with pytest.raises(QuantError, match="calibration produced a non-finite activation: check the model"):
        quantize_ptq(capture(m, 4), np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))


def _fake_tool(tmp_path, name: str, script: str):
    d = tmp_path / "fake-bin"
    d.mkdir(exist_ok=True)
    (d / name).write_text("#!/bin/sh\n" + script)
    (d / name).chmod(0o755)
    return d


def test_qemu_refusing_an_option(elfs, tmp_path, monkeypatch):
    """QEMU refuses an option (a broken or replaced build): its own words, and how to rebuild it."""
    elf = elfs("uc_hello.c", "rv64gc")
    build = fake_qemu_install(tmp_path, monkeypatch,
                              {"qemu-riscv64": "echo \"qemu-riscv64: unknown option 'plugin'\" >&2\nexit 1\n"})
    with pytest.raises(EmulatorFault, match=f"qemu-riscv64 could not run .*unknown option 'plugin' .*intgap runs its"
                                            f" own QEMU build, .*: if it is broken, delete {build}.*make setup"):
        isa.run(elf, "rv64gc", "qemu")


def test_qemu_that_writes_no_counts(elfs, tmp_path, monkeypatch):
    elf = elfs("uc_hello.c", "rv64gc")
    fake_qemu_install(tmp_path, monkeypatch, {"qemu-riscv64": "exit 0\n"})
    with pytest.raises(EmulatorFault, match="exited with status 0 without writing the block counts"):
        isa.run(elf, "rv64gc", "qemu")


def test_wrong_compiler_version_on_path(tmp_path, monkeypatch):
    """A cross gcc that does not know the target's flags: the build fails with the compiler's own message."""
    t = isa.get_target("rv64gc")
    d = _fake_tool(tmp_path, f"{t.triple}-gcc", "echo \"cc1: error: unknown -march value\" >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(BuildFailed, match="(?s)building x.elf for rv64gc with gcc failed:\ncc1: error: unknown -march"):
        build_elf([PROGRAMS / "uc_hello.c"], t, tmp_path / "x.elf")
