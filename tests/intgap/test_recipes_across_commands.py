"""One quantization recipe per model, config and method: `quantize`, `compile` / `generate` (quantized_model) and
`bench` (the decoder sweep) make the same integer graph; and a group-wise w8a8 config (`w8a8-g32`, once a QuantError
in `bench` although --help offered it) works for every model kind."""
import json

import numpy as np
import pytest

import isa
from intgap.cli import main
from quant import load_graph
from quant.ir import Graph


def _decoder():
    from quant.errors import QuantError
    from quant.hf_models import load_shakespeare_decoder
    try:
        return load_shakespeare_decoder()
    except QuantError as e:
        pytest.skip(str(e))


def assert_same_graph(a: Graph, b: Graph) -> None:
    assert [n.to_json() for n in a.nodes] == [n.to_json() for n in b.nodes]
    assert {k: t.to_json() for k, t in a.tensors.items()} == {k: t.to_json() for k, t in b.tensors.items()}
    assert sorted(a.constants) == sorted(b.constants)
    for k, v in a.constants.items():
        assert v.dtype == b.constants[k].dtype and np.array_equal(v, b.constants[k]), k
    drop = ("quantize_seconds", "model")
    assert {k: v for k, v in a.meta.items() if k not in drop} == {k: v for k, v in b.meta.items() if k not in drop}


def test_quantize_compile_and_bench_share_the_recipe(tmp_path):
    from intgap.cache import Cache
    from intgap.sequence_models import quantized_model
    from intgap.sequence_sweep import quantize_sequence_config
    from intgap.sweep import parse_config
    from quant.recipes import recipe_for

    _decoder()
    r = recipe_for("shakespeare-decoder", "w4a8g64", "rtn")
    assert (r.config, r.calib, r.seq_len) == ("w4a8-g64", 32, 128)  # the registry's calibration, canonical name
    path = tmp_path / "q.igraph"
    assert main(["quantize", "--model", "shakespeare-decoder", "--config", "w4a8-g64", "--method", "rtn",
                 "-o", str(path)]) == 0
    from_quantize = load_graph(path)
    # compile and generate take their graph from quantized_model, with the other spelling of the same config
    from_compile = quantized_model("shakespeare-decoder", "w4a8g64", "rtn", cache=Cache(tmp_path / "c")).graph
    assert_same_graph(from_quantize, from_compile)
    assert from_quantize.meta["config"] == "w4a8-g64" and from_quantize.meta["method"] == "rtn"
    # bench quantizes with the config's default method: the same recipe as quantize without --method
    assert main(["quantize", "--model", "shakespeare-decoder", "--config", "w8a8", "-o", str(path)]) == 0
    q = quantize_sequence_config("shakespeare-decoder", parse_config("w8a8"), [1, 2, 3], 1, Cache(tmp_path / "b"),
                                 eval_tokens=64)
    assert_same_graph(load_graph(path), load_graph(q.graph_path))


def test_w8a8_groups_for_every_model_kind(tmp_path, capsys):
    """classifier (bench of the MLP), decoder (bench of the bundled decoder), encoder (quantize of MiniLM)."""
    _decoder()
    out = tmp_path / "mlp"
    assert main(["bench", "--model", "mlp", "--targets", "cortex-a55", "--configs", "w8a8-g32", "--no-layers",
                 "--no-plots", "-o", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert {r["config"] for r in runs} == {"fp32", "w8a8-g32"} and all(r["bit_exact"] for r in runs)
    out = tmp_path / "dec"
    assert main(["bench", "--model", "shakespeare-decoder", "--targets", "cortex-a55", "--configs", "w8a8g32",
                 "--no-plots", "-o", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    doc = json.loads((out / "results.json").read_text())
    whole = [r for r in doc["runs"] if r["layer"] is None]
    assert {r["config"] for r in whole} == {"fp32", "w8a8-g32"} and all(r["bit_exact"] for r in whole)
    from quant.errors import QuantError
    from quant.hf_models import load_minilm
    try:
        load_minilm()
    except QuantError as e:
        pytest.skip(str(e))
    path = tmp_path / "enc.igraph"
    assert main(["quantize", "--model", "minilm", "--config", "w8a8-g32", "--method", "rtn", "--calib", "4",
                 "-o", str(path)]) == 0
    g = load_graph(path)
    fcs = [n for n in g.nodes if n.op.startswith("fully_connected")]
    assert fcs and all((n.attrs["weight_bits"], n.attrs["group_size"]) == (8, 32) for n in fcs)
    assert g.meta["config"] == "w8a8-g32"


def test_bench_lists_every_model_for_a_typo(capsys):
    from quant.model_registry import names
    assert main(["bench", "--model", "resnet", "--targets", "cortex-a55"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model 'resnet'" in err
    assert set(names()) >= {"mlp", "shakespeare-decoder", "smollm2", "minilm"}
    assert all(n in err for n in names())


def test_an_encoder_in_bench_and_a_classifier_in_quantize_are_named(tmp_path, capsys):
    from intgap.errors import DriverError
    from intgap.models import load_model
    with pytest.raises(DriverError, match="minilm is an encoder: this path takes classifiers"):
        load_model("minilm")
    assert main(["quantize", "--model", "mlp", "-o", str(tmp_path / "m.igraph")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mlp is a classifier (an MLP): this takes transformers" in err


def test_compile_quantizes_an_mlp_with_any_classifier_config(tmp_path):
    from intgap.compile_command import load_graph_for_compile
    from quant.config import ConfigError
    g = load_graph_for_compile("mlp", tmp_path, "w4a8g16")
    fcs = [n for n in g.nodes if n.op == "fully_connected_grouped"]
    assert len(fcs) == 3 and all((n.attrs["weight_bits"], n.attrs["group_size"]) == (4, 16) for n in fcs)
    assert not load_graph_for_compile("mlp", tmp_path, "fp32").is_integer
    assert load_graph_for_compile("mlp", tmp_path).is_integer  # w8a8, as before
    with pytest.raises(ConfigError, match="per-layer widths .* are for transformer models"):
        load_graph_for_compile("mlp", tmp_path, "mixed:6")


def test_quantize_at_fp32_writes_the_float_graph_and_says_so(tmp_path, capsys):
    """fp32 is a config like the others: the captured float graph, written, and the summary line printed."""
    path = tmp_path / "f.igraph"
    assert main(["quantize", "--model", "shakespeare-decoder", "--config", "fp32", "-o", str(path)]) == 0
    assert "method fp32" in capsys.readouterr().out
    assert load_graph(path).meta["method"] == "fp32"


def test_quantize_takes_any_method_chain_the_recipe_takes(tmp_path, capsys):
    """`quantize --method` takes every chain of steps the recipe parses (the defaults among them, e.g.
    smoothquant+gptq+a16down-top, were once refused by a fixed list), and names the steps for an unknown one."""
    _decoder()
    path = tmp_path / "q.igraph"
    assert main(["quantize", "--model", "shakespeare-decoder", "--method", "a16down-top+rtn", "-o", str(path)]) == 0
    assert load_graph(path).meta["method"] == "rtn+a16down-top"
    capsys.readouterr()
    assert main(["quantize", "--model", "shakespeare-decoder", "--method", "gptq+rounding", "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown method 'gptq+rounding'" in err and "a16down-top" in err
