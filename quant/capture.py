"""Captures a PyTorch module into an FP32 graph with torch.fx. Supported today: Linear, ReLU (module or
functional), Flatten/Identity/Dropout(eval). Any other op is reported with its name and location."""
from __future__ import annotations

import numpy as np
import torch
import torch.fx
from torch import nn

from quant.errors import UnsupportedOp
from quant.ir import Graph, Node, TensorInfo
from quant.optable import Group, in_group

_PASSTHROUGH_MODULES = (nn.Identity, nn.Dropout, nn.Flatten)
_RELU_CALLS = {torch.relu, torch.nn.functional.relu, torch.Tensor.relu, "relu"}  # functions and the method name


def capture(model: nn.Module, in_features: int, name: str = "model", batch: int = 1) -> Graph:
    model = model.eval()
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as e:  # tracing failures come in many exception types; report the cause
        raise UnsupportedOp(f"cannot trace {type(model).__name__} with torch.fx ({type(e).__name__}: {e}):"
                            " use a module made of supported ops (Linear, ReLU)") from None
    modules = dict(gm.named_modules())
    tensors: dict[str, TensorInfo] = {}
    constants: dict[str, np.ndarray] = {}
    nodes: list[Node] = []
    value: dict[str, str] = {}  # fx node name -> tensor name
    width: dict[str, int] = {}
    inputs: list[str] = []
    outputs: list[str] = []
    relus: set[str] = set()  # relu nodes the fully connected layer before them may absorb

    for fx in gm.graph.nodes:
        mod = modules[fx.target] if fx.op == "call_module" else None
        if fx.op == "placeholder":
            value[fx.name] = "input"
            width["input"] = in_features
            tensors["input"] = TensorInfo("input", (batch, in_features), "float32")
            inputs.append("input")
        elif fx.op == "output":
            outputs.append(value[fx.args[0].name])
        elif isinstance(mod, nn.Linear):
            lin = mod
            x = value[fx.args[0].name]
            if lin.in_features != width[x]:
                raise UnsupportedOp(f"layer {fx.target}: Linear expects {lin.in_features} features, gets {width[x]}")
            out = f"{fx.target}.out"
            w = lin.weight.detach().cpu().numpy().astype(np.float32)
            b = (lin.bias.detach().cpu().numpy() if lin.bias is not None else np.zeros(lin.out_features)).astype(np.float32)
            constants[f"{fx.target}.weight"] = w
            constants[f"{fx.target}.bias"] = b
            tensors[out] = TensorInfo(out, (batch, lin.out_features), "float32")
            nodes.append(Node("fully_connected_f32", fx.target, [x, f"{fx.target}.weight", f"{fx.target}.bias"], [out],
                              {"relu": False}))
            value[fx.name] = out
            width[out] = lin.out_features
        elif isinstance(mod, nn.ReLU) or (fx.op.startswith("call_") and mod is None and fx.target in _RELU_CALLS):
            x = value[fx.args[0].name]
            label = str(fx.target) if mod is not None else fx.name
            out = f"{label}.out"
            tensors[out] = TensorInfo(out, tensors[x].shape, "float32")
            nodes.append(Node("relu_f32", label, [x], [out]))
            relus.add(label)
            value[fx.name] = out
            width[out] = width[x]
        elif isinstance(mod, _PASSTHROUGH_MODULES):
            value[fx.name] = value[fx.args[0].name]
        else:
            what = type(mod).__name__ if mod is not None else str(fx.target)
            raise UnsupportedOp(f"unsupported op {what} at {fx.op} {fx.name!r}"
                                f" (from {fx.stack_trace.strip().splitlines()[-1] if fx.stack_trace else fx.target}):"
                                " intgap lowers Linear and ReLU today; replace or remove this op")
    return fuse_relu(Graph(name, inputs, outputs, tensors, constants, nodes), relus)


def fuse_relu(g: Graph, relus: set[str]) -> Graph:
    """A fully connected layer followed only by one of the relu nodes `relus` becomes one node with relu=True."""
    users: dict[str, int] = {}
    for n in g.nodes:
        for i in n.inputs:
            users[i] = users.get(i, 0) + 1
    out_nodes: list[Node] = []
    rename: dict[str, str] = {}
    for n in g.nodes:
        n = Node(n.op, n.name, [rename.get(i, i) for i in n.inputs], list(n.outputs), dict(n.attrs))
        prev = out_nodes[-1] if out_nodes else None
        if (n.name in relus and prev is not None and in_group(prev.op, Group.FULLY_CONNECTED)
                and prev.outputs[0] == n.inputs[0] and users.get(n.inputs[0]) == 1
                and n.inputs[0] not in g.outputs and not prev.attrs["relu"]):
            prev.attrs["relu"] = True
            rename[n.outputs[0]] = prev.outputs[0]
            continue
        out_nodes.append(n)
    used = {i for n in out_nodes for i in n.inputs} | {o for n in out_nodes for o in n.outputs}
    outputs = [rename.get(o, o) for o in g.outputs]
    tensors = {k: v for k, v in g.tensors.items() if k in used or k in g.inputs}
    return Graph(g.name, g.inputs, outputs, tensors, g.constants, out_nodes, g.meta)
