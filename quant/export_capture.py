"""Capture by reading the model's computation (issue 16): `torch.export` of a Hugging Face decoder in eval mode at
one sequence length, then pattern rules (quant/capture_rules.py) that each turn one module call's aten nodes into
IntGraph float ops. Design and the rules: docs/capture.md.

The exported graph's nodes fall in three kinds, found once by data flow before any rule runs:
- live: computed from the token ids (the activations); only these become IntGraph nodes;
- positional: computed from the positions but not the tokens (RoPE's cos / sin), evaluated at the example positions
  here and turned into tables by the rule that reads them;
- constant: computed from parameters and buffers only (masks, casts, Gemma's 1 + w), evaluated here, so that a rule
  sees the numbers, whatever code produced them.
Live nodes are lowered call by call: the outermost module call (nn_module_stack) a rule recognizes by its op pattern
is lowered whole; the live nodes no rule took (residual adds, views) by `lower_glue`. A live node nothing lowers is
one UnsupportedOp naming the op, the module and its class, and the nearest supported pattern.
"""
from __future__ import annotations

import functools
import operator
from collections import Counter
from dataclasses import dataclass, field

import torch

from quant.errors import UnsupportedOp
from quant.hf_capture import GraphBuilder

# ops that only reshape, copy or cast a value: an activation passes through them unchanged ([1, T, C] -> [T, C])
GLUE = frozenset({"view", "reshape", "_unsafe_view", "unsqueeze", "squeeze", "contiguous", "clone", "alias",
                  "detach", "dropout", "_to_copy", "to", "type_as", "lift_fresh_copy", "_assert_tensor_metadata",
                  "getitem", "slice", "expand", "transpose", "permute", "flatten", "split"})
# aten ops that compute a linear layer: nn.Linear's linear(x, w, b); GPT-2's Conv1D's addmm(b, x, w) (w stored
# [in, out]): both count as `linear` in the op patterns, capture_rules.linear_parts reads either
LINEAR_OPS = {"linear": "linear", "addmm": "linear"}


def op_name(n: torch.fx.Node) -> str:
    """'linear' for aten.linear.default, 'getitem' for operator.getitem."""
    if n.target is operator.getitem:
        return "getitem"
    try:
        return _target_name(n.target)
    except TypeError:  # an unhashable target
        return _name_of(n.target)


@functools.lru_cache(maxsize=4096)  # a capture asks for the op names of its nodes hundreds of thousands of times
def _target_name(target) -> str:
    return _name_of(target)


def _name_of(target) -> str:
    name = getattr(target, "__name__", str(target)).split(".")[0]
    return LINEAR_OPS.get(name, name)


@dataclass(frozen=True)
class Act:
    """An IntGraph tensor: token ids / positions [T] or activations [T, C] (the export's batch dimension dropped)."""
    name: str


@dataclass
class Call:
    """One call of a module: every aten node it ran, its children's included, in graph order."""
    key: str
    path: str                                    # relative to the captured root ("layers.0.self_attn")
    cls: str
    nodes: list = field(default_factory=list)
    _ops: tuple | None = field(default=None, repr=False, compare=False)

    def live(self, cap: "Capture") -> list:
        return [n for n in self.nodes if n in cap.live]

    def ops(self, cap: "Capture") -> Counter:
        """The op pattern: how often each non-glue op runs on live values. Every rule asks for it (SmolLM2's
        capture spent minutes recounting): kept while its nodes and the live set are unchanged (both only grow)."""
        key = (len(self.nodes), len(cap.live))
        if self._ops is None or self._ops[0] != key:
            self._ops = (key, Counter(op_name(n) for n in self.live(cap) if cap.through(n) is None))
        return Counter(self._ops[1])

    def outputs(self, cap: "Capture") -> list:
        inside = set(self.nodes)
        return [n for n in self.live(cap) if any(u not in inside for u in n.users)]


def export(model, t: int, decoder: bool = True):
    """torch.export of `model(input_ids, position_ids)` at batch 1 and length t, no KV cache (decoders)."""
    ids = torch.zeros(1, t, dtype=torch.long)
    pos = torch.arange(t, dtype=torch.long)[None]
    kwargs = {"input_ids": ids, "position_ids": pos, **({"use_cache": False} if decoder else {})}
    try:
        with torch.no_grad():
            return torch.export.export(model, (), kwargs, strict=False)
    except Exception as e:  # export fails in many exception types; say which and where
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise UnsupportedOp(f"torch.export cannot capture {type(model).__name__} ({type(e).__name__}: "
                            f"{first[:300]}): intgap reads a model's computation through torch.export; "
                            "a model with data-dependent control flow is not supported") from None


