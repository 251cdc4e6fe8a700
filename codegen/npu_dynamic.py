"""fully_connected_dynamic with its matrix work on the NPU (docs/npu.md): per row, the core quantizes the input to
int8 with the row's own scale (ig_dyn_quantize_*, as the CPU lowering does, sharing lower()'s row buffer where
there is one), the NPU computes the exact int32 accumulator of each chunk of output channels (group scales and
offsets, zero bias, the identity requantization: exact below 2^30, which op_calls_quant.dynamic_on_grouped
guarantees) and the core applies the per-token requantization (ig_dyn_requant_*)."""
from __future__ import annotations

from pathlib import Path

from codegen.npu_attention import DRIVER
from codegen.op_calls import C_TYPE, SUFFIX, OpEnv, c_int, clamp_tail, each_row, kernel_for
from codegen.op_calls_quant import ASYM_CHUNK_ROWS, dynamic_on_grouped
from codegen.packing import pack_fc_weights
from quant.ir import Graph, Node

PROTOTYPE = ("int32_t ig_npu_fc_acc(const int8_t *q, int32_t k, int32_t n, uint32_t flags, const int8_t *w, "
             "const int32_t *group_scale, const int32_t *group_offset, int32_t group_size, int32_t tag, "
             "int32_t *acc);")
PARTS = "ig_fc_dynamic_parts"


def why_not(g: Graph, n: Node, npu) -> str:
    """'' when the NPU computes this fully_connected_dynamic node's accumulators, else why not."""
    if not dynamic_on_grouped(g, n):
        return "its accumulator can reach 2^30 (the identity requantization would not be exact)"
    w = g.constants[n.inputs[1]]
    nn_, kk = w.shape
    groups = kk // int(n.attrs["group_size"])
    return npu.tile_overflow(1, kk, min(nn_, ASYM_CHUNK_ROWS), int(n.attrs["weight_bits"]), 1, groups, True)


def offload(g: Graph, n: Node, env: OpEnv, tag: int) -> tuple[str, list[tuple[str, Path]]]:
    a = n.attrs
    x, wname, bname, gsname, goname, mname, sname = n.inputs
    w = g.constants[wname]
    nn_, kk = w.shape
    bits, gsz = int(a["weight_bits"]), int(a["group_size"])
    groups = kk // gsz
    x_dt, y_dt = g.tensors[x].dtype, g.tensors[n.outputs[0]].dtype
    cw = env.const(f"{wname}.scalar.w{bits}", pack_fc_weights(w, bits, "scalar"), "int8_t")
    cg, co, cb, cm, cs = (env.const(t, g.constants[t], "int32_t") for t in (gsname, goname, bname, mname, sname))
    wrow = f"(size_t)c_ / 2 * {kk}" if bits == 4 else f"(size_t)c_ * {kk}"  # int4: row pairs (the chunk is even)
    quantize_fn, requant_fn = f"ig_dyn_quantize_{SUFFIX[x_dt]}", f"ig_dyn_requant_{SUFFIX[y_dt]}"
    xo, yo, block = each_row(env, kk, nn_)
    quantize = f"{quantize_fn}({env.buf(x, '0')}{xo}, {c_int(a['x_zero_point'])}, {kk}, ig_q_, "
    if env.row_quant is None:
        rows = (f"int8_t ig_q_[{kk}] __attribute__((aligned(16))); int32_t ig_mr_; "
                f"int32_t ig_e_ = {quantize}&ig_mr_); ")
    else:  # the row buffer lower() shares between the layers that read this input (op_calls_quant's format)
        q_rows, scales, fills = env.row_quant
        rows = (f"int8_t *ig_q_ = {q_rows}{xo}; int32_t *ig_s_ = {scales}{' + (size_t)r_ * 2' if xo else ''}; "
                + (f"ig_s_[1] = {quantize}ig_s_); " if fills else "") + "int32_t ig_mr_ = ig_s_[0], ig_e_ = ig_s_[1]; ")
    chunk = (f"for (int32_t c_ = 0; c_ < {nn_}; c_ += {ASYM_CHUNK_ROWS}) {{ int32_t nc_ = {nn_} - c_ < "
             f"{ASYM_CHUNK_ROWS} ? {nn_} - c_ : {ASYM_CHUNK_ROWS}; int32_t ig_acc_[{ASYM_CHUNK_ROWS}] "
             f"__attribute__((aligned(16))); if (ig_npu_fc_acc(ig_q_, {kk}, nc_, {1 if bits == 4 else 0}u, {cw} + {wrow}, "
             f"{cg} + (size_t)c_ * {groups}, {co} + (size_t)c_ * {groups}, {gsz}, {tag}, ig_acc_)) {env.error_return} "
             f"{requant_fn}(ig_acc_, ig_mr_, ig_e_, {cm} + c_, {cs} + c_, {cb} + c_, nc_, {clamp_tail(a)}, "
             f"ig_y_ + c_); }}")
    body = f"{rows}{C_TYPE[y_dt]} *ig_y_ = {env.buf(n.outputs[0], '0')}{yo}; {chunk}"
    return block(body), [("ig_npu_fc_acc", DRIVER), (quantize_fn, kernel_for(quantize_fn, PARTS, env.family)),
                         (requant_fn, kernel_for(requant_fn, PARTS, env.family))]
