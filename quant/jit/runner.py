"""The JIT graph runner: plans every node (quant/jit/*_ir.py), compiles the kernels a graph needs in one LLVM module
(kernels with equal keys are shared by every node and graph), and runs the nodes in order on numpy buffers. An
integer op without a planner runs its reference kernel (quant/reference.py): a planner is a speed-up, not a step."""
from __future__ import annotations

import ctypes
import time
import weakref

import numpy as np
from llvmlite import ir

from quant.errors import GraphError
from quant.ir import DTYPES, Graph, Node
from quant.jit import attention_ir, elementwise_ir, linear_ir, norm_ir, rows_ir
from quant.jit.emit import Fn
from quant.jit.plan import Plan
from quant.jit.target import compile_ir
from quant.optable import OPTABLE

PLANNERS = {
    "fully_connected": linear_ir.plan_fc, "fully_connected_grouped": linear_ir.plan_fc,
    "fully_connected_wide": linear_ir.plan_fc, "fully_connected_asym": linear_ir.plan_fc,
    "fully_connected_dynamic": linear_ir.plan_fc,
    "channel_gather": elementwise_ir.plan_channel_gather, "relu": elementwise_ir.plan_relu,
    "add": elementwise_ir.plan_add, "mul": elementwise_ir.plan_mul,
    "gelu": elementwise_ir.plan_activation, "silu": elementwise_ir.plan_activation,
    "softcap": elementwise_ir.plan_activation,
    "layernorm": norm_ir.plan_layernorm, "rmsnorm": norm_ir.plan_rmsnorm, "head_rmsnorm": norm_ir.plan_rmsnorm,
    "rope": rows_ir.plan_rope, "embedding": rows_ir.plan_embedding,
    "matmul_qk": attention_ir.plan_matmul_qk, "softmax": attention_ir.plan_softmax,
    "matmul_pv": attention_ir.plan_matmul_pv,
}
KERNEL = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_FUNCS: dict[tuple, object] = {}     # kernel key -> the compiled function
_MODULES: list = []                  # the compiled modules (their code must outlive the functions)
_GRAPHS: dict[int, tuple] = {}       # id(graph) -> (weak reference, signature, plans, plans by node name)
STATS = {"compile_seconds": 0.0, "kernels": 0}


class Spec:
    """A graph tensor seen at planning time: its dtype and shape (the leading, batch / token, size is nominal)."""

    def __init__(self, dtype: str, shape) -> None:
        self.dtype = np.dtype(DTYPES[dtype])
        self.shape = tuple(shape)


class ReferencePlan:
    """A node whose op has no planner: its reference kernel on the node's arrays (no compiled code)."""
    key = None

    def __init__(self, node: Node, out_dtype: str) -> None:
        self.node, self.out_dtype = node, out_dtype
        self.dtypes = ()

    def run(self, arrays: list[np.ndarray]) -> np.ndarray:
        return OPTABLE[self.node.op].reference(self.node, self.out_dtype, *arrays)


def _plan(g: Graph, node) -> Plan | ReferencePlan:
    planner = PLANNERS.get(node.op)
    if planner is None:
        if node.op not in OPTABLE or OPTABLE[node.op].is_float:
            raise GraphError(f"node {node.name!r} ({node.op}): the JIT engine runs integer ops only and has no "
                             "kernel for this op; run the graph with --engine numpy")
        return ReferencePlan(node, g.tensors[node.outputs[0]].dtype)
    ins = [g.constants[i] if i in g.constants else Spec(g.tensors[i].dtype, g.tensors[i].shape)
           for i in node.inputs]
    plan = planner(node, g, ins)
    plan.dtypes = tuple(a.dtype for a in ins)
    return plan


def _compile(plans: list[Plan]) -> None:
    new = {}
    for p in plans:
        if isinstance(p, Plan) and p.key not in _FUNCS and p.key not in new:
            new[p.key] = p
    if not new:
        return
    t0 = time.perf_counter()
    module = ir.Module(name="intgap_kernels")
    names = {}
    for i, (key, p) in enumerate(new.items()):
        names[key] = f"k{len(_FUNCS) + i}"
        fn = Fn(module, names[key])
        p.emit(fn)
        fn.finish()
    compiled = compile_ir(str(module))
    _MODULES.append(compiled)
    for key, name in names.items():
        _FUNCS[key] = KERNEL(compiled.address(name))
    STATS["compile_seconds"] += time.perf_counter() - t0
    STATS["kernels"] += len(new)


def _signature(g: Graph) -> tuple:
    """What the plans of a graph depend on: the nodes, their attributes and constant arrays (by identity)."""
    return tuple((n.op, tuple(n.inputs), n.outputs[0], repr(n.attrs),
                  tuple(id(g.constants[i]) for i in n.inputs if i in g.constants)) for n in g.nodes)


def _entry(g: Graph) -> tuple:
    sig = _signature(g)
    hit = _GRAPHS.get(id(g))
    if hit is not None and hit[0]() is g and hit[1] == sig:
        return hit
    plans = [(n, _plan(g, n)) for n in g.nodes]
    _compile([p for _, p in plans])
    key = id(g)  # the entry (its packed weights) goes with the graph
    _GRAPHS[key] = hit = (weakref.ref(g, lambda _ref: _GRAPHS.pop(key, None)), sig, plans,
                          {n.name: p for n, p in plans})
    return hit


def kernels(g: Graph) -> list[tuple]:
    """(node, plan) per node of the graph, compiled; cached per graph object while it is unchanged."""
    return _entry(g)[2]


def node_plans(g: Graph) -> dict[str, Plan]:
    """node name -> its compiled plan."""
    return _entry(g)[3]


def call(plan: Plan | ReferencePlan, arrays: list[np.ndarray]) -> np.ndarray:
    if isinstance(plan, ReferencePlan):
        return plan.run(arrays)
    arrays = [np.ascontiguousarray(a) for a in arrays]
    if any(a.dtype != d for a, d in zip(arrays, plan.dtypes)):
        raise GraphError(f"JIT kernel {plan.key[0]}: inputs {[str(a.dtype) for a in arrays]}, compiled for "
                         f"{[str(d) for d in plan.dtypes]}: feed the dtypes of the graph's tensors")
    out, args = plan.call(arrays)
    fn = _FUNCS[plan.key]
    for one in (args if args and isinstance(args[0], list) else [args]):
        packed = np.array([a.ctypes.data if isinstance(a, np.ndarray) else int(a) for a in one], np.int64)
        fn(packed.ctypes.data)
    return out


def run(g: Graph, env: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """Runs the graph on env (its constants and fed inputs, quant/reference.feed); returns as quant/reference.run."""
    for node, plan in kernels(g):
        env[node.outputs[0]] = call(plan, [env[i] for i in node.inputs])
    if keep_all:
        return {k: v for k, v in env.items() if k not in g.constants}
    return {o: env[o] for o in g.outputs}
