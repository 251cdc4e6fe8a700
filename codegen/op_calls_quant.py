"""The C lowering of the quantization-method ops: fully_connected_asym, fully_connected_dynamic (quant/ops/
linear_quant.py) and channel_gather (quant/ops/gather.py).

HANDLERS holds one handler per op (codegen/op_calls.py op_handlers merges them; the op table, quant/optable.py,
puts the ops in the row-wise group: each processes every row on its own). fully_connected_asym with int8 input runs on the
family's grouped kernels (ig_fc_grouped_s8 / _s8w4, in their layouts) with a bias that runtime_c/kernels/scalar/
ig_fc_asym_offsets.c completes per call; the other cases on the portable kernels runtime_c/kernels/scalar/
ig_fc_asym.c, ig_fc_dynamic.c and ig_channel_gather.c (int8 row-major or int4 row-pair weights). All are declared
in runtime_c/include/ig_ops_quant.h, which the generated translation units include. fully_connected_asym's
zero-point terms are folded into its bias here, modulo 2^32.
"""
from __future__ import annotations

import numpy as np

from codegen.errors import CodegenError
from codegen.op_calls import C_TYPE, SUFFIX, OpEnv, _row_loop, c_int, kernel_for
from codegen.packing import grouped_bias_terms, pack_fc_grouped, pack_fc_weights, wrap_int32
from quant.ir import Graph, Node


