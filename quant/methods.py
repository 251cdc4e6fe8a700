"""Quantization methods applied on top of PTQ (quant/transformer_ptq.py):

- smoothquant(g, cal, alpha): migrates activation outliers into the weights, s_j = max|X_j|^alpha / max|W_j|^(1-alpha),
  X' = X diag(s)^-1 folded into the producing norm's gamma/beta (or into the producing V projection), W' = W diag(s).
  Exact in float: X W^T = (X diag(s)^-1)(W diag(s))^T. A norm whose output also feeds a non-FC op (BERT's post-LN
  residual) is duplicated: the smoothed copy feeds the FCs, the original the rest.
"""
from __future__ import annotations

import copy

import numpy as np

from quant.errors import QuantError
from quant.ir import Graph, Node
from quant.observers import Calibration
from quant.optable import Group, in_group


def _consumers(g: Graph) -> dict[str, list[Node]]:
    c: dict[str, list[Node]] = {}
    for n in g.nodes:
        for i in n.inputs:
            c.setdefault(i, []).append(n)
    return c


def smooth_scales(xmax: np.ndarray, weights: list[np.ndarray], alpha: float) -> np.ndarray:
    wmax = np.max([np.abs(w).max(axis=0) for w in weights], axis=0)
    s = np.power(np.maximum(xmax, 1e-5), alpha) / np.power(np.maximum(wmax, 1e-5), 1 - alpha)
    return np.clip(s, 1e-4, 1e4)


