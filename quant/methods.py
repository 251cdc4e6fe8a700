"""Quantization methods on top of PTQ (quant/transformer_ptq.py): SmoothQuant, AWQ-style scale search and the
second-moment (gamma) correction (docs/quantization.md)."""
from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from quant.errors import QuantError
from quant.ir import Graph, Node
from quant.observers import Calibration
from quant.optable import Group, in_group
from quant.weights import quantize_weight


def smooth_scales(xmax: np.ndarray, wmax: np.ndarray, alpha: float) -> np.ndarray:
    """SmoothQuant's s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) per input channel j, within [1e-4, 1e4]."""
    s = np.power(np.maximum(xmax, 1e-5), alpha) / np.power(np.maximum(wmax, 1e-5), 1 - alpha)
    return np.clip(s, 1e-4, 1e4)


def input_channel_absmax(ws: list[np.ndarray]) -> np.ndarray:
    """max |W_j| per input channel j over the weights [N, K] of every layer that reads one tensor."""
    return np.max([np.abs(w).max(axis=0) for w in ws], axis=0)


def smoothquant(g: Graph, cal: Calibration, alpha: float = 0.5, scale_search=None, values: bool | None = None) -> Graph:
    """scale_search(input tensor, [weights]) -> s replaces SmoothQuant's formula (AWQ, smooth-search); V -> o_proj
    keeps the formula at alpha when `values` (default: only without a scale_search, AWQ skips it)."""
    g = Graph(g.name, list(g.inputs), list(g.outputs), dict(g.tensors), dict(g.constants),
              [Node(n.op, n.name, list(n.inputs), list(n.outputs), dict(n.attrs)) for n in g.nodes], dict(g.meta))
    m = _Migration(g, cal, alpha, scale_search, scale_search is None if values is None else values)
    new_nodes: list[Node] = []
    for n in g.nodes:
        new_nodes.append(n)
        out = n.outputs[0]
        users = [c for c, _ in m.consumers.get(out, [])]
        fcs = [u for u in users if in_group(u.op, Group.FULLY_CONNECTED) and u.inputs[0] == out]
        if not fcs or out not in cal.channel_absmax:
            continue
        if in_group(n.op, Group.NORM):
            new_nodes.extend(m.into_norm(n, users, fcs))
        elif n.op in _INTO_PRODUCER:
            _INTO_PRODUCER[n.op](m, n, users, fcs)
    g.nodes = new_nodes
    if scale_search is None:
        g.meta["smoothquant_alpha"] = alpha
    return g


