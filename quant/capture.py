"""Captures a plain PyTorch module into an FP32 graph by reading its computation with torch.export, as the
transformers' capture does (quant/export_capture.py): an nn.Module (a Python factory's), or a `.pt2` file that
torch.export.save wrote. Lowered today: linear and relu (module or functional), and the views / copies / dropout
(eval) that keep the [batch, features] rows. Any other op is one UnsupportedOp naming it, the module it runs in
and that module's class (a Tanh is refused by name, never measured as something else). docs/capture.md "Plain
modules"."""
from __future__ import annotations

import torch
from torch import nn

from quant.errors import UnsupportedOp
from quant.hf_capture import GraphBuilder
from quant.ir import Graph, Node
from quant.optable import Group, in_group

# ops that pass a value on unchanged when they keep its [batch, features] shape (Flatten of 2-D rows, Dropout in
# eval, Identity's alias, casts)
_PASSTHROUGH = frozenset({"view", "reshape", "_unsafe_view", "flatten", "clone", "alias", "detach", "dropout",
                          "contiguous", "_to_copy", "to", "squeeze", "unsqueeze", "expand"})
_SUPPORTED = "intgap lowers Linear and ReLU today; replace or remove this op"


def capture(model: nn.Module, in_features: int, name: str = "model", batch: int = 1) -> Graph:
    """The FP32 graph of `model` on inputs [batch, in_features] (float32)."""
    if isinstance(model, ExportedModule):  # a .pt2: its own graph, as exported
        return capture_exported(model.program, name)
    model = eval_mode(model)
    hooks = [m.register_forward_pre_hook(_width_check(path)) for path, m in model.named_modules()
             if isinstance(m, nn.Linear)]
    try:
        with torch.no_grad():
            ep = torch.export.export(model, (torch.zeros(batch, in_features),), strict=False)
    except UnsupportedOp:
        raise
    except Exception as e:  # export fails in many exception types; report the cause
        first = (str(e).strip().splitlines() or [""])[0]
        raise UnsupportedOp(f"cannot capture {type(model).__name__} with torch.export ({type(e).__name__}: "
                            f"{first[:200]}): use a module made of supported ops (Linear, ReLU) without "
                            "data-dependent control flow") from None
    finally:
        for h in hooks:
            h.remove()
    return capture_exported(ep, name)


class ExportedModule(nn.Module):
    """A torch.export program (a .pt2 file) as a module: `capture` lowers its graph as exported; as a float twin it
    runs any batch in slices of the batch it was exported at (its guards hold that size)."""

    def __init__(self, ep):
        super().__init__()
        self.program = ep
        self.inner = ep.module()
        user = {s.arg.name for s in ep.graph_signature.input_specs if s.kind.name == "USER_INPUT"}
        self.shapes = [tuple(n.meta["val"].shape) for n in ep.graph.nodes if n.op == "placeholder" and n.name in user]
        self.batch = int(self.shapes[0][0]) if self.shapes and self.shapes[0] else 1

    def forward(self, x):
        return torch.cat([self.inner(x[i:i + self.batch]) for i in range(0, x.shape[0], self.batch)])

    def train(self, mode: bool = True):  # the exported graph runs as it was exported (eval)
        return self


def eval_mode(model: nn.Module) -> nn.Module:
    """model in eval mode; a module torch.export made (ExportedProgram.module(), from a .pt2) has no train / eval
    switch: it runs as it was exported."""
    try:
        return model.eval()
    except NotImplementedError:
        return model


def _width_check(path: str):
    """A Linear's pre-hook: layers that do not chain are named, not a matmul's shape error."""
    def check(m, args):
        width = int(args[0].shape[-1])
        if width != m.in_features:
            raise UnsupportedOp(f"layer {path or type(m).__name__}: Linear expects {m.in_features} features, "
                                f"gets {width}")
    return check


