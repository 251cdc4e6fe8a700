"""Hypothesis strategies that damage a valid .igraph: edits of graph.json (any field, any JSON type), of the
arrays in tensors.npz (dtype, shape, extreme values, missing or extra arrays) and of the zip bytes. Shared by
tests/hardening/test_fuzz_graph_loader.py (a short run) and benchmarks/fuzz_graph_loader.py (>= 10,000 inputs)."""
from __future__ import annotations

import copy
import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from codegen import CodegenError
from quant import GraphError, QuantError, load_graph

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 4, 8, 31, 32, 127, 128, -128, -129, 255, 2**31 - 1, 2**31, -(2**31) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["int8", "int4", "int16", "int32", "float32", "float64", "uint8", "bool", "object", "",
                     "input", "0.out", "2.out", "0.weight", "fully_connected", "relu", "softmax", "conv2d"]),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                               st.dictionaries(st.text(max_size=6), kids, max_size=4)),
                           max_leaves=8)
EXTREMES = [0, 1, -1, 7, 8, -8, -9, 127, -127, -128, 2**15, 2**30, 2**31 - 1, -(2**31), 40, -40, 31, -31]


def unpack(raw: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        doc = json.loads(z.read("graph.json"))
        with np.load(io.BytesIO(z.read("tensors.npz")), allow_pickle=False) as npz:
            return doc, {k: npz[k] for k in npz.files}


def pack(doc, arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("graph.json", json.dumps(doc))
        z.writestr("tensors.npz", buf.getvalue())
    return out.getvalue()


def _paths(doc) -> list[tuple]:
    out = []

    def walk(o, p):
        out.append(p)
        if isinstance(o, dict):
            for k in sorted(o):
                walk(o[k], p + (k,))
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, p + (i,))
    walk(doc, ())
    return out[1:]


@st.composite
def json_edit(draw, doc):
    doc = copy.deepcopy(doc)
    path = draw(st.sampled_from(_paths(doc)))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    old = parent[path[-1]]
    action = draw(st.sampled_from(["replace", "replace", "delete", "nudge", "duplicate"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "nudge" and isinstance(old, (int, float)) and not isinstance(old, bool):
        parent[path[-1]] = old + draw(st.sampled_from([-1, 1, -128, 128, 0.5, 2**31]))
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(old))
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return doc


@st.composite
def array_edit(draw, doc, arrays):
    doc, arrays = copy.deepcopy(doc), dict(arrays)
    name = draw(st.sampled_from(sorted(arrays)))
    a = arrays[name]
    action = draw(st.sampled_from(["dtype", "dtype+declare", "shape", "shape+declare", "value", "drop", "extra"]))
    if action.startswith("dtype"):
        dt = np.dtype(draw(st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "float32", "float64", "bool"])))
        a = a.astype(dt)
        if action.endswith("declare"):
            doc["constants"][name]["dtype"] = dt.name
    elif action.startswith("shape"):
        flat = a.reshape(-1)
        n = draw(st.integers(0, flat.size + 2))
        a = np.resize(flat, n)
        if a.ndim and n and draw(st.booleans()) and n % 2 == 0:
            a = a.reshape(2, n // 2)
        if action.endswith("declare"):
            doc["constants"][name]["shape"] = list(a.shape)
    elif action == "value" and a.size:
        a = a.copy()
        v = draw(st.sampled_from(EXTREMES)) if a.dtype.kind in "iu" else draw(st.floats(allow_nan=True))
        info = np.iinfo(a.dtype) if a.dtype.kind in "iu" else None
        if info is not None:
            v = int(np.clip(v, info.min, info.max))
        if draw(st.booleans()):
            a.reshape(-1)[draw(st.integers(0, a.size - 1))] = v
        else:
            a[...] = v
    elif action == "drop":
        del arrays[name]
        if draw(st.booleans()):
            doc["constants"].pop(name, None)
    else:
        arrays[name + ".extra"] = a
    arrays[name] = a if action != "drop" else arrays.get(name)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    return doc, arrays


@st.composite
def byte_edit(draw, raw: bytes):
    b = bytearray(raw)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        if not b:
            break
        i = draw(st.integers(0, len(b) - 1))
        if kind == "flip":
            b[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            b[i] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del b[i:]
        elif kind == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            del b[i:i + draw(st.integers(1, 16))]
    return bytes(b)


def damaged_graphs(raw: bytes):
    """The strategy: a valid .igraph's bytes with one to three edits of any kind."""
    doc, arrays = unpack(raw)

    @st.composite
    def strategy(draw):
        kind = draw(st.sampled_from(["json", "json", "json2", "arrays", "arrays+json", "bytes"]))
        if kind == "bytes":
            return draw(byte_edit(raw))
        d, a = doc, arrays
        if kind in ("json", "json2", "arrays+json"):
            d = draw(json_edit(d))
        if kind == "json2":
            d = draw(json_edit(d)) if _paths(d) else d
        if kind.startswith("arrays"):
            d2, a = draw(array_edit(doc, arrays))
            if kind == "arrays":
                d = d2
        return pack(d, a)
    return strategy()


def check_loader(data: bytes, workdir: Path) -> str:
    """The oracle. Loading either fails with GraphError, or gives a graph that the reference interpreter and the
    C emitter accept or refuse with their own documented errors. Anything else propagates (a crash).
    Returns 'rejected' or 'loaded'."""
    import isa
    from codegen import emit_program
    from quant import reference
    p = workdir / "fuzz.igraph"
    p.write_bytes(data)
    try:
        g = load_graph(p)
    except GraphError:
        return "rejected"
    try:
        x = np.zeros(g.tensors[g.inputs[0]].shape, np.int8 if g.is_integer else np.float32)
        reference.run(g, {g.inputs[0]: x})
        with tempfile.TemporaryDirectory(dir=workdir) as td:
            emit_program(g, isa.get_target("cortex-m4"), Path(td))
    except (QuantError, CodegenError):
        pass
    return "loaded"
