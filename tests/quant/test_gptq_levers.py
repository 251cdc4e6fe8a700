"""The weight-side levers measured by benchmarks/gptq_levers.py (benchmarks/gptq_lever_patches.py) on the bundled
decoder: each changes what it names and nothing else, and the recipe is itself again after the block."""
import numpy as np
import pytest

from quant import gptq, recipes
from quant.accuracy_attribution import same_graph
from quant.errors import QuantError
from benchmarks.gptq_lever_patches import applied, check_levers
from quant.hf_capture import capture_hf
from quant.methods import smoothquant
from quant.recipes import load_model, quantize_model
from quant.weights import quantize_weight

MODEL = "shakespeare-decoder"


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL)


def _q(m, lever="none", method="gptq"):
    with applied(lever, m):
        return quantize_model(m, "w8a8", method, calib=2, seq_len=32)


def _weight(q, layer):
    node = next(n for n in q.nodes if n.name == layer)
    return q.constants[node.inputs[1]]


def test_levers_change_only_what_they_name(model):
    plain = _q(model)
    assert same_graph(_q(model, "hessian:2"), plain)  # the recipe's own sequences: the same Hessians
    assert same_graph(_q(model, f"damp:{gptq.DAMP}"), plain)
    assert not same_graph(_q(model, "hessian:4"), plain)
    assert not same_graph(_q(model, "damp:0.5"), plain)
    head = _q(model, "head:rtn")
    w = capture_hf(model.model, 32).constants
    fp_head = next(n for n in capture_hf(model.model, 32).nodes if n.name == "logits")
    assert np.array_equal(_weight(head, "logits"), quantize_weight(w[fp_head.inputs[1]], 8, None).q)
    assert not np.array_equal(_weight(plain, "logits"), _weight(head, "logits"))  # GPTQ's differs from RTN's
    assert np.array_equal(_weight(plain, "layers.0.mlp.up_proj"), _weight(head, "layers.0.mlp.up_proj"))
    assert not same_graph(_q(model, "clip"), plain)
    assert gptq.DAMP == 0.01 and recipes.gptq_overrides is gptq.gptq_overrides  # restored after each block


def test_the_role_alpha_lever_changes_only_that_roles_weights(model):
    plain = _q(model, method="smoothquant+gptq")
    assert same_graph(_q(model, "alpha:head:0.8", "smoothquant+gptq"), plain)  # the recipe's alpha: the same graph
    head = _q(model, "alpha:head:0.3", "smoothquant+gptq")
    assert not np.array_equal(_weight(plain, "logits"), _weight(head, "logits"))
    assert np.array_equal(_weight(plain, "layers.0.mlp.down_proj"), _weight(head, "layers.0.mlp.down_proj"))
    down = _q(model, "alpha:down:0.3", "smoothquant+gptq")
    assert not np.array_equal(_weight(plain, "layers.0.mlp.down_proj"), _weight(down, "layers.0.mlp.down_proj"))
    assert np.array_equal(_weight(plain, "logits"), _weight(down, "logits"))
    assert recipes.smoothquant is smoothquant


def test_the_calibration_lever_sets_the_sequences(model):
    seen = []
    real = recipes.calibration_feeds
    with applied("calib:3", model):
        recipes.calibration_feeds = lambda m, n, s: seen.append(n) or real(m, n, s)
        try:
            quantize_model(model, "w8a8", "rtn", seq_len=32)
        finally:
            recipes.calibration_feeds = real
    assert seen == [3]


def test_the_hessian_step_is_the_hessian_lever(model):
    """`hessian-x4` (the method step) is GPTQ on the Gram matrices of 4x the recipe's sequences, the rest unchanged."""
    from quant.gptq_hessian import HESSIAN_FACTOR
    step = _q(model, method="gptq+hessian-x4")
    assert same_graph(step, _q(model, f"hessian:{HESSIAN_FACTOR * 2}"))
    assert not same_graph(step, _q(model))
    rtn = _q(model, method="rtn")
    assert any(n.name == "logits" for n in step.nodes) and rtn.tensors.keys() == step.tensors.keys()
    assert all(rtn.tensors[t].scale == step.tensors[t].scale for t in rtn.tensors)  # the activation ranges: the same
    for bad in ("rtn+hessian-x4", "hessian-x4", "qat+hessian-x4"):
        with pytest.raises(QuantError, match="hessian-x4 only with gptq"):
            recipes.parse_method(bad)
    assert recipes.canonical_method("smoothquant+a16down-top+hessian-x4+gptq") == \
        "smoothquant+gptq+hessian-x4+a16down-top"


def test_bad_levers_are_one_clear_error():
    check_levers(["none", "damp:0.1", "hessian:64", "calib:32", "head:rtn", "clip", "alpha:down:0.5"])
    for bad in ("damp:x", "hessian:0", "calib", "head:gptq", "clip:2", "alpha:up:0.5", "alpha:head"):
        with pytest.raises(QuantError, match=f"unknown GPTQ lever '{bad}'"):
            check_levers([bad])
