"""What kind of layer a graph node is, from its name (the capture's naming: quant/hf_capture.py), so that per-layer
reports can be summed into a handful of kinds whatever the depth of the model (75 layers of the bundled decoder,
300 of SmolLM2)."""
from __future__ import annotations

import re

# in report order; the first pattern that matches the node name wins
KINDS: tuple[tuple[str, re.Pattern], ...] = tuple((k, re.compile(p, re.IGNORECASE)) for k, p in (
    ("embedding", r"^(embed|embeddings\..*|(\w+\.)?\w+_lookup)$"),
    ("norms", r"(norm$|(^|\.)ln_\w+$)"),
    ("attention projections", r"(\.[qkvo]_proj|\.out_proj|\.attention\.self\.(query|key|value)"
                              r"|\.attention\.output\.dense|\.attn\.([qkv]|c_proj)"
                              r"|\.attention\.([qkv]|dense|(q|k|v|out)_lin))$"),
    ("attention core", r"\.(q_rope|k_rope|scores|softcap|probs|context)$"),
    ("MLP", r"(\.mlp\.\w+|\.intermediate\.\w+|\.output\.dense|\.ffn\.\w+|\.fc[12])$"),
    ("residual adds", r"(residual|\.sum|\.add)$"),
    ("head", r"^(logits|lm_head|classifier)$"),
))
FULLY_CONNECTED = "fully connected"
OTHER = "other"
ORDER = tuple(k for k, _ in KINDS) + (FULLY_CONNECTED, OTHER)


def layer_kind(name: str, macs: int = 0) -> str:
    """The kind of the node called `name`; a node the naming does not place is a fully connected layer when it
    has MACs (the digits MLP's layers are named by their index), else 'other'."""
    for kind, pat in KINDS:
        if pat.search(name):
            return kind
    return FULLY_CONNECTED if macs else OTHER


def sum_by_kind(rows: list[dict], keys: tuple[str, ...], nested: tuple[str, ...] = ()) -> list[dict]:
    """Rows with a "kind" summed per kind, in ORDER: the numbers under `keys`, and the dicts of numbers under
    `nested` key by key; each sum also counts its "layers"."""
    out: dict[str, dict] = {}
    for r in rows:
        g = out.get(r["kind"])
        if g is None:
            g = out[r["kind"]] = {"kind": r["kind"], "layers": 0, **{k: 0 for k in keys}, **{n: {} for n in nested}}
        g["layers"] += 1
        for k in keys:
            g[k] += r.get(k) or 0
        for n in nested:
            for k, v in r[n].items():
                g[n][k] = g[n].get(k, 0) + v
    return sorted(out.values(), key=lambda g: ORDER.index(g["kind"]) if g["kind"] in ORDER else len(ORDER))
