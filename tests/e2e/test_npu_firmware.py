"""`intgap compile` on the NPU targets: libmodel.a holds the NPU driver and its layers call it; an application of
its own (model.mk, ig_npu.h beside model.h) and the example built through the CMake package run bit-exact under
Unicorn with the jobs on the NPU; the bundled decoder's library generates the reference tokens with its fully
connected and attention layers on the NPU."""
import re
import shutil
import subprocess

import numpy as np
import pytest

import isa
from codegen.program import INPUT_SECTION
from intgap.cli import main as cli_main
from codegen.npu_firmware import HEADER
from quant import reference as R
from quant.optable import Group, in_group
from tests.e2e.test_compile_firmware import APP_GENERATE_MAIN, APP_MAIN, _graph
from tests.e2e.test_firmware_cmake import _cmake_build, _run_bit_exact

NPU_TARGETS = ["cortex-m55-npu", "rv32imc-npu"]

# test_compile_firmware's application, also reading the NPU's job counter through ig_npu.h
APP_NPU_MAIN = APP_MAIN.replace('#include "model.h"', '#include "model.h"\n#include "ig_npu.h"').replace(
    "  ig_write_hex(app_outputs", "  if (*(volatile uint32_t *)(uintptr_t)(IG_MODEL_NPU_BASE + IG_NPU_REG_JOBS) != "
    "SAMPLES * IG_MODEL_NPU_LAYERS) return 5;\n  ig_write_hex(app_outputs")


def _make(app, out, main_c: str):
    app.mkdir(exist_ok=True)
    (app / "main.c").write_text(main_c)
    (app / "Makefile").write_text(f"include {out}/model.mk\n\napp.elf: main.c\n\t$(IG_MODEL_CC) $(IG_MODEL_CFLAGS) "
                                  "main.c $(IG_MODEL_PLATFORM_SRC) $(IG_MODEL_LIB) $(IG_MODEL_LDFLAGS) -o $@ "
                                  "$(IG_MODEL_LIBS)\n")
    proc = subprocess.run(["make", "-C", str(app)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return app / "app.elf"


def _nm(target, lib) -> str:
    nm = "arm-none-eabi-nm" if target.startswith("cortex") else "riscv64-unknown-elf-nm"
    if shutil.which(nm) is None:
        nm = "nm"
    return subprocess.run([nm, str(lib)], capture_output=True, text=True, timeout=60).stdout


@pytest.mark.parametrize("target", NPU_TARGETS)
def test_an_application_links_the_npu_library_and_runs_bit_exact(target, tmp_path):
    q, path = _graph(tmp_path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", target, "-o", str(out)]) == 0
    assert (out / "ig_npu.h").read_text() == HEADER.read_text()
    header = (out / "model.h").read_text()
    assert "#define IG_MODEL_NPU_BASE 0x48102000u" in header and "#define IG_MODEL_NPU_LAYERS 2\n" in header
    assert "IG_MODEL_NPU_LAYERS=2" in (out / "cmake" / "intgap_modelConfig.cmake").read_text()
    assert re.search(r"\bT ig_npu_fc\b", _nm(target, out / "libmodel.a"))
    assert (out / "model.c").read_text().count("if (ig_npu_fc(") == 2
    xq = R.quantize_input(q, np.random.default_rng(8).standard_normal((3, 33)).astype(np.float32) * 1.5)
    r = isa.run(_make(tmp_path / "app", out, APP_NPU_MAIN), target, inputs={INPUT_SECTION: xq.tobytes()})
    assert r.exit_code == 0, r.stdout
    y = np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), np.int8).reshape(3, -1)
    assert np.array_equal(y, R.run(q, {q.inputs[0]: xq})[q.outputs[0]])
    assert [(j.tag, j.gemm.m, j.gemm.k, j.gemm.n) for j in r.npu.jobs] == [(0, 1, 33, 17), (1, 1, 17, 3)] * 3


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is part of the set-up (scripts/setup-system.sh)")
def test_the_cmake_package_builds_the_npu_example_and_it_runs_bit_exact(tmp_path):
    q, path = _graph(tmp_path)
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", str(path), "--target", "rv32imc-npu", "-o", str(out)]) == 0
    r = _run_bit_exact(out, _cmake_build(out / "example", tmp_path / "build"), q, 9)
    assert len(r.npu.jobs) == 2


def test_the_decoder_library_generates_the_reference_tokens_with_attention_on_the_npu(tmp_path):
    from intgap.pipeline import reference_generate
    from intgap.sequence_models import quantized_model
    sm = quantized_model("shakespeare-decoder", "w8a8")
    out = tmp_path / "fw"
    assert cli_main(["compile", "--model", "shakespeare-decoder", "--target", "cortex-m55-npu", "--context", "24",
                     "--max-tokens", "8", "-o", str(out)]) == 0
    model_c = (out / "model.c").read_text()
    assert "ig_npu_matmul_qk(" in model_c and "ig_npu_matmul_pv(" in model_c
    app = out / "app"  # beside example/: the generated Makefile includes ../model.mk
    app.mkdir()
    (app / "main.c").write_text(APP_GENERATE_MAIN)
    (app / "Makefile").write_text((out / "example" / "Makefile").read_text())
    proc = subprocess.run(["make", "-C", str(app)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    prompt = [int(t) for t in sm.tokenizer("ROMEO:\nBut soft, what light")["input_ids"]]
    assert 8 < len(prompt) <= 16
    r = isa.run(app / "example.elf", "cortex-m55-npu",
                inputs={INPUT_SECTION: np.asarray([len(prompt), *prompt], "<i4").tobytes()})
    assert r.exit_code == 0, r.stdout
    assert np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), "<i4").tolist() == \
        reference_generate(sm.graph, prompt, 8)
    ops = {sm.graph.nodes[t].op for t in r.npu.per_tag()}  # the default's layers may be static or per-token dynamic
    assert {"matmul_qk", "matmul_pv"} <= ops and any(in_group(op, Group.FULLY_CONNECTED) for op in ops), ops
