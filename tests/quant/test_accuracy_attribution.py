"""The accuracy attribution (quant/accuracy_attribution.py) on tiny random-weight Llama and BERT models: nothing
replaced is the integer graph's figure exactly, everything replaced the float graph's (and FP32's within float
tolerance), the shares are reproducible, and a bad unit is one clear error."""
import numpy as np
import pytest
import torch

from quant import accuracy_attribution as A
from quant.accuracy import cosine, embed_sentences, perplexity
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.methods import smoothquant
from quant.accuracy_attribution import MixedGraph
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower

IDS = np.random.default_rng(7).integers(0, 512, 65)


def _ids(n, seed):
    return np.random.default_rng(seed).integers(0, 512, n)


def _pair(model, cfg, seq=16):
    """(FP32 capture, the smoothed float graph, its integer graph, the mixed graph of the two)."""
    fp32 = capture_hf(model, seq)
    feeds = [sequence_inputs(_ids(24, s)) for s in range(4)]
    g = smoothquant(fp32, calibrate(fp32, feeds), 0.8)
    cal = calibrate(g, feeds)
    q = lower(g, cal, cfg)
    return fp32, g, q, MixedGraph(g, q, A.rounded_weights(g, cfg))


@pytest.fixture(scope="module", params=["w8a8", "w4a8-split-dynamic"])
def llama(request):
    cfg = QuantConfig() if request.param == "w8a8" else QuantConfig(
        weight_bits=4, group_size=32, outlier_split=True, outlier_threshold=1.5, dynamic=True)
    return _pair(tiny_llama(), cfg)


def _ppl(forward):
    return perplexity(forward, IDS, 32)["perplexity"]


def _figures(forward):
    return {"perplexity": _ppl(forward)}


def _forward(mg, mix):
    return lambda ids: mg.run(sequence_inputs(ids), mix)


def test_nothing_replaced_is_the_integer_graph_exactly(llama):
    fp32, g, q, mg = llama
    assert _ppl(_forward(mg, mg.all_integer())) == _ppl(q)
    y = mg.run(sequence_inputs(IDS[:20]), mg.all_integer())
    from quant import reference as R
    assert np.array_equal(y, R.dequantize_output(q, R.run(q, sequence_inputs(IDS[:20]))["logits"]))


def test_everything_replaced_is_the_float_graph_and_fp32(llama):
    fp32, g, q, mg = llama
    everything = _ppl(_forward(mg, mg.all_float()))
    assert everything == _ppl(g)  # the same float32 ops on the same values
    assert everything == pytest.approx(_ppl(fp32), rel=1e-4)  # SmoothQuant is exact up to float32 rounding
    assert abs(_ppl(q) - everything) > 1e-3  # the loss being attributed is not zero


def test_removing_every_unit_of_a_kind_leaves_only_float(llama):
    mg = llama[3]
    units = A.select_units(mg, "families")
    mix = mg.all_integer()
    for u in units:
        r = A.removed(mg, u)
        mix = A.Mix(mix.integer_ops & r.integer_ops, mix.rounded_weights & r.rounded_weights,
                    mix.rounded_tensors & r.rounded_tensors)
    assert mix == mg.all_float()


def test_a_unit_replaces_only_its_own_parts(llama):
    mg = llama[3]
    soft = next(u for u in A.select_units(mg, "ops") if u.name == "op:softmax")
    assert soft.nodes == {n.name for n in mg.fp.nodes if n.op == "softmax_f32"} and len(soft.nodes) == 2
    r = A.removed(mg, soft)
    full = mg.all_integer()
    assert full.integer_ops - r.integer_ops == soft.nodes
    assert (r.rounded_weights, r.rounded_tensors) == (full.rounded_weights, full.rounded_tensors)
    probs = A.select_units(mg, "tensor:layers.0.self_attn.probs")[0]
    r = A.removed(mg, probs)  # the tensor is left real: its writer (softmax) and reader (P.V) run in float
    assert full.integer_ops - r.integer_ops == {"layers.0.self_attn.probs", "layers.0.self_attn.context"}
    assert full.rounded_tensors - r.rounded_tensors == {"layers.0.self_attn.probs"}
    assert A.alone(mg, probs) == A.Mix(frozenset(), frozenset(), frozenset({"layers.0.self_attn.probs"}))
    layer = next(u for u in A.select_units(mg, "layers") if u.name == "layer:1")
    assert all(A.layer_of(n) == "1" for n in layer.nodes) and len(layer.weights) == 7


