"""Integer transformers (tiny Llama, GPT-2 and BERT with random weights; int8 and int4 weights) built into C
forward / generate programs, run on emulated cores: outputs equal the reference interpreter's bit for bit, a prompt
gives the same logits in one call or in chunks, greedy tokens equal the reference's, one cut-out layer runs alone,
both emulators agree, and what cannot run is refused with the cause."""
import dataclasses

import numpy as np
import pytest
import torch

import isa
from codegen.errors import ModelDoesNotFit
from intgap.errors import DriverError
from intgap.pipeline import (build_program, reference_forward, reference_generate, run_forward,
                                      run_generate)
from quant import reference
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_gpt2, tiny_llama
from quant.observers import calibrate
from quant.subgraph import subgraph
from quant.transformer_ptq import QuantConfig, lower


def _ids(n, vocab=512, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, n)


def tiny_bert(seed=0):
    from transformers import BertConfig, BertModel
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=512, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64)
    return BertModel(cfg, add_pooling_layer=False).eval()


_GRAPHS = {}


def quantized(kind: str, bits: int = 8):
    if (kind, bits) not in _GRAPHS:
        m = {"llama": tiny_llama, "gpt2": tiny_gpt2, "bert": tiny_bert}[kind]()
        g = capture_hf(m, 16)
        cal = calibrate(g, [sequence_inputs(_ids(16, seed=s)) for s in range(6)])
        _GRAPHS[(kind, bits)] = lower(g, cal, QuantConfig(weight_bits=bits, group_size=32 if bits == 4 else None))
    return _GRAPHS[(kind, bits)]


CASES = [("llama", 8, "cortex-m4"), ("llama", 8, "rv32imc"), ("llama", 8, "cortex-a55"), ("llama", 8, "rv64gcv"),
         ("llama", 4, "cortex-a53"), ("llama", 4, "rv64gc"), ("gpt2", 8, "cortex-m7"), ("gpt2", 4, "cortex-a55"),
         ("bert", 8, "cortex-m4"), ("bert", 8, "rv64gcv-vlen256")]


@pytest.mark.parametrize("kind,bits,target_name", CASES)
def test_forward_bit_exact(kind, bits, target_name, tmp_path):
    g = quantized(kind, bits)
    t = isa.get_target(target_name)
    built = build_program(g, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    ids = _ids(13, seed=7)
    y, r = run_forward(built, t, ids)
    assert r.instructions > 0
    assert np.array_equal(y, reference_forward(g, ids))


def test_chunked_prefill_and_decode_equal_the_whole_sequence(tmp_path):
    """The key/value cache: 11 tokens as 4 + 4 + 3 or one at a time give the whole sequence's last logits."""
    g = quantized("llama", 8)
    t = isa.get_target("cortex-a55")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=4, context=32)
    prompt = _ids(11, seed=3)
    want = reference_generate(g, prompt, 6)
    for chunk in (1, 3, 4):
        tokens, _ = run_generate(built, t, prompt, 6, chunk=chunk)
        assert tokens == want, chunk


def test_generate_equals_reference_on_rvv(tmp_path):
    g = quantized("llama", 4)
    t = isa.get_target("rv64gcv")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=8, context=24)
    prompt = _ids(9, seed=11)
    tokens, r = run_generate(built, t, prompt, 5)
    assert tokens == reference_generate(g, prompt, 5)


def test_one_encoder_layer_alone(tmp_path):
    """A cut-out BERT layer (activation rows in) computes on target what it computes inside the whole model."""
    g = quantized("bert", 8)
    layer = subgraph(g, "encoder.layer.1")
    assert layer.inputs == ["encoder.layer.0.output.LayerNorm"]
    ids = _ids(12, seed=5)
    x = reference.run(g, sequence_inputs(ids), keep_all=True)[layer.inputs[0]]
    t = isa.get_target("cortex-m4")
    built = build_program(layer, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    y, _ = run_forward(built, t, x)
    assert np.array_equal(y, reference.run(g, sequence_inputs(ids))["hidden"])


def test_backends_agree_on_a_sequence_program(tmp_path):
    g = quantized("gpt2", 8)
    t = isa.get_target("cortex-a53")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=8, context=16)
    prompt = _ids(6, seed=2)
    a, ra = run_generate(built, t, prompt, 4, backend="unicorn")
    b, rb = run_generate(built, t, prompt, 4, backend="qemu")
    assert a == b and ra.instructions == rb.instructions


def test_a_model_too_large_for_the_target_is_refused_with_both_amounts(tmp_path):
    g = quantized("llama", 8)
    t = isa.get_target("cortex-m4")
    small = dataclasses.replace(t, memory=(isa.targets.MemoryRegion("code", 0, 64 * 1024, "rwx"),
                                           t.memory[1]))
    with pytest.raises(ModelDoesNotFit, match=r"needs at least [\d,]+ bytes .* holds 65,536 bytes"):
        build_program(g, small, tmp_path, mode="forward", max_tokens=16, context=16)


def test_a_token_id_outside_the_vocabulary_stops_with_the_cause(tmp_path):
    g = quantized("llama", 8)
    t = isa.get_target("rv32imc")
    built = build_program(g, t, tmp_path, mode="forward", max_tokens=8, context=8)
    with pytest.raises(DriverError, match="token id or position is outside the model's tables"):
        run_forward(built, t, np.array([1, 2, 512]))


def test_a_prompt_longer_than_the_context_is_refused_before_running(tmp_path):
    from codegen.errors import CodegenError
    g = quantized("llama", 8)
    t = isa.get_target("cortex-a55")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=4, context=8)
    with pytest.raises(CodegenError, match="context of 8"):
        run_generate(built, t, _ids(6), 4)


@pytest.fixture(scope="module")
def minilm_w8a8():
    from quant.errors import QuantError
    from quant.recipes import load_model, quantize_model
    try:
        m = load_model("minilm")
    except QuantError as e:
        pytest.skip(str(e))
    return m, quantize_model(m, "w8a8", "smoothquant", calib=4, seq_len=16)


def test_minilm_is_refused_by_an_mcu_and_one_of_its_layers_runs_there(minilm_w8a8, tmp_path):
    """The real all-MiniLM-L6-v2 does not fit a 4 MiB Cortex-M: the refusal gives both amounts; one encoder layer
    alone runs there bit-exact (issue: MiniLM on every target, MCUs measured per layer)."""
    m, g = minilm_w8a8
    t = isa.get_target("cortex-m4")
    with pytest.raises(ModelDoesNotFit, match=r"needs at least [\d,]+ bytes \([\d.]+ MiB.* holds 4,194,304 bytes"):
        build_program(g, t, tmp_path / "whole", mode="forward", max_tokens=16, context=16)
    ids = np.asarray(m.tokenizer("But soft, what light through yonder window breaks?")["input_ids"], np.int32)
    layer = subgraph(g, "encoder.layer.3")
    # SmoothQuant gives each LayerNorm output a scaled twin for the next projections; the cut reads the one tensor
    # both derive from (the previous layer's residual sum)
    assert layer.inputs == ["encoder.layer.2.output.residual"]
    acts = reference.run(g, sequence_inputs(ids), keep_all=True)
    built = build_program(layer, t, tmp_path / "layer", mode="forward", max_tokens=16, context=16)
    y, r = run_forward(built, t, acts[layer.inputs[0]])
    assert np.array_equal(y, acts[layer.outputs[0]])
    assert r.instructions > 1_000_000
