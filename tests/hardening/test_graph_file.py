"""Damaged and hand-edited .igraph files: `quant.load_graph` (and `intgap eval`) end in one GraphError that
names the file, the cause and the fix (re-create it with `intgap quantize`); never a traceback, never a graph
that loads and then computes something else."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from intgap.cli import main
from quant import GraphError, capture, load_graph, save_graph
from intgap.models import mlp

from .conftest import one_line_error, pack, unpack

FIX = "re-create it with `intgap quantize`"


def _load(tmp_path, raw: bytes):
    p = tmp_path / "edited.igraph"
    p.write_bytes(raw)
    return load_graph(p)


def _node(doc, name):
    return next(n for n in doc["nodes"] if n["name"] == name)


def _tensor(doc, name):
    return next(t for t in doc["tensors"] if t["name"] == name)


def test_the_unedited_file_loads(tmp_path, graph_bytes):
    g = _load(tmp_path, graph_bytes)
    assert [n.op for n in g.nodes] == ["fully_connected", "fully_connected"]


# ------------------------------------------------------------------------------------ damaged containers

@pytest.mark.parametrize("cut", [0, 10, 100, 400, -30, -1])
def test_truncated_file(tmp_path, graph_bytes, cut):
    with pytest.raises(GraphError, match=r"not a readable \.igraph file .*" + FIX):
        _load(tmp_path, graph_bytes[:cut])


@pytest.mark.parametrize("offset", [0, 30, 60, 200, -60, -20])
def test_corrupted_bytes(tmp_path, graph_bytes, offset):
    raw = bytearray(graph_bytes)
    for i in range(offset, offset + 4):
        raw[i] ^= 0xA5
    with pytest.raises(GraphError, match=FIX):
        _load(tmp_path, bytes(raw))


@pytest.mark.parametrize("header_offset,value", [
    (4, 0xFF),  # "version needed to extract" far above what zipfile reads: NotImplementedError before
    (6, 0x20),  # flag bit 5 (compressed patched data): NotImplementedError before
    (8, 0x63),  # an unknown compression method: NotImplementedError before
    (6, 0x01),  # flag bit 0: encrypted entry, zipfile wants a password (RuntimeError)
])
def test_unsupported_zip_features(tmp_path, graph_bytes, header_offset, value):
    """Found by fuzzing: these zip header fields raised NotImplementedError / RuntimeError tracebacks."""
    raw = bytearray(graph_bytes)
    cd = raw.rfind(b"PK\x01\x02")  # central directory entry of the first member
    raw[cd + 2 + header_offset] = value
    raw[header_offset] = value  # and the local header
    with pytest.raises(GraphError, match=r"not a readable \.igraph file .*" + FIX):
        _load(tmp_path, bytes(raw))


def test_not_a_zip(tmp_path):
    with pytest.raises(GraphError, match=r"not a readable \.igraph file \(BadZipFile"):
        _load(tmp_path, b'{"format": "intgap-igraph"}')


def test_missing_file(tmp_path):
    with pytest.raises(GraphError, match="does not exist"):
        load_graph(tmp_path / "nope.igraph")


@pytest.mark.parametrize("member", ["graph.json", "tensors.npz"])
def test_missing_member(tmp_path, graph_bytes, member):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(graph_bytes)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            if name != member:
                zout.writestr(name, zin.read(name))
    with pytest.raises(GraphError, match=f"KeyError.*{member}.*{FIX}"):
        _load(tmp_path, out.getvalue())


def test_graph_json_is_not_json(tmp_path, graph_bytes):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(graph_bytes)) as zin, zipfile.ZipFile(out, "w") as zout:
        zout.writestr("graph.json", b"{'format': 'intgap-igraph',")
        zout.writestr("tensors.npz", zin.read("tensors.npz"))
    with pytest.raises(GraphError, match=f"JSONDecodeError.*{FIX}"):
        _load(tmp_path, out.getvalue())


def test_pickled_arrays_are_refused_and_not_executed(tmp_path, graph_bytes):
    """An object array in tensors.npz is a pickle: it is refused (allow_pickle=False), its code never runs."""
    doc, arrays = unpack(graph_bytes)
    marker = tmp_path / "pickle-ran"

    class Payload:
        def __reduce__(self):
            return (marker.touch, ())

    arrays["0.bias"] = np.array([Payload()], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # np.savez pickles object arrays
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        import json
        z.writestr("graph.json", json.dumps(doc))
        z.writestr("tensors.npz", buf.getvalue())
    with pytest.raises(GraphError, match=f"not a readable .igraph file .*pickle.*{FIX}"):
        _load(tmp_path, out.getvalue())
    assert not marker.exists()


def test_a_pickle_named_igraph(tmp_path):
    p = tmp_path / "model.igraph"
    p.write_bytes(pickle.dumps({"format": "intgap-igraph"}))
    with pytest.raises(GraphError, match="not a readable .igraph file"):
        load_graph(p)


# ------------------------------------------------------------------------------------ hand-edited graph.json

def _edit_doc(edit):
    def apply(doc, arrays):
        edit(doc)
    return apply


def _edit_arrays(edit):
    def apply(doc, arrays):
        edit(doc, arrays)
    return apply


def _set_const(name, value, dtype=None):
    def edit(doc, arrays):
        a = arrays[name].copy() if dtype is None else arrays[name].astype(dtype)
        a[...] = value
        arrays[name] = a
        if dtype is not None:
            doc["constants"][name]["dtype"] = np.dtype(dtype).name
    return _edit_arrays(edit)


def _replace_const(name, new):
    def edit(doc, arrays):
        arrays[name] = new
        doc["constants"][name] = {"dtype": new.dtype.name, "shape": list(new.shape)}
    return _edit_arrays(edit)


def _set_attr(node, key, value):
    return _edit_doc(lambda d: _node(d, node)["attrs"].__setitem__(key, value))


def _set_tensor(name, key, value):
    return _edit_doc(lambda d: _tensor(d, name).__setitem__(key, value))


def _drop_const(name, from_npz=True, from_json=True):
    def edit(doc, arrays):
        if from_npz:
            del arrays[name]
        if from_json:
            del doc["constants"][name]
    return _edit_arrays(edit)


EDITS = {
    # format and version
    "wrong format": (_edit_doc(lambda d: d.__setitem__("format", "onnx")), "is not an intgap graph"),
    "newer version": (_edit_doc(lambda d: d.__setitem__("version", 2)), "graph format version 2, this intgap reads 1"),
    "version true": (_edit_doc(lambda d: d.__setitem__("version", True)), "graph format version True"),
    # wrong JSON types
    "graph.json is a list": (lambda doc, arrays: doc.clear(), "malformed graph.json"),
    "nodes is a dict": (_edit_doc(lambda d: d.__setitem__("nodes", {"a": 1})), "malformed graph.json"),
    "tensors is a number": (_edit_doc(lambda d: d.__setitem__("tensors", 3)), "malformed graph.json"),
    "shape is a string": (_set_tensor("input", "shape", "1x13"), "malformed graph.json"),
    "shape 1.5": (_set_tensor("input", "shape", [1.5, 13]), r"a shape must be an integer, found 1\.5"),
    "shape true": (_set_tensor("input", "shape", [True, 13]), "a shape must be an integer, found True"),
    "zero point 1.5": (_set_tensor("input", "zero_point", 15.5), r"a zero point must be an integer, found 15\.5"),
    "scale a string": (_set_tensor("input", "scale", "big"), "malformed graph.json"),
    "attrs a list": (_edit_doc(lambda d: _node(d, "0").__setitem__("attrs", [1, 2])), "malformed graph.json"),
    "attr a string": (_set_attr("0", "act_min", "-128"), "attribute act_min='-128' must be an int8 value"),
    "attr true": (_set_attr("2", "x_zero_point", True), "attribute x_zero_point=True must be an int8 value"),
    "attr a float": (_set_attr("0", "y_zero_point", -127.5), r"attribute y_zero_point=-127\.5 must be an int8"),
    # dtypes
    "unknown tensor dtype": (_set_tensor("0.out", "dtype", "int7"), "unknown dtype 'int7'"),
    "float activation into an int8 op": (_set_tensor("0.out", "dtype", "float32"), "node '0' .*output '0.out' is float32, must be int8"),
    "declared dtype differs from the array": (_edit_arrays(lambda d, a: a.__setitem__("0.weight", a["0.weight"].astype(np.int16))),
                                              r"constant '0.weight' is int16\[7, 13\], the graph declares int8"),
    "weights stored as int32": (_set_const("2.weight", 1, np.int32), "'2.weight' is int32, must be int8"),
    "unknown constant dtype": (_edit_doc(lambda d: d["constants"]["0.bias"].__setitem__("dtype", "int64")),
                               "constant '0.bias' is int32.*declares int64"),
    # shapes
    "weight does not chain": (_replace_const("2.weight", np.ones((5, 8), np.int8)), "do not chain"),
    "bias of the wrong length": (_replace_const("0.bias", np.zeros(6, np.int32)), "bias .* do not match weight"),
    "multiplier of the wrong length": (_replace_const("2.multiplier", np.full(4, 1 << 30, np.int32)), "must have shape"),
    "output shape edited": (_set_tensor("2.out", "shape", [1, 6]), "do not match weight"),
    "negative dimension": (_set_tensor("input", "shape", [1, -13]), "non-positive dimension"),
    "declared shape differs from the array": (_edit_doc(lambda d: d["constants"]["0.weight"].__setitem__("shape", [13, 7])),
                                              r"constant '0.weight' is int8\[7, 13\], the graph declares"),
    # quantization parameters
    "NaN scale": (_set_tensor("0.out", "scale", float("nan")), "scale nan: scales must be finite and positive"),
    "inf scale": (_set_tensor("input", "scale", float("inf")), "scale inf: scales must be finite and positive"),
    "negative scale": (_set_tensor("input", "scale", -0.5), "scale -0.5: scales must be finite and positive"),
    "zero scale": (_set_tensor("input", "scale", 0.0), "scale 0.0: scales must be finite and positive"),
    "zero point outside int8": (_set_tensor("input", "zero_point", 200), "zero point 200 outside int8"),
    "negative multiplier": (_set_const("0.multiplier", -5), "multipliers must be non-negative"),
    "shift too large": (_set_const("0.shift", 40), r"shifts must lie in \["),
    "shift too small": (_set_const("2.shift", -40), r"shifts must lie in \["),
    "act_min above act_max": (_edit_doc(lambda d: _node(d, "0")["attrs"].update(act_min=100, act_max=50)),
                              "act_min > act_max"),
    "attr out of int8": (_set_attr("0", "act_max", 300), "act_max=300 must be an int8 value"),
    "node zero point differs from its tensor": (_set_attr("2", "x_zero_point", 0),
                                                "x_zero_point=0 differs from tensor '0.out'"),
    "output zero point differs from its tensor": (_set_tensor("2.out", "zero_point", 0),
                                                  "y_zero_point=.* differs from tensor '2.out'"),
    # int4 and int8 weight ranges
    "weight -128": (_set_const("0.weight", -128), r"8-bit weights must lie in \[-127, 127\]"),
    "int4 weights out of range": (_set_attr("0", "weight_bits", 4), r"4-bit weights must lie in \[-8, 7\]"),
    "weight_bits 3": (_set_attr("0", "weight_bits", 3), "weight_bits must be 4 or 8, got 3"),
    "int32 overflow possible": (_set_const("0.bias", 2**31 - 1), "can overflow the int32 accumulator"),
    # missing pieces
    "constant missing from tensors.npz": (_drop_const("0.bias", from_json=False), r"missing \['0.bias'\]"),
    "constant missing everywhere": (_drop_const("2.multiplier"), "input '2.multiplier' is not produced"),
    "undeclared extra array": (_edit_arrays(lambda d, a: a.__setitem__("extra", np.zeros(3, np.int8))),
                               r"unexpected \['extra'\]"),
    "tensor description removed": (_edit_doc(lambda d: d["tensors"].remove(_tensor(d, "0.out"))),
                                   "output '0.out' has no tensor description"),
    "graph input removed": (_edit_doc(lambda d: d["tensors"].remove(_tensor(d, "input"))),
                            "graph input/output 'input' has no tensor description"),
    "node removed": (_edit_doc(lambda d: d["nodes"].pop(0)), "input '0.out' is not produced"),
    "nodes out of order": (_edit_doc(lambda d: d["nodes"].reverse()), "input '0.out' is not produced"),
    "output never produced": (_edit_doc(lambda d: d.__setitem__("outputs", ["nowhere"])),
                              "graph input/output 'nowhere' has no tensor description"),
    "node key missing": (_edit_doc(lambda d: _node(d, "0").pop("inputs")), "malformed graph.json .*KeyError"),
    "attribute missing": (_edit_doc(lambda d: _node(d, "0")["attrs"].pop("y_zero_point")),
                          "missing attribute 'y_zero_point'"),
    "an input dropped": (_edit_doc(lambda d: _node(d, "2")["inputs"].pop()), "expects inputs"),
    # ops
    "unknown op": (_edit_doc(lambda d: _node(d, "0").__setitem__("op", "conv2d")), "unknown op; supported: "),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_hand_edited_graph(tmp_path, graph_bytes, case):
    edit, expect = EDITS[case]
    doc, arrays = unpack(graph_bytes)
    edit(doc, arrays)
    if case == "graph.json is a list":
        doc = [1, 2]
    with pytest.raises(GraphError, match=expect) as e:
        _load(tmp_path, pack(doc, arrays))
    msg = str(e.value)
    assert "edited.igraph" in msg and FIX in msg, msg  # the file and the fix are named
    assert "\n" not in msg


def test_nan_in_float_constants(tmp_path):
    fg = capture(mlp((4, 3)), 4)
    p = tmp_path / "f.igraph"
    save_graph(fg, p)
    doc, arrays = unpack(p.read_bytes())
    arrays["0.weight"][1, 2] = np.nan
    with pytest.raises(GraphError, match=f"constant '0.weight' contains NaN or inf.*{FIX}"):
        _load(tmp_path, pack(doc, arrays))


def test_float_graph_refused_where_integer_only_is_required(tmp_path):
    from quant.ops.checks import validate
    with pytest.raises(GraphError, match="is a float op: an integer-only graph may not contain it; quantize"):
        validate(capture(mlp((4, 3)), 4), integer_only=True)


# ------------------------------------------------------------------------------------ through the CLI

def test_cli_eval_of_a_damaged_graph(tmp_path, graph_bytes, capsys):
    p = tmp_path / "bad.igraph"
    p.write_bytes(graph_bytes[:200])
    assert main(["eval", str(p)]) == 2
    line = one_line_error(capsys)
    assert "bad.igraph is not a readable .igraph file" in line and FIX in line


def test_cli_eval_of_a_hand_edited_graph(tmp_path, graph_bytes, capsys):
    doc, arrays = unpack(graph_bytes)
    _tensor(doc, "input")["scale"] = float("nan")
    p = tmp_path / "nan.igraph"
    p.write_bytes(pack(doc, arrays))
    assert main(["eval", str(p)]) == 2
    assert "scales must be finite and positive" in one_line_error(capsys)


def test_cli_compile_of_a_damaged_graph(tmp_path, graph_bytes, capsys):
    p = tmp_path / "cut.igraph"
    p.write_bytes(graph_bytes[:-40])
    assert main(["compile", "--model", str(p), "--target", "cortex-m4", "-o", str(tmp_path / "fw")]) == 2
    assert "cut.igraph is not a readable .igraph file" in one_line_error(capsys)
    assert main(["compile", "--model", str(tmp_path / "none.igraph"), "--target", "cortex-m4",
                 "-o", str(tmp_path / "fw")]) == 2
    assert "none.igraph does not exist: create it with `intgap quantize`" in one_line_error(capsys)