class Capture:
    def __init__(self, model, t: int, max_pos: int, name: str, strip: str = "", decoder: bool = True):
        self.model, self.t, self.max_pos, self.strip = model, t, max_pos, strip
        self.ep = export(model, t, decoder)
        self.graph = self.ep.graph_module.graph
        self.b = GraphBuilder(name)
        self.env: dict = {}                      # fx node -> Act | torch.Tensor | Positional
        self.live: set = set()
        self.positional: set = set()
        self.calls: dict[str, Call] = {}
        self.done: set = set()                   # live nodes already lowered by a rule
        self.tables: list[str] = []              # RoPE tables made so far (rope, rope1, ...)
        self._inputs()
        self._calls()
        self._fold()

    # ---- setup
    def _inputs(self) -> None:
        sig = self.ep.graph_signature
        state = {**self.ep.state_dict, **self.ep.constants}
        named = {**sig.inputs_to_parameters, **sig.inputs_to_buffers,
                 **getattr(sig, "inputs_to_lifted_tensor_constants", {})}
        self.param_name: dict = {}
        user = [s.arg.name for s in sig.input_specs if s.kind.name == "USER_INPUT"]
        for n in self.graph.nodes:
            if n.op != "placeholder":
                continue
            if n.name in named:
                self.env[n] = state[named[n.name]]
                self.param_name[n] = named[n.name]
            elif n.name in user and "input_ids" in n.name:
                self.env[n] = Act(self.b.input("input_ids", (self.t,), "int32"))
                self.live.add(n)
            elif n.name in user and "position_ids" in n.name:
                self.env[n] = Positional(torch.arange(self.t)[None], Act(self.b.input("positions", (self.t,),
                                                                                       "int32")))
                self.positional.add(n)

    def _calls(self) -> None:
        for n in self.graph.nodes:
            for key, (path, cls) in (n.meta.get("nn_module_stack") or {}).items():
                c = self.calls.get(key)
                if c is None:
                    c = self.calls[key] = Call(key, self.relative(path), getattr(cls, "__name__", str(cls)
                                                                                   ).split(".")[-1])
                c.nodes.append(n)

    def relative(self, path: str) -> str:
        p = path.replace("L['self'].", "").replace("L__self__.", "")
        p = p.replace("[", ".").replace("]", "")
        return p[len(self.strip):] if self.strip and p.startswith(self.strip) else p

    def _fold(self) -> None:
        """Marks live and positional nodes and evaluates every node that is not live."""
        for n in self.graph.nodes:
            if n.op == "get_attr":  # a higher-order op's body (RoPE's no_grad region)
                self.env[n] = getattr(self.ep.graph_module, n.target)
            if n.op != "call_function":
                continue
            ins = [a for a in n.all_input_nodes]
            if any(a in self.live for a in ins):
                self.live.add(n)
                continue
            if any(a in self.positional for a in ins):
                self.positional.add(n)
            args, kwargs = torch.fx.node.map_arg((n.args, n.kwargs), self.example)
            with torch.no_grad():
                v = n.target(*args, **kwargs)
            self.env[n] = Positional(v, None) if n in self.positional else v

    def example(self, n):
        v = self.env.get(n)
        return v.example if isinstance(v, Positional) else v

    # ---- lowering
    def run(self, first_only: bool = False) -> list:
        """Lowers the live nodes the graph's outputs need (with first_only, its first output's: an encoder's last
        hidden state, not the pooler a BertModel also returns) and returns the outputs' tensor names."""
        from quant.capture_rules import lower_glue, nearest_rule, rules

        out = next(n for n in self.graph.nodes if n.op == "output")
        results = [a for a in torch.fx.node.map_arg(out.args[0], lambda x: x)
                   if isinstance(a, torch.fx.Node) and a in self.live][:1 if first_only else None]
        needed = self.above(results)
        for n in self.graph.nodes:
            if n.op == "output":
                return [self.act(a) for a in results]
            if n not in needed or n in self.done or n.op != "call_function":
                continue
            call = self.rule_call(n, rules())
            if call is not None:
                rule, c = call
                rule.lower(self, c)
                self.done.update(c.nodes)
                continue
            if not lower_glue(self, n):
                c = self.innermost(n)
                where = f"{c.path or 'the model'} ({c.cls})" if c else "the model"
                near, extra = nearest_rule(self, n)
                # the op to name: the one the module runs beyond the nearest rule (tanh), else the one met here
                raise UnsupportedOp(f"unsupported op aten.{extra[0] if extra else op_name(n)} at {where}: no capture "
                                    f"rule lowers it; nearest supported pattern: {near} (docs/capture.md)")
        raise UnsupportedOp("the exported graph has no output")

    def above(self, nodes) -> set:
        """The live nodes `nodes` derive from, themselves included."""
        seen, todo = set(), list(nodes)
        while todo:
            n = todo.pop()
            if n in seen or n not in self.live:
                continue
            seen.add(n)
            todo.extend(n.all_input_nodes)
        return seen

    def rule_call(self, n, rules):
        for key in (n.meta.get("nn_module_stack") or {}):
            c = self.calls[key]
            if not c.path:
                continue
            for r in rules:
                if r.matches(self, c):
                    return r, c
        return None

    def innermost(self, n) -> Call | None:
        keys = list(n.meta.get("nn_module_stack") or {})
        return self.calls[keys[-1]] if keys else None

    def act(self, n) -> str:
        v = self.env.get(n)
        if isinstance(v, Positional) and v.act is not None:
            return v.act.name
        if not isinstance(v, Act):
            raise UnsupportedOp(f"internal: node {n.name} ({op_name(n)}) has no captured value")
        return v.name

    def through(self, n):
        """The one live input a glue node passes on (a view, a cast, a getitem, a concatenation with empty
        tensors: Phi-3's rotated part joined to its empty unrotated part); None when n computes something."""
        ins = [a for a in n.all_input_nodes if a in self.live]
        if op_name(n) == "cat":
            ins = [a for a in ins if getattr(a.meta.get("val"), "numel", lambda: 1)() != 0]
        elif op_name(n) not in GLUE:
            return None
        elif op_name(n) == "type_as":  # x.type_as(other): x's value (Gemma's norm casts to its input's dtype)
            ins = ins[:1] if n.args[0] in self.live else []
        return ins[0] if len(ins) == 1 else None

    def root(self, n):
        """n with every glue node above it skipped."""
        while (up := self.through(n)) is not None:
            n = up
        return n

    def const(self, n) -> torch.Tensor | None:
        v = self.env.get(n) if isinstance(n, torch.fx.Node) else n
        return v if isinstance(v, torch.Tensor) else None


