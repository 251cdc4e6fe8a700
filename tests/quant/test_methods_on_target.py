"""A tiny Llama quantized with the asymmetric int4 grid, dynamic per-token scales and the outlier split runs on an
emulated Cortex-M4 and gives the reference interpreter's logits bit for bit (the new ops' C kernels and lowering,
runtime_c/kernels/scalar/ig_fc_asym.c, ig_fc_dynamic.c, ig_channel_gather.c; codegen/op_calls_quant.py)."""
import numpy as np
import pytest

import isa
from intgap.pipeline import build_program, reference_forward, run_forward
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower


def _ids(n, seed):
    return np.random.default_rng(seed).integers(0, 512, n)


@pytest.mark.parametrize("cfg", [
    QuantConfig(weight_bits=4, group_size=32, asym=True, dynamic=True, dynamic_gain=100.0),
    QuantConfig(weight_bits=4, group_size=32, asym=True, outlier_split=True, outlier_threshold=2.0),
], ids=["asym-dynamic", "asym-split"])
def test_quant_methods_bit_exact_on_cortex_m4(cfg, tmp_path):
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    q = lower(g, cal, cfg)
    ops = {n.op for n in q.nodes}
    assert "fully_connected_asym" in ops or "fully_connected_dynamic" in ops
    assert ("channel_gather" in ops) == cfg.outlier_split
    t = isa.get_target("cortex-m4")
    built = build_program(q, t, tmp_path, mode="forward", max_tokens=8, context=8, rows="all")
    ids = _ids(7, 3)
    y, r = run_forward(built, t, ids)
    assert r.instructions > 0
    assert np.array_equal(y, reference_forward(q, ids))


def _a16down_llama():
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    return lower(g, cal, QuantConfig(a16down=True))


def _logits_and_tokens_match(q, t, tmp_path, links=(), not_links=()):
    """A prompt's logits and four greedy tokens on target t equal the reference interpreter's (and the forward
    program links the kernel files `links`, none of `not_links`)."""
    from intgap.pipeline import reference_generate, run_generate
    built = build_program(q, t, tmp_path, mode="forward", max_tokens=8, context=8, rows="all")
    linked = {f"{p.parent.name}/{p.stem}" for p in built.lowered.kernel_sources}
    assert set(links) <= linked and not set(not_links) & linked, sorted(linked)
    ids = _ids(7, 5)
    y, _ = run_forward(built, t, ids)
    assert np.array_equal(y, reference_forward(q, ids))
    gen = build_program(q, t, tmp_path / "gen", mode="generate", max_tokens=4, context=16)
    prompt = _ids(5, 9)
    tokens, _ = run_generate(gen, t, prompt, 4)
    assert tokens == reference_generate(q, prompt, 4)


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55", "cortex-a53", "rv64gcv", "rv32imc"])
def test_a16down_decoder_bit_exact_on_every_family(target_name, tmp_path):
    """The a16down step: the down projections read int16 (fully_connected_wide), run on each family's ig_fc_s16
    (each weight read once; codegen/op_calls.py _fc_s16; the split onto the int8 kernels, _fc_s16_split, where a
    family has none); the logits of a prompt and the greedy tokens equal the reference interpreter's."""
    from codegen.op_calls import fc_s16_reads_weights_once
    q = _a16down_llama()
    wide = [n for n in q.nodes if n.op == "fully_connected_wide" and q.tensors[n.inputs[0]].dtype == "int16"]
    assert [n.name for n in wide] == [n.name for n in q.nodes if n.name.endswith("down_proj")] and wide
    t = isa.get_target(target_name)
    assert fc_s16_reads_weights_once(t.kernel_family)
    _logits_and_tokens_match(q, t, tmp_path, links=[f"{t.kernel_family}/ig_fc_s16"],
                             not_links=["scalar/ig_fc_s16_split"])


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55", "rv64gcv", "rv32imc", "cortex-m55"])
def test_a16down_top_decoder_bit_exact_on_every_family(target_name, tmp_path):
    """The a16down-top step: one block's down projection reads int16 (the one its calibration data chose), the
    other int8, in the same program; the logits and greedy tokens equal the reference interpreter's on one target
    per family (armdsp, NEON, RVV, scalar, MVE)."""
    from quant.a16down_choice import choose_a16down
    from quant.transformer_ptq import ffn_hidden
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    chosen = choose_a16down(g, cal, ffn_hidden(g))
    q = lower(g, cal, QuantConfig(a16down=True, a16down_only=chosen))
    down = {q.tensors[n.inputs[0]].dtype for n in q.nodes if n.name.endswith("down_proj")}
    assert len(chosen) == 1 and down == {"int8", "int16"}
    _logits_and_tokens_match(q, isa.get_target(target_name), tmp_path)


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55", "cortex-a53", "rv64gcv", "rv32imc",
                                         "cortex-m55"])
