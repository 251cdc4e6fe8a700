"""Fully connected layers (and, through npu_attention.py, attention matmuls) as NPU jobs on targets with an NPU
(isa/npu/, docs/npu.md).

lower() asks `offload` for each node first: a fully connected layer the device can run (fully_connected,
fully_connected_grouped, fully_connected_wide, fully_connected_asym; int8 or int16 rows, int8 or int4 weights,
int8 / int16 / int32 outputs, and tiles that fit the NPU's scratchpads for up to the program's rows) becomes one
ig_npu_fc call (runtime_c/npu/ig_npu.c) with the graph's own bias, multipliers, shifts, group scales and group
offsets; the device applies the zero point itself, so nothing is folded. Everything else stays on the CPU's
kernels. The job's tag is the node's index in the graph, which is also its layer function's number
(ig_layer_<i>_*): per-layer NPU cycles come from it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen import npu_attention, npu_dynamic
from codegen.npu_attention import _IN_FLAG, _OUT_FLAG, DRIVER
from codegen.op_calls import OpEnv, c_int
from codegen.packing import pack_fc_weights
from quant.ir import Graph, Node
from quant.optable import OPTABLE, Group, in_group

PROTOTYPE = ("int32_t ig_npu_fc(const void *x, int32_t m, int32_t k, int32_t n, uint32_t flags, const int8_t *w, "
             "const int32_t *bias, const int32_t *group_scale, const int32_t *group_offset, int32_t group_size, "
             "const int32_t *multiplier, const int32_t *shift, int32_t x_zero_point, int32_t y_zero_point, "
             "int32_t act_min, int32_t act_max, int32_t tag, void *y);")
OFFLOADED = ("fully_connected", "fully_connected_grouped", "fully_connected_wide", "fully_connected_asym")
_BYTES = {"int8": 1, "int16": 2}


def npu_of(target):
    return target.extra.get("npu")


def declarations(target) -> list[str]:
    """File-scope lines model.c needs on an NPU target (the driver's prototypes)."""
    return [PROTOTYPE, *npu_attention.PROTOTYPES, npu_dynamic.PROTOTYPE] if npu_of(target) is not None else []


def why_not(g: Graph, n: Node, npu, max_rows: int, context: int | None = None) -> str:
    """'' when node `n` runs on the NPU, else why it stays on the CPU."""
    if n.op in npu_attention.OPS:
        return npu_attention.why_not(g, n, npu, max_rows, context or max_rows)
    if in_group(n.op, Group.DYNAMIC):
        return npu_dynamic.why_not(g, n, npu)
    if n.op not in OFFLOADED:
        return f"{n.op} is not a layer the NPU runs"
    x_dt, y_dt = g.tensors[n.inputs[0]].dtype, g.tensors[n.outputs[0]].dtype
    if x_dt not in _IN_FLAG or y_dt not in _OUT_FLAG:
        return f"{x_dt} in / {y_dt} out"
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    bits = int(n.attrs.get("weight_bits", 8))
    gs, go = _group_scale(g, n), _group_offset(g, n)
    groups = kk // int(n.attrs.get("group_size", kk)) if gs is not None or go is not None else 1
    return npu.tile_overflow(max_rows, kk, nn_, bits, _BYTES[x_dt], groups, go is not None)


def _group_scale(g: Graph, n: Node) -> np.ndarray | None:
    """The node's group scales [N, G], None for per-channel weights (no scale, or one group of scale 1)."""
    if "group_scale" not in OPTABLE[n.op].roles:
        return None
    gs = g.constants[n.inputs[OPTABLE[n.op].roles.index("group_scale")]]
    k = g.constants[n.inputs[1]].shape[1]
    return None if int(n.attrs.get("group_size", k)) == k and np.all(gs == 1) else gs


def _group_offset(g: Graph, n: Node) -> np.ndarray | None:
    """The node's group offsets [N, G] (fully_connected_asym), None for symmetric weights."""
    roles = OPTABLE[n.op].roles
    return g.constants[n.inputs[roles.index("group_offset")]] if "group_offset" in roles else None


def offload(g: Graph, n: Node, env: OpEnv, target, tag: int, max_rows: int,
            context: int | None = None) -> tuple[str, list[tuple[str, Path]]] | None:
    """(C statement, [(driver entry point, its file)]) of node `n` as NPU jobs, or None where it stays on the CPU."""
    npu = npu_of(target)
    if npu is None or why_not(g, n, npu, max_rows, context):
        return None
    if n.op in npu_attention.OPS:
        return npu_attention.offload(g, n, env, tag)
    if in_group(n.op, Group.DYNAMIC):
        return npu_dynamic.offload(g, n, env, tag)
    a = n.attrs
    roles = OPTABLE[n.op].roles
    name = dict(zip(roles, n.inputs))
    w = g.constants[name["weight"]]
    nn_, kk = w.shape
    bits = int(a.get("weight_bits", 8))
    x_dt, y_dt = g.tensors[name["x"]].dtype, g.tensors[n.outputs[0]].dtype
    cw = env.const(f"{name['weight']}.scalar.w{bits}", pack_fc_weights(w, bits, "scalar"), "int8_t")
    cb, cm, cs = (env.const(name[r], g.constants[name[r]], "int32_t") for r in ("bias", "multiplier", "shift"))
    gs = _group_scale(g, n)
    cg = "0" if gs is None else env.const(name["group_scale"], np.ascontiguousarray(gs, np.int32), "int32_t")
    go = _group_offset(g, n)
    co = "0" if go is None else env.const(name["group_offset"], np.ascontiguousarray(go, np.int32), "int32_t")
    flags = _IN_FLAG[x_dt] | _OUT_FLAG[y_dt] | (1 if bits == 4 else 0)
    gsz = int(a.get("group_size", kk))
    call = (f"ig_npu_fc({env.buf(name['x'], '0')}, {env.rows}, {kk}, {nn_}, {flags}u, {cw}, {cb}, {cg}, {co}, "
            f"{gsz}, {cm}, {cs}, {c_int(a['x_zero_point'])}, {c_int(a['y_zero_point'])}, {c_int(a['act_min'])}, "
            f"{c_int(a['act_max'])}, {tag}, {env.buf(n.outputs[0], '0')})")
    return f"if ({call}) {env.error_return}", [("ig_npu_fc", DRIVER)]
