"""embedding: ids int32 [T], table int8/int16/int32 [V, C] -> y [T, C] of the table's dtype: y[t] = table[ids[t]].
An id outside [0, V) is an error (the C kernel returns an error code; the reference raises GraphError)."""
from __future__ import annotations

import numpy as np

from quant.errors import GraphError


def embedding(node, out_dtype, ids, table):
    ids = np.asarray(ids).astype(np.int64).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise GraphError(f"node {node.name!r}: token id out of range [0, {table.shape[0]}): check the tokenizer")
    return table[ids]
