"""The pattern rules of the export capture (quant/export_capture.py): each recognizes one module call by the ops it
runs on live values (its op pattern, never its class name) and emits the IntGraph float ops that compute the same.
docs/capture.md lists them; a new rule is a class here with `pattern` (for messages), `matches` and `lower`.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from quant.capture_rules_opt_neox import position_offset
from quant.errors import UnsupportedOp
from quant.export_capture import GLUE, Act, Positional, op_name

ACTIVATIONS = {"silu": "silu_f32", "gelu": "gelu_f32", "relu": "relu_f32"}


def arg(n, i: int, name: str, default=None):
    if len(n.args) > i:
        return n.args[i]
    return n.kwargs.get(name, default)


def live_inputs(cap, n) -> list:
    return [a for a in n.all_input_nodes if a in cap.live]


def const_inputs(cap, n) -> list:
    return [a for a in n.all_input_nodes if a not in cap.live]


def source(cap, n, stop=("linear",)):
    """The first node at or above n, through glue ops with one live input, whose op is in `stop`."""
    while op_name(n) not in stop:
        n = cap.through(n)
        if n is None:
            return None
    return n


def region(cap, end, inside: set) -> tuple[list, list]:
    """Live nodes of `inside` above `end` (end included) down to the first linear ops: (linear nodes, the others)."""
    stops, seen, todo = [], [], [end]
    while todo:
        n = todo.pop()
        if n in seen or n in stops or n not in inside:
            continue
        if op_name(n) == "linear":
            stops.append(n)
            continue
        seen.append(n)
        todo.extend(live_inputs(cap, n))
    return stops, seen


def consumers(cap, n, inside: set) -> list:
    """Live users of n inside the call, through glue."""
    out = []
    for u in n.users:
        if u not in inside:
            continue
        out.extend(consumers(cap, u, inside) if cap.through(u) is not None else [u])
    return out


def feeds_output(cap, n) -> bool:
    return any(u.op == "output" or (cap.through(u) is not None and feeds_output(cap, u)) for u in n.users)


def set_outputs(cap, call, act: str) -> None:
    """The call's live results used outside it are `act` (the rule's result, maybe under views), except a view or
    cast of the call's input (a norm's input cast, read again by the residual add), which stays that input."""
    inside = set(call.nodes)
    for o in call.outputs(cap):
        x = o
        while x in inside and cap.through(x) is not None:
            x = cap.through(x)
        cap.env[o] = cap.env[x] if x not in inside and isinstance(cap.env.get(x), Act) else Act(act)


class Rule:
    name = ""
    pattern: Counter = Counter()
    differs = "its data flow"  # how a call with the rule's very ops differs from it (for messages)

    def matches(self, cap, call) -> bool:
        return call.ops(cap) == self.pattern

    def describe(self) -> str:
        return f"{self.name} ({', '.join(f'{k} x{v}' if v > 1 else k for k, v in self.pattern.items())})"


class Linear(Rule):
    name = "Linear"
    pattern = Counter({"linear": 1})

    def lower(self, cap, call) -> None:
        n = next(x for x in call.live(cap) if op_name(x) == "linear")
        set_outputs(cap, call, emit_linear(cap, n))


def linear_parts(cap, n) -> tuple:
    """(input node, weight [out, in] or None when computed, bias or None) of a linear op: aten.linear(x, w, b), or
    addmm(b, x, w) (GPT-2's Conv1D, which stores w as [in, out]: transposed here)."""
    if getattr(n.target, "__name__", "").startswith("addmm"):
        if n.kwargs.get("beta", 1) != 1 or n.kwargs.get("alpha", 1) != 1:
            raise UnsupportedOp(f"addmm at {linear_path(cap, n)} scales its terms: intgap captures b + x w")
        w = cap.const(n.args[2])
        return n.args[1], None if w is None else w.T, cap.const(n.args[0])
    return n.args[0], cap.const(n.args[1]), cap.const(arg(n, 2, "bias"))


def emit_linear(cap, n, name: str | None = None, rows: slice | None = None) -> str:
    """A fully_connected_f32 of a linear op, named after its module (the graph's output: `logits`)."""
    x, w, bias = linear_parts(cap, n)
    if w is None:
        raise UnsupportedOp(f"linear at {linear_path(cap, n)} has a computed weight: intgap captures constant weights")
    if rows is not None:
        w, bias = w[rows], None if bias is None else bias[rows]
    name = name or ("logits" if feeds_output(cap, n) else linear_path(cap, n))
    out = cap.b.linear(name, cap.act(_glue_root(cap, x)), w, bias)
    cap.env[n] = Act(out)
    return out


def linear_path(cap, n) -> str:
    c = cap.innermost(n)
    return c.path if c else n.name


class Embedding(Rule):
    name = "Embedding"
    pattern = Counter({"embedding": 1})

    def matches(self, cap, call) -> bool:
        return super().matches(cap, call) or (call.ops(cap) == Counter() and any(
            op_name(n) == "embedding" for n in call.nodes))

    def lower(self, cap, call) -> None:
        n = next(x for x in call.nodes if op_name(x) == "embedding")
        table = cap.const(n.args[0])
        ids = cap.env[n.args[1]]
        ids = ids.act if isinstance(ids, Positional) else ids
        if table is None or not isinstance(ids, Act):
            raise UnsupportedOp(f"embedding at {call.path} does not look up a constant table by token ids or "
                                "positions")
        cap.b.const(call.path, table.detach().float().numpy())
        single = sum(op_name(x) == "embedding" for x in cap.graph.nodes) == 1
        out = cap.b.node("embedding_f32", "embed" if single else f"{call.path}_lookup", [ids.name, call.path],
                         (cap.t, table.shape[1]))
        cap.env[n] = Act(out)
        set_outputs(cap, call, out)


class RMSNorm(Rule):
    """x * rsqrt(mean(x^2) + eps) * gamma; gamma is whatever constant the model multiplies by (Gemma: 1 + w)."""
    name = "RMSNorm"
    pattern = Counter({"pow": 1, "mean": 1, "add": 1, "rsqrt": 1, "mul": 2})

    def lower(self, cap, call) -> None:
        xn, gamma, eps = rmsnorm_parts(cap, call)
        x = cap.act(_glue_root(cap, xn))
        cap.b.const(f"{call.path}.gamma", gamma.detach().float().numpy())
        out = cap.b.node("rmsnorm_f32", call.path, [x, f"{call.path}.gamma"], cap.b.shape(x), {"eps": float(eps)})
        set_outputs(cap, call, out)


def rmsnorm_parts(cap, call) -> tuple:
    """(input node, gamma, eps) of a call with RMSNorm's op pattern, or UnsupportedOp when it is not that form."""
    nodes = call.live(cap)
    pw = next(x for x in nodes if op_name(x) == "pow")
    add = next(x for x in nodes if op_name(x) == "add")
    scale = next(x for x in nodes if op_name(x) == "mul" and const_inputs(cap, x))
    gamma = cap.const(const_inputs(cap, scale)[0])
    eps = next((a for a in add.args if isinstance(a, (int, float))), None)
    if pw.args[1] != 2 or eps is None or gamma is None or gamma.dim() != 1:
        raise UnsupportedOp(f"{call.path} ({call.cls}) has RMSNorm's ops but not its form x * rsqrt(mean(x^2) "
                            "+ eps) * gamma")
    return pw.args[0], gamma, eps


def _glue_root(cap, n):
    """The node above n through glue ops (casts, views) that holds a captured value."""
    while not isinstance(cap.env.get(n), Act):
        n = cap.through(n)
        if n is None:
            raise UnsupportedOp("internal: a rule's input has no captured value")
    return n


class LayerNorm(Rule):
    name = "LayerNorm"
    pattern = Counter({"layer_norm": 1})

    def lower(self, cap, call) -> None:
        n = next(x for x in call.live(cap) if op_name(x) == "layer_norm")
        set_outputs(cap, call, emit_layernorm(cap, n, call.path))


def emit_layernorm(cap, n, path: str) -> str:
    """A layernorm_f32 of an aten.layer_norm node (no weight: gamma 1; no bias: beta 0)."""
    w, b = cap.const(arg(n, 2, "weight")), cap.const(arg(n, 3, "bias"))
    x = cap.act(_glue_root(cap, n.args[0]))
    c = cap.b.shape(x)[-1]
    cap.b.const(f"{path}.gamma", np.ones(c, np.float32) if w is None else w.detach().float().numpy())
    cap.b.const(f"{path}.beta", np.zeros(c, np.float32) if b is None else b.detach().float().numpy())
    out = cap.b.node("layernorm_f32", path, [x, f"{path}.gamma", f"{path}.beta"], cap.b.shape(x),
                     {"eps": float(arg(n, 4, "eps", 1e-5))})
    cap.env[n] = Act(out)
    return out


class PostNormResidual(Rule):
    """LayerNorm(dense(x) + residual): BERT's attention output and layer output (post-norm: the norm after the
    residual add)."""
    name = "post-norm residual"
    pattern = Counter({"linear": 1, "add": 1, "layer_norm": 1})

    def lower(self, cap, call) -> None:
        nodes = call.live(cap)
        lin, add, ln = (next(x for x in nodes if op_name(x) == o) for o in ("linear", "add", "layer_norm"))
        if cap.root(ln.args[0]) is not add or lin not in [cap.root(a) for a in live_inputs(cap, add)] or \
                len(live_inputs(cap, add)) != 2:
            raise UnsupportedOp(f"{call.path} ({call.cls}) has a post-norm residual's ops but not "
                                "LayerNorm(dense(x) + residual)")
        emit_linear(cap, lin)
        ins = [cap.act(_glue_root(cap, a)) for a in add.args]  # in the model's order
        cap.env[add] = Act(cap.b.node("add_f32", f"{call.path}.residual", ins, cap.b.shape(ins[0])))
        set_outputs(cap, call, emit_layernorm(cap, ln, linear_path(cap, ln)))


def position_table(cap, terms: list, where: str) -> tuple[np.ndarray, object]:
    """The one table by position of positional embedding lookups that are added together: the lookup by the
    positions themselves (learned absolute position embeddings), plus lookups whose index is one value at every
    position (BERT's token type 0 of a single sentence), folded in as that row. Returns (table, the lookup by the
    positions)."""
    by_pos, rows = None, []
    for t in terms:
        e = _up(t)
        table = cap.const(e.args[0]) if op_name(e) == "embedding" else None
        if table is None:
            raise UnsupportedOp(f"{where}: a positional term other than an embedding lookup is added to the "
                                "token embeddings; intgap captures learned absolute position embeddings")
        idx = e.args[1]
        src = _up(idx)
        off = position_offset(cap, src)  # OPT looks its table up at positions + 2: the rows from 2 on
        if off is not None or isinstance(cap.env.get(src), Positional) and cap.env[src].act is not None:
            if by_pos is not None:
                raise UnsupportedOp(f"{where}: two embedding tables are looked up by the positions")
            by_pos = (table[off or 0:], e)
            continue
        ex = torch.as_tensor(cap.example(idx)).reshape(-1)
        consts = [v for v in tensors_above(cap, idx) if not v.is_floating_point()]
        if not bool((ex == ex[0]).all()) or any(not bool((v == ex[0]).all()) for v in consts):
            raise UnsupportedOp(f"{where}: an embedding is looked up by an index that is neither the positions nor "
                                "one value at every position (token types other than 0 for a single sentence)")
        rows.append(table[int(ex[0])])
    if by_pos is None:
        raise UnsupportedOp(f"{where}: no embedding is looked up by the positions")
    out = by_pos[0].detach().float().numpy().astype(np.float32)
    for r in rows:  # added in float32 after the position rows, as the former hand-written capture did
        out = out + r.detach().float().numpy().astype(np.float32)
    return out, by_pos[1]


def _up(n):
    """n with the one-input views and casts above it skipped (not only live ones: positional values too)."""
    while n.op == "call_function" and op_name(n) in GLUE and len(n.all_input_nodes) == 1:
        n = n.all_input_nodes[0]
    return n


def tensors_above(cap, n) -> list:
    """The parameters and buffers n is computed from."""
    seen, todo, found = set(), [n], []
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        if x.op == "placeholder" and isinstance(cap.env.get(x), torch.Tensor):
            found.append(cap.env[x])
        todo.extend(x.all_input_nodes)
    return found


class AbsoluteEmbeddings(Rule):
    """word(ids) + position(positions) [+ token type 0] [-> LayerNorm]: BERT's and DistilBERT's embeddings module.
    The lookups by position are one table (fixed rows folded in), the sum one add."""
    name = "absolute embeddings"
    pattern = Counter({"embedding": 1, "add": 2, "layer_norm": 1})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        adds = [x for x in call.live(cap) if op_name(x) == "add"]
        return ops.get("embedding") == 1 and ops.get("add", 0) >= 1 and ops.get("layer_norm", 0) <= 1 and \
            set(ops) <= {"embedding", "add", "layer_norm"} and \
            all(len(live_inputs(cap, a)) == 1 and len(a.all_input_nodes) == 2 for a in adds)

    def lower(self, cap, call) -> None:
        nodes, p = call.live(cap), call.path
        word = next(x for x in nodes if op_name(x) == "embedding")
        adds = [x for x in nodes if op_name(x) == "add"]
        terms = [a for x in adds for a in x.all_input_nodes if a not in cap.live]
        table, _ = position_table(cap, terms, f"{p} ({call.cls})")
        words, ids = cap.const(word.args[0]), cap.act(word.args[1])
        cap.b.const(f"{p}.word", words.detach().float().numpy())
        cap.b.const(f"{p}.position", table)
        t, c = cap.t, words.shape[1]
        we = cap.b.node("embedding_f32", f"{p}.word_lookup", [ids, f"{p}.word"], (t, c))
        pe = cap.b.node("embedding_f32", f"{p}.position_lookup", ["positions", f"{p}.position"], (t, c))
        out = cap.b.node("add_f32", f"{p}.sum", [we, pe], (t, c))
        cap.env[word] = Act(we)
        cap.env[adds[-1]] = Act(out)
        ln = next((x for x in nodes if op_name(x) == "layer_norm"), None)
        if ln is not None:
            if cap.root(ln.args[0]) is not adds[-1]:
                raise UnsupportedOp(f"{p} ({call.cls}): its LayerNorm does not normalize the embeddings' sum")
            out = emit_layernorm(cap, ln, linear_path(cap, ln))
        set_outputs(cap, call, out)


def emit_activation(cap, n, prefix: str, x: str | None = None) -> str:
    kind = op_name(n)
    attrs = {"approximate": n.kwargs.get("approximate", arg(n, 1, "approximate", "none"))} if kind == "gelu" else {}
    x = x or cap.act(_glue_root(cap, n.args[0]))
    out = cap.b.node(ACTIVATIONS[kind], f"{prefix}.{kind}", [x], cap.b.shape(x), attrs)
    cap.env[n] = Act(out)
    return out


class GatedMLP(Rule):
    """down(act(gate(x)) * up(x)) (Llama, Qwen, Mistral: SiLU; Gemma: GELU-tanh)."""
    name = "gated MLP"
    pattern = Counter({"linear": 3, "silu": 1, "mul": 1})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        acts = [a for a in ACTIVATIONS if ops.get(a)]
        return len(acts) == 1 and ops == Counter({"linear": 3, acts[0]: 1, "mul": 1})

    def lower(self, cap, call) -> None:
        nodes, inside = call.live(cap), set(call.nodes)
        act = next(x for x in nodes if op_name(x) in ACTIVATIONS)
        mul = next(x for x in nodes if op_name(x) == "mul")
        gate = source(cap, act.args[0])
        up = next((source(cap, a) for a in mul.args if source(cap, a) not in (None, act)), None)
        down = next((c for c in consumers(cap, mul, inside) if op_name(c) == "linear"), None)
        if gate is None or up is None or down is None or source(cap, next(a for a in mul.args if a is not None),
                                                               stop=tuple(ACTIVATIONS) + ("linear",)) is None:
            raise UnsupportedOp(f"{call.path} ({call.cls}) has a gated MLP's ops but not down(act(gate(x)) * up(x))")
        emit_linear(cap, gate)
        emit_linear(cap, up)
        a = emit_activation(cap, act, call.path)
        m = cap.b.node("mul_f32", f"{call.path}.gated", [a, cap.act(up)], cap.b.shape(a))
        cap.env[mul] = Act(m)
        set_outputs(cap, call, emit_linear(cap, down))


class FusedGatedMLP(Rule):
    """down(act(gate) * up) with gate and up the two halves of one linear (Phi-3's gate_up_proj, chunked): the
    capture splits the weight into gate_proj and up_proj."""
    name = "fused gated MLP"
    pattern = Counter({"linear": 2, "chunk": 1, "silu": 1, "mul": 1})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        acts = [a for a in ACTIVATIONS if ops.get(a)]
        return len(acts) == 1 and ops == Counter({"linear": 2, "chunk": 1, acts[0]: 1, "mul": 1})

    def lower(self, cap, call) -> None:
        nodes, inside = call.live(cap), set(call.nodes)
        act = next(x for x in nodes if op_name(x) in ACTIVATIONS)
        mul = next(x for x in nodes if op_name(x) == "mul")
        chunk = next(x for x in nodes if op_name(x) == "chunk")
        lin, parts, dim = chunk.args[0], int(chunk.args[1]), (list(chunk.args) + [0])[2]
        halves = {_piece(cap, act.args[0]), _piece(cap, next(a for a in mul.args if cap.root(a) is not act))}
        down = next((c for c in consumers(cap, mul, inside) if op_name(c) == "linear"), None)
        width = int(linear_parts(cap, lin)[1].shape[0]) if op_name(lin) == "linear" else 0
        gate = _piece(cap, act.args[0])
        if parts != 2 or halves != {0, 1} or down is None or not width or dim not in (-1, 2):
            raise UnsupportedOp(f"{call.path} ({call.cls}) has a fused gated MLP's ops but not "
                                "down(act(half 0) * half 1) of one linear")
        cut = [slice(0, width // 2), slice(width // 2, width)]
        emit_linear(cap, lin, f"{call.path}.gate_proj", cut[gate])
        up = emit_linear(cap, lin, f"{call.path}.up_proj", cut[1 - gate])
        a = emit_activation(cap, act, call.path, x=f"{call.path}.gate_proj")
        m = cap.b.node("mul_f32", f"{call.path}.gated", [a, up], cap.b.shape(a))
        cap.env[mul] = Act(m)
        set_outputs(cap, call, emit_linear(cap, down))


def _piece(cap, n) -> int | None:
    """Which piece of a chunk n is (through glue), None when it is no chunk's piece."""
    while op_name(n) != "getitem":
        n = cap.through(n)
        if n is None:
            return None
    return int(n.args[1])


class PlainMLP(Rule):
    """proj(act(fc(x))) (GPT-2, OPT, BERT-style)."""
    name = "MLP"
    pattern = Counter({"linear": 2, "gelu": 1})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        acts = [a for a in ACTIVATIONS if ops.get(a)]
        return len(acts) == 1 and ops == Counter({"linear": 2, acts[0]: 1})

    def lower(self, cap, call) -> None:
        nodes, inside = call.live(cap), set(call.nodes)
        act = next(x for x in nodes if op_name(x) in ACTIVATIONS)
        fc = source(cap, act.args[0])
        proj = next((c for c in consumers(cap, act, inside) if op_name(c) == "linear"), None)
        if fc is None or proj is None:
            raise UnsupportedOp(f"{call.path} ({call.cls}) has an MLP's ops but not proj(act(fc(x)))")
        emit_linear(cap, fc)
        emit_activation(cap, act, call.path)
        set_outputs(cap, call, emit_linear(cap, proj))


class Activation(Rule):
    name = "activation"
    pattern = Counter({"silu": 1})

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        return len(ops) == 1 and sum(ops.values()) == 1 and next(iter(ops)) in ACTIVATIONS

    def lower(self, cap, call) -> None:
        n = next(x for x in call.live(cap) if op_name(x) in ACTIVATIONS)
        set_outputs(cap, call, emit_activation(cap, n, call.path.rsplit(".", 1)[0] if "." in call.path else
                                               call.path))


class WrittenGELU(Rule):
    """GELU written out in elementwise ops: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (GPT-2's gelu_new)
    or 0.5 x (1 + erf(x / sqrt 2)). Recognized by its numbers, not its spelling: the call's ops evaluated on a range
    of inputs must equal GELU's (tanh or erf form) to float32 rounding."""
    name = "GELU (written out)"
    pattern = Counter({"mul": 4, "pow": 1, "add": 2, "tanh": 1})
    differs = "its values (not GELU's in tanh or erf form)"
    ELEMENTWISE = {"mul", "add", "sub", "div", "pow", "tanh", "erf"}
    PROBE = torch.linspace(-8.0, 8.0, 2001)

    def matches(self, cap, call) -> bool:
        ops = call.ops(cap)
        return bool(ops) and set(ops) <= self.ELEMENTWISE and bool({"tanh", "erf"} & set(ops)) and \
            self.form(cap, call) is not None

    def form(self, cap, call) -> str | None:
        """'tanh' or 'none' (the erf form) when the call computes GELU of its one live input, else None."""
        nodes, inside = call.live(cap), set(call.nodes)
        ins = {a for n in nodes for a in live_inputs(cap, n) if a not in inside}
        outs = call.outputs(cap)
        if len(ins) != 1 or len(outs) != 1:
            return None
        env = {next(iter(ins)): self.PROBE}
        for n in nodes:
            args, kwargs = torch.fx.node.map_arg((n.args, n.kwargs), lambda a: env[a] if a in env else cap.example(a))
            try:
                with torch.no_grad():
                    env[n] = n.target(*args, **kwargs)
            except Exception:  # not elementwise on a 1-D probe: not this rule's
                return None
        y = env[outs[0]]
        for approx in ("tanh", "none"):
            if torch.allclose(y, torch.nn.functional.gelu(self.PROBE, approximate=approx), atol=1e-5):
                return approx
        return None

    def lower(self, cap, call) -> None:
        (x,) = {a for n in call.live(cap) for a in live_inputs(cap, n) if a not in set(call.nodes)}
        x = cap.act(_glue_root(cap, x))
        prefix = call.path.rsplit(".", 1)[0] if "." in call.path else call.path
        out = cap.b.node("gelu_f32", f"{prefix}.gelu", [x], cap.b.shape(x), {"approximate": self.form(cap, call)})
        set_outputs(cap, call, out)


def rules() -> tuple[Rule, ...]:
    """Every rule, the larger patterns first (an attention call holds linear calls)."""
    from quant.capture_attention import Attention  # it builds on the helpers here
    from quant.capture_attention_eager import EagerAttention
    from quant.capture_rules_gemma import ScaledEmbedding

    return (Attention(), EagerAttention(), GatedMLP(), FusedGatedMLP(), PlainMLP(), AbsoluteEmbeddings(),
            PostNormResidual(), RMSNorm(), LayerNorm(), ScaledEmbedding(), Embedding(), Linear(), Activation(),
            WrittenGELU())


def lower_glue(cap, n) -> bool:
    """A live node outside every rule: a view or cast passes its value through; two activations add (the residual
    stream) or multiply. False: nothing here lowers it."""
    o, ins, x = op_name(n), live_inputs(cap, n), cap.through(n)
    if not n.users and n.meta.get("val") is None:  # a check export inserted (_assert_tensor_metadata): no value
        return True
    if x is not None and _same_rows(n, x):
        cap.env[n] = Act(cap.act(x))
        return True
    if o == "add" and len(ins) == 1 and len(n.all_input_nodes) == 2 and len(n.args) == 2 and \
            all(a in cap.live or a in cap.positional for a in n.all_input_nodes):
        return _add_positions(cap, n)
    if o in ("add", "mul") and len(ins) == 2 and len(n.all_input_nodes) == 2 and len(n.args) == 2:
        a, b = cap.act(ins[0]), cap.act(ins[1])
        if cap.b.shape(a) != cap.b.shape(b):
            return False
        name = residual_name(cap, n) if o == "add" else f"{_path(cap, n)}.mul"
        cap.env[n] = Act(cap.b.node(f"{o}_f32", name, [a, b], cap.b.shape(a)))
        return True
    from quant.capture_rules_gemma import softcap_glue  # it builds on the helpers here
    return softcap_glue(cap, n)


def _add_positions(cap, n) -> bool:
    """token embeddings + a positional embedding (GPT-2's wte(ids) + wpe(positions), outside any module): the
    positional one becomes a lookup of its table by the positions, named after its module."""
    term = next(a for a in n.all_input_nodes if a not in cap.live)
    table, lookup = position_table(cap, [term], _path(cap, n))
    name = _path(cap, lookup) if cap.innermost(lookup) else "positions"
    cap.b.const(name, table)
    pe = cap.b.node("embedding_f32", f"{name}_lookup", ["positions", name], (cap.t, table.shape[1]))
    ins = [cap.act(_glue_root(cap, a)) if a in cap.live else pe for a in n.args]
    cap.env[n] = Act(cap.b.node("add_f32", residual_name(cap, n), ins, (cap.t, table.shape[1])))
    return True


def _same_rows(n, x) -> bool:
    """n holds the same [T, C] rows as x (leading dimensions of 1 aside)."""
    def rows(v):
        s = [d for d in getattr(v.meta.get("val"), "shape", ()) if d != 1]
        return tuple(s)
    return "val" in n.meta and "val" in x.meta and rows(n) == rows(x)


def _path(cap, n) -> str:
    c = cap.innermost(n)
    return c.path if c and c.path else "model"


def residual_name(cap, n) -> str:
    """`<layer>.attn_residual` / `<layer>.mlp_residual`: named after the child module whose result is added
    (self_attn -> attn); a sum of two embedding lookups is `embed`."""
    here = _path(cap, n)
    for a in live_inputs(cap, n):
        made = cap.act(_glue_root(cap, a))  # the value the add reads: a norm's output cast (OLMo 2) is the norm's
        a = cap.root(a)  # a norm's input cast is the stream itself
        if made.startswith(here + ".") and _path(cap, a) != here:
            return f"{here}.{made[len(here) + 1:].split('.')[0].removeprefix('self_')}_residual"
    if all(op_name(cap.root(a)) == "embedding" for a in live_inputs(cap, n)):
        return "embed"
    return f"{here}.add"


def nearest_rule(cap, node) -> tuple[str, list[str]]:
    """Over the module calls around `node` and every rule: the pair whose op patterns differ the least (ties: the
    larger pattern, which says more), described with how they differ; and the ops the call has beyond the rule's."""
    calls = [cap.calls[k] for k in (node.meta.get("nn_module_stack") or {}) if cap.calls[k].path]
    if not calls:
        return "; ".join(r.describe() for r in rules()), []

    def distance(pair):
        c, r = pair
        ops = c.ops(cap)
        return sum(((ops - r.pattern) + (r.pattern - ops)).values()), -sum(r.pattern.values())
    call, best = min(((c, r) for c in calls for r in rules()), key=distance)
    ops = call.ops(cap)
    extra = list(ops - best.pattern)
    diff = ", ".join([f"+{k}" for k in extra] + [f"-{k}" for k in best.pattern - ops])
    return f"{best.describe()}, which {call.path} ({call.cls}) differs from by {diff or best.differs}", extra
