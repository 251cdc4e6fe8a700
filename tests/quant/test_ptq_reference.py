"""PTQ and the reference interpreter against PyTorch, on random MLPs and on the real digits data."""
import numpy as np
import pytest
import torch

from quant import GraphError, capture, quantize_ptq, validate
from quant import reference as R
from intgap.models import load_digits_mlp, mlp

SHAPES = [(13, 7, 5), (64, 64, 32, 10), (33, 17, 3), (1, 4, 2), (384, 96, 16)]


@pytest.mark.parametrize("shape", SHAPES)
def test_dequantized_reference_close_to_pytorch(shape):
    """Tolerance: 4 output quantization steps. Inside the calibration range (no clipping), the output's own
    rounding costs 0.5 step and each hidden layer's rounding (0.5 of its step) and the per-channel weight rounding
    propagate through the later layers; over 30 random networks of these shapes the worst case measured was
    2.6 steps. Inputs are the calibration data themselves, so no input is clipped."""
    torch.manual_seed(1)
    m = mlp(shape).eval()
    x = np.random.default_rng(1).standard_normal((512, shape[0])).astype(np.float32)
    q = quantize_ptq(capture(m, shape[0]), x)
    y = R.dequantize_output(q, R.run(q, {"input": R.quantize_input(q, x)})[q.outputs[0]])
    with torch.no_grad():
        yf = m(torch.from_numpy(x)).numpy()
    step = q.tensors[q.outputs[0]].scale
    assert np.abs(y - yf).max() <= 4 * step
    assert np.sqrt(((y - yf) ** 2).mean() / (yf ** 2).mean()) < 0.03


def test_digits_accuracy_int8_within_one_point_of_fp32():
    model = load_digits_mlp()
    g = capture(model.module, model.in_features)
    q = quantize_ptq(g, model.calibration)
    with torch.no_grad():
        yf = model.module(torch.from_numpy(model.test_x)).numpy()
    yq = R.run(q, {"input": R.quantize_input(q, model.test_x)})[q.outputs[0]]
    acc_fp = (yf.argmax(1) == model.test_y).mean()
    acc_q = (yq.argmax(1) == model.test_y).mean()
    assert acc_fp > 0.95
    assert acc_q >= acc_fp - 0.01


def test_integer_graph_has_only_integer_ops_and_float_graph_is_rejected():
    m = mlp((8, 4, 2))
    g = capture(m, 8)
    q = quantize_ptq(g, np.random.default_rng(0).standard_normal((32, 8)).astype(np.float32))
    validate(q, integer_only=True)
    assert {n.op for n in q.nodes} == {"fully_connected"}
    assert all(q.constants[n.inputs[1]].dtype == np.int8 for n in q.nodes)
    assert all(q.constants[n.inputs[2]].dtype == np.int32 for n in q.nodes)
    with pytest.raises(GraphError, match="float op"):
        validate(g, integer_only=True)


def test_relu_fused_and_last_layer_unclamped():
    g = capture(mlp((6, 5, 4, 3)), 6)
    assert [n.attrs["relu"] for n in g.nodes] == [True, True, False]
    q = quantize_ptq(g, np.random.default_rng(0).standard_normal((64, 6)).astype(np.float32))
    hidden, last = q.nodes[0], q.nodes[-1]
    assert hidden.attrs["act_min"] == hidden.attrs["y_zero_point"]
    assert last.attrs["act_min"] == -128


def test_grouped_fc_reference_hand_case():
    """K=4 in two groups of 2, group scales 1 and 3: acc = b + 1*(x0 w0 + x1 w1) + 3*(x2 w2 + x3 w3)."""
    from quant.ir import Graph, Node, TensorInfo
    w = np.array([[1, -2, 3, 7], [-8, 0, 1, 1]], np.int8)
    consts = {"w": w, "b": np.array([10, -4], np.int32), "gs": np.array([[1, 3], [2, 0]], np.int32),
              "m": np.array([1 << 30, 1 << 30], np.int32), "s": np.array([0, 0], np.int32)}
    tensors = {"x": TensorInfo("x", (1, 4), "int8", 1.0, 2), "y": TensorInfo("y", (1, 2), "int8", 1.0, 0)}
    node = Node("fully_connected_grouped", "fc", ["x", "w", "b", "gs", "m", "s"], ["y"],
                {"x_zero_point": 2, "y_zero_point": 0, "act_min": -128, "act_max": 127, "group_size": 2,
                 "weight_bits": 4})
    g = Graph("g", ["x"], ["y"], tensors, consts, [node])
    validate(g, integer_only=True)
    x = np.array([[3, 4, 5, 6]], np.int8)  # minus zero point: 1, 2, 3, 4
    acc0 = 10 + 1 * (1 * 1 + 2 * -2) + 3 * (3 * 3 + 4 * 7)  # = 118
    acc1 = -4 + 2 * (1 * -8 + 2 * 0) + 0  # = -20
    # multiplier 2^30 with shift 0 halves: 59, -10
    assert R.run(g, {"x": x})["y"].tolist() == [[59, -10]]
    g.constants["w"] = np.array([[1, -2, 3, 9], [-8, 0, 1, 1]], np.int8)
    with pytest.raises(GraphError, match="4-bit weights"):
        validate(g, integer_only=True)
