"""Transformers on the NPU targets: the fully connected layers run as NPU jobs, everything else on the core, and
the outputs equal the reference interpreter's bit for bit (a tiny Llama's greedy tokens with int8 and int4 weights, a
cut-out BERT layer, the bundled decoder through `intgap generate`)."""
import numpy as np
import pytest

import isa
from intgap.pipeline import build_program, reference_forward, reference_generate, run_forward, run_generate
from quant import reference
from quant.hf_capture import sequence_inputs
from quant.subgraph import subgraph
from tests.e2e.test_transformers_on_targets import _ids, quantized

NPU_TARGETS = ["cortex-m55-npu", "rv32imc-npu"]


def _offloaded(g) -> set[int]:
    """The layers the NPU runs: fully connected layers and the attention matmuls."""
    return {i for i, n in enumerate(g.nodes) if n.op.startswith("fully_connected") or n.op in ("matmul_qk",
                                                                                              "matmul_pv")}


@pytest.mark.parametrize("target_name", NPU_TARGETS + ["cortex-m55-npu-32x32"])
def test_an_mlp_runs_on_the_npu_bit_exactly(target_name, tmp_path):
    from quant import reference as R
    from tests.e2e.conftest import make_graphs
    _, _, q = make_graphs((33, 17, 3))
    xq = R.quantize_input(q, np.random.default_rng(7).standard_normal((5, 33)).astype(np.float32) * 1.5)
    t = isa.get_target(target_name)
    built = build_program(q, t, tmp_path, max_tokens=len(xq))
    y, r = run_forward(built, t, xq)
    assert np.array_equal(y, R.run(q, {"input": xq})[q.outputs[0]])
    assert [(j.gemm.m, j.gemm.k, j.gemm.n) for j in r.npu.jobs] == [(5, 33, 17), (5, 17, 3)]


@pytest.mark.parametrize("target_name,bits", [("cortex-m55-npu", 8), ("rv32imc-npu", 4), ("rv32imc-npu-8x8", 8)])
def test_tiny_llama_generates_the_reference_tokens(target_name, bits, tmp_path):
    g = quantized("llama", bits)
    t = isa.get_target(target_name)
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=8, context=24)
    assert "ig_npu_fc(" in built.lowered.model_c and "ig_npu_matmul_pv(" in built.lowered.model_c
    prompt = _ids(7, seed=4)
    tokens, r = run_generate(built, t, prompt, 5, chunk=4)
    assert tokens == reference_generate(g, prompt, 5)
    assert set(r.npu.per_tag()) == _offloaded(g)
    assert r.npu.cycles > 0 and 0 < r.npu.utilization < 1


