"""The `.igraph` file: a zip with `graph.json` (structure, attributes, quantization parameters) and
`tensors.npz` (constants). Never a pickle: arrays load with allow_pickle=False and the JSON is plain data.
Written with fixed zip timestamps so the same graph gives the same bytes."""
from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from quant.errors import GraphError
from quant.ir import DTYPES, Graph, Node, TensorInfo
from quant.ops.checks import validate

FORMAT = "intgap-igraph"
VERSION = 1
_EPOCH = (1980, 1, 1, 0, 0, 0)


def save_graph(graph: Graph, path: str | Path) -> None:
    validate(graph, integer_only=False)
    doc = {"format": FORMAT, "version": VERSION, "name": graph.name, "inputs": graph.inputs,
           "outputs": graph.outputs, "tensors": [t.to_json() for t in graph.tensors.values()],
           "nodes": [n.to_json() for n in graph.nodes], "meta": graph.meta,
           "constants": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in graph.constants.items()}}
    buf = io.BytesIO()
    np.savez(buf, **{k: np.ascontiguousarray(v) for k, v in sorted(graph.constants.items())})
    path = Path(path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("graph.json", _EPOCH), json.dumps(doc, indent=1, sort_keys=True))
        z.writestr(zipfile.ZipInfo("tensors.npz", _EPOCH), buf.getvalue())
    os.replace(tmp, path)  # never leave a half-written graph under the final name


def _json_int(v, what: str) -> int:
    """An integer from graph.json; 1.5 or true is a hand-edit error, never silently truncated to 1."""
    if type(v) is not int:
        raise ValueError(f"{what} must be an integer, found {v!r}")
    return v


def load_graph(path: str | Path) -> Graph:
    path = Path(path)
    fix = "re-create it with `intgap quantize`"
    try:
        with zipfile.ZipFile(path) as z:
            doc = json.loads(z.read("graph.json"))
            with np.load(io.BytesIO(z.read("tensors.npz")), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise GraphError(f"graph file {path} does not exist") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, ValueError, OSError, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as e:  # zipfile raises the last two for damaged headers
        raise GraphError(f"{path} is not a readable .igraph file ({type(e).__name__}: {e}): {fix}") from None
    try:
        if doc.get("format") != FORMAT:
            raise GraphError(f"{path} is not an intgap graph (format {doc.get('format')!r}): {fix}")
        if type(doc.get("version")) is not int or doc.get("version") != VERSION:
            raise GraphError(f"{path} has graph format version {doc.get('version')}, this intgap reads {VERSION}: {fix}")
        tensors = {}
        for t in doc["tensors"]:
            tensors[t["name"]] = TensorInfo(str(t["name"]), tuple(_json_int(d, "a shape") for d in t["shape"]),
                                            str(t["dtype"]), None if t["scale"] is None else float(t["scale"]),
                                            None if t["zero_point"] is None else _json_int(t["zero_point"], "a zero point"))
        nodes = [Node(str(n["op"]), str(n["name"]), [str(i) for i in n["inputs"]], [str(o) for o in n["outputs"]],
                      dict(n["attrs"])) for n in doc["nodes"]]
        declared = doc["constants"]
        if set(declared) != set(arrays):
            missing = sorted(set(declared) - set(arrays))
            extra = sorted(set(arrays) - set(declared))
            raise GraphError(f"{path}: constant tensors do not match the graph (missing {missing}, unexpected {extra}): {fix}")
        for k, spec in declared.items():
            a = arrays[k]
            if spec["dtype"] not in DTYPES or a.dtype != np.dtype(DTYPES[spec["dtype"]]) or list(a.shape) != list(spec["shape"]):
                raise GraphError(f"{path}: constant {k!r} is {a.dtype}{list(a.shape)}, the graph declares "
                                 f"{spec['dtype']}{spec['shape']}: {fix}")
        g = Graph(str(doc["name"]), [str(i) for i in doc["inputs"]], [str(o) for o in doc["outputs"]],
                  tensors, arrays, nodes, dict(doc.get("meta", {})))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise GraphError(f"{path}: malformed graph.json ({type(e).__name__}: {e}): {fix}") from None
    try:
        validate(g, integer_only=False)
    except GraphError as e:  # the file was damaged or hand-edited: say which file, and how to get a good one
        raise GraphError(f"{path} is not a valid graph: {e}; {fix}") from None
    return g
