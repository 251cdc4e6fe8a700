"""The FP32 side of `intgap eval` is kept on disk: a second process (here: a new, equal graph) reads it back."""
import numpy as np

from quant import accuracy
from quant.ir import Graph, Node, TensorInfo


def _graph(w: float) -> Graph:
    t = {k: TensorInfo(k, (1, 2), "float32") for k in "xy"}
    return Graph("f", ["x"], ["y"], t, {"w": np.full(2, w, np.float32)}, [Node("mul_f32", "m", ["x", "w"], ["y"])])


def test_figures_and_embeddings_come_back_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("INTGAP_CACHE", str(tmp_path))
    calls = []

    def make(value):
        calls.append(1)
        return value
    figures = {"perplexity": 39.14136867092428, "tokens": 4095, "window": 256}
    emb = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    assert accuracy.fp32_once(_graph(1.0), (1, 2, 3), lambda: make(figures)) == figures
    assert accuracy.fp32_once(_graph(1.0), (1, 2, 3), lambda: make(None)) == figures  # another object: disk
    assert np.array_equal(accuracy.fp32_once(_graph(1.0), ("a line",), lambda: make(emb)), emb)
    assert np.array_equal(accuracy.fp32_once(_graph(1.0), ("a line",), lambda: make(None)), emb)
    assert len(calls) == 2
    accuracy.fp32_once(_graph(2.0), (1, 2, 3), lambda: make(figures))  # other weights: computed
    assert len(calls) == 3
    monkeypatch.setenv("INTGAP_FP32_CACHE", "off")
    accuracy.fp32_once(_graph(1.0), (1, 2, 3), lambda: make(figures))
    assert len(calls) == 4
