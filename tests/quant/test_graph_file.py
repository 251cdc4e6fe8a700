"""The .igraph file: exact round trip, no pickles, clear errors for damaged files."""
import json
import zipfile

import numpy as np
import pytest
import torch

from quant import GraphError, UnsupportedOp, capture, load_graph, quantize_ptq, save_graph
from intgap.models import mlp


@pytest.fixture
def qgraph():
    torch.manual_seed(0)
    g = capture(mlp((13, 7, 5)), 13)
    return quantize_ptq(g, np.random.default_rng(0).standard_normal((64, 13)).astype(np.float32))


def test_round_trip_is_exact(tmp_path, qgraph):
    p = tmp_path / "m.igraph"
    save_graph(qgraph, p)
    g2 = load_graph(p)
    assert g2.inputs == qgraph.inputs and g2.outputs == qgraph.outputs
    assert [n.to_json() for n in g2.nodes] == [n.to_json() for n in qgraph.nodes]
    assert {k: v.to_json() for k, v in g2.tensors.items()} == {k: v.to_json() for k, v in qgraph.tensors.items()}
    assert set(g2.constants) == set(qgraph.constants)
    for k, v in qgraph.constants.items():
        assert g2.constants[k].dtype == v.dtype and np.array_equal(g2.constants[k], v)
    save_graph(g2, tmp_path / "again.igraph")
    assert (tmp_path / "again.igraph").read_bytes() == p.read_bytes()  # deterministic bytes


def test_not_a_pickle(tmp_path, qgraph):
    p = tmp_path / "m.igraph"
    save_graph(qgraph, p)
    with zipfile.ZipFile(p) as z:
        assert sorted(z.namelist()) == ["graph.json", "tensors.npz"]
        json.loads(z.read("graph.json"))


def test_truncated_file_is_a_clear_error(tmp_path, qgraph):
    p = tmp_path / "m.igraph"
    save_graph(qgraph, p)
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(GraphError, match="not a readable .igraph"):
        load_graph(p)


def test_hand_edited_shift_out_of_range_is_rejected(tmp_path, qgraph):
    key = next(k for k in qgraph.constants if k.endswith(".shift"))
    qgraph.constants[key] = np.full_like(qgraph.constants[key], 40)
    with pytest.raises(GraphError, match="shifts must lie"):
        save_graph(qgraph, tmp_path / "bad.igraph")


def test_unsupported_op_is_named():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    with pytest.raises(UnsupportedOp, match="sigmoid"):
        capture(M(), 4)
