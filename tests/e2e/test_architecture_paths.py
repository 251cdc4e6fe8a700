"""Every CLI path for every captured architecture, as a user drives it: a save_pretrained folder of a tiny
random-weight model of each architecture (tests/hf_folders.py: 1 layer, hidden 32, a tokenizer built offline) through
`intgap quantize`, `eval`, `compile` (firmware), `bench`, `mixed` (decoders) and `generate` (decoders: KV cache,
greedy, two targets per architecture, every kernel family across the matrix). `intgap quantize` writes each
architecture's graph once (module scope); eval, compile and generate take that .igraph, bench and mixed the folder
(they quantize per config through one shared cache).

`make test` runs every architecture through quantize, eval, compile and generate on its first target (every family
covered), bench and mixed on a few architectures in turns; INTGAP_ARCH_PATHS=all runs the whole matrix (bench and
mixed on every architecture, generate on both targets): docs/capture.md gives the times of both."""
import json
import math
import os

import numpy as np
import pytest

from intgap.cli import main
from tests.hf_folders import DECODERS, ENCODERS, model_folder

ARCHS = DECODERS + ENCODERS
# generate: two targets per decoder; every family four or more times: scalar (rv32imc), armdsp (cortex-m4),
# mve (cortex-m55), neon (cortex-a55), rvv (rv64gcv)
GENERATE_ON = {"llama": ("rv32imc", "cortex-m55"), "mistral": ("cortex-m4", "rv64gcv"),
               "qwen2": ("cortex-a55", "rv32imc"), "qwen3": ("cortex-m55", "rv64gcv"),
               "phi3": ("cortex-m4", "cortex-a55"), "olmo2": ("rv32imc", "rv64gcv"),
               "gemma": ("cortex-m55", "cortex-a55"), "gemma2": ("cortex-m4", "rv64gcv"),
               "gemma3_text": ("rv32imc", "cortex-a55"), "gpt2": ("cortex-m55", "cortex-m4"),
               "opt": ("rv64gcv", "rv32imc"), "gpt_neox": ("cortex-a55", "cortex-m55")}
FAMILY_TARGETS = ["rv32imc", "cortex-m4", "cortex-m55", "cortex-a55", "rv64gcv"]
# compile, bench and mixed: one target per architecture, in turns
ONE_TARGET = {a: FAMILY_TARGETS[i % len(FAMILY_TARGETS)] for i, a in enumerate(ARCHS)}
ALL = os.environ.get("INTGAP_ARCH_PATHS") == "all"
GENERATE = [(a, t) for a in DECODERS for t in (GENERATE_ON[a] if ALL else GENERATE_ON[a][:1])]
BENCH = ARCHS if ALL else ["llama", "gemma2", "gpt_neox", "distilbert"]
MIXED = DECODERS if ALL else ["qwen3", "opt"]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("arch-paths")


_GRAPHS: dict = {}


def cli(*argv) -> None:
    assert main([str(a) for a in argv]) == 0, argv


def folder(work, arch):
    d = work / "models" / arch
    return d if (d / "config.json").is_file() else model_folder(arch, d)


def graph(work, arch):
    """`intgap quantize` of the folder (W8A8, its default method), once per architecture."""
    if arch not in _GRAPHS:
        out = work / f"{arch}.igraph"
        cli("quantize", "--model", folder(work, arch), "-o", out)
        _GRAPHS[arch] = out
    return _GRAPHS[arch]


@pytest.mark.parametrize("arch", ARCHS)
def test_quantize_and_eval(arch, work):
    out = work / f"{arch}-eval.json"
    cli("eval", graph(work, arch), "--tokens", 256, "--window", 64, "--lines", 8, "--json", out)
    res = json.loads(out.read_text())
    if arch in ENCODERS:
        assert 0.9 < res["mean_cosine"] <= 1 + 1e-9
    else:
        assert math.isfinite(res["int_perplexity"]) and abs(res["relative_increase"]) < 0.5