def test_weight_units_per_block_and_per_role_partition_the_weights(llama):
    mg = llama[3]
    fcs = set(mg.fc_nodes)
    for kind, names in (("weight-layers", {"weights:layer:0", "weights:layer:1", "weights:layer:other"}),
                        ("weight-roles", {f"weights:{r}" for r in ("layers.*.self_attn.q_proj",
                                                                   "layers.*.mlp.down_proj", "logits")})):
        units = A.select_units(mg, kind)
        assert names <= {u.name for u in units} and all(u.kind == kind for u in units)
        assert all(not u.nodes and not u.tensors for u in units)  # the weights alone: ops and activations integer
        assert sorted(n for u in units for n in u.weights) == sorted(fcs)  # each weight matrix in one unit
    head = A.select_units(mg, "weights:layer:other")[0]
    assert head.weights == {"logits"} and A.select_units(mg, "weights:logits")[0].weights == {"logits"}
    block = A.select_units(mg, "weights:layer:1")[0]
    assert len(block.weights) == 7 and all(A.layer_of(n) == "1" for n in block.weights)
    r, full = A.removed(mg, block), mg.all_integer()
    assert (full.rounded_weights - r.rounded_weights, full.integer_ops - r.integer_ops) == (block.weights, block.weights)
    # a roles unit's weights: row is the weight-roles unit of that name, selected once
    both = A.select_units(mg, "roles,weight-roles,weights:logits")
    assert len({u.name for u in both}) == len(both)


def test_shares_are_reproducible_and_add_up(llama):
    mg = llama[3]
    units = A.select_units(mg, "op:softmax,weights,layer:0,layer:1,layer:other")
    a = A.attribute(mg, units, _figures)
    b = A.attribute(mg, units, _figures)
    assert a["rows"] == b["rows"]
    e_int, e_float = a["integer"]["perplexity"], a["float"]["perplexity"]
    assert e_int == _ppl(llama[2]) and e_float == _ppl(llama[1])
    for r in a["rows"]:
        assert r["share_removed"] == pytest.approx((e_int - r["removed"]["perplexity"]) / (e_int - e_float))
        assert r["share_alone"] == pytest.approx((r["alone"]["perplexity"] - e_float) / (e_int - e_float))
    # an interrupted measurement resumes from what it recorded
    c = A.attribute(mg, units, lambda f: pytest.fail("measured again"), previous=a)
    assert c["rows"] == a["rows"]
    # the layers partition the graph: all of them removed is everything float
    layers = [u for u in units if u.kind == "layers"]
    assert sum(len(u.nodes) for u in layers) == len(mg.fp.nodes)


def test_bad_unit_names_are_one_clear_error(llama):
    mg = llama[3]
    for bad in ("op:softmaxx", "layer:99", "tensor:nope", "weights:q_proj"):
        with pytest.raises(A.AttributionError, match=f"unknown attribution unit '{bad}'"):
            A.select_units(mg, bad)
    with pytest.raises(A.AttributionError, match="unknown attribution unit 'opsoftmax'"):
        A.check_selection("families,opsoftmax")