def capture_exported(ep, name: str = "model") -> Graph:
    """The FP32 graph of an ExportedProgram (torch.export.load of a .pt2 file) with one [batch, features] input."""
    sig = ep.graph_signature
    state = {**ep.state_dict, **ep.constants}
    named = {**sig.inputs_to_parameters, **sig.inputs_to_buffers,
             **getattr(sig, "inputs_to_lifted_tensor_constants", {})}
    user = [s.arg.name for s in sig.input_specs if s.kind.name == "USER_INPUT"]
    if len(user) != 1:
        raise UnsupportedOp(f"{name}: the exported program takes {len(user)} inputs; intgap captures modules of one "
                            "[batch, features] input")
    b = GraphBuilder(name)
    value: dict = {}  # fx node -> tensor name (activations) or torch.Tensor (parameters)
    relus: set[str] = set()
    for n in ep.graph_module.graph.nodes:
        if n.op == "placeholder":
            if n.name in named:
                value[n] = state[named[n.name]]
                continue
            shape = tuple(int(d) for d in n.meta["val"].shape)
            if len(shape) != 2:
                raise UnsupportedOp(f"{name}: its input has shape {list(shape)}; intgap captures [batch, features]")
            value[n] = b.input("input", shape, "float32")
        elif n.op == "output":
            outs = [a for a in n.args[0] if isinstance(a, torch.fx.Node)]
            if len(outs) != 1 or not isinstance(value.get(outs[0]), str):
                raise UnsupportedOp(f"{name}: intgap captures modules of one output tensor")
            b.outputs.append(value[outs[0]])
        elif n.op == "call_function":
            _lower(b, n, value, relus)
    return fuse_relu(Graph(name, b.inputs, b.outputs, b.tensors, b.constants, b.nodes), relus)


def _op(n) -> str:
    return getattr(n.target, "__name__", str(n.target)).split(".")[0]


def _where(n) -> tuple[str, str]:
    """(module path, class) of the innermost module call n ran in; ('', '') outside any."""
    stack = list((n.meta.get("nn_module_stack") or {}).values())
    if not stack:
        return "", ""
    path, cls = stack[-1]
    path = path.replace("L['self'].", "").replace("L__self__.", "").replace("[", ".").replace("]", "")
    return path.removeprefix("_modules."), getattr(cls, "__name__", str(cls)).split(".")[-1]


def _lower(b: GraphBuilder, n, value: dict, relus: set) -> None:
    op, (path, cls) = _op(n), _where(n)
    x = value.get(n.args[0]) if n.args and isinstance(n.args[0], torch.fx.Node) else None
    if op == "linear" and isinstance(x, str):
        w, bias = value.get(n.args[1]), value.get(n.args[2]) if len(n.args) > 2 else None
        if not isinstance(w, torch.Tensor):
            raise UnsupportedOp(f"linear at {path or n.name} has a computed weight: intgap captures constant weights")
        width = b.shape(x)[1]
        if w.shape[1] != width:
            raise UnsupportedOp(f"layer {path}: Linear expects {w.shape[1]} features, gets {width}")
        label = path or n.name
        value[n] = b.linear(label, x, w, bias, out=f"{label}.out")
    elif op in ("relu", "relu_") and isinstance(x, str):
        label = path if cls == "ReLU" else n.name  # a ReLU module by its path, a functional relu by its node
        value[n] = b.node("relu_f32", label, [x], b.shape(x), out=f"{label}.out")
        relus.add(label)
    elif op in _PASSTHROUGH and isinstance(x, str) and \
            tuple(n.meta["val"].shape) == tuple(b.shape(x)):
        value[n] = x
    elif op == "_assert_tensor_metadata" and not n.users:
        pass
    else:
        where = f"{path} ({cls})" if path else "the module's forward"
        what = cls if cls and cls not in ("Sequential",) and path else op
        raise UnsupportedOp(f"unsupported op {what} (aten.{op}) at {where}: {_SUPPORTED}")


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