def fold_bias_asym(bias: np.ndarray, w: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray,
                   group_size: int, x_zero_point: int) -> np.ndarray:
    """b - x_zp * sum_g (group_scale[n, g] * sum_{k in g} w[n, k] + group_offset[n, g] * group_size), wrapped."""
    n, k = w.shape
    wsum = w.astype(np.int64).reshape(n, k // group_size, group_size).sum(axis=2)
    per_group = wsum * group_scale.astype(np.int64) + group_offset.astype(np.int64) * group_size
    return wrap_int32(bias.astype(np.int64) - int(x_zero_point) * per_group.sum(axis=1))


def _tail(a: dict) -> str:
    return f"{c_int(a['y_zero_point'])}, {c_int(a['act_min'])}, {c_int(a['act_max'])}"


ASYM_CHUNK_ROWS = 256  # rows per grouped-kernel call: a multiple of every blocked layout's rows (NEON 32, RVV 128
#                        rows or 256 in pairs, armdsp 4), and the per-call bias (4 bytes a row) stays on the stack
ASYM_MAX_GROUPS = 256  # the group sums of x are on the stack too (4 bytes a group)


def _asym_on_grouped(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """fully_connected_asym with int8 input as the linked family's grouped kernel (the group scales, its SIMD code)
    with a bias computed per call: bias + sum_g group_offset[n, g] * sum_{k in g} x[k] (ig_group_sums_s8 and
    ig_offset_bias; every sum modulo 2^32, as the reference's accumulator). The rows run in chunks of
    ASYM_CHUNK_ROWS, each chunk's arrays packed as a layer of its own (pack_fc_grouped, grouped_bias_terms);
    a table gives each chunk's offsets into them."""
    a = n.attrs
    x, wname, bname, gsname, goname, mname, sname = n.inputs
    w, gs, go = g.constants[wname], g.constants[gsname], g.constants[goname]
    mult, shift = g.constants[mname], g.constants[sname]
    nn_, kk = w.shape
    bits, gsz = int(a["weight_bits"]), int(a["group_size"])
    groups = kk // gsz
    y_dt = g.tensors[n.outputs[0]].dtype
    out = "" if y_dt == "int8" else f"_to_{SUFFIX[y_dt]}"
    stem = "ig_fc_grouped_s8" + ("w4" if bits == 4 else "")
    fam = kernel_for(stem + out, stem, env.family).parent.name  # the linked kernel's family decides the layout
    folded = fold_bias_asym(g.constants[bname], w, gs, go, gsz, a["x_zero_point"])
    parts: dict[str, list[np.ndarray]] = {part: [] for part in ("w", "s", "b", "m", "sh", "go")}
    sizes = dict.fromkeys(parts, 0)
    table = []  # per chunk: weight offset, scale offset, row-vector offset, rows in the layout, rows
    for r0 in range(0, nn_, ASYM_CHUNK_ROWS):
        r = slice(r0, min(nn_, r0 + ASYM_CHUNK_ROWS))
        p = pack_fc_grouped(w[r], gs[r], gsz, bits, fam, folded[r], mult[r], shift[r])
        terms = grouped_bias_terms(fam, kk, gsz, bits, go[r], shift[r])  # [rows in the layout, G]
        table += [sizes["w"], sizes["s"], sizes["b"], terms.shape[0], r.stop - r0]
        for part, arr in (("w", p.weights), ("s", p.scales), ("b", p.bias), ("m", p.multiplier), ("sh", p.shift),
                          ("go", terms.T)):
            parts[part].append(np.ascontiguousarray(arr).reshape(-1))
            sizes[part] += parts[part][-1].size
    key = f".{fam}.asym{ASYM_CHUNK_ROWS}.w{bits}"
    cat = {part: np.concatenate(arrs) for part, arrs in parts.items()}
    cw = env.const(wname + key, cat["w"].astype(np.int8), "int8_t")
    cs = env.const(gsname + key, cat["s"].astype(np.int32), "int32_t")
    cb = env.const(bname + ".folded" + key, cat["b"].astype(np.int32), "int32_t")
    cm = env.const(mname + key, cat["m"].astype(np.int32), "int32_t")
    csh = env.const(sname + key, cat["sh"].astype(np.int32), "int32_t")
    cgo = env.const(goname + key, cat["go"].astype(np.int32), "int32_t")
    ct = env.const(n.name + key + ".chunks", np.asarray(table, np.int32), "int32_t")
    many = env.rows != "1"
    xo, yo = (f" + (size_t)r_ * {kk}", f" + (size_t)r_ * {nn_}") if many else ("", "")
    body = (f"int32_t ig_t_[{groups}], ig_b_[{ASYM_CHUNK_ROWS}] __attribute__((aligned(16))); "
            f"const int8_t *ig_x_ = {env.buf(x, '0')}{xo}; "
            f"{C_TYPE[y_dt]} *ig_y_ = {env.buf(n.outputs[0], '0')}{yo}; "
            f"ig_group_sums_s8(ig_x_, {kk}, {gsz}, ig_t_); "
            f"for (int32_t c_ = 0; c_ < {len(table) // 5}; c_++) {{ const int32_t *p_ = {ct} + 5 * c_; "
            f"ig_offset_bias(ig_t_, {groups}, {cgo} + (size_t)p_[2] * {groups}, {cb} + p_[2], p_[3], ig_b_); "
            f"{stem}{out}(ig_x_, {cw} + p_[0], ig_b_, {cs} + p_[1], {cm} + p_[2], {csh} + p_[2], {kk}, p_[4], "
            f"{gsz}, {_tail(a)}, ig_y_ + (size_t)c_ * {ASYM_CHUNK_ROWS}); }}")
    stmt = f"for (int32_t r_ = 0; r_ < {env.rows}; r_++) {{ {body} }}" if many else f"{{ {body} }}"
    return stmt, {(stem + out, stem), ("ig_group_sums_s8", "ig_fc_asym_offsets"),
                  ("ig_offset_bias", "ig_fc_asym_offsets")}


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
    if not dynamic and x_dt == "int8" and kk // gsz <= ASYM_MAX_GROUPS:
        return _asym_on_grouped(g, n, env)
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


HANDLERS = {"fully_connected_asym": _fc_quant, "fully_connected_dynamic": _fc_quant,
            "channel_gather": _channel_gather}
