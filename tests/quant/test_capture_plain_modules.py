"""Plain PyTorch modules through the torch.export capture (quant/capture.py, docs/capture.md "Plain modules"): a
.pt2 program or a Python factory is lowered op by op or refused by name; a Linear-Tanh-Linear is refused (no integer
tanh op), never measured as a ReLU MLP; a bare state dict of several Linear layers is refused (it does not say its
activations)."""
import numpy as np
import pytest
import torch
from torch import nn

from intgap.cli import main
from intgap.console_format import PHASE_LINE
from intgap.errors import DriverError
from intgap.models import load_model
from quant import UnsupportedOp, capture, quantize_ptq
from quant import reference as R

FACTORY = '''
from torch import nn


def tanh_mlp():
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def relu_mlp():
    import torch
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
'''


def _save_pt2(module, path, width=6):
    torch.export.save(torch.export.export(module.eval(), (torch.zeros(1, width),)), str(path))
    return path


def _tanh_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def _relu_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


TANH = r"unsupported op Tanh \(aten\.tanh\) at 1 \(Tanh\): intgap lowers Linear and ReLU today"


def test_linear_tanh_linear_is_refused_by_name():
    with pytest.raises(UnsupportedOp, match=TANH):
        capture(_tanh_mlp(), 6)


@pytest.mark.parametrize("how", ["pt2", "factory"])
def test_bench_of_a_tanh_module_is_refused_not_measured_as_relu(tmp_path, capsys, how):
    if how == "pt2":
        spec = str(_save_pt2(_tanh_mlp(), tmp_path / "tanh.pt2"))
    else:
        (tmp_path / "nets.py").write_text(FACTORY)
        spec = f"{tmp_path / 'nets.py'}:tanh_mlp"
    work = tmp_path / "work"
    assert main(["bench", "--model", spec, "--targets", "cortex-m4", "--workdir", str(work)]) == 2
    err = [l for l in capsys.readouterr().err.strip().splitlines() if not PHASE_LINE.match(l)]  # progress lines
    assert len(err) == 1 and "unsupported op Tanh (aten.tanh) at 1 (Tanh)" in err[0]


@pytest.mark.parametrize("how", ["pt2", "factory"])
def test_a_relu_module_is_captured_as_it_computes(tmp_path, how):
    if how == "pt2":
        m = load_model(str(_save_pt2(_relu_mlp(), tmp_path / "relu.pt2")))
    else:
        (tmp_path / "nets.py").write_text(FACTORY)
        m = load_model(f"{tmp_path / 'nets.py'}:relu_mlp")
    assert m.in_features == 6
    g = capture(m.module, m.in_features)
    assert [(n.op, n.name, n.attrs.get("relu")) for n in g.nodes] == [("fully_connected_f32", "0", True),
                                                                         ("fully_connected_f32", "2", False)]
    x = m.test_x[:4]
    with torch.no_grad():
        want = m.module(torch.from_numpy(x)).numpy()
    got = np.concatenate([R.run(g, {"input": x[i:i + 1]})[g.outputs[0]] for i in range(4)])
    assert np.allclose(got, want, atol=1e-5)
    q = quantize_ptq(g, m.calibration, 8, None)
    assert {n.op for n in q.nodes} == {"fully_connected"}


def test_a_state_dict_of_several_layers_is_refused(tmp_path):
    p = tmp_path / "mlp.pt"
    torch.save(_tanh_mlp().state_dict(), p)
    with pytest.raises(DriverError, match=r"is a state dict of 2 Linear layers: it does not say which activations "
                                          r"run between them; save the module with torch.export"):
        load_model(str(p))


def test_a_state_dict_of_one_linear_layer_is_that_layer(tmp_path):
    p = tmp_path / "one.pt"
    lin = nn.Linear(5, 3)
    torch.save(nn.Sequential(lin).state_dict(), p)
    m = load_model(str(p))
    g = capture(m.module, m.in_features)
    assert [n.op for n in g.nodes] == ["fully_connected_f32"]
    assert np.array_equal(g.constants[g.nodes[0].inputs[1]], lin.weight.detach().numpy())


def test_the_digits_mlp_graph_keeps_its_names():
    """The digits MLP (the demo's classifier) captures to the nodes of the former torch.fx capture."""
    m = load_model("mlp")
    g = capture(m.module, m.in_features, name="mlp")
    assert [(n.op, n.name, n.attrs["relu"]) for n in g.nodes] == [
        ("fully_connected_f32", "0", True), ("fully_connected_f32", "2", True), ("fully_connected_f32", "4", False)]
    assert g.outputs == ["4.out"] and g.inputs == ["input"]


def test_factory_errors_name_the_fix(tmp_path):
    with pytest.raises(DriverError, match=r"factory file .* does not exist: pass FILE.py:FUNCTION"):
        load_model(f"{tmp_path / 'none.py'}:f")
    (tmp_path / "nets.py").write_text(FACTORY)
    with pytest.raises(DriverError, match=r"has no function 'nope': pass FILE.py:FUNCTION"):
        load_model(f"{tmp_path / 'nets.py'}:nope")
    (tmp_path / "bad.pt2").write_bytes(b"not a zip")
    with pytest.raises(DriverError, match=r"is not a torch.export program .*torch.export.save"):
        load_model(str(tmp_path / "bad.pt2"))