def test_asym_dynamic_decoder_bit_exact_on_every_family(target_name, tmp_path):
    """Dynamic per-token scales on each family's grouped SIMD kernels (codegen/op_calls_quant.py
    _dynamic_on_grouped), each input row quantized once for the layers that share it (q / k / v, gate / up:
    shared_row_quantization): the logits of a prompt and the greedy tokens equal the reference interpreter's."""
    from codegen.lower import lower as lower_c
    from codegen.op_calls_quant import dynamic_on_grouped, shared_row_quantization
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    q = lower(g, cal, QuantConfig(weight_bits=4, group_size=32, asym=True, dynamic=True, dynamic_gain=100.0))
    dyn = [n for n in q.nodes if n.op == "fully_connected_dynamic"]
    assert dyn and all(dynamic_on_grouped(q, n) for n in dyn)
    groups = shared_row_quantization(q)
    assert [[q.nodes[i].name.rsplit(".", 1)[-1] for i in ix] for ix in groups] == \
        [["q_proj", "k_proj", "v_proj"], ["gate_proj", "up_proj"]] * 2
    t = isa.get_target(target_name)
    code = lower_c(q, t, max_tokens=8).model_c
    assert code.count("ig_dyn_quantize_") == len(dyn) - sum(len(ix) - 1 for ix in groups)
    _logits_and_tokens_match(q, t, tmp_path)


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55", "cortex-a53", "rv64gcv", "rv32imc",
                                         "cortex-m55"])
def test_asym_static_and_dynamic_decoder_bit_exact_on_every_family(target_name, tmp_path):
    """asym+dynamic as SmolLM2's W4A8 method lowers it (dynamic_gain 0.5): static asymmetric layers with int8 input
    (fully_connected_asym) where the per-row grid does not win, dynamic ones where it does, in one decoder: each
    family's kernels for both ops give the reference interpreter's logits and greedy tokens."""
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    q = lower(g, cal, QuantConfig(weight_bits=4, group_size=32, asym=True, dynamic=True))
    ops = {n.op for n in q.nodes if n.op.startswith("fully_connected")}
    assert ops == {"fully_connected_asym", "fully_connected_dynamic"}
    _logits_and_tokens_match(q, isa.get_target(target_name), tmp_path)


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55", "rv64gcv", "rv32imc", "cortex-m55"])
def test_dynamic_all_with_a16down_top_bit_exact_on_every_family(target_name, tmp_path):
    """dynamic-all beside a16down-top on int8 per-channel weights (SmolLM2's W8A8 variants in docs/quantization.md
    "Per-token dynamic scales and clipping beside a16down-top"): the chosen block's down projection reads a static
    int16 input (fully_connected_wide), every other fully connected layer a per-token int8 one
    (fully_connected_dynamic, one group of K); the logits and greedy tokens equal the reference interpreter's on one
    target per family (armdsp, NEON, RVV, scalar, MVE)."""
    from quant.a16down_choice import choose_a16down
    from quant.transformer_ptq import ffn_hidden
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, s)) for s in range(4)])
    chosen = choose_a16down(g, cal, ffn_hidden(g))
    q = lower(g, cal, QuantConfig(dynamic=True, dynamic_gain=np.inf, a16down=True, a16down_only=chosen))
    ops = {n.name: n.op for n in q.nodes if n.op.startswith("fully_connected")}
    assert {op for name, op in ops.items() if name.endswith("down_proj")} == {"fully_connected_wide",
                                                                               "fully_connected_dynamic"}
    assert {op for name, op in ops.items() if not name.endswith("down_proj")} == {"fully_connected_dynamic"}
    _logits_and_tokens_match(q, isa.get_target(target_name), tmp_path)