def capture_encoder(model, cfg, t: int, name: str, model_type: str):
    """The FP32 graph of an encoder (BERT, DistilBERT: full attention, post-norm layers), inputs input_ids and
    positions [T], output `hidden` [T, C]: the last hidden state (sentence embeddings are its mean over tokens,
    taken outside the graph; a pooler the model also returns is not captured)."""
    max_pos = int(cfg.max_position_embeddings)
    cap = Capture(model, t, max_pos, name, decoder=False)
    (out,) = cap.run(first_only=True)
    cap.b.rename(out, "hidden")
    cap.b.outputs.append("hidden")
    return cap.b.graph({"source": f"hf-{model_type}", "architecture": model_type, "hidden_size": int(cfg.hidden_size),
                        "layers": int(cfg.num_hidden_layers), "heads": int(cfg.num_attention_heads), "seq_len": t,
                        "max_positions": max_pos})


@dataclass
class Positional:
    """A value computed from the positions (not the tokens): its value at the example positions 0..T-1, and the
    positions input itself when it is that input."""
    example: object
    act: Act | None


# rope types whose tables depend on the sequence length at run time: an export at one length cannot read them
LENGTH_DEPENDENT_ROPE = ("dynamic", "longrope")


def sliding_window(cfg) -> int | None:
    """The attention window of a config's sliding layers (Mistral, Qwen2 with use_sliding_window), None for none."""
    w = getattr(cfg, "sliding_window", None)
    types = getattr(cfg, "layer_types", None)
    if not w or (types is not None and "sliding_attention" not in types) or \
            getattr(cfg, "use_sliding_window", True) is False:
        return None
    return int(w)


def decoder_positions(cfg, max_pos: int | None) -> int:
    """The positions the program's tables cover: asked for, else the config's (at most 2048) capped at a sliding
    window, within which windowed attention is causal attention. Asking for more than the window is refused."""
    window = sliding_window(cfg)
    if max_pos is None:
        max_pos = min(cfg.max_position_embeddings, 2048, window or 2048)
    if window is not None and max_pos > window:
        raise UnsupportedOp(f"sliding-window attention of {window} tokens (config.sliding_window) with "
                            f"{max_pos} positions: intgap captures windowed attention within its window only; "
                            f"ask for at most {window} positions")
    rope = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    for r in (rope, *(v for v in rope.values() if isinstance(v, dict))):  # Gemma 3: one per layer type
        if r.get("rope_type", r.get("type")) in LENGTH_DEPENDENT_ROPE:
            raise UnsupportedOp(f"rope_type {r.get('rope_type')!r} at config.rope_parameters changes its tables "
                                "with the sequence length: intgap captures default, linear, llama3 and yarn RoPE")
    return max_pos


def capture_decoder(model, cfg, t: int, max_pos: int | None, name: str, model_type: str):
    """The FP32 graph of a causal LM (inputs input_ids, positions [T]; output logits [T, vocab]) read from its
    exported computation."""
    max_pos = decoder_positions(cfg, max_pos)
    cap = Capture(model, t, max_pos, name, strip=f"{model.base_model_prefix}.")
    cap.b.outputs += cap.run()
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    heads = cfg.num_attention_heads
    meta = {"source": f"hf-{model_type}", "architecture": model_type, "hidden_size": int(cfg.hidden_size),
            "layers": int(cfg.num_hidden_layers), "heads": heads,
            "kv_heads": int(getattr(cfg, "num_key_value_heads", None) or heads), "seq_len": t,
            "max_positions": max_pos, "tied_embeddings": head.weight.data_ptr() == emb.weight.data_ptr(),
            "vocab_size": int(cfg.vocab_size)}
    if sliding_window(cfg):
        meta["sliding_window"] = sliding_window(cfg)
    from quant.capture import fuse_relu  # OPT's fc1 and its ReLU: one fully connected node, clamped at zero

    g = cap.b.graph(meta)
    return fuse_relu(g, {n.name for n in g.nodes if n.op == "relu_f32"})
