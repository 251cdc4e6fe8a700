"""`intgap compile`: the firmware artifact. An application with its own main.c links libmodel.a for cortex-m4
using only the generated files (model.h, libmodel.a, model.mk and the example's platform layer) through make, and
runs bit-exact under the emulator; the generated example runs bit-exact on an AArch64 target; a model too big for
the target's memory ends in one error giving the bytes needed and available, before anything is compiled."""
import json
import re
import subprocess

import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import fc_case
from codegen.program import INPUT_SECTION
from intgap.cli import main as cli_main
from quant import reference as R
from quant import save_graph
from tests.e2e.conftest import make_graphs

APP_MAIN = r"""
/* An application of its own: three inferences on inputs the runner patches in, outputs as hex. */
#include "ig_platform.h"
#include "model.h"

#define SAMPLES 3
ig_model_input_t app_inputs[SAMPLES][IG_MODEL_INPUT_SIZE] IG_INPUT_SECTION = {{1}};
static ig_model_output_t app_outputs[SAMPLES][IG_MODEL_OUTPUT_SIZE];

int main(void) {
  if (ig_model_init() != 0) return 3;
  for (int s = 0; s < SAMPLES; s++) ig_model_invoke(app_inputs[s], app_outputs[s]);
  ig_write_hex(app_outputs, sizeof app_outputs);
  return 0;
}
"""


def _graph(tmp_path):
    _, _, q = make_graphs((33, 17, 3))
    path = tmp_path / "mlp.igraph"
    save_graph(q, path)
    return q, path


def _run(elf, target, q, xq):
    r = isa.run(elf, target, inputs={INPUT_SECTION: xq.tobytes()})
    assert r.exit_code == 0, r.stdout
    raw = bytes.fromhex(r.stdout.decode().strip())
    return np.frombuffer(raw, np.int8).reshape(len(xq), -1)


def test_application_links_libmodel_with_its_own_main_for_cortex_m4(tmp_path, capsys):
    q, path = _graph(tmp_path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "built with gcc" in printed and "ROM" in printed and "RAM" in printed
    for f in ("libmodel.a", "model.h", "model_weights.c", "model.mk", "example/main.c", "memory_report.json"):
        assert (out / f).is_file(), f
    header = (out / "model.h").read_text()
    in_t, out_t = q.tensors[q.inputs[0]], q.tensors[q.outputs[0]]
    assert f"#define IG_MODEL_INPUT_ZERO_POINT {in_t.zero_point}\n" in header
    assert f"#define IG_MODEL_OUTPUT_ZERO_POINT {out_t.zero_point}\n" in header
    assert float(re.search(r"IG_MODEL_INPUT_SCALE (\S+)", header).group(1)) == in_t.scale
    assert "int ig_model_init(void);" in header and "void ig_model_invoke(" in header
    arena = int(re.search(r"IG_MODEL_ARENA_SIZE (\d+)", header).group(1))
    weights = int(re.search(r"IG_MODEL_WEIGHT_BYTES (\d+)", header).group(1))
    report = json.loads((out / "memory_report.json").read_text())
    assert report["memory"]["model_bytes"]["arena"] == arena > 0
    assert report["memory"]["model_bytes"]["weights"] == weights
    assert report["memory"]["rom_bytes"] > weights and report["compiler"].startswith("gcc")

    # the application: its own folder, its own main.c and Makefile, nothing but the generated files
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.c").write_text(APP_MAIN)
    (app / "Makefile").write_text(f"include {out}/model.mk\n\napp.elf: main.c\n\t$(IG_MODEL_CC) $(IG_MODEL_CFLAGS) "
                                  "main.c $(IG_MODEL_PLATFORM_SRC) $(IG_MODEL_LIB) $(IG_MODEL_LDFLAGS) -o $@ "
                                  "$(IG_MODEL_LIBS)\n")
    proc = subprocess.run(["make", "-C", str(app)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    x = np.random.default_rng(5).standard_normal((3, 33)).astype(np.float32) * 1.5
    xq = R.quantize_input(q, x)
    y = _run(app / "app.elf", isa.get_target("cortex-m4"), q, xq)
    assert np.array_equal(y, R.run(q, {q.inputs[0]: xq})[q.outputs[0]])


def test_generated_example_runs_bit_exact_on_aarch64(tmp_path):
    q, path = _graph(tmp_path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-a55", "-o", str(out)]) == 0
    xq = R.quantize_input(q, np.random.default_rng(6).standard_normal((1, 33)).astype(np.float32))
    y = _run(out / "example" / "example.elf", isa.get_target("cortex-a55"), q, xq)
    assert np.array_equal(y, R.run(q, {q.inputs[0]: xq})[q.outputs[0]])


def test_model_too_big_for_the_target_is_one_clear_error(tmp_path, capsys):
    g, _ = fc_case(np.random.default_rng(0), 2048, 2100, 8)  # 4.3 MB of int8 weights, cortex-m4 has 4 MiB
    path = tmp_path / "big.igraph"
    save_graph(g, path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not fit cortex-m4" in err
    assert "4,194,304 bytes" in err and "4,3" in err  # available, and needed (4.3 million bytes)
    assert not (out / "libmodel.a").exists()


def test_linked_firmware_over_a_region_is_the_same_clear_error(tmp_path):
    """Weights and arena fit, the linked code and data do not: the ROM/RAM report of the ELF catches it."""
    import dataclasses

    from codegen.errors import ModelDoesNotFit
    from intgap.compile_command import compile_firmware
    from isa.targets import MemoryRegion
    q, _ = _graph(tmp_path)
    m4 = isa.get_target("cortex-m4")
    small = dataclasses.replace(m4, memory=(MemoryRegion("code", 0, 1500, "rwx"), m4.stack_region))
    with pytest.raises(ModelDoesNotFit, match=r"linked firmware needs [\d,]+ bytes in memory region 'code', "
                                              r"which holds 1,500"):
        compile_firmware(q, small, tmp_path / "fw")
