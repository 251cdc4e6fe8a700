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
ig_model_input_t app_inputs[SAMPLES][IG_MODEL_INPUT_CHANNELS] IG_INPUT_SECTION = {{1}};
static ig_model_output_t app_outputs[SAMPLES][IG_MODEL_OUTPUT_CHANNELS];

int main(void) {
  if (ig_model_init() != 0) return 3;
  for (int s = 0; s < SAMPLES; s++)
    if (ig_model_forward(app_inputs[s], 1, 0, app_outputs[s]) != 0) return 4;
  ig_write_hex(app_outputs, sizeof app_outputs);
  return 0;
}
"""


def _graph(tmp_path):
    _, _, q = make_graphs((33, 17, 3))
    path = tmp_path / "mlp.igraph"
    save_graph(q, path)
    return q, path


def _run(elf, target, q, xq, header: bool = False):
    """Runs elf on the rows xq: as they are (the application's layout), or after the header [n, 0, 0, 0] (the
    generated example's)."""
    words = np.array([len(xq), 0, 0, 0], "<i4").tobytes() if header else b""
    r = isa.run(elf, target, inputs={INPUT_SECTION: words + xq.tobytes()})
    assert r.exit_code == 0, r.stdout
    raw = bytes.fromhex(r.stdout.decode().strip())
    return np.frombuffer(raw, np.int8).reshape(len(xq), -1)


def test_application_links_libmodel_with_its_own_main_for_cortex_m4(tmp_path, capsys):
    q, path = _graph(tmp_path)
    out = tmp_path / "fw"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "mine.txt").write_text("the user's own file, there before the compile")
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "built with gcc" in printed and "ROM" in printed and "RAM" in printed
    wrote = " ".join(printed.split("\nwrote ")[1].split())  # the list, unwrapped
    assert "libmodel.a" in wrote and "example/main.c" in wrote and "mine.txt" not in wrote
    first = json.loads((out / "memory_report.json").read_text())["files"]
    assert "notes/mine.txt" not in first and "memory_report.json" in first
    # compiling again into the same folder rewrites the whole artifact, and lists it all (copies of the platform
    # layer keep their source's mtime: the inode change time tells)
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "-o", str(out)]) == 0
    assert json.loads((out / "memory_report.json").read_text())["files"] == first
    for f in ("libmodel.a", "model.h", "model_weights.c", "model.mk", "example/main.c", "memory_report.json"):
        assert (out / f).is_file(), f
    header = (out / "model.h").read_text()
    in_t, out_t = q.tensors[q.inputs[0]], q.tensors[q.outputs[0]]
    assert f"#define IG_MODEL_INPUT_ZERO_POINT {in_t.zero_point}\n" in header
    assert f"#define IG_MODEL_OUTPUT_ZERO_POINT {out_t.zero_point}\n" in header
    assert float(re.search(r"IG_MODEL_INPUT_SCALE (\S+)", header).group(1)) == in_t.scale
    assert "int ig_model_init(void);" in header and "int32_t ig_model_forward(" in header
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
    y = _run(out / "example" / "example.elf", isa.get_target("cortex-a55"), q, xq, header=True)
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


# --- transformers: the bundled decoder (models/shakespeare-decoder) as a firmware library -------------------------

APP_GENERATE_MAIN = r"""
/* An application of its own: greedy generation from a prompt the runner patches in, twice (the second call must not
 * depend on the cache the first one left), the ids as hex. */
#include "ig_platform.h"
#include "model.h"

#define APP_NEW 8
struct { int32_t n; int32_t ids[IG_MODEL_CONTEXT]; } app_prompt IG_INPUT_SECTION = {1, {IG_MODEL_BOS_TOKEN_ID}};
static int32_t app_first[1], app_ids[APP_NEW];

int main(void) {
  if (ig_model_init() != 0) return 3;
  if (ig_model_generate(app_prompt.ids, app_prompt.n, app_first, 1) != 0) return 4;
  if (ig_model_generate(app_prompt.ids, app_prompt.n, app_ids, APP_NEW) != 0) return 5;
  if (app_first[0] != app_ids[0]) return 6;
  for (int i = 0; i < APP_NEW; i++) if (app_ids[i] < 0 || app_ids[i] >= IG_MODEL_VOCAB_SIZE) return 7;
  ig_write_hex(app_ids, sizeof app_ids);
  return 0;
}
"""
DECODER_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?"