def test_a_graph_its_recipe_does_not_rebuild_is_refused():
    from dataclasses import replace

    from quant.recipes import load_model, quantize_model, recipe_for
    m = load_model("shakespeare-decoder")
    recipe = recipe_for("shakespeare-decoder", "w8a8", "rtn", calib=2, seq_len=32)
    other = quantize_model(m, "w8a8", recipe=replace(recipe, observer="mse"))
    with pytest.raises(A.AttributionError, match="is not what its recipe"):
        A.attribute_model(m, recipe, "op:softmax", n_tokens=64, expected=other)


def test_model_attribution_matches_evaluate(tmp_path):
    """The recipe path (what `intgap eval --attribute` runs): nothing replaced is evaluate()'s integer perplexity."""
    from quant.recipes import evaluate, load_model, quantize_model, recipe_for
    m = load_model("shakespeare-decoder")
    recipe = recipe_for("shakespeare-decoder", "w8a8", "smoothquant", calib=2, seq_len=32)
    res = A.attribute_model(m, recipe, "op:softmax,layer:0", n_tokens=96, window=32)
    q = quantize_model(m, "w8a8", recipe=recipe)
    ev = evaluate(q, n_tokens=96, window=32, model=m)
    assert res["integer"]["perplexity"] == ev["int_perplexity"] and res["fp32"]["perplexity"] == ev["fp32_perplexity"]
    assert res["float"]["perplexity"] == pytest.approx(res["fp32"]["perplexity"], rel=1e-4)
    assert 0 <= res["float"]["kl_divergence"] < 1e-6 < res["integer"]["kl_divergence"]
    assert [r["unit"] for r in res["rows"]] == ["op:softmax", "layer:0"]
    from intgap.accuracy_report import write_attribution
    paths = write_attribution(res, tmp_path / "out")
    assert all(p.stat().st_size > 0 for p in paths)
    assert "| layer:0 |" in paths[3].read_text() and "KL from FP32" in paths[3].read_text()


def _tiny_bert():
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=512, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64)
    return BertModel(cfg, add_pooling_layer=False).eval()


class _Tok:
    """Token ids from words (a tiny BERT has no tokenizer)."""

    def __call__(self, s, truncation=True, max_length=128):
        return {"input_ids": [101] + [sum(map(ord, w)) * 7 % 400 + 100 for w in s.split()][:max_length - 2] + [102]}


def test_encoder_cosine_loss_ends_are_exact():
    fp32, g, q, mg = _pair(_tiny_bert(), QuantConfig())
    lines = ["to be or not to be that is the question", "now is the winter of our discontent made glorious",
             "all the world is a stage and all the men and women merely players"]
    tok = _Tok()
    ef = embed_sentences(fp32, tok, lines)

    def loss(forward):
        return {"cosine_loss": float(1 - cosine(ef, embed_sentences(forward, tok, lines)).mean())}
    res = A.attribute(mg, A.select_units(mg, "op:softmax,op:gelu,op:layernorm,layer:0"), loss)
    assert res["integer"] == loss(q)
    # random weights: a loss of a few 1e-6
    assert abs(res["float"]["cosine_loss"]) < 1e-9 and res["integer"]["cosine_loss"] > 1e-6
    assert [r["unit"] for r in res["rows"]] == ["op:softmax", "op:gelu", "op:layernorm", "layer:0"]


def test_cli_attribute_errors_are_one_line(llama, tmp_path, capsys):
    from intgap.cli import main
    from quant import save_graph
    path = tmp_path / "tiny.igraph"
    save_graph(llama[2], path)  # lowered by hand: no recipe in its metadata
    assert main(["eval", str(path), "--attribute", "families,opsoftmax"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("intgap: error: unknown attribution unit 'opsoftmax'") and "\n" not in err
    assert main(["eval", str(path), "--attribute"]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not say which model, config and method made it" in err and "\n" not in err


def test_graphs_that_do_not_pair_are_refused(llama):
    from quant import GraphError
    fp32, g, q, mg = llama
    bert = _pair(_tiny_bert(), QuantConfig())
    with pytest.raises(GraphError, match="was not lowered from this float graph"):
        MixedGraph(g, bert[2], {})
