"""The attention rule of the export capture: a module call that runs one scaled_dot_product_attention on live
values and has linear projections. Its data flow says the rest: which linear makes q, k and v (tracing the
attention's inputs back), whether q and k are rotated (RoPE's rotate-half pattern: slice / neg / cat / mul / add
with positional cos and sin) and with which tables, how many KV heads (grouped: the k projection's width), which
mask (the constant mask compared with the causal one), and which linear projects the result (o_proj)."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from quant.capture_rules import Act, Rule, arg, consumers, emit_linear, linear_parts, live_inputs, region, \
    set_outputs, tensors_above
from quant.capture_rules_norms import emit_qk_norm, qk_norm
from quant.capture_rules_opt_neox import chunk_rows, is_scalar_mul, pass_through_tables, rotary_rows, \
    scalar_factor
from quant.errors import UnsupportedOp
from quant.hf_capture import attention_nodes, rope_tables
from quant.export_capture import op_name

SDPA = "scaled_dot_product_attention"
ROPE_OPS = Counter({"mul": 2, "neg": 1, "cat": 1, "add": 1})
PARTIAL_ROPE_OPS = ROPE_OPS + Counter({"cat": 1})  # the rotated features joined to the others (partial rotary)
NORM_OPS = {"pow", "mean", "rsqrt"}
# what an attention call may run (a call with more, a decoder layer say, is not one attention)
ATTENTION_OPS = {"linear", SDPA, "chunk"} | set(ROPE_OPS) | NORM_OPS


@dataclass
class Core:
    """What an attention call computes between its projections, softmax(q k^T scale [softcapped] + mask) v: the
    nodes that bring q, k and v ([1, heads, T, head_dim]), the node of its result, the mask, the scale (None:
    1 / sqrt(head_dim)), the soft-cap c of c tanh(scores / c) or None."""
    q: object
    k: object
    v: object
    out: object
    mask: object
    is_causal: bool
    scale: float | None
    softcap: float | None = None


class Attention(Rule):
    name = "attention"
    pattern = Counter({"linear": 4, SDPA: 1, "mul": 4, "neg": 2, "cat": 2, "add": 2})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        return ops.get(SDPA, 0) == 1 and 2 <= ops.get("linear", 0) <= 4 and set(ops) <= ATTENTION_OPS

    def core(self, cap, call) -> Core:
        sdpa = next(n for n in call.live(cap) if op_name(n) == SDPA)
        return Core(*sdpa.args[:3], sdpa, arg(sdpa, 3, "attn_mask"), bool(arg(sdpa, 5, "is_causal", False)),
                    arg(sdpa, 6, "scale"))

    def emit_core(self, cap, pre: str, q: str, k: str, v: str, heads: int, kv_heads: int, causal: bool,
                  scale: float, core: Core) -> str:
        return attention_nodes(cap.b, pre, q, k, v, heads, kv_heads, cap.t, causal, scale)

    def lower(self, cap, call) -> None:
        inside, p, t = set(call.nodes), call.path, cap.t
        core = self.core(cap, call)
        sides, rows, factor = {}, {}, {}
        for role, x in zip("qkv", (core.q, core.k, core.v)):
            stops, nodes = region(cap, x, inside)
            if len(stops) != 1:
                raise UnsupportedOp(f"attention at {p} ({call.cls}): its {role} comes from {len(stops)} linear "
                                    "layers; intgap captures one projection each for q, k and v")
            norm, nodes = qk_norm(cap, call, stops[0], nodes)
            rows[role] = _fused_rows(cap, stops[0], nodes, f"{p}.{role}_proj")
            ops = Counter(op_name(n) for n in nodes if cap.through(n) is None)
            if isinstance(rows[role][1], np.ndarray):  # GPT-NeoX: the chunk that took this one's features
                ops -= Counter({"chunk": 1})
            factor[role], muls = scalar_factor(nodes) if role != "v" else (1.0, 0)  # OPT's q * number: in the scale
            ops -= Counter({"mul": muls})
            if ops and ops not in (ROPE_OPS, PARTIAL_ROPE_OPS) or (role == "v" and (ops or norm)):
                raise UnsupportedOp(f"attention at {p} ({call.cls}) computes {role} with "
                                    f"{', '.join(sorted(ops))}: intgap captures q and k rotated by RoPE (rotate-half: "
                                    f"{', '.join(sorted(ROPE_OPS))}) or not rotated, v as projected")
            sides[role] = (stops[0], nodes, bool(ops), norm)
        q_shape = core.q.meta["val"].shape
        heads, hd = int(q_shape[-3]), int(q_shape[-1])
        full = {r: int(linear_parts(cap, sides[r][0])[1].shape[0]) for r in "qkv"}
        widths = {r: len(np.arange(full[r])[rows[r][1] if rows[r][1] is not None else slice(None)]) for r in "qkv"}
        kv_heads = widths["k"] // hd
        if widths["q"] != heads * hd or widths["v"] != widths["k"] or kv_heads * hd != widths["k"] or \
                heads % kv_heads:
            raise UnsupportedOp(f"attention at {p}: projections of {widths} features do not split into {heads} "
                                f"heads of {hd}")
        causal = _causal(cap, core.mask, core.is_causal, p, t)
        scale = (1.0 / math.sqrt(hd) if core.scale is None else float(core.scale)) * factor["q"] * factor["k"]
        # head_dim ** -0.5 (BERT, Llama) and 1 / sqrt(head_dim) differ in the last bit for some head sizes (32):
        # one value for both, so that a model's graph does not depend on how its code spells the scale
        scale = 1.0 / math.sqrt(hd) if math.isclose(scale, 1.0 / math.sqrt(hd), rel_tol=1e-12) else float(scale)
        if sides["q"][2] != sides["k"][2]:
            raise UnsupportedOp(f"attention at {p} rotates only one of q and k: intgap captures RoPE on both")
        rd = _rotary_dim(cap, sides["q"][1], p) if sides["q"][2] else hd
        if rd < hd:  # partial rotary: q's and k's rows reordered within each head (capture_rules_opt_neox)
            if sides["q"][3] or sides["k"][3]:  # the norm's gain would need the same reordering
                raise UnsupportedOp(f"attention at {p} ({call.cls}) normalizes q or k and rotates only {rd} of "
                                    f"{hd} features: intgap captures a q / k norm with full rotary only")
            for r, h in (("q", heads), ("k", kv_heads)):
                rows[r] = (rows[r][0], rotary_rows(rows[r][1], full[r], h, hd, rd))
        q, k, v = (emit_linear(cap, sides[r][0], *rows[r]) for r in "qkv")
        q, k = (emit_qk_norm(cap, sides[r][3], x, n, hd) for r, x, n in (("q", q, heads), ("k", k, kv_heads)))
        if sides["q"][2]:
            tq, tk = (rope_tables_of(cap, sides[r][1], hd, p) for r in "qk")
            if tq != tk:
                raise UnsupportedOp(f"attention at {p} rotates q and k with different tables")
            cos, sin = tq
            q = cap.b.node("rope_f32", f"{p}.q_rope", [q, "positions", cos, sin], (t, heads * hd),
                           {"heads": heads, "head_dim": hd})
            k = cap.b.node("rope_f32", f"{p}.k_rope", [k, "positions", cos, sin], (t, kv_heads * hd),
                           {"heads": kv_heads, "head_dim": hd})
        o = [n for n in consumers(cap, core.out, inside) if op_name(n) == "linear"]
        if len(o) > 1:
            raise UnsupportedOp(f"attention at {p}: its result feeds {len(o)} linear layers; intgap captures one "
                                "output projection")
        if not o:  # BERT's attention.self: the output projection is its parent's (attention.output), named so
            c = self.emit_core(cap, p.rsplit(".", 1)[0] if "." in p else p, q, k, v, heads, kv_heads, causal,
                               scale, core)
            set_outputs(cap, call, c)
            return
        c = self.emit_core(cap, p, q, k, v, heads, kv_heads, causal, scale, core)
        cap.env[linear_parts(cap, o[0])[0]] = Act(c)
        set_outputs(cap, call, emit_linear(cap, o[0]))


def _fused_rows(cap, lin, nodes: list, name: str) -> tuple[str | None, slice | np.ndarray | None]:
    """(name, rows) of q, k or v when one linear makes all three (Phi-3's qkv_proj, GPT-2's c_attn) and a slice or
    split of its last dimension takes this one's features (GPT-NeoX's: a chunk of each head's features, an index
    array): the capture splits the weight; (None, None) for a linear of its own."""
    per_head = chunk_rows(cap, lin, nodes)
    if per_head is not None:
        return name, per_head
    for g in nodes:
        if op_name(g) == "getitem" and op_name(g.args[0]) == "split" and cap.root(g.args[0].args[0]) is lin:
            sp = g.args[0]
            size, dim = sp.args[1], (list(sp.args) + [0])[2]
            if not isinstance(size, int) or dim not in (-1, len(sp.args[0].meta["val"].shape) - 1):
                raise UnsupportedOp(f"{name}: a fused projection split other than in equal parts of its features")
            return name, slice(int(g.args[1]) * size, (int(g.args[1]) + 1) * size)
    cuts = [n for n in nodes if op_name(n) == "slice" and n.args[0] is lin]
    if not cuts:
        return None, None
    n = cuts[0]
    dim, start, end = (list(n.args) + [0, None, None])[1:4]
    if len(cuts) != 1 or dim not in (-1, len(lin.meta["val"].shape) - 1):
        raise UnsupportedOp(f"{name}: a fused projection cut other than along its features")
    return name, slice(start, end)


def _causal(cap, mask, is_causal: bool, p: str, t: int) -> bool:
    """True for a causal mask, False for none; any other mask (padding, a window shorter than the sequence) is
    refused. The mask is a constant of the export (computed from the positions, never from the tokens)."""
    if mask is None:
        return is_causal
    m = cap.example(mask)
    if m is None or is_causal:
        raise UnsupportedOp(f"attention at {p}: its mask is computed from the tokens; intgap captures causal or "
                            "full attention")
    allowed = (m if m.dtype == torch.bool else m == 0).reshape(-1, t, t)
    if not bool((allowed == allowed[0]).all()):
        raise UnsupportedOp(f"attention at {p}: the mask differs between heads or batches")
    allowed = allowed[0]
    if bool(allowed.all()):
        return False
    if bool(torch.equal(allowed, torch.ones(t, t, dtype=torch.bool).tril())):
        return True
    raise UnsupportedOp(f"attention at {p}: its mask is neither causal nor full (a sliding window shorter than "
                        f"{t} tokens, or padding); intgap captures causal or full attention")


def rope_tables_of(cap, nodes: list, hd: int, p: str) -> tuple[str, str]:
    """The names of the cos / sin tables (one row per position up to max_positions) of the rotation among
    `nodes`: mul(x, cos) + mul(rotate_half(x), sin), cos and sin positional. The tables are rebuilt from the
    model's inverse frequencies (a 1-D buffer of head_dim / 2 the positional values derive from) and its
    attention scaling (cos at position 0), and checked against the model's own values at the example positions."""
    cos, sin = _rope_factors(cap, nodes, p)
    rd = _rotary_dim(cap, nodes, p)
    ex_cos, ex_sin = (np.asarray(cap.example(n).detach().float()).reshape(-1, rd) for n in (cos, sin))
    inv = [v for v in tensors_above(cap, cos) if v.dim() == 1 and v.is_floating_point() and v.numel() == rd // 2]
    if len(inv) != 1:
        raise UnsupportedOp(f"attention at {p}: RoPE's cos / sin do not derive from one inverse-frequency table "
                            f"of {rd // 2}")
    tc, ts = rope_tables(inv[0].detach().cpu().numpy(), cap.max_pos, float(ex_cos[0, 0]))
    rows = ex_cos.shape[0]
    want_c, want_s = np.concatenate([tc[:rows]] * 2, 1), np.concatenate([ts[:rows]] * 2, 1)
    if not (np.allclose(ex_cos, want_c, atol=1e-5) and np.allclose(ex_sin, want_s, atol=1e-5)):
        raise UnsupportedOp(f"attention at {p}: RoPE's tables are not cos / sin(position * inv_freq) "
                            "(a dynamic rotary embedding): not supported yet")
    if rd < hd:
        tc, ts = pass_through_tables(tc, ts, hd)
    for name in cap.tables:
        if np.array_equal(cap.b.constants[f"{name}.cos"], tc) and np.array_equal(cap.b.constants[f"{name}.sin"], ts):
            return f"{name}.cos", f"{name}.sin"
    name = "rope" if not cap.tables else f"rope{len(cap.tables)}"
    cap.tables.append(name)
    cap.b.const(f"{name}.cos", tc)
    cap.b.const(f"{name}.sin", ts)
    return f"{name}.cos", f"{name}.sin"


def _rope_factors(cap, nodes: list, p: str) -> tuple:
    """The positional cos and sin nodes of x * cos + rotate_half(x) * sin among `nodes`."""
    cos = sin = None
    for n in nodes:
        if op_name(n) != "mul" or is_scalar_mul(n):
            continue
        (x,), pos = live_inputs(cap, n), [a for a in n.all_input_nodes if a not in cap.live]
        if len(pos) != 1 or pos[0] not in cap.positional:
            raise UnsupportedOp(f"attention at {p}: a rotation factor does not come from the positions")
        x = cap.root(x)
        if op_name(x) == "cat":
            sin = pos[0]
        else:
            cos = pos[0]
    if cos is None or sin is None:
        raise UnsupportedOp(f"attention at {p}: not RoPE's rotate-half form x * cos + rotate_half(x) * sin")
    return cos, sin


def _rotary_dim(cap, nodes: list, p: str) -> int:
    """The features of each head that rotate: the width of the cos the rotation multiplies by."""
    return int(cap.example(_rope_factors(cap, nodes, p)[0]).shape[-1])
