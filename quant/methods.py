"""Quantization methods applied on top of PTQ (quant/transformer_ptq.py):

- smoothquant(g, cal, alpha): migrates activation outliers into the weights, s_j = max|X_j|^alpha / max|W_j|^(1-alpha),
  X' = X diag(s)^-1 folded into the producing norm's gamma/beta (or into the producing V projection), W' = W diag(s).
  Exact in float: X W^T = (X diag(s)^-1)(W diag(s))^T. A norm whose output also feeds a non-FC op (BERT's post-LN
  residual) is duplicated: the smoothed copy feeds the FCs, the original the rest.
"""
from __future__ import annotations

import copy

import numpy as np

from quant.ir import Graph, Node
from quant.observers import Calibration


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


def smoothquant(g: Graph, cal: Calibration, alpha: float = 0.5) -> Graph:
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
        if n.op in ("layernorm_f32", "rmsnorm_f32"):
            s = smooth_scales(cal.channel_absmax[out], [g.constants[f.inputs[1]] for f in fcs], alpha)
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
        elif n.op == "matmul_pv_f32" and len(fcs) == len(users) == 1:
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
    g.nodes = new_nodes
    g.meta = {**g.meta, "smoothquant_alpha": alpha}
    return g
