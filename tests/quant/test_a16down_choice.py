"""The a16down-top step: int16 down projection inputs for the blocks whose int8 input adds the most rounding noise
(calibration data only), a share of the blocks; the method grammar around it."""
import numpy as np
import pytest

from quant.a16down_choice import choose_a16down, int8_noise_share
from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from quant.observers import calibrate
from quant.recipes import parse_method
from quant.transformer_ptq import QuantConfig, ffn_hidden, lower
from tests.tiny_models import tiny_llama


def _calibrated(scale_up_of_layer: int | None = None, layers: int = 4):
    g = capture_hf(tiny_llama(layers=layers), 16)
    if scale_up_of_layer is not None:  # a wider range of that block's hidden activation: coarser int8 steps
        key = f"layers.{scale_up_of_layer}.mlp.up_proj.weight"
        g.constants[key][:1] *= 30.0
    rng = np.random.default_rng(0)
    cal = calibrate(g, [sequence_inputs(rng.integers(0, 512, 24)) for _ in range(4)])
    return g, cal


def test_the_noisiest_block_is_chosen_and_the_share_sets_the_count():
    g, cal = _calibrated(scale_up_of_layer=2)
    hidden = ffn_hidden(g)
    assert len(hidden) == 4
    noise = {x: int8_noise_share(g, cal, x) for x in hidden}
    assert max(noise, key=noise.get) == "layers.2.mlp.gated"
    assert choose_a16down(g, cal, hidden, share=0.3) == {"layers.2.mlp.gated"}  # floor(1.2), the worst
    two = choose_a16down(g, cal, hidden, share=0.5)
    assert len(two) == 2 and "layers.2.mlp.gated" in two
    assert choose_a16down(g, cal, hidden, share=0.0) == {"layers.2.mlp.gated"}  # at least one
    assert choose_a16down(g, cal, hidden, share=1.0) == hidden


def test_only_the_chosen_down_projections_read_int16():
    g, cal = _calibrated(scale_up_of_layer=2)
    chosen = choose_a16down(g, cal, ffn_hidden(g), share=0.5)
    q = lower(g, cal, QuantConfig(a16down=True, a16down_only=chosen))
    base = lower(g, cal, QuantConfig())
    for i in range(4):
        x = f"layers.{i}.mlp.gated"
        assert q.tensors[x].dtype == ("int16" if x in chosen else "int8")
        if x not in chosen:  # as the plain lowering
            assert q.tensors[x] == base.tensors[x]
    assert q.meta["quantization"].endswith("-a16down2")


def test_a16down_and_a16down_top_do_not_chain():
    assert parse_method("gptq+a16down-top+smoothquant") == ["smoothquant", "gptq", "a16down-top"]
    with pytest.raises(QuantError, match="a16down or a16down-top"):
        parse_method("smoothquant+gptq+a16down+a16down-top")
