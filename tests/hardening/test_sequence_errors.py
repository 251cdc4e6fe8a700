"""Errors of the sequence pipeline (transformers lowered to a C forward step, built, run, and their firmware
artifact): each is one clear error naming the cause and the fix. A tiny random Llama (two layers, 512 ids, 128
positions) keeps them fast."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import isa
from codegen.errors import CodegenError, ModelDoesNotFit
from codegen.program import INPUT_SECTION
from intgap.errors import DriverError
from isa.targets import MemoryRegion
from tests.hardening.conftest import one_line_error, small_int_graph


def _ids(n, seed=0):
    return np.random.default_rng(seed).integers(0, 512, n)


@pytest.fixture(scope="module")
def tiny():
    from quant.hf_capture import capture_hf, sequence_inputs
    from tests.tiny_models import tiny_llama
    from quant.observers import calibrate
    from quant.transformer_ptq import QuantConfig, lower
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(_ids(16, seed=s)) for s in range(3)])
    return lower(g, cal, QuantConfig())


@pytest.fixture(scope="module")
def forward_program(tiny, tmp_path_factory):
    from intgap.pipeline import build_program
    t = isa.get_target("rv32imc")
    return build_program(tiny, t, tmp_path_factory.mktemp("fwd"), mode="forward", max_tokens=8, context=8), t


def _small(target_name: str, size: int):
    t = isa.get_target(target_name)
    return dataclasses.replace(t, memory=(MemoryRegion("code", 0, size, "rwx"), t.stack_region))


# ----------------------------------------------------------------------- intgap.pipeline / codegen

def test_check_fits_refuses_a_model_over_the_region_with_both_amounts(tiny):
    from codegen.lower import check_fits, lower, memory_needed
    small = _small("cortex-m4", 32 * 1024)
    low = lower(tiny, small, 16, 32)
    with pytest.raises(ModelDoesNotFit, match=rf"does not fit cortex-m4: it needs at least {memory_needed(low):,} "
                                              r"bytes .*key/value cache [\d,]+ B for 32 positions\) but the target's "
                                              r"memory region 'code' holds 32,768 bytes .*use int4 weights"):
        check_fits(low, small)


def test_program_stopping_with_exit_11_is_a_driver_error(forward_program):
    from intgap.pipeline import run_forward
    built, t = forward_program
    with pytest.raises(DriverError, match=r"stopped: a token id or position is outside the model's tables \(intgap:"):
        run_forward(built, t, np.array([1, 2, 512]))


def test_program_stopping_with_exit_12_is_a_driver_error(forward_program):
    """A header the Python encoder would refuse (n = 0, n > max tokens), patched in directly: the program itself
    refuses it with status 12."""
    from intgap.pipeline import _checked_run
    built, t = forward_program
    for n in (0, 9):
        inputs = {INPUT_SECTION: np.asarray([n, 0, 0, 0, *_ids(8)], "<i4").tobytes()}
        with pytest.raises(DriverError, match=r"stopped: the number of tokens is outside the program's limits "
                                              r"\(max tokens per call, context\)"):
            _checked_run(built, t, inputs, None)


def test_generate_encoder_refuses_a_prompt_longer_than_the_context_and_a_bad_chunk(tiny, tmp_path):
    from codegen.program import emit_program
    prog, _ = emit_program(tiny, isa.get_target("cortex-a55"), tmp_path, mode="generate", max_tokens=4,
                                    context=8)
    with pytest.raises(CodegenError, match=r"a prompt of 6 tokens and 4 new tokens need 9 positions; program \S+ has "
                                           r"a context of 8 \(build it with a larger context\)"):
        prog.encode_generate(_ids(6), 4)
    for chunk in (5, -1):
        with pytest.raises(CodegenError, match=rf"prefill chunk {chunk} must be between 1 and 4"):
            prog.encode_generate(_ids(3), 2, chunk=chunk)


def test_lowering_refuses_a_graph_with_two_data_inputs():
    from codegen.lower import lower
    g = small_int_graph()
    two_in = dataclasses.replace(g, inputs=g.inputs + ["mask"], tensors={**g.tensors, "mask": g.tensors["input"]})
    with pytest.raises(CodegenError, match=r"has inputs \['input', 'mask'\]: code generation needs one input, int32 "
                                           r"input_ids \[T\] or rows \[T, C\]"):
        lower(two_in, isa.get_target("cortex-m4"), 4, 4)


def test_lowering_refuses_a_context_beyond_the_models_positions(tiny):
    from codegen.lower import lower
    with pytest.raises(CodegenError, match=r"context 200 exceeds the model's 128 positions: use --context 128 or less"):
        lower(tiny, isa.get_target("cortex-m4"), 16, 200)


# ----------------------------------------------------------------------------------------- intgap generate

def test_cli_generate_refuses_fewer_than_one_new_token(capsys):
    from intgap.cli import main
    assert main(["generate", "--model", "shakespeare-decoder", "--target", "cortex-m4", "-n", "0"]) == 2
    assert "--new-tokens must be at least 1, got 0" in one_line_error(capsys)


def test_cli_generate_refuses_an_empty_prompt(tiny, monkeypatch, capsys):
    import intgap.sequence_models as sm
    from intgap.cli import main

    def no_tokens(text):
        return {"input_ids": []}

    monkeypatch.setattr(sm, "quantized_model", lambda *a, **k: sm.SequenceModel("tiny", tiny, no_tokens, "w8a8", "rtn"))
    assert main(["generate", "--model", "tiny", "--target", "cortex-m4", "--prompt", ""]) == 2
    assert "the prompt has no tokens: give some text with --prompt" in one_line_error(capsys)


# ---------------------------------------------------------------------- intgap compile (codegen/firmware.py)

def test_firmware_refuses_a_forward_step_with_layer_copies(tiny, tmp_path):
    from codegen.firmware import emit_firmware
    from codegen.lower import lower
    low = lower(tiny, isa.get_target("cortex-m4"), 4, 8, layer_copies=True)
    with pytest.raises(CodegenError, match=r"without per-layer kernel copies \(layer_copies=False\)"):
        emit_firmware(low, tmp_path, "gcc")


def test_sequence_firmware_over_a_region_after_linking(tiny, tmp_path):
    """Weights, arena and cache fit (the check before building passes); with the code they do not: the ROM/RAM
    report of the linked example catches it."""
    from codegen.firmware import lower_firmware
    from intgap.compile_command import compile_firmware
    from codegen.lower import memory_needed
    need = memory_needed(lower_firmware(tiny, isa.get_target("cortex-m4"), 4, 8))
    small = _small("cortex-m4", need + 2048)
    with pytest.raises(ModelDoesNotFit, match=rf"the linked firmware needs [\d,]+ bytes in memory region 'code', which "
                                              rf"holds {need + 2048:,}: [\d,]+ bytes over; use int4 weights \(--config w4a8\), a shorter "
                                              r"context \(--context\)"):
        compile_firmware(tiny, small, tmp_path / "fw", context=8, max_tokens=4)


def test_cli_compile_refuses_bad_sequence_lengths(capsys):
    from intgap.cli import main
    from intgap.compile_command import sequence_lengths
    assert main(["compile", "--model", "shakespeare-decoder", "--target", "cortex-m4", "-o", "/nonexistent/x",
                 "--max-tokens", "0"]) == 2
    assert "--max-tokens must be at least 1, got 0" in one_line_error(capsys)
    with pytest.raises(DriverError, match=r"an encoder runs a whole sequence in one call: --context 32 and "
                                          r"--max-tokens 16 must be the same"):
        sequence_lengths(False, 32, 16)
    assert sequence_lengths(False, None, 24) == (24, 24) and sequence_lengths(True, None, None) == (64, 16)


def test_lowering_refuses_more_tokens_per_call_than_the_context(tiny):
    from codegen.lower import lower
    with pytest.raises(CodegenError, match=r"max_tokens 16 must be between 1 and the context 8"):
        lower(tiny, isa.get_target("cortex-m4"), 16, 8)


def test_compile_loader_refuses_a_transformer_name(tmp_path):
    from intgap.compile_command import load_graph_for_compile
    with pytest.raises(DriverError, match="shakespeare-decoder is a transformer: load it with "
                                          "intgap.sequence_models.quantized_model"):
        load_graph_for_compile("shakespeare-decoder", tmp_path)
