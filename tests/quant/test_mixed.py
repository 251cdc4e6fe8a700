"""Mixed precision: Theorem 8 allocation meets its budget, follows sensitivity, and config files set widths."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from tests.tiny_models import tiny_llama
from quant.mixed import LayerSensitivity, allocate, allocation_config, load_layer_config, sensitivities, theorem8_bits
from quant.observers import calibrate
from quant.recipes import parse_config
from quant.transformer_ptq import QuantConfig, lower


def _layers(seed, n):
    rng = np.random.default_rng(seed)
    return [LayerSensitivity(f"l{i}", int(rng.integers(100, 100_000)), float(10 ** rng.uniform(-3, 3)),
                             float(10 ** rng.uniform(-4, 0))) for i in range(n)]


def mean_bits(layers, alloc):
    return sum(x.size * alloc[x.name] for x in layers) / sum(x.size for x in layers)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), budget=st.floats(4.0, 8.0))
def test_allocation_meets_its_budget(seed, n, budget):
    layers = _layers(seed, n)
    alloc = allocate(layers, budget)
    assert set(alloc.values()) <= {4, 8}
    assert mean_bits(layers, alloc) <= budget + 1e-9
    cont, lam = theorem8_bits(layers, budget, 4, 8)
    size = np.array([x.size for x in layers], float)
    assert abs((cont * size).sum() / size.sum() - budget) < 1e-6  # the continuous solution spends the budget
    # where unclipped, b_l = 1/2 log2(alpha sigma^2 / lambda)
    for x, b in zip(layers, cont):
        if 4 < b < 8:
            assert abs(b - 0.5 * np.log2(x.alpha * x.sigma2 / lam)) < 1e-6
    # more sensitive layers never get fewer bits
    key = np.array([x.alpha * x.sigma2 for x in layers])
    order = np.argsort(key)
    assert np.all(np.diff(cont[order]) >= -1e-9)


def test_theorem8_beats_uniform_at_equal_budget():
    layers = _layers(1, 12)
    cont, _ = theorem8_bits(layers, 6.0, 4, 8)
    d_opt = sum(x.distortion(b) for x, b in zip(layers, cont))
    d_uniform = sum(x.distortion(6.0) for x in layers)
    assert d_opt <= d_uniform
    assert set(allocate(layers, 8.0).values()) == {8} and set(allocate(layers, 4.0).values()) == {4}
    with pytest.raises(QuantError, match="outside"):
        theorem8_bits(layers, 9.0, 4, 8)


@pytest.fixture(scope="module")
def tiny():
    g = capture_hf(tiny_llama(), 16)
    cal = calibrate(g, [sequence_inputs(np.random.default_rng(s).integers(0, 512, 24)) for s in range(3)])
    return g, cal


def test_mixed_graph_lowers_with_the_allocated_widths(tiny):
    g, cal = tiny
    layer_bits = allocation_config(g, cal, 6.0)
    layers = sensitivities(g, cal)
    assert mean_bits(layers, {k: 4 if v == "w4a8" else 8 for k, v in layer_bits.items()}) <= 6.0
    q = lower(g, cal, QuantConfig(layer_bits=layer_bits))
    for n in q.nodes:
        if n.op.startswith("fully_connected"):
            assert n.attrs.get("weight_bits", 8) == (4 if layer_bits[n.name] == "w4a8" else 8)


def test_config_file_sets_widths_by_pattern(tiny, tmp_path):
    g, cal = tiny
    p = tmp_path / "widths.json"
    p.write_text(json.dumps({"layers.*.mlp": "w4a8", "logits": "w8a8"}))
    cfg = parse_config(str(p))
    load_layer_config(p, g)
    q = lower(g, cal, cfg)
    fcs = {n.name: n.attrs.get("weight_bits", 8) for n in q.nodes if n.op.startswith("fully_connected")}
    assert fcs["layers.1.mlp.down_proj"] == 4 and fcs["layers.0.mlp.gate_proj"] == 4
    assert fcs["layers.0.self_attn.q_proj"] == 8 and fcs["logits"] == 8
    p.write_text(json.dumps({"layer.*.mlp": "w4a8"}))
    with pytest.raises(QuantError, match="matches no fully connected layer"):
        load_layer_config(p, g)
    p.write_text(json.dumps({"layers.*": "w3a8"}))
    with pytest.raises(QuantError, match="unknown precision"):
        load_layer_config(p)