@pytest.mark.parametrize("target_name", NPU_TARGETS)
def test_a_bert_layer_runs_bit_exactly_with_its_matmuls_on_the_npu(target_name, tmp_path):
    g = quantized("bert", 8)
    layer = subgraph(g, "encoder.layer.1")
    ids = _ids(12, seed=5)
    x = reference.run(g, sequence_inputs(ids), keep_all=True)[layer.inputs[0]]
    t = isa.get_target(target_name)
    built = build_program(layer, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    y, r = run_forward(built, t, x)
    assert np.array_equal(y, reference.run(g, sequence_inputs(ids))["hidden"])
    assert set(r.npu.per_tag()) == _offloaded(layer) and all(j.gemm.m == 12 for j in r.npu.jobs)
    heads = next(n.attrs["heads"] for n in layer.nodes if n.op == "matmul_qk")
    assert len(r.npu.jobs) == 6 + 2 * heads  # six fully connected layers, one attention job per head and matmul


def _tiny_llama(cfg):
    from quant.hf_capture import capture_hf
    from quant.observers import calibrate
    from quant.transformer_ptq import lower
    from tests.tiny_models import tiny_llama
    g = capture_hf(tiny_llama(), 16)
    return lower(g, calibrate(g, [sequence_inputs(_ids(16, seed=s)) for s in range(6)]), cfg)


@pytest.mark.parametrize("target_name,bits", [("rv32imc-npu", 8), ("cortex-m55-npu", 4)])
def test_dynamic_per_token_layers_run_their_matrix_work_on_the_npu(target_name, bits, tmp_path):
    """fully_connected_dynamic: the core quantizes each row and requantizes per token, the NPU computes the int32
    accumulators (ig_npu_fc_acc); the logits are the reference's."""
    from quant.transformer_ptq import QuantConfig
    g = _tiny_llama(QuantConfig(weight_bits=bits, group_size=32 if bits == 4 else None, dynamic=True,
                                dynamic_gain=10.0))
    dyn = {i for i, n in enumerate(g.nodes) if n.op == "fully_connected_dynamic"}
    assert dyn
    t = isa.get_target(target_name)
    built = build_program(g, t, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    ids = _ids(13, seed=7)
    y, r = run_forward(built, t, ids)
    assert np.array_equal(y, reference_forward(g, ids))  # every row's logits, bit for bit
    assert dyn <= set(r.npu.per_tag()) and all(j.gemm.out_bytes == 4 for j in r.npu.jobs if j.tag in dyn)


def test_asymmetric_int4_weights_run_on_the_npu(tmp_path):
    """fully_connected_asym (group offsets): its layers are NPU jobs and the tokens the reference's."""
    from quant.transformer_ptq import QuantConfig
    g = _tiny_llama(QuantConfig(weight_bits=4, group_size=32, asym=True))
    assert any(n.op == "fully_connected_asym" for n in g.nodes)
    t = isa.get_target("rv32imc-npu")
    built = build_program(g, t, tmp_path, mode="generate", max_tokens=8, context=24)
    prompt = _ids(7, seed=4)
    tokens, r = run_generate(built, t, prompt, 4, chunk=4)
    assert tokens == reference_generate(g, prompt, 4)
    assert set(r.npu.per_tag()) == _offloaded(g)
    assert any(j.gemm.offsets for j in r.npu.jobs)


def test_the_cpu_keeps_layers_whose_tiles_do_not_fit(tmp_path):
    """A layer over the NPU's scratchpads stays on the core's kernels (and the program is still exact)."""
    from dataclasses import replace

    from isa.npu.config import NpuConfig
    g = quantized("llama", 8)
    t = isa.get_target("rv32imc-npu")
    tiny = replace(t, extra={**t.extra, "npu": NpuConfig(4, 4, input_scratchpad=512, weight_scratchpad=1024)})
    built = build_program(g, tiny, tmp_path, mode="generate", max_tokens=4, context=12)
    prompt = _ids(4, seed=1)
    tokens, r = run_generate(built, tiny, prompt, 3)
    assert tokens == reference_generate(g, prompt, 3)
    on_npu = set(r.npu.per_tag())
    assert on_npu and on_npu < _offloaded(g)  # tiles of k = 64 fit, the down projections (k = 192) do not


@pytest.mark.parametrize("target_name", NPU_TARGETS)
def test_the_bundled_decoder_generates_the_reference_tokens_with_npu_figures(target_name, tmp_path):
    from intgap import sequence_models
    from intgap.generate_command import generate_on_target
    sm = sequence_models.quantized_model("shakespeare-decoder", "w8a8")
    prompt = [int(i) for i in sm.tokenizer("ROMEO:")["input_ids"]]
    doc = generate_on_target(sm, isa.get_target(target_name), prompt, 3, workdir=tmp_path)
    assert doc["matches_reference"]
    assert doc["npu"]["config"]["macs_per_cycle"] == 256 and doc["npu"]["offloaded_layers"]
    assert doc["decode_est_cycles_per_token"] == pytest.approx(doc["decode_cpu_cycles_per_token"]
                                                               + doc["decode_npu_cycles_per_token"])
    assert 0 < doc["decode_cpu_share"] < 1 and 0 < doc["decode_npu_utilization"] < 1
    assert doc["est_tokens_per_second"] == pytest.approx(doc["clock_mhz"] * 1e6 / doc["decode_est_cycles_per_token"])
