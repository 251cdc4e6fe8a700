"""Captures a PyTorch module into an FP32 graph with torch.fx. Supported today: Linear, ReLU (module or
functional), Flatten/Identity/Dropout(eval). Any other op is reported with its name and location."""
from __future__ import annotations

import torch
import torch.fx
from torch import nn

from quant.errors import UnsupportedOp
from quant.hf_capture import GraphBuilder
from quant.ir import Graph, Node
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
    b = GraphBuilder(name)
    value: dict[str, str] = {}  # fx node name -> tensor name
    relus: set[str] = set()  # relu nodes the fully connected layer before them may absorb
    for fx in gm.graph.nodes:
        mod = modules[fx.target] if fx.op == "call_module" else None
        x = value.get(fx.args[0].name) if fx.args and isinstance(fx.args[0], torch.fx.Node) else None
        if fx.op == "placeholder":
            value[fx.name] = b.input("input", (batch, in_features), "float32")
        elif fx.op == "output":
            b.outputs.append(x)
        elif isinstance(mod, nn.Linear):
            width = b.shape(x)[1]
            if mod.in_features != width:
                raise UnsupportedOp(f"layer {fx.target}: Linear expects {mod.in_features} features, gets {width}")
            value[fx.name] = b.linear(fx.target, x, mod.weight, mod.bias, out=f"{fx.target}.out")
        elif isinstance(mod, nn.ReLU) or (fx.op.startswith("call_") and mod is None and fx.target in _RELU_CALLS):
            label = str(fx.target) if mod is not None else fx.name
            value[fx.name] = b.node("relu_f32", label, [x], b.shape(x), out=f"{label}.out")
            relus.add(label)
        elif isinstance(mod, _PASSTHROUGH_MODULES):
            value[fx.name] = x
        else:
            what = type(mod).__name__ if mod is not None else str(fx.target)
            raise UnsupportedOp(f"unsupported op {what} at {fx.op} {fx.name!r}"
                                f" (from {fx.stack_trace.strip().splitlines()[-1] if fx.stack_trace else fx.target}):"
                                " intgap lowers Linear and ReLU today; replace or remove this op")
    return fuse_relu(Graph(name, b.inputs, b.outputs, b.tensors, b.constants, b.nodes), relus)


def fuse_relu(g: Graph, relus: set[str]) -> Graph:
    """A fully connected layer followed only by one of the relu nodes `relus` becomes one node with relu=True."""
    users = g.consumers()
    out_nodes: list[Node] = []
    rename: dict[str, str] = {}
    for n in g.nodes:
        n = Node(n.op, n.name, [rename.get(i, i) for i in n.inputs], list(n.outputs), dict(n.attrs))
        prev = out_nodes[-1] if out_nodes else None
        if (n.name in relus and prev is not None and in_group(prev.op, Group.FULLY_CONNECTED)
                and prev.outputs[0] == n.inputs[0] and len(users[n.inputs[0]]) == 1
                and n.inputs[0] not in g.outputs and not prev.attrs["relu"]):
            prev.attrs["relu"] = True
            rename[n.outputs[0]] = prev.outputs[0]
            continue
        out_nodes.append(n)
    used = {i for n in out_nodes for i in n.inputs} | {o for n in out_nodes for o in n.outputs}
    outputs = [rename.get(o, o) for o in g.outputs]
    tensors = {k: v for k, v in g.tensors.items() if k in used or k in g.inputs}
    return Graph(g.name, g.inputs, outputs, tensors, g.constants, out_nodes, g.meta)