@pytest.fixture(scope="module")
def decoder():
    """The bundled decoder, W8A8 with the default method (quantized once, then from the project's cache)."""
    from intgap.sequence_models import quantized_model
    from quant.errors import QuantError
    try:
        return quantized_model("shakespeare-decoder", "w8a8")
    except QuantError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def decoder_m4(decoder, tmp_path_factory):
    """`intgap compile --model shakespeare-decoder --target cortex-m4`: the artifact's folder and what it printed."""
    import contextlib
    import io
    out = tmp_path_factory.mktemp("decoder-m4") / "fw"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli_main(["compile", "--model", "shakespeare-decoder", "--target", "cortex-m4", "-o", str(out)]) == 0
    return out, buf.getvalue()


def _symbol_sizes(elf) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        return {s.name: s["st_size"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                if s.name and s["st_shndx"] != "SHN_UNDEF"}


def _define(header: str, name: str) -> int:
    return int(re.search(rf"#define {name} (-?\d+)\n", header).group(1))


def test_bundled_decoder_artifact_for_cortex_m4_states_its_memory(decoder, decoder_m4):
    out, printed = decoder_m4
    for f in ("libmodel.a", "model.h", "model.c", "model_weights.c", "model.mk", "example/main.c", "example/Makefile",
              "example/platform/link.ld", "example/platform/startup.c", "example/example.elf", "memory_report.json"):
        assert (out / f).is_file(), f
    assert not list(out.glob("*.S")) and not list(out.glob("*.bin"))  # the weights are C: no .incbin
    header = (out / "model.h").read_text()
    arena, kv, weights = (_define(header, f"IG_MODEL_{k}") for k in ("ARENA_SIZE", "KV_CACHE_SIZE", "WEIGHT_BYTES"))
    syms = _symbol_sizes(out / "example" / "example.elf")
    assert syms["ig_arena"] == arena > 0
    assert sum(v for k, v in syms.items() if k.startswith("ig_kv_")) == kv > 0
    assert syms["ig_weights"] == weights > 1_000_000
    assert f"const uint8_t ig_weights[{weights}] __attribute__((aligned(16)))" in (out / "model_weights.c").read_text()
    assert (_define(header, "IG_MODEL_CONTEXT"), _define(header, "IG_MODEL_MAX_TOKENS")) == (64, 16)
    assert _define(header, "IG_MODEL_VOCAB_SIZE") == decoder.graph.meta["vocab_size"] == 1024
    assert _define(header, "IG_MODEL_EOS_TOKEN_ID") == decoder.tokenizer.eos_token_id
    out_t = decoder.graph.tensors[decoder.graph.outputs[0]]
    assert _define(header, "IG_MODEL_OUTPUT_ZERO_POINT") == out_t.zero_point
    assert float(re.search(r"IG_MODEL_OUTPUT_SCALE (\S+)", header).group(1)) == out_t.scale
    assert "int ig_model_init(void);" in header and "int32_t ig_model_generate(const int32_t *prompt, int32_t " \
        "n_prompt, int32_t *out, int32_t n_new);" in header and "int32_t ig_model_forward(" in header
    report = json.loads((out / "memory_report.json").read_text())
    mb = report["memory"]["model_bytes"]
    assert (mb["arena"], mb["kv_cache"], mb["weights"]) == (arena, kv, weights)
    assert report["memory"]["rom_bytes"] > weights and report["compiler"].startswith("gcc")
    assert f"key/value cache {kv:,} B" in printed and "ROM" in printed and "RAM" in printed


def test_application_generates_the_reference_tokens_with_the_decoder_library(decoder, decoder_m4):
    """Its own main.c, built with the generated example/Makefile (model.mk, libmodel.a, the platform copy) alone;
    a prompt of two prefill chunks, then decoding: the ids are the reference interpreter's greedy ids."""
    from intgap.pipeline import reference_generate
    out, _ = decoder_m4
    app = out / "app"  # beside example/: the generated Makefile includes ../model.mk
    app.mkdir(exist_ok=True)
    (app / "main.c").write_text(APP_GENERATE_MAIN)
    (app / "Makefile").write_text((out / "example" / "Makefile").read_text())
    proc = subprocess.run(["make", "-C", str(app)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    prompt = [int(t) for t in decoder.tokenizer(DECODER_PROMPT)["input_ids"]]
    assert 16 < len(prompt) <= 32
    m4 = isa.get_target("cortex-m4")
    r = isa.run(app / "example.elf", m4, inputs={INPUT_SECTION: np.asarray([len(prompt), *prompt], "<i4").tobytes()})
    assert r.exit_code == 0, r.stdout
    ids = np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), "<i4").tolist()
    want = reference_generate(decoder.graph, prompt, 8)
    assert ids == want

    # the generated example: [n_prompt, n_new, 0, 0] + ids, as intgap's generate harness
    ex = out / "example" / "example.elf"
    r = isa.run(ex, m4, inputs={INPUT_SECTION: np.asarray([len(prompt), 5, 0, 0, *prompt], "<i4").tobytes()})
    assert r.exit_code == 0 and np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), "<i4").tolist() == want[:5]
    r = isa.run(ex, m4, inputs={INPUT_SECTION: np.asarray([2, 1, 0, 0, 7, 1024], "<i4").tobytes()})
    assert r.exit_code == 11 and b"outside the model's tables" in r.stdout
    r = isa.run(ex, m4, inputs={INPUT_SECTION: np.asarray([60, 6, 0, 0, *[7] * 60], "<i4").tobytes()})
    assert r.exit_code == 12 and b"outside the program's limits" in r.stdout


