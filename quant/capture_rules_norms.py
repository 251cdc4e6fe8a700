"""RMSNorm on q and k inside an attention call (quant/capture_attention.py), between the projection and RoPE:
Qwen3 and Gemma 3 normalize each head's head_dim channels with one gain of head_dim (`head_rmsnorm_f32`,
quant/ops/head_norm.py); OLMo 2 normalizes the whole projection with a gain of heads x head_dim (`rmsnorm_f32`).
The norm is a child call the RMSNorm rule recognizes by its op pattern; its gain is whatever constant it multiplies
by (Gemma's 1 + w, folded at capture)."""
from __future__ import annotations

from quant.capture_rules import RMSNorm, rmsnorm_parts
from quant.errors import UnsupportedOp


def qk_norm(cap, call, lin, nodes: list) -> tuple[object, list]:
    """(the RMSNorm call among `nodes` that normalizes the projection `lin`'s output, or None; the other nodes).
    `nodes` are the live nodes between an attention input and its projection."""
    rule, norms = RMSNorm(), {}
    for n in nodes:
        c = cap.innermost(n)
        if c is not None and c.path != call.path and c.path.startswith(call.path + ".") and rule.matches(cap, c):
            norms[c.key] = c
    if not norms:
        return None, nodes
    if len(norms) > 1:
        raise UnsupportedOp(f"attention at {call.path} ({call.cls}) normalizes one input {len(norms)} times: intgap "
                            "captures one RMSNorm on q and on k")
    (norm,) = norms.values()
    xn, _, _ = rmsnorm_parts(cap, norm)
    if cap.root(xn) is not lin:
        raise UnsupportedOp(f"{norm.path} ({norm.cls}) normalizes q or k after it is rotated: intgap captures the "
                            "norm between the projection and RoPE (Qwen3, OLMo 2, Gemma 3)")
    inside = set(norm.nodes)
    return norm, [n for n in nodes if n not in inside]


def emit_qk_norm(cap, norm, x: str, heads: int, hd: int) -> str:
    """x (a projection's output [T, heads * hd]) normalized per head (a gain of hd) or as a whole (heads * hd)."""
    if norm is None:
        return x
    _, gamma, eps = rmsnorm_parts(cap, norm)
    width = int(gamma.numel())
    if width not in (hd, heads * hd):
        raise UnsupportedOp(f"{norm.path} ({norm.cls}) has a gain of {width}: intgap captures RMSNorm on q and k per "
                            f"head ({hd}) or over the whole projection ({heads * hd})")
    key = cap.b.const(f"{norm.path}.gamma", gamma.detach().float().numpy())
    if width == heads * hd:
        return cap.b.node("rmsnorm_f32", norm.path, [x, key], cap.b.shape(x), {"eps": float(eps)})
    return cap.b.node("head_rmsnorm_f32", norm.path, [x, key], cap.b.shape(x),
                      {"heads": heads, "head_dim": hd, "eps": float(eps)})
