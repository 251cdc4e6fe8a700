"""The C lowering of the quantization-method ops: fully_connected_asym, fully_connected_dynamic (quant/ops/
linear_quant.py) and channel_gather (quant/ops/gather.py); which kernels run them: docs/modules.md."""
from __future__ import annotations

import numpy as np

from codegen.errors import CodegenError
from codegen.op_calls import (C_TYPE, IDENTITY_REQUANT, INT32_OUT, SUFFIX, OpEnv, _row_loop, c_int, clamp_tail,
                              each_row, kernel_for)
from codegen.packing import (NEON_GROUPED_ROWS, grouped_bias_terms, grouped_layout, neon_asym_scales, neon_row_vectors,
                             pack_fc_grouped, pack_fc_s8_dynamic, pack_fc_weights, scale_differences, wrap_int32)
from quant.ir import Graph, Node
from quant.optable import Group, in_group
from quant.ops.checks import fc_quant_mass
from quant.ops.linear_quant import DYN_LEVELS


def fold_bias_asym(bias: np.ndarray, w: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray,
                   group_size: int, x_zero_point: int) -> np.ndarray:
    """b - x_zp * sum_g (group_scale[n, g] * sum_{k in g} w[n, k] + group_offset[n, g] * group_size), wrapped."""
    n, k = w.shape
    wsum = w.astype(np.int64).reshape(n, k // group_size, group_size).sum(axis=2)
    per_group = wsum * group_scale.astype(np.int64) + group_offset.astype(np.int64) * group_size
    return wrap_int32(bias.astype(np.int64) - int(x_zero_point) * per_group.sum(axis=1))


ASYM_CHUNK_ROWS = 256  # rows per grouped-kernel call: a multiple of every blocked layout's rows (NEON 32, RVV 128
#                        rows or 256 in pairs, armdsp 4), and the per-call bias (4 bytes a row) stays on the stack
ASYM_MAX_GROUPS = 256  # the group sums of x are on the stack too (4 bytes a group)


def _asym_on_grouped(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """fully_connected_asym with int8 input as the linked family's grouped kernel (the group scales, its SIMD code)
    with a bias computed per call: bias + sum_g group_offset[n, g] * sum_{k in g} x[k] (ig_group_sums_s8 and
    ig_offset_bias; every sum modulo 2^32, as the reference's accumulator)."""
    a = n.attrs
    x, wname, bname, gsname, goname, mname, sname = n.inputs
    w, gs, go = g.constants[wname], g.constants[gsname], g.constants[goname]
    y_dt = g.tensors[n.outputs[0]].dtype
    folded = fold_bias_asym(g.constants[bname], w, gs, go, int(a["group_size"]), a["x_zero_point"])
    nn_, kk = w.shape
    xo, yo, block = each_row(env, kk, nn_)
    chunks, used = _grouped_chunks(g, n, env, "ig_x_", folded, g.constants[mname], g.constants[sname], y_dt,
                                   clamp_tail(a), (bname + ".folded", mname, sname),
                                   lambda c: f"ig_y_ + (size_t){c} * {ASYM_CHUNK_ROWS}", "")
    return block(f"const int8_t *ig_x_ = {env.buf(x, '0')}{xo}; "
                 f"{C_TYPE[y_dt]} *ig_y_ = {env.buf(n.outputs[0], '0')}{yo}; {chunks}"), used


def _sdot_blocked_w4(env: OpEnv, fam: str, bits: int, k: int, group_size: int) -> bool:
    """Whether the linked grouped kernel is NEON's with SDOT on int4 weights in the blocked layout, which takes the
    group offsets in its scales and the dynamic requantization in its registers (ig_fc_grouped_s8w4.c)."""
    return fam == "neon" and bits == 4 and "dotprod" in env.extensions and grouped_layout(fam, k, group_size) == "blocked"


def _m_profile_asym(fam: str, bits: int, k: int, group_size: int, n: int) -> bool:
    """Whether the linked grouped kernel is Helium's or the Cortex-M DSP's int4 one, which take the group offsets
    in their scale stream / weight records (ig_fc_grouped_asym_s8w4, runtime_c/kernels/{mve,armdsp}/
    ig_fc_grouped_s8w4.c): whole four-row blocks only; armdsp: its blocked layout (groups of a multiple of 4)."""
    if bits != 4 or n % 4:
        return False
    return fam == "mve" or (fam == "armdsp" and grouped_layout(fam, k, group_size) == "blocked")


def _mve_dyn(fam: str, bits: int, n: int) -> bool:
    """Whether the linked grouped kernel is Helium's int4 one, which requantizes fully_connected_dynamic per token in
    its registers (ig_fc_grouped_dyn[_asym]_s8w4, runtime_c/kernels/mve/ig_mve_dyn_requant.h): whole four-row
    blocks only."""
    return fam == "mve" and bits == 4 and n % 4 == 0


def _mve_asym_scales(scales: np.ndarray, group_offset: np.ndarray) -> np.ndarray:
    """That kernel's scale stream: per group and four rows the rows layout's scales ([G, N]) then the four rows'
    group offsets ([N, G] given): [G][N / 4][8] int32."""
    groups = np.shape(group_offset)[1]
    s = np.asarray(scales, np.int64).reshape(groups, -1, 4)
    o = np.asarray(group_offset, np.int64).T.reshape(groups, -1, 4)
    return wrap_int32(np.stack([s, o], axis=2).reshape(-1))


def _armdsp_asym_weights(weights: np.ndarray, group_scale: np.ndarray, group_offset: np.ndarray,
                         group_size: int) -> np.ndarray:
    """armdsp's ig_fc_grouped_asym_s8w4 weights (N a multiple of 4): the int4 blocked layout (packing.py
    _armdsp_grouped: per block of four rows and group the words, then the rows' scale differences d) with each group
    record 16 bytes longer: per pair dA, dB, dOA, dOB - 8 dB (dO: the group offsets' differences; int32, LE)."""
    n, groups = np.shape(group_offset)
    per = 2 * group_size
    body = np.asarray(weights, np.int8).reshape(n // 4, groups, per + 16)[:, :, :per]
    d, do = (scale_differences(np.asarray(v)).reshape(n // 4, 4, groups).transpose(0, 2, 1)
             for v in (group_scale, group_offset))
    rec = np.stack([d[..., 0], d[..., 1], do[..., 0], do[..., 1] - 8 * d[..., 1],
                    d[..., 2], d[..., 3], do[..., 2], do[..., 3] - 8 * d[..., 3]], axis=2)
    rec = np.ascontiguousarray(wrap_int32(rec).astype("<i4")).view(np.int8)
    return np.concatenate([body, rec], axis=2).reshape(-1)


def _grouped_chunks(g: Graph, n: Node, env: OpEnv, x_ptr: str, bias: np.ndarray, mult: np.ndarray,
                    shift: np.ndarray, y_dt: str, tail: str, keys: tuple[str, str, str], out_of, after: str,
                    tag: str = "", dyn: bool = False) -> tuple[str, set[tuple[str, str]]]:
    """The statements that run a fully_connected_asym / _dynamic node's weights on the linked family's grouped kernel
    for the int8 row at `x_ptr`, in chunks of ASYM_CHUNK_ROWS rows (arguments and layout: docs/modules.md)."""
    a = n.attrs
    _, wname, _, gsname, goname, _, _ = n.inputs
    w, gs, go = g.constants[wname], g.constants[gsname], g.constants[goname]
    nn_, kk = w.shape
    bits, gsz = int(a["weight_bits"]), int(a["group_size"])
    groups = kk // gsz
    offsets = bool(np.any(go))
    out = "" if y_dt == "int8" else f"_to_{SUFFIX[y_dt]}"
    stem = "ig_fc_grouped_s8" + ("w4" if bits == 4 else "")
    fam = kernel_for(stem + out, stem, env.family).parent.name  # the linked kernel's family decides the layout
    sdot = _sdot_blocked_w4(env, fam, bits, kk, gsz)
    m_asym = offsets and _m_profile_asym(fam, bits, kk, gsz, nn_)
    mve_dyn = dyn and _mve_dyn(fam, bits, nn_)
    fused = offsets and (sdot or m_asym)  # the offsets go into the kernel's scales (neon_asym_scales, mve's, armdsp's)
    dyn = dyn and (sdot or mve_dyn)
    fn = (f"ig_fc_grouped{'_dyn' if dyn else ''}{'_asym' if fused else ''}_s8w4" if fused or dyn else stem) + out
    parts: dict[str, list[np.ndarray]] = {part: [] for part in ("w", "s", "b", "m", "sh", "go")}
    sizes = dict.fromkeys(parts, 0)
    table = []  # per chunk: weight offset, scale offset, row-vector offset, rows in the layout, rows
    for r0 in range(0, nn_, ASYM_CHUNK_ROWS):
        r = slice(r0, min(nn_, r0 + ASYM_CHUNK_ROWS))
        zero = np.zeros(r.stop - r0, np.int64)
        p = pack_fc_grouped(w[r], gs[r], gsz, bits, fam, *((zero,) * 3 if dyn else (bias[r], mult[r], shift[r])))
        terms = grouped_bias_terms(fam, kk, gsz, bits, go[r], shift[r])  # [rows in the layout, G]
        table += [sizes["w"], sizes["s"], sizes["b"], terms.shape[0], r.stop - r0]
        scales = neon_asym_scales(p.scales, go[r], zero if dyn else shift[r]) if fused and sdot else \
            _mve_asym_scales(p.scales, go[r]) if m_asym and fam == "mve" else p.scales
        weights = _armdsp_asym_weights(p.weights, gs[r], go[r], gsz) if m_asym and fam == "armdsp" else p.weights
        rows = [neon_row_vectors(v[r], bits) for v in (bias, mult, shift)] if dyn and sdot else \
            [v[r] for v in (bias, mult, shift)] if dyn else [p.bias, p.multiplier, p.shift]
        if dyn and sdot:  # each vector's shifts in the order 0 2 1 3 (IG_G4_DYNRQ_NB, ig_fc_grouped_s8w4.c)
            rows[2] = rows[2].reshape(-1, 4)[:, (0, 2, 1, 3)]
        for part, arr in (("w", weights), ("s", scales), ("b", rows[0]), ("m", rows[1]), ("sh", rows[2]),
                          ("go", terms.T)):
            parts[part].append(np.ascontiguousarray(arr).reshape(-1))
            sizes[part] += parts[part][-1].size
    key = f".{fam}.asym{ASYM_CHUNK_ROWS}.w{bits}" + (".dyn" if dyn else "")
    cat = {part: np.concatenate(arrs) for part, arrs in parts.items()}
    bkey, mkey, skey = keys
    cw = env.const(wname + key + (".offsets" if m_asym and fam == "armdsp" else ""), cat["w"].astype(np.int8), "int8_t")
    cs = env.const(gsname + key + tag + (".offsets" if fused else ""), cat["s"].astype(np.int32), "int32_t")
    # a dynamic layer without bias (Llama's) passes none: the kernel skips its loads and int64 adds
    cb = env.const(bkey + key, cat["b"].astype(np.int32), "int32_t") if not dyn or np.any(cat["b"]) else None
    cm = env.const(mkey + key, cat["m"].astype(np.int32), "int32_t")
    csh = env.const(skey + key, cat["sh"].astype(np.int32), "int32_t")
    ct = env.const(n.name + key + ".chunks", np.asarray(table, np.int32), "int32_t")
    used = {(fn, stem)}
    if offsets and not fused:
        cgo = env.const(goname + key + tag, cat["go"].astype(np.int32), "int32_t")
        pre = f"int32_t ig_t_[{groups}], ig_b_[{ASYM_CHUNK_ROWS}] __attribute__((aligned(16))); " \
              f"ig_group_sums_s8({x_ptr}, {kk}, {gsz}, ig_t_); "
        bias_of = "ig_b_"
        per_chunk = f"ig_offset_bias(ig_t_, {groups}, {cgo} + (size_t)p_[2] * {groups}, {cb} + p_[2], p_[3], ig_b_); "
        used |= {("ig_group_sums_s8", "ig_fc_asym_offsets"), ("ig_offset_bias", "ig_fc_asym_offsets")}
    else:
        pre, bias_of, per_chunk = "", f"{cb} + p_[2]" if cb else "0", ""
    # the SDOT kernels need no per-chunk buffers: chunks of whole blocks make one layout, run by one call (x's
    # group sums and the call once per layer, not per 256 rows)
    one = sdot and (fused or dyn) and all(r % NEON_GROUPED_ROWS == 0 for r in table[4::5])
    loop = "const int32_t c_ = 0; const int32_t *p_ = " + ct if one else \
        f"for (int32_t c_ = 0; c_ < {len(table) // 5}; c_++) {{ const int32_t *p_ = {ct} + 5 * c_"
    code = (f"{pre}{'{ ' if one else ''}{loop}; "
            f"{per_chunk}{fn}({x_ptr}, {cw} + p_[0], {bias_of}, {cs} + p_[1], {cm} + p_[2], {csh} + p_[2], "
            f"{kk}, {nn_ if one else 'p_[4]'}, {gsz}, {tail}, {'ig_mr_, ig_e_, ' if dyn else ''}{out_of('c_')}); "
            f"{'' if dyn else after}}}")
    return code, used


def _s8_dyn_blocked(g: Graph, n: Node, env: OpEnv) -> bool:
    """Whether a fully_connected_dynamic node runs on NEON's per-channel int8 kernel with SDOT, which requantizes per
    token in its registers (ig_fc_s8_dyn*, runtime_c/kernels/neon/ig_fc_s8_dyn.c): int8 weights of one group of K
    (K a multiple of 32: the blocked layout), unit group scales, no group offsets (SmolLM2's W8 layers)."""
    w, gs, go = (g.constants[i] for i in (n.inputs[1], n.inputs[3], n.inputs[4]))
    kk = w.shape[1]
    return env.family == "neon" and "dotprod" in env.extensions and int(n.attrs["weight_bits"]) == 8 and \
        int(n.attrs["group_size"]) == kk and grouped_layout("neon", kk, kk) == "blocked" and \
        bool(np.all(gs == 1)) and not np.any(go)


def _dynamic_s8_blocked(g: Graph, n: Node, env: OpEnv, y_dt: str) -> tuple[str, set[tuple[str, str]]]:
    """The call of ig_fc_s8_dyn* on the row's int8 q and (mr, e) (ig_q_, ig_mr_, ig_e_), the whole layer at once
    (codegen/packing.py pack_fc_s8_dynamic); a layer without bias passes none."""
    _, wname, bname, gsname, goname, mname, sname = n.inputs
    w = g.constants[wname]
    p = pack_fc_s8_dynamic(w, *(g.constants[i] for i in (bname, mname, sname)))
    key = ".neon.dyn.w8"
    cw = env.const(wname + key, p.weights, "int8_t")
    cb = env.const(bname + key, p.bias, "int32_t") if np.any(p.bias) else "0"
    cm, cs = env.const(mname + key, p.multiplier, "int32_t"), env.const(sname + key, p.shift, "int32_t")
    fn = "ig_fc_s8_dyn" + ("" if y_dt == "int8" else f"_to_{SUFFIX[y_dt]}")
    # the kernel's 32-bit form where smin - e >= 32 - j: the accumulators (|acc| <= 127 sum |w|) shifted left by j
    smin = int(np.min(g.constants[sname]))
    mass = fc_quant_mass(w, g.constants[gsname], g.constants[goname], w.shape[1])  # dynamic_on_grouped's bound
    j = 31 - (DYN_LEVELS * int(mass.max(initial=0))).bit_length()
    return (f"{fn}(ig_q_, {cw}, {cb}, {cm}, {cs}, {smin}, {max(j, 0)}, {w.shape[1]}, {w.shape[0]}, "
            f"{clamp_tail(n.attrs)}, ig_mr_, ig_e_, ig_y_); "), {(fn, "ig_fc_s8_dyn")}


def _dynamic_on_grouped(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """fully_connected_dynamic as ig_dyn_quantize_* (the row's int8 q and its scale), the linked family's grouped
    kernel on q (zero bias plus the offset term) giving the exact int32 accumulator through an identity
    requantization, a chunk of rows at a time, and ig_dyn_requant_* (the per-token requantization) of each chunk
    (runtime_c/kernels/scalar/ig_fc_dynamic_parts.c); on NEON with SDOT and on Helium (int4 weights) the kernel
    requantizes per token itself (ig_fc_grouped_dyn_s8w4: no int32 round trip, no identity requantization), and so
    does NEON's per-channel int8 kernel with SDOT (ig_fc_s8_dyn*, _s8_dyn_blocked)."""
    a = n.attrs
    x, wname, bname, _, _, mname, sname = n.inputs
    nn_, kk = g.constants[wname].shape
    x_dt, y_dt = g.tensors[x].dtype, g.tensors[n.outputs[0]].dtype
    bits, stem = int(a["weight_bits"]), "ig_fc_grouped_s8" + ("w4" if int(a["weight_bits"]) == 4 else "")
    fam = kernel_for(stem + "_to_s32", stem, env.family).parent.name
    at = f"(size_t)c_ * {ASYM_CHUNK_ROWS}"
    if _s8_dyn_blocked(g, n, env):
        (chunks, used), acc = _dynamic_s8_blocked(g, n, env, y_dt), ""
    elif _sdot_blocked_w4(env, fam, bits, kk, int(a["group_size"])) or _mve_dyn(fam, bits, nn_):
        chunks, used = _grouped_chunks(g, n, env, "ig_q_", *(g.constants[i] for i in (bname, mname, sname)), y_dt,
                                       clamp_tail(a), (bname, mname, sname), lambda c: f"ig_y_ + {at}", "", dyn=True)
        acc = ""
    else:
        cb, cm, cs = (env.const(t, g.constants[t], "int32_t") for t in (bname, mname, sname))
        after = (f"ig_dyn_requant_{SUFFIX[y_dt]}(ig_acc_, ig_mr_, ig_e_, {cm} + {at}, {cs} + {at}, {cb} + {at}, "
                 f"p_[4], {clamp_tail(a)}, ig_y_ + {at}); ")
        chunks, used = _grouped_chunks(g, n, env, "ig_q_", np.zeros(nn_, np.int32),
                                       *(np.full(nn_, v, np.int32) for v in IDENTITY_REQUANT), "int32", INT32_OUT,
                                       (n.name + ".zero_bias", n.name + ".identity_mult", n.name + ".identity_shift"),
                                       lambda c: "ig_acc_", after, ".identity")
        acc = f"int32_t ig_acc_[{ASYM_CHUNK_ROWS}] __attribute__((aligned(16))); "
        used = used | {(f"ig_dyn_requant_{SUFFIX[y_dt]}", "ig_fc_dynamic_parts")}
    xo, yo, block = each_row(env, kk, nn_)
    buf = "__attribute__((aligned(16)))"
    quantize = f"ig_dyn_quantize_{SUFFIX[x_dt]}({env.buf(x, '0')}{xo}, {c_int(a['x_zero_point'])}, {kk}, ig_q_, "
    if env.row_quant is None:
        rows = f"int8_t ig_q_[{kk}] {buf}; int32_t ig_mr_; int32_t ig_e_ = {quantize}&ig_mr_); "
    else:  # the row quantized once for every layer that reads it: the same bytes, one ig_dyn_quantize call
        q_rows, scales, fills = env.row_quant
        rows = (f"int8_t *ig_q_ = {q_rows}{xo}; int32_t *ig_s_ = {scales}{' + (size_t)r_ * 2' if xo else ''}; "
                + (f"ig_s_[1] = {quantize}ig_s_); " if fills else "")
                + "int32_t ig_mr_ = ig_s_[0], ig_e_ = ig_s_[1]; ")
    body = f"{rows}{acc}{C_TYPE[y_dt]} *ig_y_ = {env.buf(n.outputs[0], '0')}{yo}; {chunks}"
    return block(body), used | {(f"ig_dyn_quantize_{SUFFIX[x_dt]}", "ig_fc_dynamic_parts")}


def dynamic_on_grouped(g: Graph, n: Node) -> bool:
    """Whether a fully_connected_dynamic node runs on the grouped kernels: its accumulator stays below 2^30, where
    the identity requantization is exact, and its group sums fit the stack."""
    a = n.attrs
    w, gs, go = (g.constants[i] for i in (n.inputs[1], n.inputs[3], n.inputs[4]))
    gsz = int(a["group_size"])
    return w.shape[1] // gsz <= ASYM_MAX_GROUPS and \
        DYN_LEVELS * int(fc_quant_mass(w, gs, go, gsz).max(initial=0)) < 1 << 30


def shared_row_quantization(g: Graph, last_row: set[str] = frozenset()) -> list[list[int]]:
    """Groups (graph indices, in order) of fully_connected_dynamic nodes on the grouped kernels that read the same
    input with the same zero point and the same rows (their outputs all in `last_row` or none; codegen/lower.py):
    Llama's q / k / v and gate / up. lower() gives each group one buffer of int8 rows and their (mr, e) pairs,
    which the group's first node fills and the others read, so a row is quantized once, not once per layer.
    Only rows of a multiple of 16 bytes, which keeps every row of the buffer 16-byte aligned."""
    groups: dict[tuple, list[int]] = {}
    for i, n in enumerate(g.nodes):
        if in_group(n.op, Group.DYNAMIC) and g.constants[n.inputs[1]].shape[1] % 16 == 0 and \
                dynamic_on_grouped(g, n):
            groups.setdefault((n.inputs[0], n.attrs["x_zero_point"], n.outputs[0] in last_row), []).append(i)
    return [ix for ix in groups.values() if len(ix) > 1]


def _fc_quant(g: Graph, n: Node, env: OpEnv):
    a = n.attrs
    x, wname, bname, gsname, goname, mname, sname = n.inputs
    w = g.constants[wname]
    nn_, kk = w.shape
    bits = int(a["weight_bits"])
    gsz = int(a["group_size"])
    x_dt, y_dt = g.tensors[x].dtype, g.tensors[n.outputs[0]].dtype
    dynamic = in_group(n.op, Group.DYNAMIC)
    if x_dt not in (("int16", "int32") if dynamic else ("int8", "int16")):
        raise CodegenError(f"node {n.name}: {n.op} has no kernel for {x_dt} input")
    if not dynamic and x_dt == "int8" and kk // gsz <= ASYM_MAX_GROUPS:
        return _asym_on_grouped(g, n, env)
    if dynamic and dynamic_on_grouped(g, n):
        return _dynamic_on_grouped(g, n, env)
    gs, go = g.constants[gsname], g.constants[goname]
    cw = env.const(f"{wname}.scalar.w{bits}", pack_fc_weights(w, bits, "scalar"), "int8_t")
    cgs = env.const(gsname, np.ascontiguousarray(gs, np.int32), "int32_t")
    cgo = env.const(goname, np.ascontiguousarray(go, np.int32), "int32_t")
    cm, cs = (env.const(t, g.constants[t], "int32_t") for t in (mname, sname))
    stem = "ig_fc_dynamic" if dynamic else "ig_fc_asym"
    fn = f"{stem}_{SUFFIX[x_dt]}_{SUFFIX[y_dt]}"
    if dynamic:
        cb = env.const(bname, g.constants[bname], "int32_t")
        call = (f"{fn}(x_, {c_int(a['x_zero_point'])}, {cw}, {bits}, {cb}, {cgs}, {cgo}, {cm}, {cs}, {kk}, {nn_}, "
                f"{gsz}, {clamp_tail(a)}, y_)")
    else:
        folded = fold_bias_asym(g.constants[bname], w, gs, go, gsz, a["x_zero_point"])
        cb = env.const(bname + ".folded", folded, "int32_t")
        call = f"{fn}(x_, {cw}, {bits}, {cb}, {cgs}, {cgo}, {cm}, {cs}, {kk}, {nn_}, {gsz}, {clamp_tail(a)}, y_)"
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
            f"{c_int(a['multiplier'])}, {c_int(a['shift'])}, {clamp_tail(a)}, {env.buf(n.outputs[0], '0')});",
            {(fn, "ig_channel_gather")})


def _head_norm(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """head_rmsnorm and head_rmsnorm_f32 (quant/ops/head_norm.py) on the family's rmsnorm kernels: a row of heads x
    head_dim is `heads` rows of head_dim laid end to end."""
    from codegen.op_calls import CLAMP, _eps, _ints, _kernel, _sfx
    from codegen.op_calls_f32 import _call, f32_literal

    a = n.attrs
    x, y = env.buf(n.inputs[0], "0"), env.buf(n.outputs[0], "0")
    rows, hd = f"({env.rows}) * {int(a['heads'])}", int(a["head_dim"])
    if in_group(n.op, Group.FLOAT):
        gamma = env.const(n.inputs[1], g.constants[n.inputs[1]], "float")
        return _call("ig_rmsnorm_f32", [x, rows, hd, gamma, f32_literal(a["eps"]), y])
    gamma = env.const(n.inputs[1], g.constants[n.inputs[1]], "int32_t")
    return _kernel("ig_rmsnorm" + _sfx(g, n.inputs[0], n.outputs[0]), "ig_rmsnorm", [
        x, rows, hd, gamma, *_ints(a, "x_zero_point", "pre_shift"), _eps(a["eps"]), *_ints(a, "shift", *CLAMP), y])


def _softcap(g: Graph, n: Node, env: OpEnv) -> tuple[str, set[tuple[str, str]]]:
    """softcap and softcap_f32 (quant/ops/softcap.py) over every element this call computes: logits [rows, V], or
    attention scores [heads, rows, kv_len] (the layout matmul_qk writes)."""
    from codegen.op_calls import CLAMP, _ints, _kernel, _length, _sfx
    from codegen.op_calls_f32 import _call, f32_literal

    shape = g.tensors[n.outputs[0]].shape
    length = f"{shape[0]} * ({env.rows}) * ({env.kv_len})" if len(shape) == 3 else _length(g, n, env)
    x, y = env.buf(n.inputs[0], "0"), env.buf(n.outputs[0], "0")
    if in_group(n.op, Group.FLOAT):
        return _call("ig_softcap_f32", [x, length, f32_literal(n.attrs["cap"]), y])
    return _kernel(f"ig_softcap{_sfx(g, n.inputs[0], n.outputs[0])}", "ig_softcap", [
        x, length, *_ints(n.attrs, "x_zero_point", "in_multiplier", "in_shift", "out_multiplier", "out_shift",
                          *CLAMP), y])