def smoothquant(g: Graph, cal: Calibration, alpha: float = 0.5, scale_search=None) -> Graph:
    """scale_search(input tensor, [weights]) -> s replaces SmoothQuant's formula (AWQ); it skips V -> o_proj."""
    pick = scale_search or (lambda out, ws: smooth_scales(cal.channel_absmax[out], ws, alpha))
    g = Graph(g.name, list(g.inputs), list(g.outputs), dict(g.tensors), dict(g.constants),
              [Node(n.op, n.name, list(n.inputs), list(n.outputs), dict(n.attrs)) for n in g.nodes], dict(g.meta))
    cons = _consumers(g)
    new_nodes: list[Node] = []
    producers = {n.outputs[0]: n for n in g.nodes}
    for n in g.nodes:
        new_nodes.append(n)
        out = n.outputs[0]
        users = cons.get(out, [])
        fcs = [u for u in users if u.op == "fully_connected_f32" and u.inputs[0] == out]
        if not fcs or out not in cal.channel_absmax:
            continue
        if in_group(n.op, Group.NORM):
            s = pick(out, [g.constants[f.inputs[1]] for f in fcs])
            others = [u for u in users if u not in fcs]
            target = n
            if others or out in g.outputs:  # keep the original for the other users, add a smoothed copy
                target = Node(n.op, f"{n.name}.smoothed", list(n.inputs), [f"{out}.smoothed"], dict(n.attrs))
                g.tensors[target.outputs[0]] = copy.copy(g.tensors[out])
                g.tensors[target.outputs[0]].name = target.outputs[0]
                new_nodes.append(target)
                for f in fcs:
                    f.inputs[0] = target.outputs[0]
            for k, key in enumerate(target.inputs[1:]):
                newkey = f"{key}.sq" if target is not n else key
                g.constants[newkey] = (g.constants[key] / s).astype(np.float32)
                target.inputs[1 + k] = newkey
            for f in fcs:
                g.constants[f.inputs[1]] = (g.constants[f.inputs[1]] * s[None, :]).astype(np.float32)
        elif n.op == "matmul_pv_f32" and len(fcs) == len(users) == 1 and scale_search is None:
            v_prod = producers.get(n.inputs[1])
            if v_prod is None or v_prod.op != "fully_connected_f32" or len(cons[v_prod.outputs[0]]) != 1:
                continue
            h, hkv, hd = n.attrs["heads"], n.attrs["kv_heads"], n.attrs["head_dim"]
            xmax = cal.channel_absmax[out]
            wo = g.constants[fcs[0].inputs[1]]
            if h != hkv:  # context channel h*hd+c comes from kv head h // (h/hkv): one scale per kv channel
                xmax = xmax.reshape(hkv, h // hkv, hd).max(axis=1).reshape(-1)
                wmax = np.abs(wo).max(axis=0).reshape(hkv, h // hkv, hd).max(axis=1).reshape(-1)
                s_kv = np.clip(np.power(np.maximum(xmax, 1e-5), alpha) / np.power(np.maximum(wmax, 1e-5), 1 - alpha),
                               1e-4, 1e4)
                s = np.repeat(s_kv.reshape(hkv, 1, hd), h // hkv, axis=1).reshape(-1)
            else:
                s_kv = s = smooth_scales(xmax, [wo], alpha)
            g.constants[v_prod.inputs[1]] = (g.constants[v_prod.inputs[1]] / s_kv[:, None]).astype(np.float32)
            g.constants[v_prod.inputs[2]] = (g.constants[v_prod.inputs[2]] / s_kv).astype(np.float32)
            g.constants[fcs[0].inputs[1]] = (wo * s[None, :]).astype(np.float32)
        elif n.op == "mul_f32" and len(fcs) == len(users):
            lin = [producers.get(i) for i in n.inputs]
            lin = [p for p in lin if p is not None and p.op == "fully_connected_f32" and len(cons[p.outputs[0]]) == 1]
            if not lin:
                continue
            up = lin[-1]
            s = pick(out, [g.constants[f.inputs[1]] for f in fcs])
            g.constants[up.inputs[1]] = (g.constants[up.inputs[1]] / s[:, None]).astype(np.float32)
            g.constants[up.inputs[2]] = (g.constants[up.inputs[2]] / s).astype(np.float32)
            for f in fcs:
                g.constants[f.inputs[1]] = (g.constants[f.inputs[1]] * s[None, :]).astype(np.float32)
    g.nodes = new_nodes
    g.meta = {**g.meta, "smoothquant_alpha": alpha}
    return g


# ---------------------------------------------------------------- AWQ-style activation-aware scale search
AWQ_GRID = tuple(i / 10 for i in range(11))


def awq_scales(h: np.ndarray, act_mean: np.ndarray, weights: list[np.ndarray], bits: int, group_size: int | None,
               grid: tuple[float, ...] = AWQ_GRID, asym: bool = False) -> tuple[np.ndarray, float]:
    """s = mean|x|^a / (its geometric normalisation), a searched on `grid` to minimize the layers' weight-rounding
    output error on the calibration inputs, sum_f tr((W_f - Q(W_f diag s) diag s^-1) H (...)^T), H = X^T X.
    Returns (s, a); a = 0 is no scaling (plain RTN), so the result is never worse than RTN by this measure."""
    from quant.transformer_ptq import quantize_weight

    best, best_a, best_err = np.ones_like(act_mean), 0.0, np.inf
    base = np.maximum(act_mean, 1e-8)
    for a in grid:
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
    q.meta = {k: v for k, v in q.meta.items() if k != "smoothquant_alpha"}
    q.meta["awq_exponents"] = chosen
    return q


# ---------------------------------------------------------------- second-moment (gamma) correction
def gamma_correction(w: np.ndarray, qw, h: np.ndarray):
    """Hasan's second-moment correction gamma = E[x^2] / E[Q(x)^2], in the form applied here: per output channel n
    of a fully connected layer, x = the float output y_n = w_n . x_in and Q(x) = its quantized-weight output, with
    both second moments taken on the calibration inputs through H = E[x_in x_in^T]:
        gamma_n = (w_n H w_n^T) / (q_n H q_n^T),     unit_n <- unit_n * sqrt(gamma_n)
    (sqrt: gamma is a ratio of energies, the unit scales amplitudes). Why this form: rounding noise adds energy to
    the output, and norms and softmax downstream read that energy; per channel matches the per-channel grid; and
    folded into the unit scale it changes only the requantization multiplier, so the integer graph, its ops and
    their cost stay exactly the same."""
    from dataclasses import replace

    wq = qw.dequant()
    num = np.einsum("nk,kj,nj->n", w.astype(np.float64), h, w.astype(np.float64), optimize=True)
    den = np.einsum("nk,kj,nj->n", wq, h, wq, optimize=True)
    gamma = np.where((den > 0) & (num > 0), num / np.maximum(den, 1e-300), 1.0)
    return replace(qw, unit=qw.unit * np.sqrt(gamma)), gamma
