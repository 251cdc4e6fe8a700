"""Accuracy attribution, the mirror of the latency attribution: each unit's (op family, weight matrix, activation
class, layer) share of an integer graph's accuracy loss, measured with the unit alone in float ("removed") and alone
integer ("alone") through MixedGraph; docs/accuracy-attribution.md defines the units, the runs and the loss.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from quant import jit, reference
from quant.accuracy import cosine_against_fp32, perplexity, tokenize_text, window_log_probs
from quant.errors import GraphError, QuantError
from quant.hf_capture import capture_hf, is_encoder, sequence_inputs
from quant.hf_models import shakespeare_lines, shakespeare_text
from quant.ir import Graph, Node
from quant.optable import OPTABLE, Group
from quant.recipes import method_graph, recipe_for
from quant.transformer_ptq import lower


class AttributionError(QuantError):
    """A unit selection that names nothing in the graph, or a graph its recipe does not rebuild."""


@dataclass(frozen=True)
class Mix:
    """Which parts run as integers: float-graph node names in integer mode, fully connected nodes whose float-mode
    weights are the rounded ones, tensors rounded onto their grid where a float-mode op writes them."""
    integer_ops: frozenset[str] = frozenset()
    rounded_weights: frozenset[str] = frozenset()
    rounded_tensors: frozenset[str] = frozenset()


class MixedGraph:
    """The integer graph q paired with the float graph fp it was lowered from (same node and tensor names; an op the
    lowering expanded, e.g. an outlier split, is the group of integer nodes that ends in the float node's output).
    rounded_weights: float node name -> its dequantized integer weight matrix, for float mode with rounded weights."""

    def __init__(self, fp: Graph, q: Graph, rounded_weights: dict[str, np.ndarray]):
        self.fp, self.q, self.rounded_weights = fp, q, rounded_weights
        self.float_node = {n.outputs[0]: n for n in fp.nodes}
        q_outputs = {n.outputs[0] for n in q.nodes}
        missing = [n.name for n in fp.nodes if n.outputs[0] not in q_outputs]
        if missing or list(fp.outputs) != list(q.outputs) or list(fp.inputs) != list(q.inputs):
            raise GraphError(f"the integer graph {q.name!r} was not lowered from this float graph (no integer op "
                             f"writes {', '.join(missing[:3]) or 'the same outputs'}): pair a graph with the float "
                             "graph its recipe lowers (quant.recipes.method_graph)")
        self.parts = self._parts()

    @property
    def fc_nodes(self) -> list[str]:
        return [n.name for n in self.fp.nodes_in(Group.FULLY_CONNECTED)]

    def _parts(self) -> dict[str, list[Node]]:
        """float node name -> the integer nodes that compute it, in graph order (intermediates the lowering added,
        such as an outlier split's gathers, may be shared by several float nodes)."""
        producer = {n.outputs[0]: n for n in self.q.nodes}
        parts: dict[str, list[Node]] = {}
        for out, f in self.float_node.items():
            seen, stack = set(), [producer[out]]
            while stack:
                n = stack.pop()
                if n.name in seen:
                    continue
                seen.add(n.name)
                stack += [producer[i] for i in n.inputs if i in producer and i not in self.float_node]
            parts[f.name] = [n for n in self.q.nodes if n.name in seen]
        return parts

    def all_integer(self) -> Mix:
        return Mix(frozenset(n.name for n in self.fp.nodes), frozenset(self.fc_nodes),
                   frozenset(self.float_node))

    def all_float(self) -> Mix:
        return Mix()

    # ------------------------------------------------------------------ running
    def run(self, inputs: dict[str, np.ndarray], mix: Mix) -> np.ndarray:
        """The graph's first output as real values (float32) under mix."""
        codes: dict[str, np.ndarray] = dict(self.q.constants)
        reals: dict[str, np.ndarray] = {}
        for name in self.q.inputs:
            codes[name] = reals[name] = np.asarray(inputs[name])
        for f in self.fp.nodes:
            out = f.outputs[0]
            if f.name in mix.integer_ops:
                for n in self.parts[f.name]:
                    if n.outputs[0] not in codes:
                        args = [self._code(i, codes, reals) for i in n.inputs]
                        codes[n.outputs[0]] = jit.run_node(self.q, n, args)
                continue
            args = [self._real(i, codes, reals) if i not in self.fp.constants else self.fp.constants[i]
                    for i in f.inputs]
            if f.name in mix.rounded_weights:
                args[1] = self.rounded_weights[f.name]
            y = OPTABLE[f.op].reference(f, "float32", *args)
            if out in mix.rounded_tensors:
                codes[out] = self._quantize(out, y)
            else:
                reals[out] = y
        return self._real(self.q.outputs[0], codes, reals)

    def _quantize(self, name: str, x: np.ndarray) -> np.ndarray:
        quantized = self.q.tensors[name].scale is not None
        return reference.quantize_input(self.q, x, name) if quantized else x

    def _code(self, name: str, codes: dict, reals: dict) -> np.ndarray:
        if name not in codes:
            codes[name] = self._quantize(name, reals[name])
        return codes[name]

    def _real(self, name: str, codes: dict, reals: dict) -> np.ndarray:
        if name not in reals:
            quantized = self.q.tensors[name].scale is not None
            reals[name] = reference.dequantize_output(self.q, codes[name], name) if quantized else codes[name]
        return reals[name]


KINDS = ("ops", "weights", "activations", "roles", "layers", "weight-roles", "weight-layers")
SELECTIONS = {"families": ("ops", "weights", "activations"), "all": KINDS, **{k: (k,) for k in KINDS}}
UNIT_PREFIXES = ("op:", "weights:", "act:", "role:", "layer:", "tensor:")
_LAYER = re.compile(r"(?<![^.])(\d+)(?=\.|$)")  # the first all-digit component of a node name: its layer


@dataclass(frozen=True)
class Unit:
    """What one row replaces: float-graph nodes (their ops), fully connected nodes (their weight matrices) and
    tensors (their rounding onto the integer grid)."""
    name: str
    kind: str
    nodes: frozenset[str] = frozenset()
    weights: frozenset[str] = frozenset()
    tensors: frozenset[str] = frozenset()


def layer_of(name: str) -> str | None:
    m = _LAYER.search(name)
    return m.group(1) if m else None


def role_of(name: str) -> str:
    """The name with its layer index as '*': the same tensor or layer in every transformer block."""
    return _LAYER.sub("*", name, count=1)


def family_of(float_op: str) -> str:
    """The op family of a float op: the (first) integer op whose twin it is (fully_connected for every variant)."""
    return next(n for n, o in OPTABLE.items() if o.twin == float_op)


def _by(pairs) -> dict[str, list[str]]:
    """(key, name) pairs -> the names under each key, in first-seen order."""
    out: dict[str, list[str]] = {}
    for key, name in pairs:
        out.setdefault(key, []).append(name)
    return out


def candidate_units(mg: MixedGraph) -> dict[str, list[Unit]]:
    """Every unit of the graph, by kind: ops, one per op family; weights, all fully connected weight matrices;
    activations, the tensors each op family writes (act:add is the residual stream, act:softmax the attention
    probabilities); roles, the weights and the tensors of each role (a name with its layer index as '*', e.g.
    weights:layers.*.mlp.down_proj, role:layers.*.mlp.gated); layers, each numbered block (the nodes outside
    them: layer:other); weight-roles, the weights of each role alone (the roles' weights: rows, e.g.
    weights:logits, the head); weight-layers, the weights of each block alone (weights:layer:3; weights:layer:other
    the layers outside the blocks, e.g. the head)."""
    fp = mg.fp
    family = {n.name: family_of(n.op) for n in fp.nodes}
    by_family = _by((family[n.name], n.name) for n in fp.nodes)
    writes = _by((family[n.name], n.outputs[0]) for n in fp.nodes)
    fcs = mg.fc_nodes
    w_roles = _by((role_of(n), n) for n in fcs)
    t_roles = _by((role_of(n.outputs[0]), n.outputs[0]) for n in fp.nodes)
    layers = _by((layer_of(n.name) or "other", n.name) for n in fp.nodes)
    out_of = {n.name: n.outputs[0] for n in fp.nodes}
    fcset = set(fcs)
    w_layers = _by((layer_of(n) or "other", n) for n in fcs)
    weight_roles = [Unit(f"weights:{r}", "weight-roles", weights=frozenset(ns)) for r, ns in w_roles.items()]
    return {
        "ops": [Unit(f"op:{f}", "ops", nodes=frozenset(ns)) for f, ns in by_family.items()],
        "weights": [Unit("weights", "weights", weights=frozenset(fcs))],
        "activations": [Unit(f"act:{f}", "activations", tensors=frozenset(ts)) for f, ts in writes.items()],
        "roles": [replace(u, kind="roles") for u in weight_roles] +
                 [Unit(f"role:{r}", "roles", tensors=frozenset(ts)) for r, ts in t_roles.items()],
        "layers": [Unit(f"layer:{k}", "layers", nodes=frozenset(ns), weights=frozenset(set(ns) & fcset),
                        tensors=frozenset(out_of[n] for n in ns)) for k, ns in layers.items()],
        "weight-roles": weight_roles,
        "weight-layers": [Unit(f"weights:layer:{k}", "weight-layers", weights=frozenset(ns))
                          for k, ns in w_layers.items()],
    }


def select_units(mg: MixedGraph, what: str) -> list[Unit]:
    """Units by a comma list of kinds (KINDS), 'families' (ops, weights, activations), 'all', unit names
    (op:softmax, act:add, weights:layers.*.mlp.down_proj, role:layers.*.mlp.gated, layer:3, weights:layer:3) or
    tensor:<a tensor>."""
    cands = candidate_units(mg)
    by_name: dict[str, Unit] = {}
    for u in (u for us in cands.values() for u in us):
        by_name.setdefault(u.name, u)  # a roles unit's weights: row is also a weight-roles unit
    units: list[Unit] = []
    for item in [w.strip() for w in what.split(",") if w.strip()]:
        if item in SELECTIONS:
            units += [u for k in SELECTIONS[item] for u in cands[k]]
        elif item in by_name:
            units.append(by_name[item])
        elif item.startswith("tensor:") and item[7:] in mg.float_node:  # the tensors float nodes write
            units.append(Unit(item, "tensor", tensors=frozenset([item[7:]])))
        else:
            examples = ", ".join(list(by_name)[:6])
            raise AttributionError(f"unknown attribution unit {item!r}: use {', '.join(SELECTIONS)}, a unit name "
                                   f"(e.g. {examples}) or tensor:<tensor name> of the graph")
    if not units:
        raise AttributionError("no attribution units selected: use families, layers or a unit name")
    first: dict[str, Unit] = {}
    for u in units:
        first.setdefault(u.name, u)  # each name once, where it first appears
    return list(first.values())


def check_selection(what: str) -> None:
    """The selection's spelling, before any model is loaded (select_units checks the names against the graph)."""
    for item in [w.strip() for w in what.split(",") if w.strip()] or [""]:
        if item not in SELECTIONS and not item.startswith(UNIT_PREFIXES):
            raise AttributionError(f"unknown attribution unit {item!r}: use {', '.join(SELECTIONS)} or a unit name "
                                   f"starting {', '.join(UNIT_PREFIXES)} (docs/accuracy-attribution.md)")


def recipe_of(q: Graph):
    """The recipe that made an integer graph written by `intgap quantize` (its model, config, method, calibration,
    observer, residual width and SmoothQuant alpha are in its metadata)."""
    meta = q.meta
    if not all(meta.get(k) for k in ("model", "config", "method")):
        raise AttributionError("the graph does not say which model, config and method made it (meta.model, config, "
                               "method): re-create it with `intgap quantize`")
    how = re.search(r"-(minmax|percentile|mse)-res(int16|int32|auto)", meta.get("quantization", ""))
    return recipe_for(meta["model"], meta["config"], meta["method"], calib=meta.get("calibration_sequences"),
                      seq_len=meta.get("seq_len"), observer=how and how.group(1), residual=how and how.group(2),
                      alpha=meta.get("smoothquant_alpha"))


def _touching(mg: MixedGraph, tensors: frozenset[str]) -> set[str]:
    """The float nodes that write or read any of the tensors."""
    return {n.name for n in mg.fp.nodes if n.outputs[0] in tensors or tensors.intersection(n.inputs)}


def removed(mg: MixedGraph, u: Unit) -> Mix:
    """Everything integer except the unit: its ops run their float twins, its weights are the float ones, its
    tensors are not rounded. An activation unit's writers and readers run in float mode too (an integer kernel
    reads only integers); a layer's readers outside it stay integer, rounding what it writes as their input."""
    base = mg.all_integer()
    to_float = u.nodes | u.weights | (set() if u.nodes else _touching(mg, u.tensors))
    return Mix(base.integer_ops - to_float, base.rounded_weights - u.weights, base.rounded_tensors - u.tensors)


def alone(mg: MixedGraph, u: Unit) -> Mix:
    """Everything float except the unit: its ops run their integer kernels (rounding their inputs and outputs onto
    their grids), its weights are rounded, its tensors are rounded where float ops write them."""
    return Mix(u.nodes, u.weights, u.tensors)


# forward pass -> its figures; the first is the loss the shares divide (0 for the reference, higher is worse)
Metric = Callable[[Callable[[np.ndarray], np.ndarray]], dict[str, float]]


def attribute(mg: MixedGraph, units: list[Unit], metric: Metric,
              progress: Callable[[str, int, int], None] | None = None,
              on_row: Callable[[dict], None] | None = None, previous: dict | None = None) -> dict:
    """Each unit's share of the loss between the all-float and the all-integer runs of mg, removed and alone.
    Figures: "integer", "float", and per row "removed", "alone", each a dict of the metric's figures; the shares
    are of the first figure. on_row gets the partial result after each unit; previous (an earlier result of the
    same graphs and metric) supplies the figures it already holds, so that an interrupted measurement resumes."""
    t0 = time.time()
    previous = previous or {}
    done = {r["unit"]: r for r in previous.get("rows", [])}
    runs = iter(range(1, 3 + 2 * len(units)))

    def figures(held: dict, key: str, mix: Mix) -> dict[str, float]:
        """held[key] when an earlier measurement has it, else the metric of the run under mix."""
        f = held[key] if key in held else metric(lambda ids: mg.run(sequence_inputs(ids), mix))
        if progress:
            progress("accuracy attribution", next(runs), 2 + 2 * len(units))
        return f

    e_int = figures(previous, "integer", mg.all_integer())
    e_float = figures(previous, "float", mg.all_float())
    key = next(iter(e_int))
    loss = e_int[key] - e_float[key]
    res = {"loss": key, "integer": e_int, "float": e_float, "rows": []}
    for u in units:
        e_removed = figures(done.get(u.name, {}), "removed", removed(mg, u))
        e_alone = figures(done.get(u.name, {}), "alone", alone(mg, u))
        res["rows"].append({"unit": u.name, "kind": u.kind, "ops": len(u.nodes), "weights": len(u.weights),
                            "tensors": len(u.tensors), "removed": e_removed, "alone": e_alone,
                            "share_removed": (e_int[key] - e_removed[key]) / loss if loss else 0.0,
                            "share_alone": (e_alone[key] - e_float[key]) / loss if loss else 0.0})
        res["seconds"] = round(time.time() - t0 + previous.get("seconds", 0), 1)
        if on_row:
            on_row(res)
    res["seconds"] = round(time.time() - t0 + previous.get("seconds", 0), 1)
    return res


def rounded_weights(fp: Graph, cfg) -> dict[str, np.ndarray]:
    """Each fully connected node's weight matrix as the lowering rounds it (the method's, e.g. GPTQ), dequantized."""
    return {n.name: cfg.weight_for(n.name, fp.constants[n.inputs[1]]).dequant().astype(np.float32)
            for n in fp.nodes_in(Group.FULLY_CONNECTED)}


def loss_metric(model, fp32: Graph, n_tokens: int, n_lines: int, window: int) -> tuple[Metric, dict]:
    """The figures of a forward pass on held-out Shakespeare, and their FP32 values. Decoders, on the first n_tokens
    (windows of `window`): the mean KL divergence of the next-token distribution from FP32's (nats per token; the
    loss, never negative, where a slice's perplexity difference can be) and the perplexity. Encoders, on n_lines
    lines: 1 - mean cosine of the sentence embeddings to the FP32 capture's."""
    if is_encoder(model.model):
        lines = shakespeare_lines("eval", n_lines)

        def cos_loss(forward) -> dict[str, float]:
            return {"cosine_loss": float(1.0 - cosine_against_fp32(forward, fp32, model.tokenizer, lines).mean())}
        return cos_loss, {"lines": len(lines), "fp32": {"cosine_loss": 0.0}}
    ids = tokenize_text(model.tokenizer, shakespeare_text("eval"), n_tokens)
    reference = [logp.astype(np.float32) for _, logp in window_log_probs(fp32, ids, window)]

    def kl_ppl(forward) -> dict[str, float]:
        return perplexity(forward, ids, window, reference=reference)
    return kl_ppl, {"tokens": len(ids) - 1, "window": window,
                    "fp32": {"kl_divergence": 0.0, "perplexity": perplexity(fp32, ids, window)["perplexity"]}}


def mixed_graph_of(model, recipe, progress: Callable[[str, int, int], None] | None = None,
                   expected: Graph | None = None) -> MixedGraph:
    """The float graph that `recipe` (quant.recipes.Recipe) lowers for `model` (quant.hf_models.HFModel), paired
    with its integer graph, which must equal `expected` when given (a graph file made by the same recipe)."""
    fp, cal, cfg = method_graph(model, recipe, progress=progress)
    q = lower(fp, cal, cfg)
    if expected is not None and not same_graph(q, expected):
        raise AttributionError(f"the graph is not what its recipe ({recipe.config}, {recipe.method}, calibration "
                               f"{recipe.calib} x {recipe.seq_len}, observer {recipe.observer}, residual "
                               f"{recipe.residual}, alpha {recipe.alpha}) rebuilds: re-create it with `intgap quantize` "
                               "(the recipe is read from its metadata), or call quant.accuracy_attribution."
                               "attribute_model with the recipe that made it")
    return MixedGraph(fp, q, rounded_weights(fp, cfg))


def attribute_model(model, recipe, what: str = "families", n_tokens: int = 512, n_lines: int = 100,
                    window: int = 256, progress: Callable[[str, int, int], None] | None = None,
                    expected: Graph | None = None, mg: MixedGraph | None = None, **resume) -> dict:
    """The attribution of `model` quantized by `recipe` (or of the given mixed graph mg) on held-out Shakespeare,
    for the selected units (select_units); resume: attribute()'s on_row and previous."""
    mg = mg or mixed_graph_of(model, recipe, progress, expected)
    units = select_units(mg, what)
    metric, about = loss_metric(model, capture_hf(model.model, recipe.seq_len), n_tokens, n_lines, window)
    head = {"model": model.name, "config": recipe.config, "method": recipe.method, **about}
    on_row = resume.get("on_row")
    res = attribute(mg, units, metric, progress, on_row=(lambda r: on_row({**head, **r})) if on_row else None,
                    previous=resume.get("previous"))
    return {**head, **res}


def same_graph(a: Graph, b: Graph) -> bool:
    """The same integer graph: nodes, tensors' formats and constants (metadata aside)."""
    same = json.dumps([n.to_json() for n in a.nodes], sort_keys=True) == \
        json.dumps([n.to_json() for n in b.nodes], sort_keys=True) and \
        [t.to_json() for t in a.tensors.values()] == [t.to_json() for t in b.tensors.values()] and \
        a.constants.keys() == b.constants.keys()
    return same and all(np.array_equal(v, b.constants[k]) and v.dtype == b.constants[k].dtype
                        for k, v in a.constants.items())