@pytest.mark.parametrize("arch,target", GENERATE)
def test_generate(arch, target, work):
    out = work / f"{arch}-{target}-gen.json"
    cli("generate", "--model", graph(work, arch), "--target", target, "-n", 2, "--prompt", "But soft",
        "--workdir", work / "gen", "--json", out)
    doc = json.loads(out.read_text())
    assert doc["matches_reference"] and len(doc["tokens"]) == 2 and doc["decode_instructions_per_token"] > 0


@pytest.mark.parametrize("arch", ARCHS)
def test_compile(arch, work):
    out, target = work / "fw" / arch, ONE_TARGET[arch]
    cli("compile", "--model", graph(work, arch), "--target", target, "-o", out, "--json", work / f"{arch}-fw.json")
    assert (out / "libmodel.a").stat().st_size > 0 and (out / "example" / "example.elf").is_file()


@pytest.mark.parametrize("arch", BENCH)
def test_bench(arch, work):
    out, target = work / "bench" / arch, ONE_TARGET[arch]
    cli("bench", "--model", folder(work, arch), "--targets", target, "--configs", "w8a8", "-o", out, "--no-plots",
        "--cache-dir", work / "sweep")
    doc = json.loads((out / "results.json").read_text())
    whole = [r for r in doc["runs"] if r["layer"] is None]
    assert [r["config"] for r in whole] == ["fp32", "w8a8"] and all(r["bit_exact"] for r in whole)


@pytest.mark.parametrize("arch", MIXED)
def test_mixed(arch, work):
    out, target = work / "mixed" / arch, ONE_TARGET[arch]
    cli("mixed", "--model", folder(work, arch), "--target", target, "--budgets", 6, "-o", out,
        "--cache-dir", work / "sweep")
    doc = json.loads((out / "mixed.json").read_text())
    assert {r["how"] for r in doc["rows"]} == {"Theorem 8", "measured-cost search"}
    assert all(np.isfinite(r["perplexity"]) and r["mean_bits"] <= 6 + 1e-9 for r in doc["rows"])


def test_a_gguf_file_is_a_model(work):
    """A GGUF file that the `gguf` package writes (float32 Llama, llama.cpp's names, its q / k rows permuted as
    llama.cpp stores them) is a model spec as a folder is: transformers loads it to the HF model's logits, `intgap
    quantize` captures it, its greedy tokens on rv64gcv are the reference interpreter's, and `intgap compile` takes
    the file as a decoder."""
    import torch
    from tests.hf_folders import llama_gguf
    from quant.recipes import load_model
    (work / "gguf").mkdir()
    path, m = llama_gguf(work / "gguf" / "tiny-llama.gguf")
    loaded = load_model(str(path))
    ids = torch.tensor([loaded.tokenizer("But soft, what light")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(loaded.model(ids).logits, m(ids).logits)
    q, out = work / "gguf" / "tiny.igraph", work / "gguf" / "gen.json"
    cli("quantize", "--model", path, "-o", q)
    cli("generate", "--model", q, "--target", "rv64gcv", "-n", 2, "--workdir", work / "gguf" / "gen", "--json", out)
    assert json.loads(out.read_text())["matches_reference"]
    # the file itself as compile's model (a transformer by its kind, not a classifier's state dict)
    cli("compile", "--model", path, "--target", "cortex-m4", "-o", work / "gguf" / "fw")
    assert (work / "gguf" / "fw" / "libmodel.a").stat().st_size > 0


def test_a_folders_calibration_fits_its_sliding_window(tmp_path):
    """A folder's calibration sequences (and so its captured graph) are no longer than its model's sliding window
    or position table: with 128 tokens a 64-token window was refused by `intgap quantize`."""
    from quant.model_registry import calibration_of
    (tmp_path / "config.json").write_text('{"model_type": "mistral", "sliding_window": 64, '
                                          '"max_position_embeddings": 4096}')
    assert calibration_of(str(tmp_path)) == (16, 64)
    (tmp_path / "config.json").write_text('{"model_type": "gpt2", "n_positions": 100, "sliding_window": null}')
    assert calibration_of(str(tmp_path)) == (16, 100)
    (tmp_path / "config.json").write_text('{"model_type": "qwen2", "sliding_window": 4096}')
    assert calibration_of(str(tmp_path)) == (16, 128)
