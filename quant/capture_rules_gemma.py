"""The Gemma family's patterns in the export capture (quant/export_capture.py, docs/capture.md): the scaled token
embedding (Gemma, Gemma 2, Gemma 3 multiply the lookup by sqrt(hidden)), folded into the table at capture, and
soft-capping c tanh(x / c) of the final logits (Gemma 2), one softcap_f32 (quant/ops/softcap.py). Gemma's RMSNorm
with (1 + w) needs no rule of its own: the RMSNorm rule's gain is the constant it multiplies by, evaluated (1 + w)
at capture; the GELU-tanh gated MLP is the gated MLP rule's; soft-capped attention scores are the eager attention
rule's (quant/capture_attention_eager.py)."""
from __future__ import annotations

import numbers
from collections import Counter

import numpy as np

from quant.capture_rules import Embedding, _glue_root, _path, consumers, feeds_output, live_inputs
from quant.export_capture import Act, op_name


def scalar_operand(cap, n) -> float | None:
    """The one constant number a binary op with one live operand applies (a literal or a one-element constant),
    None when it has no such operand."""
    if len(live_inputs(cap, n)) != 1 or len(n.args) != 2:
        return None
    other = next(a for a in n.args if not (a in cap.live))
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return float(other)
    v = cap.const(other) if other is not None else None
    return float(v.detach().float().reshape(-1)[0]) if v is not None and v.numel() == 1 else None


class ScaledEmbedding(Embedding):
    """embedding(ids) * s with s one constant number: the lookup of the table times s (float32, as the model
    multiplies each looked-up value)."""
    name = "scaled embedding"
    pattern = Counter({"embedding": 1, "mul": 1})

    def matches(self, cap, call) -> bool:
        return call.ops(cap) == self.pattern and self.scale(cap, call) is not None

    def scale(self, cap, call) -> np.float32 | None:
        mul = next(n for n in call.live(cap) if op_name(n) == "mul")
        s = scalar_operand(cap, mul)
        if s is None or op_name(cap.root(live_inputs(cap, mul)[0])) != "embedding":
            return None
        return np.float32(s)

    def lower(self, cap, call) -> None:
        s = self.scale(cap, call)
        super().lower(cap, call)
        cap.b.constants[call.path] = (cap.b.constants[call.path] * s).astype(np.float32)


def softcap_chain(cap, n, inside=None) -> tuple[float, list] | None:
    """(c, [div, tanh, mul]) when n starts x / c -> tanh -> * c (through views and casts), else None."""
    inside = inside if inside is not None else set(cap.graph.nodes)
    if op_name(n) != "div" or scalar_operand(cap, n) is None:
        return None
    c, chain = scalar_operand(cap, n), [n]
    for want in ("tanh", "mul"):
        users = consumers(cap, chain[-1], inside)
        if len(users) != 1 or op_name(users[0]) != want:
            return None
        chain.append(users[0])
    return (c, chain) if scalar_operand(cap, chain[2]) == c else None


def softcap_glue(cap, n) -> bool:
    """x / c -> tanh -> * c outside every rule's call (Gemma 2's final logits, in the model's own forward): one
    softcap_f32, named `logits` when it makes the graph's output."""
    found = softcap_chain(cap, n)
    if found is None:
        return False
    c, (div, tanh, mul) = found
    x = cap.act(_glue_root(cap, live_inputs(cap, div)[0]))
    name = "logits" if feeds_output(cap, mul) else f"{_path(cap, div)}.softcap"
    cap.env[mul] = Act(cap.b.node("softcap_f32", name, [x], cap.b.shape(x), {"cap": c}))
    cap.done.update(cap.above([mul]) - cap.above([div]) | {div})
    return True
