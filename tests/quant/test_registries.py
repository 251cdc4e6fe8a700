"""The quantizer's registries are complete and are what the passes read: every float op that has an integer twin
has a transformer lowering, every architecture has a kind a folder is recognized by, and a new architecture is
one entry (registered here for a renamed Llama) that capture, folder detection and the model listing all follow."""
import json

import numpy as np
import pytest

from quant.errors import UnsupportedOp
from quant.hf_capture import ARCHITECTURES, Architecture, architecture_of, capture_hf
from tests.tiny_models import tiny_llama
from quant.model_registry import KINDS, folder_kind, listing
from quant.optable import OPTABLE, Group, in_group
from quant.transformer_ptq import LOWERINGS


def test_every_quantized_float_op_has_a_lowering():
    twins = {o.twin for o in OPTABLE.values() if o.twin} - {"relu_f32"}  # relu: the MLP's (quant/ptq.py)
    assert twins <= set(LOWERINGS)
    assert all(OPTABLE[op].is_float for op in LOWERINGS)


def test_planning_facts_are_declared_on_float_ops():
    for name, op in OPTABLE.items():
        assert all(0 <= i < len(op.roles) for i in op.int8_inputs), name
        if in_group(name, Group.RESIDUAL_IN) or in_group(name, Group.RESIDUAL_OUT) or op.int8_inputs:
            assert op.is_float, name
    sums = [n for n in OPTABLE if in_group(n, Group.RESIDUAL_IN) and in_group(n, Group.RESIDUAL_OUT)]
    assert sums == ["add_f32"]


@pytest.mark.parametrize("model_type", sorted(ARCHITECTURES))
def test_every_architecture_has_a_kind_and_is_recognized_in_a_folder(tmp_path, model_type):
    a = ARCHITECTURES[model_type]
    assert a.kind in KINDS and a.kind != "classifier" and a.classes and callable(a.capture)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    assert folder_kind(tmp_path) == a.kind
    assert f"{model_type} {a.kind}" in listing()


def test_a_new_architecture_is_one_entry(tmp_path, monkeypatch):
    m = tiny_llama(layers=1, hidden=32, heads=2, kv_heads=1, vocab=64, positions=16)
    monkeypatch.setattr(m.config, "model_type", "llama-renamed")
    with pytest.raises(UnsupportedOp, match="model_type 'llama-renamed'.*intgap captures bert, llama, mistral"):
        capture_hf(m.model, 8)  # not a causal LM: the export capture is not tried
    unregistered = capture_hf(m, 8)  # a causal LM of no entry: its computation is read all the same
    llama = ARCHITECTURES["llama"]
    monkeypatch.setitem(ARCHITECTURES, "llama-renamed", Architecture("llama-renamed", "decoder", llama.classes,
                                                                     llama.capture))
    assert architecture_of(m).model_type == "llama-renamed"
    g = capture_hf(m, 8)
    monkeypatch.setattr(m.config, "model_type", "llama")
    ref = capture_hf(m, 8)
    assert g.name == "llama-renamed" and [n.op for n in g.nodes] == [n.op for n in ref.nodes]
    assert [n.to_json() for n in unregistered.nodes] == [n.to_json() for n in ref.nodes]
    assert all(np.array_equal(g.constants[k], ref.constants[k]) for k in ref.constants)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama-renamed"}))
    assert folder_kind(tmp_path) == "decoder"


def test_a_module_of_another_class_is_named_with_what_is_captured():
    m = tiny_llama(layers=1, hidden=32, heads=2, kv_heads=1, vocab=64, positions=16)
    with pytest.raises(UnsupportedOp, match="unsupported module LlamaModel at model: intgap captures "
                                            "LlamaForCausalLM there"):
        capture_hf(m.model, 8)


def test_qat_refuses_what_it_cannot_train_with_the_reason():
    from quant.errors import QuantError
    from tests.tiny_models import tiny_gpt2
    from quant.qat import qat_weights
    from quant.transformer_ptq import QuantConfig
    from transformers import BertConfig, BertModel
    gpt2 = tiny_gpt2(layers=1, hidden=32, heads=2, vocab=64, positions=16)
    seqs = [np.arange(8)]
    with pytest.raises(QuantError, match="no nn.Linear named like the graph's fully connected layers .*GPT-2's are "
                                         "Conv1D.*with PTQ"):
        qat_weights(gpt2, capture_hf(gpt2, 8), QuantConfig(), seqs, steps=1)
    bert = BertModel(BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                intermediate_size=64, max_position_embeddings=16)).eval()
    with pytest.raises(QuantError, match="QAT trains decoders .*quantize an encoder with PTQ"):
        qat_weights(bert, capture_hf(bert, 8), QuantConfig(), seqs, steps=1)
