"""The C lowering of the quantization-method ops: fully_connected_asym, fully_connected_dynamic (quant/ops/
linear_quant.py) and channel_gather (quant/ops/gather.py).

Importing this module registers one handler per op with codegen/op_calls.py (`register`) and adds the ops to its
row-wise set (each processes every row on its own). The kernels are runtime_c/kernels/scalar/ig_fc_asym.c,
ig_fc_dynamic.c and ig_channel_gather.c, declared in runtime_c/include/ig_ops_quant.h, which the generated
translation units include. Weights are packed as the portable kernels read them (int8 row-major or int4 row pairs,
codegen/packing.py); fully_connected_asym's zero-point terms are folded into its bias here, modulo 2^32.
"""
from __future__ import annotations

import numpy as np

from codegen.errors import CodegenError
from codegen.op_calls import ROW_WISE, SUFFIX, OpEnv, _row_loop, c_int, register
from codegen.packing import pack_fc_weights, wrap_int32
from quant.ir import Graph, Node

QUANT_OPS = ("fully_connected_asym", "fully_connected_dynamic", "channel_gather")


def fold_bias_asym(bias: np.ndarray, w: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray,
                   group_size: int, x_zero_point: int) -> np.ndarray:
    """b - x_zp * sum_g (group_scale[n, g] * sum_{k in g} w[n, k] + group_offset[n, g] * group_size), wrapped."""
    n, k = w.shape
    wsum = w.astype(np.int64).reshape(n, k // group_size, group_size).sum(axis=2)
    per_group = wsum * group_scale.astype(np.int64) + group_offset.astype(np.int64) * group_size
    return wrap_int32(bias.astype(np.int64) - int(x_zero_point) * per_group.sum(axis=1))


def _tail(a: dict) -> str:
    return f"{c_int(a['y_zero_point'])}, {c_int(a['act_min'])}, {c_int(a['act_max'])}"


def _fc_quant(g: Graph, n: Node, env: OpEnv):
    a = n.attrs
    x, wname, bname, gsname, goname, mname, sname = n.inputs
    w = g.constants[wname]
    nn_, kk = w.shape
    bits = int(a["weight_bits"])
    gsz = int(a["group_size"])
    x_dt, y_dt = g.tensors[x].dtype, g.tensors[n.outputs[0]].dtype
    dynamic = n.op == "fully_connected_dynamic"
    if x_dt not in (("int16", "int32") if dynamic else ("int8", "int16")):
        raise CodegenError(f"node {n.name}: {n.op} has no kernel for {x_dt} input")
    gs, go = g.constants[gsname], g.constants[goname]
    cw = env.const(f"{wname}.scalar.w{bits}", pack_fc_weights(w, bits, "scalar"), "int8_t")
    cgs = env.const(gsname, np.ascontiguousarray(gs, np.int32), "int32_t")
    cgo = env.const(goname, np.ascontiguousarray(go, np.int32), "int32_t")
    cm = env.const(mname, g.constants[mname], "int32_t")
    cs = env.const(sname, g.constants[sname], "int32_t")
    fn = f"ig_{'fc_dynamic' if dynamic else 'fc_asym'}_{SUFFIX[x_dt]}_{SUFFIX[y_dt]}"
    if dynamic:
        cb = env.const(bname, g.constants[bname], "int32_t")
        call = (f"{fn}(x_, {c_int(a['x_zero_point'])}, {cw}, {bits}, {cb}, {cgs}, {cgo}, {cm}, {cs}, {kk}, {nn_}, "
                f"{gsz}, {_tail(a)}, y_)")
    else:
        folded = fold_bias_asym(g.constants[bname], w, gs, go, gsz, a["x_zero_point"])
        cb = env.const(bname + ".folded", folded, "int32_t")
        call = f"{fn}(x_, {cw}, {bits}, {cb}, {cgs}, {cgo}, {cm}, {cs}, {kk}, {nn_}, {gsz}, {_tail(a)}, y_)"
    stem = "ig_fc_dynamic" if dynamic else "ig_fc_asym"
    return _row_loop(g, n, env, call, kk, nn_), {(fn, stem)}


def _channel_gather(g: Graph, n: Node, env: OpEnv):
    a = n.attrs
    x, iname = n.inputs
    idx = g.constants[iname]
    sx, sy = SUFFIX[g.tensors[x].dtype], SUFFIX[g.tensors[n.outputs[0]].dtype]
    k = int(g.tensors[x].shape[-1])
    ci = env.const(iname, np.ascontiguousarray(idx, np.int32), "int32_t")
    fn = f"ig_channel_gather_{sx}_{sy}"
    return (f"{fn}({env.buf(x, '0')}, {env.rows}, {k}, {ci}, {idx.shape[0]}, {c_int(a['x_zero_point'])}, "
            f"{c_int(a['multiplier'])}, {c_int(a['shift'])}, {_tail(a)}, {env.buf(n.outputs[0], '0')});",
            {(fn, "ig_channel_gather")})


for _op in ("fully_connected_asym", "fully_connected_dynamic"):
    register(_op, _fc_quant)
register("channel_gather", _channel_gather)
ROW_WISE.update(QUANT_OPS)
