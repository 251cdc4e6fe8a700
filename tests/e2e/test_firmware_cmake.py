"""`intgap compile --board`: the firmware example on a board's real memory map (stm32f407 for cortex-m4, stm32h743
for cortex-m7), built through the CMake package compile writes (its toolchain file, add_subdirectory and
find_package), runs bit-exact under the emulator with the board's memory model; the Makefile build gives the same
ELF sections and the same run; the named sections sit where --weights-in / --arena-in put them (read from the ELF);
the Zephyr module configures with a stub Zephyr; a model too big for the board is refused before anything is built.

Zephyr itself cannot be installed from the registries this project uses (it is a west workspace, not a package), so
the Zephyr check runs the module's CMakeLists.txt under stub zephyr_* functions defined in the test."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from benchmarks.kernels_runner import fc_case
from codegen.program import INPUT_SECTION
from intgap.cli import main as cli_main
from intgap.compile_command import run_firmware_example
from quant import reference as R
from quant import save_graph
from tests.e2e.conftest import make_graphs

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="cmake and arm-none-eabi-gcc are part of the set-up (scripts/setup-system.sh)")


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    _, _, q = make_graphs((33, 17, 3))
    path = tmp_path_factory.mktemp("graph") / "mlp.igraph"
    save_graph(q, path)
    return q, path


def _compile(tmp, path, *options) -> Path:
    out = tmp / "fw"
    assert cli_main(["compile", "--model", str(path), "-o", str(out), *options]) == 0
    return out


@pytest.fixture(scope="module")
def f407(mlp, tmp_path_factory):
    return _compile(tmp_path_factory.mktemp("f407"), mlp[1], "--target", "cortex-m4", "--board", "stm32f407",
                    "--arena-in", "ccm")


@pytest.fixture(scope="module")
def h743(mlp, tmp_path_factory):
    return _compile(tmp_path_factory.mktemp("h743"), mlp[1], "--target", "cortex-m7", "--board", "stm32h743",
                    "--weights-in", "tcm", "--arena-in", "sram")


def _cmake_build(example: Path, build: Path, *define) -> Path:
    for cmd in (["cmake", "-S", str(example), "-B", str(build), *define], ["cmake", "--build", str(build)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return build / "example.elf"


def _sections(elf: Path) -> dict[str, tuple[int, int, int, bytes]]:
    """name -> (address, load address, size, bytes) of every allocated section."""
    with open(elf, "rb") as f:
        ef = ELFFile(f)
        loads = [(g["p_vaddr"], g["p_memsz"], g["p_paddr"]) for g in ef.iter_segments() if g["p_type"] == "PT_LOAD"]
        out = {}
        for s in ef.iter_sections():
            if s["sh_flags"] & 2 and s["sh_size"]:
                a = s["sh_addr"]
                lma = next((p + a - v for v, n, p in loads if v <= a < v + n), a)
                out[s.name] = (a, lma, s["sh_size"], b"" if s["sh_type"] == "SHT_NOBITS" else s.data())
    return out


def _inputs(q, seed: int):
    xq = R.quantize_input(q, np.random.default_rng(seed).standard_normal((1, 33)).astype(np.float32) * 1.5)
    return xq, {INPUT_SECTION: np.array([1, 0, 0, 0], "<i4").tobytes() + xq.tobytes()}


def _run_bit_exact(out: Path, elf: Path, q, seed: int):
    """Runs `elf` in place of the compile's example (same board map and memory model); checks the output against
    the reference interpreter; returns the run."""
    shutil.copy2(elf, out / "example" / "example.elf")
    xq, inputs = _inputs(q, seed)
    r = run_firmware_example(out, inputs)
    assert r.exit_code == 0, r.stdout
    y = np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), np.int8).reshape(1, -1)
    assert np.array_equal(y, R.run(q, {q.inputs[0]: xq})[q.outputs[0]])
    return r


def _in(addr: int, base: int, size: int) -> bool:
    return base <= addr < base + size


def test_cmake_build_runs_bit_exact_on_stm32f407_with_weights_in_flash_and_arena_in_ccm(mlp, f407, tmp_path):
    q, _ = mlp
    elf = _cmake_build(f407 / "example", tmp_path / "build")  # the written toolchain file is the default
    secs = _sections(elf)
    assert _in(secs[".isr_vector"][0], 0x08000000, 1 << 20) and _in(secs[".text"][0], 0x08000000, 1 << 20)
    assert _in(secs[".ig_weights"][0], 0x08000000, 1 << 20)  # read-only weights in flash
    assert secs[".ig_weights"][2] >= json.loads((f407 / "memory_report.json").read_text())["weight_bytes"]
    assert _in(secs[".ig_arena"][0], 0x10000000, 64 << 10)  # the arena in CCM
    # the input buffer runs from SRAM and is stored in flash (start-up copies it)
    assert _in(secs[".ig_input"][0], 0x20000000, 128 << 10) and _in(secs[".ig_input"][1], 0x08000000, 1 << 20)
    r = _run_bit_exact(f407, elf, q, 1)
    # the board's memory model ran: the weights were read from flash (wait states, ART), the arena from CCM
    flash = r.memory.memory("flash")
    assert flash.read_bytes > 0
    placed = {p["memory"] for p in r.memory.placement if p["what"] == "data"}
    assert "ccm" in placed and "sram" in placed


def test_cmake_and_make_builds_give_the_same_sections_and_run(mlp, f407, tmp_path):
    q, _ = mlp
    cm = _cmake_build(f407 / "example", tmp_path / "build")
    cm_pkg = _cmake_build(f407 / "example", tmp_path / "build-pkg", "-DINTGAP_FIND_PACKAGE=ON")
    proc = subprocess.run(["make", "-B", "-C", str(f407 / "example")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    mk = tmp_path / "make.elf"
    shutil.copy2(f407 / "example" / "example.elf", mk)
    assert _sections(cm) == _sections(mk) == _sections(cm_pkg)
    a, b = _run_bit_exact(f407, cm, q, 2), _run_bit_exact(f407, mk, q, 2)
    assert a.stdout == b.stdout and a.instructions == b.instructions


def test_cmake_build_runs_bit_exact_on_stm32h743_with_weights_in_dtcm(mlp, h743, tmp_path):
    q, _ = mlp
    elf = _cmake_build(h743 / "example", tmp_path / "build",
                       f"-DCMAKE_TOOLCHAIN_FILE={h743 / 'cmake' / 'toolchain-cortex-m7.cmake'}")
    secs = _sections(elf)
    w_addr, w_load, _, _ = secs[".ig_weights"]
    assert _in(w_addr, 0x20000000, 128 << 10) and _in(w_load, 0x08000000, 2 << 20)  # DTCM, stored in flash
    assert _in(secs[".ig_arena"][0], 0x24000000, 512 << 10)  # AXI SRAM
    _run_bit_exact(h743, elf, q, 3)
    regions = {r["memory"]: r for r in json.loads((h743 / "memory_report.json").read_text())["board_layout"]["regions"]}
    assert set(regions) == {"flash", "dtcm", "axi-sram", "itcm"}
    assert ".ig_weights (stored copy)" in regions["flash"]["holds"] and ".ig_weights" in regions["dtcm"]["holds"]
    assert regions["itcm"]["used"] == 0 and regions["dtcm"]["free"] == regions["dtcm"]["size"] - regions["dtcm"]["used"]


def test_model_h_and_the_summary_name_the_sections(f407, capsys):
    header = (f407 / "model.h").read_text()
    assert '#define IG_MODEL_BOARD "stm32f407"' in header and '#define IG_MODEL_ARENA_IN "ccm"' in header
    assert '#define IG_MODEL_WEIGHTS_IN "flash"' in header and ".rodata.ig_weights" in header
    lay = json.loads((f407 / "memory_report.json").read_text())["board_layout"]
    assert lay["sections"] == {".ig_weights": "flash", ".ig_arena": "ccm", ".ig_kv": "ccm"}
    rows = {r["memory"]: r for r in lay["regions"]}
    assert rows["flash"]["size"] == 1 << 20 and rows["sram"]["size"] == 128 << 10 and rows["ccm"]["size"] == 64 << 10
    assert ".ig_arena" in rows["ccm"]["holds"] and "stack" in rows["sram"]["holds"]


def test_zephyr_module_configures_with_a_stub_zephyr(f407, tmp_path):
    yaml = pytest.importorskip("yaml")
    module = yaml.safe_load((f407 / "zephyr" / "module.yml").read_text())
    assert module["build"] == {"cmake": "zephyr", "kconfig": "zephyr/Kconfig"}
    kconfig = (f407 / "zephyr" / "Kconfig").read_text()
    assert "config INTGAP_MODEL_ARENA_CCM" in kconfig and "choice INTGAP_MODEL_ARENA" in kconfig
    app = tmp_path / "app"
    app.mkdir()
    (app / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.13)
project(stub_zephyr_app NONE)
# the stub: what a module's CMakeLists.txt calls, recorded; the Kconfig values and the toolchain's objcopy
function(zephyr_include_directories)
  set_property(GLOBAL APPEND PROPERTY STUB_INCLUDES ${{ARGN}})
endfunction()
function(zephyr_link_libraries)
  set_property(GLOBAL APPEND PROPERTY STUB_LIBS ${{ARGN}})
endfunction()
set(CONFIG_INTGAP_MODEL y)
set(CONFIG_INTGAP_MODEL_ARENA_CCM y)
set(CMAKE_OBJCOPY "{shutil.which('arm-none-eabi-objcopy')}")
add_subdirectory("{f407 / 'zephyr'}" intgap_model)
get_property(_libs GLOBAL PROPERTY STUB_LIBS)
get_target_property(_loc intgap_model IMPORTED_LOCATION)
file(WRITE "${{CMAKE_BINARY_DIR}}/linked.txt" "${{_libs}}\\n${{_loc}}\\n")
""")
    proc = subprocess.run(["cmake", "-S", str(app), "-B", str(tmp_path / "build")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    libs, location = (tmp_path / "build" / "linked.txt").read_text().split()
    assert libs == "intgap_model" and location.endswith("libmodel.ccm_bss.a")
    heads = subprocess.run([shutil.which("arm-none-eabi-objdump"), "-h", location], capture_output=True,
                           text=True).stdout
    assert ".ccm_bss.ig_arena" in heads and ".bss.ig_arena" not in heads


def test_weights_larger_than_the_board_flash_are_refused_before_building(tmp_path, capsys):
    g, _ = fc_case(np.random.default_rng(0), 1100, 1000, 8)  # 1.1 MB of int8 weights; stm32f407 has 1 MiB flash
    path = tmp_path / "big.igraph"
    save_graph(g, path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "--board", "stm32f407",
                     "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not fit board stm32f407" in err
    assert "region 'flash' holds 1,048,576 bytes" in err and "bytes over" in err
    assert not (out / "libmodel.a").exists()


@pytest.mark.parametrize("options, message", [
    (["--target", "cortex-m4", "--board", "stm32f407", "--weights-in", "tcm"],
     "board stm32f407 has no TCM: --weights-in takes flash, sram there"),
    (["--target", "cortex-m7", "--board", "stm32h743", "--arena-in", "ccm"],
     "board stm32h743 has no CCM: --arena-in takes sram, tcm there"),
    (["--target", "cortex-m33", "--arena-in", "sram"], "board mps2-an505 has no firmware memory map"),
])
def test_a_section_choice_the_board_lacks_is_one_clear_error(mlp, tmp_path, capsys, options, message):
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(mlp[1]), "-o", str(out), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err
    assert not (out / "libmodel.a").exists()


def test_riscv_toolchain_file_builds_the_same_elf_as_make_and_it_runs_bit_exact(mlp, tmp_path):
    """The package for a RISC-V target (its own toolchain file, the assembler start-up code): CMake and make give
    byte-identical ELFs; the example runs bit-exact (no board map: the target's own)."""
    q, path = mlp
    out = _compile(tmp_path, path, "--target", "rv32imc")
    toolchain = (out / "cmake" / "toolchain-rv32imc.cmake").read_text()
    assert "CMAKE_SYSTEM_PROCESSOR riscv32" in toolchain and "-march=rv32imc" in toolchain
    elf = _cmake_build(out / "example", tmp_path / "build")
    proc = subprocess.run(["make", "-B", "-C", str(out / "example")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert elf.read_bytes() == (out / "example" / "example.elf").read_bytes()
    _run_bit_exact(out, elf, q, 4)


def test_intgap_run_takes_the_example_linked_for_the_board(f407, tmp_path):
    """`intgap run ELF --target T --board B` runs an example linked for B's own map on that map and B's memory
    model, as run_firmware_example does (it used to refuse the ELF as linked for another target)."""
    want = run_firmware_example(f407)
    doc = tmp_path / "run.json"
    assert cli_main(["run", str(f407 / "example" / "example.elf"), "--target", "cortex-m4", "--board", "stm32f407",
                     "--json", str(doc)]) == 0
    got = json.loads(doc.read_text())
    assert got["exit_code"] == 0 and got["backend"] == "unicorn"
    assert got["instructions"] == want.instructions and got["stdout"] == want.stdout.decode()
    assert got["cycles"]["board"] == "stm32f407" and "flash" in json.dumps(got["cycles"]["memory"])
