"""Attention written out in aten ops (transformers' eager attention: Gemma 2, which soft-caps its scores, and any
model loaded with attn_implementation="eager"): matmul(q, k^T) * scale [/ c, tanh, * c] [+ mask], softmax,
matmul(p, v). Its core is read here; the attention rule (quant/capture_attention.py) lowers the rest as for
scaled_dot_product_attention, and a soft-capped core gets softcap_f32 between the scores and the softmax."""
from __future__ import annotations

from collections import Counter

from quant.capture_attention import ATTENTION_OPS, SDPA, Attention, Core
from quant.capture_rules import arg, consumers
from quant.capture_rules_gemma import scalar_operand, softcap_chain
from quant.errors import UnsupportedOp
from quant.export_capture import op_name

EAGER_OPS = {"matmul", "softmax", "div", "tanh"}


class EagerAttention(Attention):
    name = "attention (eager)"
    pattern = Counter({"linear": 4, "matmul": 2, "softmax": 1, "mul": 5, "neg": 2, "cat": 2, "add": 3})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        return ops.get("matmul", 0) == 2 and ops.get("softmax", 0) == 1 and 2 <= ops.get("linear", 0) <= 4 and \
            set(ops) <= (ATTENTION_OPS - {SDPA}) | EAGER_OPS

    def core(self, cap, call) -> Core:
        inside, p = set(call.nodes), f"attention at {call.path} ({call.cls})"
        qk, pv = (n for n in call.live(cap) if op_name(n) == "matmul")
        sm = next(n for n in call.live(cap) if op_name(n) == "softmax")
        if cap.root(pv.args[0]) is not sm or arg(sm, 1, "dim") not in (-1, 3):
            raise UnsupportedOp(f"{p}: not softmax(q k^T) v over the keys")
        chain, n = [], qk  # the ops from the scores to the softmax
        while n is not sm:
            users = consumers(cap, n, inside)
            if len(users) != 1:
                raise UnsupportedOp(f"{p}: its scores feed {len(users)} ops; intgap captures one chain to softmax")
            n = users[0]
            chain.append(n)
        scale = scalar_operand(cap, chain[0]) if op_name(chain[0]) == "mul" else None
        softcap = softcap_chain(cap, chain[1], inside) if len(chain) > 1 else None
        rest = chain[1 + (3 if softcap else 0):-1]
        mask = None
        if [op_name(x) for x in rest] == ["add"] and scalar_operand(cap, rest[0]) is None:
            mask, rest = next(a for a in rest[0].all_input_nodes if a not in cap.live), []
        if scale is None or rest:
            raise UnsupportedOp(f"{p} computes its scores with {', '.join(op_name(x) for x in chain[:-1])}: intgap "
                                "captures q k^T * scale, optionally soft-capped (/ c, tanh, * c), plus a mask")
        return Core(qk.args[0], qk.args[1], pv.args[1], pv, mask, False, scale, softcap and softcap[0])

    def emit_core(self, cap, pre: str, q: str, k: str, v: str, heads: int, kv_heads: int, causal: bool,
                  scale: float, core: Core) -> str:
        out = super().emit_core(cap, pre, q, k, v, heads, kv_heads, causal, scale, core)
        if core.softcap is None:
            return out
        b = cap.b
        probs = next(n for n in b.nodes if n.name == f"{pre}.probs")
        capped = b.node("softcap_f32", f"{pre}.softcap", [probs.inputs[0]], b.shape(probs.inputs[0]),
                        {"cap": core.softcap})
        b.nodes.insert(b.nodes.index(probs), b.nodes.pop())  # between the scores and the softmax
        probs.inputs[0] = capped
        return out