class _Migration:
    """Folds per-channel scales s of a tensor read by fully connected layers: X' = X diag(s)^-1 into what makes X,
    W' = W diag(s) into the layers that read it."""

    def __init__(self, g: Graph, cal: Calibration, alpha: float, scale_search, values: bool):
        self.g, self.cal, self.alpha, self.values = g, cal, alpha, values
        self.pick = scale_search or (lambda out, ws: smooth_scales(
            cal.channel_absmax[out], input_channel_absmax(ws), alpha))
        self.consumers = g.consumers()
        self.producers = {n.outputs[0]: n for n in g.nodes}

    def scale(self, key: str, s: np.ndarray) -> None:
        self.g.constants[key] = (self.g.constants[key] * s).astype(np.float32)

    def unscale(self, key: str, s: np.ndarray) -> None:
        self.g.constants[key] = (self.g.constants[key] / s).astype(np.float32)

    def sole_linear(self, tensor: str) -> Node | None:
        """The fully connected layer that makes `tensor` when nothing else reads its output."""
        p = self.producers.get(tensor)
        ok = p is not None and in_group(p.op, Group.FULLY_CONNECTED) and len(self.consumers[p.outputs[0]]) == 1
        return p if ok else None

    def into_norm(self, n: Node, users: list[Node], fcs: list[Node]) -> list[Node]:
        """Into a norm's gain and bias; a norm that also feeds other ops (BERT's post-LN residual) or the graph
        output gets a smoothed copy for the layers (returned, to follow the norm)."""
        g, out = self.g, n.outputs[0]
        s = self.pick(out, [g.constants[f.inputs[1]] for f in fcs])
        target = n
        if len(fcs) < len(users) or out in g.outputs:
            target = Node(n.op, f"{n.name}.smoothed", list(n.inputs), [f"{out}.smoothed"], dict(n.attrs))
            g.tensors[target.outputs[0]] = copy.copy(g.tensors[out])
            g.tensors[target.outputs[0]].name = target.outputs[0]
            for f in fcs:
                f.inputs[0] = target.outputs[0]
        for k, key in enumerate(target.inputs[1:]):
            newkey = f"{key}.sq" if target is not n else key
            g.constants[newkey] = (g.constants[key] / s).astype(np.float32)
            target.inputs[1 + k] = newkey
        for f in fcs:
            self.scale(f.inputs[1], s[None, :])
        return [target] if target is not n else []

    def into_values(self, n: Node, users: list[Node], fcs: list[Node]) -> None:
        """The attention context into the V projection (SmoothQuant only), one scale per kv channel."""
        v_prod = self.sole_linear(n.inputs[1])
        if not self.values or len(fcs) != len(users) or len(users) != 1 or v_prod is None:
            return
        h, hkv, hd = n.attrs["heads"], n.attrs["kv_heads"], n.attrs["head_dim"]
        # context channel h*hd+c comes from kv head h // (h/hkv): one scale per kv channel
        xmax, wmax = self.cal.channel_absmax[n.outputs[0]], np.abs(self.g.constants[fcs[0].inputs[1]]).max(axis=0)
        s_kv = smooth_scales(*(a.reshape(hkv, h // hkv, hd).max(axis=1).reshape(-1) for a in (xmax, wmax)), self.alpha)
        s = np.repeat(s_kv.reshape(hkv, 1, hd), h // hkv, axis=1).reshape(-1)
        self.unscale(v_prod.inputs[1], s_kv[:, None])
        self.unscale(v_prod.inputs[2], s_kv)
        self.scale(fcs[0].inputs[1], s[None, :])

    def into_factor(self, n: Node, users: list[Node], fcs: list[Node]) -> None:
        """A gated product into its last factor made by a linear layer (Llama's up_proj)."""
        lin = [p for p in map(self.sole_linear, n.inputs) if p is not None]
        if len(fcs) != len(users) or not lin:
            return
        up = lin[-1]
        s = self.pick(n.outputs[0], [self.g.constants[f.inputs[1]] for f in fcs])
        self.unscale(up.inputs[1], s[:, None])
        self.unscale(up.inputs[2], s)
        for f in fcs:
            self.scale(f.inputs[1], s[None, :])


# the ops other than norms whose output scales fold back into the linear layer that makes one of their inputs
_INTO_PRODUCER = {"matmul_pv_f32": _Migration.into_values, "mul_f32": _Migration.into_factor}


# ---------------------------------------------------------------- AWQ-style activation-aware scale search
AWQ_GRID = tuple(i / 10 for i in range(11))


def awq_scales(h: np.ndarray, act_mean: np.ndarray, weights: list[np.ndarray], bits: int, group_size: int | None,
               asym: bool = False) -> tuple[np.ndarray, float]:
    """s = mean|x|^a / (its geometric normalisation), a searched on AWQ_GRID to minimize the layers' weight-rounding
    output error on the calibration inputs, sum_f tr((W_f - Q(W_f diag s) diag s^-1) H (...)^T), H = X^T X.
    Returns (s, a); a = 0 is no scaling (plain RTN), so the result is never worse than RTN by this measure."""
    best, best_a, best_err = np.ones_like(act_mean), 0.0, np.inf
    base = np.maximum(act_mean, 1e-8)
    for a in AWQ_GRID:
        s = base ** a
        s = s / np.sqrt(s.max() * s.min())
        err = 0.0
        for w in weights:
            d = w.astype(np.float64) - quantize_weight(w * s[None, :], bits, group_size, asym=asym).dequant() / s[None, :]
            err += float(((d @ h) * d).sum())
        if err < best_err:
            best, best_a, best_err = s, a, err
    return np.clip(best, 1e-4, 1e4), best_a


def awq(g: Graph, cal: Calibration, bits: int, group_size: int | None, asym: bool = False) -> Graph:
    """AWQ-style migration: per input channel scales from a searched power of the mean activation magnitude
    (sqrt(E[x^2]) here), folded like SmoothQuant's (norm gains / up_proj rows, W diag(s)). Needs the Gram matrices
    of the fully connected inputs (calibrate with gram_for=fc_inputs(g))."""
    chosen: dict[str, float] = {}

    def search(out: str, ws: list[np.ndarray]) -> np.ndarray:
        if out not in cal.gram:
            raise QuantError(f"AWQ needs the Gram matrix of {out!r}: calibrate with gram_for=fc_inputs(graph)")
        s, a = awq_scales(cal.gram[out] / max(cal.rows[out], 1), np.sqrt(cal.channel_sqmean[out]), ws, bits,
                          group_size, asym=asym)
        chosen[out] = a
        return s

    q = smoothquant(g, cal, scale_search=search)
    q.meta["awq_exponents"] = chosen
    return q


# ---------------------------------------------------------------- second-moment (gamma) correction
def gamma_correction(w: np.ndarray, qw, h: np.ndarray):
    """Hasan's second-moment correction gamma = E[x^2] / E[Q(x)^2], in the form applied here: per output channel n
    of a fully connected layer, x = the float output y_n = w_n . x_in and Q(x) = its quantized-weight output, with
    both second moments taken on the calibration inputs through H = E[x_in x_in^T]:
        gamma_n = (w_n H w_n^T) / (q_n H q_n^T),     unit_n <- unit_n * sqrt(gamma_n)
    (docs/quantization.md says why this form)."""
    wq = qw.dequant()
    num = np.einsum("nk,kj,nj->n", w.astype(np.float64), h, w.astype(np.float64), optimize=True)
    den = np.einsum("nk,kj,nj->n", wq, h, wq, optimize=True)
    gamma = np.where((den > 0) & (num > 0), num / np.maximum(den, 1e-300), 1.0)
    return replace(qw, unit=qw.unit * np.sqrt(gamma)), gamma