def test_decoder_firmware_is_integer_only(decoder_m4):
    from toolchain import check_integer_purity
    out, _ = decoder_m4
    assert check_integer_purity(out / "example" / "example.elf") == []
    assert "__aeabi_f" not in subprocess.run(["arm-none-eabi-nm", str(out / "libmodel.a")], capture_output=True,
                                             text=True).stdout


def test_decoder_too_large_for_the_target_is_refused_before_building(decoder, tmp_path):
    import dataclasses

    from codegen.errors import ModelDoesNotFit
    from intgap.compile_command import compile_firmware
    from isa.targets import MemoryRegion
    m4 = isa.get_target("cortex-m4")
    small = dataclasses.replace(m4, memory=(MemoryRegion("code", 0, 512 * 1024, "rwx"), m4.stack_region))
    out = tmp_path / "fw"
    with pytest.raises(ModelDoesNotFit, match=r"does not fit cortex-m4: it needs at least 1,3[\d,]+ bytes .*key/value "
                                              r"cache 32,768 B for 64 positions.* holds 524,288 bytes"):
        compile_firmware(decoder.graph, small, out, context=64, max_tokens=16)
    assert not (out / "libmodel.a").exists() and not (out / "model_weights.c").exists()


def test_transformer_options_on_an_mlp_are_one_line_errors(tmp_path, capsys):
    _, path = _graph(tmp_path)
    assert cli_main(["compile", "--model", "mlp", "--target", "cortex-m4", "-o", str(tmp_path / "a"),
                     "--context", "32"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--context apply to transformer models; mlp is an MLP" in err
    assert cli_main(["compile", "--model", str(path), "--target", "cortex-m4", "-o", str(tmp_path / "b"),
                     "--config", "w4a8"]) == 2
    assert "is quantized already: --config / --method apply to a model" in capsys.readouterr().err
