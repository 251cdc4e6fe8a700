"""What OPT and GPT-NeoX / Pythia add to the export capture's rules (docs/capture.md "OPT, GPT-NeoX"):
- GPT-NeoX's fused `query_key_value`, viewed as [T, heads, 3 * head_dim] and chunked in three: q, k and v are the
  features of every head's thirds, so each becomes a row selection of the one weight;
- partial rotary (`rotary_pct`, `partial_rotary_factor`): only the first rotary_dim features of each head rotate.
  No new op: q's and k's weight rows are reordered within each head so that rope's rotate-half over the whole
  head (pairs i, i + head_dim / 2) rotates the rotary pairs (j, j + rotary_dim / 2) and meets the other features
  in pairs whose table entries are cos 1, sin 0: a * 1 - b * 0 = a in float and, at Q14, exactly the requantization
  of a rotated feature. q and k are reordered alike within each head, so q k^T is unchanged, and v is not;
- OPT's learned positions looked up at position + 2 (`offset`): the table from row 2 on, looked up by the positions.
"""
from __future__ import annotations

import numpy as np
import torch

from quant.errors import UnsupportedOp
from quant.export_capture import GLUE, Positional, op_name


def chunk_rows(cap, lin, nodes: list) -> np.ndarray | None:
    """The rows of `lin`'s weight one chunk piece among `nodes` takes when `lin`'s features are viewed as groups
    of D (one per head) and each group is chunked along D: GPT-NeoX's q, k, v. None when no chunk of lin is there."""
    for g in nodes:
        if op_name(g) != "getitem" or op_name(g.args[0]) != "chunk" or cap.root(g.args[0].args[0]) is not lin:
            continue
        ch = g.args[0]
        x, parts = ch.args[0], int(ch.args[1])
        dim = (list(ch.args) + [0, 0])[2]
        shape = tuple(x.meta["val"].shape)
        width, d = int(lin.meta["val"].shape[-1]), int(shape[-1])
        if dim not in (-1, len(shape) - 1) or d % parts or width % d or not _splits_features(cap, x, lin, d):
            raise UnsupportedOp(f"{linear_name(cap, lin)}: a fused projection chunked other than along the "
                                "features of each head")
        piece, i = d // parts, int(g.args[1])
        return np.concatenate([np.arange(h * d + i * piece, h * d + (i + 1) * piece) for h in range(width // d)])
    return None


def _splits_features(cap, x, lin, d: int) -> bool:
    """x is lin's output with its features cut into groups of d (views; transposes that keep the last dim)."""
    while x is not lin:
        last = len(x.meta["val"].shape) - 1
        if op_name(x) == "transpose" and any(a in (-1, last) for a in x.args[1:3]):
            return False
        if op_name(x) == "permute" and list(x.args[1])[-1] not in (-1, last):
            return False
        if int(x.meta["val"].shape[-1]) not in (d, int(lin.meta["val"].shape[-1])):
            return False
        x = cap.through(x)
        if x is None:
            return False
    return True


def linear_name(cap, n) -> str:
    c = cap.innermost(n)
    return c.path if c else n.name


def rotary_order(hd: int, rd: int) -> np.ndarray:
    """Within one head: which model feature sits at each position so that rotate-half over hd features (pairs i,
    i + hd / 2) rotates the model's pairs (j, j + rd / 2), j < rd / 2, and pairs the other hd - rd features with
    each other (positions rd / 2 .. hd / 2 of each half, where the tables hold cos 1, sin 0)."""
    half, rest = rd // 2, (hd - rd) // 2
    return np.concatenate([np.arange(0, half), np.arange(rd, rd + rest),
                           np.arange(half, rd), np.arange(rd + rest, hd)])


def rotary_rows(rows, width: int, heads: int, hd: int, rd: int) -> np.ndarray:
    """`rows` (a slice, an index array or None for all `width` features) reordered within each of `heads` heads."""
    base = np.arange(width)[rows] if not isinstance(rows, np.ndarray) else rows
    order = rotary_order(hd, rd)
    return np.concatenate([base[h * hd + order] for h in range(heads)])


def pass_through_tables(tc: np.ndarray, ts: np.ndarray, hd: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables of rd / 2 columns widened to hd / 2: cos 1, sin 0 for the features that do not rotate."""
    extra = hd // 2 - tc.shape[1]
    one, zero = np.ones((tc.shape[0], extra), np.float32), np.zeros((ts.shape[0], extra), np.float32)
    return np.concatenate([tc, one], 1), np.concatenate([ts, zero], 1)


def position_offset(cap, idx) -> int | None:
    """c when an embedding's index is positions + c (OPT's learned positions: c = 2), None otherwise."""
    if op_name(idx) != "add" or len(idx.args) != 2:
        return None
    pos = [a for a in map(_up, idx.args) if isinstance(a, torch.fx.Node) and
           isinstance(cap.env.get(a), Positional) and cap.env[a].act is not None]
    c = [a for a in idx.args if isinstance(a, int)]
    return int(c[0]) if len(pos) == 1 and len(c) == 1 and c[0] >= 0 else None


def _up(n):
    """n with the one-input views above it skipped (slices of the positions included)."""
    while isinstance(n, torch.fx.Node) and n.op == "call_function" and op_name(n) in GLUE and \
            len(n.all_input_nodes) == 1:
        n = n.all_input_nodes[0]
    return n


def is_scalar_mul(n) -> bool:
    """x * c with c a number (OPT's q_proj(x) * head_dim ** -0.5)."""
    return op_name(n) == "mul" and len(n.all_input_nodes) == 1 and len(n.args) == 2 and \
        any(isinstance(a, (int, float)) and not isinstance(a, bool) for a in n.args)


def scalar_factor(nodes: list) -> tuple[float, int]:
    """The product of the numbers q, k or v is multiplied by among `nodes` (folded into the attention's scale) and
    how many such multiplications there are."""
    muls = [n for n in nodes if is_scalar_mul(n)]
    f = 1.0
    for n in muls:
        f *= float(next(a for a in n.args if isinstance(a, (int, float))))
    return f, len(muls)
