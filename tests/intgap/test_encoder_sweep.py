"""The encoder workload on a tiny random-weight BERT saved as a Hugging Face folder: one forward pass of a sentence
per target and config, per layer from per-layer kernel copies; the layers and what lies outside them add up to the
whole pass, the categories to the instructions, integer runs reproduce the reference bit for bit, the accuracy is
the mean cosine against FP32, a repeated sweep is served from the cache, and `intgap bench` takes the folder."""
import csv
import json
import string

import pytest
import torch

import isa
from intgap.cli import main
from intgap.encoder_sweep import Encoder
from intgap.report import write_report
from intgap.sweep import parse_configs
from intgap.workload import run_workload
from quant.default_method import default_method


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A 2-layer BERT (hidden 32) with a character-level WordPiece vocabulary."""
    from transformers import BertConfig, BertModel, BertTokenizer
    from quant.errors import QuantError
    from quant.hf_models import shakespeare_lines
    try:
        shakespeare_lines("eval", 1)  # calibration and accuracy read held-out Shakespeare
    except QuantError as e:
        pytest.skip(str(e))
    d = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    chars = string.ascii_lowercase + string.digits + string.punctuation
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *("##" + c for c in chars)]
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=160)
    BertModel(cfg).eval().save_pretrained(d)
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(d / "vocab.txt")).save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def sweep(bert_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("enccache")
    enc = Encoder(str(bert_dir), eval_lines=8, text="But soft!")
    res = run_workload(enc, [isa.get_target("cortex-a55")], parse_configs("fp32,w8a8"), cache_root=root)
    return res, root, enc


def test_whole_pass_and_layers(sweep):
    res, _, enc = sweep
    whole = [r for r in res.runs if r["layer"] is None]
    assert [r["config"] for r in whole] == ["fp32", "w8a8"] and all(r["bit_exact"] for r in whole)
    assert res.model["kind"] == "encoder" and res.model["sequence_tokens"] == len(enc.ids) == 10
    for w in whole:
        assert sum(w["attribution"].values()) == pytest.approx(w["instructions"], abs=8)
        layers = [r for r in res.runs if r["layer"] is not None and r["config"] == w["config"]]
        assert layers and all(r["layer_role"] for r in layers)
        # every instruction of the pass is in exactly one layer, or outside them: the forward step's own glue
        outside = w["outside_layers"]
        total = sum(r["instructions"] for r in layers) + sum(outside.values())
        assert total == pytest.approx(w["instructions"], abs=len(layers) + len(outside))
        assert sum(outside.values()) < 0.05 * w["instructions"]
        assert w["macs"] == sum(r["macs"] for r in layers) > 0


def test_accuracy_is_the_mean_cosine_against_fp32(sweep):
    res, _, _ = sweep
    c = {x["config"]: x for x in res.configs}
    assert c["fp32"]["metric"] == "cosine" and c["fp32"]["mean_cosine"] == pytest.approx(1.0)
    assert 0.9 < c["w8a8"]["min_cosine"] <= c["w8a8"]["mean_cosine"] <= 1.0 + 1e-9
    assert c["w8a8"]["lines"] == 8 and c["w8a8"]["method"] == default_method("encoder", "w8a8")


def test_repeated_sweep_is_served_from_the_cache(sweep, bert_dir):
    res, root, enc = sweep
    again = run_workload(enc, [isa.get_target("cortex-a55")], parse_configs("fp32,w8a8"), cache_root=root)
    assert again.stats.builds == 0 and again.stats.executed_runs == 0 and again.stats.quantized == 0
    assert [r["instructions"] for r in again.runs] == [r["instructions"] for r in res.runs]


def test_report_reads_the_workload(sweep, tmp_path):
    res, _, _ = sweep
    write_report(res, tmp_path, plots=False)
    md = (tmp_path / "report.md").read_text()
    assert "exact emulator counts of one forward pass of the sentence" in md
    assert "| weights B | cosine | bit-exact |" in md
    assert "| config | method | mean cosine | lowest cosine | lines |" in md and "| fp32 | fp32 | 1.0000 |" in md
    assert "## Every layer" in md  # the per-layer table sums the blocks by role, this one lists each layer
    assert "(encoder.layer.*.attention.self.query) |" in md.split("## Per layer\n")[1]
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["config"]: float(r["mean_cosine"]) for r in rows if not r["layer"]} == {
        c["config"]: pytest.approx(c["mean_cosine"]) for c in res.configs}


def test_bench_takes_an_encoder_folder(sweep, bert_dir, tmp_path, capsys):
    _, root, _ = sweep
    out = tmp_path / "report"
    # the sentence and the accuracy lines are bench's defaults, so these runs are new (the cache keeps them)
    assert main(["bench", "--model", str(bert_dir), "--targets", "cortex-a55", "--configs", "fp32,w8a8",
                 "--cache-dir", str(root), "-o", str(out), "--no-plots", "--json", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out
    assert "latency gap, one forward pass" in printed and "cosine" in printed
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["model"]["kind"] == "encoder" and len(doc["summary"]) == 2


def test_quantize_and_bench_make_the_same_encoder_graph(bert_dir, tmp_path):
    """One recipe for an encoder too: `quantize` and bench's encoder workload give the same graph for a group-wise
    config, each command with its own spelling of it (w8a8g32 / w8a8-g32)."""
    from intgap.cache import Cache
    from quant import load_graph
    from tests.intgap.test_recipes_across_commands import assert_same_graph
    path = tmp_path / "enc.igraph"
    assert main(["quantize", "--model", str(bert_dir), "--config", "w8a8g32", "-o", str(path)]) == 0
    q = Encoder(str(bert_dir), eval_lines=2).quantize(parse_configs("w8a8-g32")[-1], Cache(tmp_path / "c"))
    from_bench, from_quantize = load_graph(q.graph_path), load_graph(path)
    assert from_bench.meta["config"] == "w8a8-g32"
    assert 32 in {n.attrs.get("group_size") for n in from_bench.nodes if n.op.startswith("fully_connected")}
    assert_same_graph(from_quantize, from_bench)
