"""Random small integer graphs of every integer op of the op table (quant/optable.py), for the kernels'
bit-exactness tests and the kernel benchmarks: shapes that are not multiples of any vector length, every input /
output width the op takes, random zero points, clamps and requantization parameters inside the bounds
quant/ops/checks.py enforces (some saturating). An op with a generator here gets its hand-tuned cases; any other op
gets cases from its declaration alone (declared_case). `expected_bytes` is the reference interpreter's output.

    from benchmarks.op_cases import random_case, op_names
    g, inputs = random_case("softmax", np.random.default_rng(0))
"""
from __future__ import annotations

import math

import numpy as np

from quant import reference
from quant.errors import GraphError
from quant.ir import DTYPES, Graph, Node, TensorInfo
from quant.ops.checks import validate
from quant.ops.fixed import fixed_multiplier, quantize_multiplier
from quant.optable import OPTABLE

INT = ("int8", "int16", "int32")
BITS = {"int8": 8, "int16": 16, "int32": 32}
# the ops with a hand-written generator, in the order the seeded tests draw them
HAND_WRITTEN = ("fully_connected_wide", "add", "mul", "gelu", "silu", "layernorm", "rmsnorm", "rope", "embedding",
                "matmul_qk", "softmax", "matmul_pv", "fully_connected_asym", "fully_connected_dynamic",
                "channel_gather", "softcap", "head_rmsnorm", "fully_connected", "fully_connected_grouped")


def op_names() -> tuple[str, ...]:
    """Every integer op of the op table: the hand-written ones first, then the others (declared_case)."""
    integer = [n for n, o in OPTABLE.items() if not o.is_float]
    return tuple(n for n in HAND_WRITTEN if n in integer) + tuple(n for n in integer if n not in HAND_WRITTEN)


OP_NAMES = op_names()


def _info(dt: str) -> np.iinfo:
    return np.iinfo(DTYPES[dt])


def _values(rng, dt: str, shape, spread: float | None = None) -> np.ndarray:
    """Random values of dtype dt: mostly moderate, some at the extremes."""
    info = _info(dt)
    lim = info.max if spread is None else min(info.max, int(spread))
    x = rng.integers(-lim - 1, lim + 1, shape, dtype=np.int64)
    if x.size and rng.random() < 0.3:
        idx = rng.integers(0, x.size, max(1, x.size // 16))
        x.reshape(-1)[idx] = rng.choice([info.min, info.max], idx.size)
    return np.clip(x, info.min, info.max).astype(DTYPES[dt])


def _clamp(rng, dt: str) -> dict:
    info = _info(dt)
    lo, hi = int(info.min), int(info.max)
    if rng.random() < 0.4:  # a narrower clamp (a fused ReLU-like range)
        lo = int(rng.integers(lo, 0))
        hi = int(rng.integers(max(lo, 0), hi + 1))
    return {"y_zero_point": int(rng.integers(max(lo, -100), min(hi, 100) + 1)), "act_min": lo, "act_max": hi}


def _requant(rng, spread: float, out_dt: str) -> tuple[int, int]:
    """A multiplier that maps accumulators of about `spread` onto the output range, sometimes far past it."""
    real = _info(out_dt).max / max(spread, 1.0) * float(rng.uniform(0.3, 1.5))
    if rng.random() < 0.1:
        real *= float(rng.uniform(1, 2 ** 12))
    return quantize_multiplier(min(real, 2.0 ** 29))


def _graph(name: str, inputs: dict[str, tuple], nodes: list[Node], tensors: dict[str, TensorInfo],
           consts: dict[str, np.ndarray], output: str) -> Graph:
    t = {k: TensorInfo(k, shape, dt, 1.0, 0) for k, (shape, dt) in inputs.items()}
    t.update(tensors)
    g = Graph(name, list(inputs), [output], t, consts, nodes)
    validate(g, integer_only=True)
    return g


def _fc_int8(rng, op: str) -> tuple[Graph, dict]:
    """fully_connected (per channel) or fully_connected_grouped: int8 in and out, zero points the tensors' own."""
    k = int(rng.choice([1, 3, 17, 33, 64, 100, 129]))
    n = int(rng.choice([1, 2, 5, 8, 13, 19, 32]))
    grouped = op == "fully_connected_grouped"
    bits = int(rng.choice([8, 4])) if grouped else 8
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    gs = int(rng.choice([d for d in (1, 3, 4, 8, 16, 32, k) if k % d == 0])) if grouped else k
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    x = _values(rng, "int8", (int(rng.integers(1, 4)), k))
    # check_fully_connected bounds |bias| + sum(group scales) * 2 * 255 * max|w| * group size by 2^31 - 1
    cap = max(1, min((1 << 15) - 1, ((1 << 31) - 1 - (1 << 16)) // ((k // gs) * 2 * 255 * max(-lo, hi) * gs)))
    gsc = rng.integers(0, min(cap, 64) + 1, (n, k // gs)).astype(np.int32) if grouped else np.ones((n, 1), np.int32)
    b = rng.integers(-(1 << 16), 1 << 16, n).astype(np.int32)
    xzp = int(rng.integers(-128, 128))
    from quant.ops.linear import grouped_accumulate
    acc = grouped_accumulate(x, xzp, w, b, gsc, gs)
    mult, shift = zip(*(_requant(rng, float(np.abs(acc[:, j]).max()), "int8") for j in range(n)))
    consts = {"w": w, "b": b, "m": np.array(mult, np.int32), "s": np.array(shift, np.int32)}
    attrs = {"x_zero_point": xzp, **_clamp(rng, "int8")}
    ins = ["x", "w", "b", "m", "s"]
    if grouped:
        consts["gs"] = gsc
        ins.insert(3, "gs")
        attrs.update(group_size=gs, weight_bits=bits)
    tensors = {"x": TensorInfo("x", x.shape, "int8", 1.0, xzp),
               "y": TensorInfo("y", (x.shape[0], n), "int8", 1.0, attrs["y_zero_point"])}
    g = Graph(f"{op}_w{bits}_g{gs}_{k}x{n}", ["x"], ["y"], tensors, consts, [Node(op, "fc", ins, ["y"], attrs)])
    validate(g, integer_only=True)
    return g, {"x": x}


def _fc(rng) -> tuple[Graph, dict]:
    k = int(rng.choice([1, 3, 17, 33, 64, 100, 129]))
    n = int(rng.choice([1, 2, 5, 8, 13, 19, 32]))
    xdt = "int8" if rng.random() < 0.8 else "int16"
    ydt = str(rng.choice(INT))
    bits = int(rng.choice([8, 4]))
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    divisors = [d for d in (1, 3, 4, 8, 16, 32, k) if k % d == 0]
    gs = int(rng.choice(divisors))
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    x = _values(rng, xdt, (int(rng.integers(1, 4)), k))
    xr = 2 ** BITS[xdt] - 1
    cap = ((1 << 31) - 1 - (1 << 16)) // ((k // gs) * xr * max(-lo, hi) * gs)
    if cap < 1:  # the accumulator bound leaves no room: narrower input
        xdt, xr = "int8", 255
        x = _values(rng, xdt, x.shape)
        cap = ((1 << 31) - 1 - (1 << 16)) // ((k // gs) * xr * max(-lo, hi) * gs)
    cap = max(1, min((1 << 15) - 1, cap if rng.random() < 0.5 else min(cap, 64)))
    unit = gs == k and rng.random() < 0.5
    gsc = np.ones((n, k // gs), np.int32) if unit else rng.integers(0, cap + 1, (n, k // gs)).astype(np.int32)
    b = rng.integers(-(1 << 16), 1 << 16, n).astype(np.int32)
    xzp = int(rng.integers(_info(xdt).min, _info(xdt).max + 1)) if xdt == "int8" else int(rng.integers(-100, 100))
    from quant.ops.linear import grouped_accumulate
    acc = grouped_accumulate(x, xzp, w, b, gsc, gs)
    mult, shift = zip(*(_requant(rng, float(np.abs(acc[:, j]).max()), ydt) for j in range(n)))
    consts = {"w": w, "b": b, "gs": gsc, "m": np.array(mult, np.int32), "s": np.array(shift, np.int32)}
    attrs = {"x_zero_point": xzp, **_clamp(rng, ydt), "group_size": gs, "weight_bits": bits}
    node = Node("fully_connected_wide", "fc", ["x", "w", "b", "gs", "m", "s"], ["y"], attrs)
    g = _graph(f"fc_wide_{xdt}_w{bits}_g{gs}_{ydt}_{k}x{n}", {"x": (x.shape, xdt)}, [node],
               {"y": TensorInfo("y", (x.shape[0], n), ydt, 1.0, attrs["y_zero_point"])}, consts, "y")
    return g, {"x": x}


def _binary(rng, op: str) -> tuple[Graph, dict]:
    adt, bdt, ydt = (str(rng.choice(INT)) for _ in range(3))
    if op == "mul" and BITS[adt] + BITS[bdt] > 48:  # the int64 product needs room for a multiplier
        bdt = "int8" if adt == "int32" else "int16"
    shape = (int(rng.integers(1, 4)), int(rng.choice([1, 7, 16, 33, 70])))
    a = _values(rng, adt, shape)
    b = _values(rng, bdt, shape)
    ba, bb = BITS[adt] + 1, BITS[bdt] + 1
    attrs = {"a_zero_point": int(rng.integers(-100, 100)), "b_zero_point": int(rng.integers(-100, 100)),
             **_clamp(rng, ydt)}
    ymax = _info(ydt).max
    if op == "add":
        shift = int(rng.integers(0, 31))
        # each multiplier encodes s_in / s_y: sized so the inputs land around the output range
        for key, bits in (("a_multiplier", ba), ("b_multiplier", bb)):
            real = ymax / 2 ** (bits - 1) * float(rng.uniform(0.2, 4.0)) * 2 ** shift
            attrs[key] = int(min(real, 2 ** (61 - bits) - 1, 2 ** 31 - 1))
        attrs["shift"] = shift
    else:
        m_bits = min(30, 62 - ba - bb)
        real = ymax / 2 ** (ba + bb - 2) * float(rng.uniform(0.2, 4.0))
        m, s = fixed_multiplier(min(real, 2 ** m_bits - 1), m_bits, max_shift=62)
        attrs.update(multiplier=m, shift=s)
    node = Node(op, op, ["a", "b"], ["y"], attrs)
    g = _graph(f"{op}_{adt}_{bdt}_{ydt}", {"a": (shape, adt), "b": (shape, bdt)}, [node],
               {"y": TensorInfo("y", shape, ydt, 1.0, attrs["y_zero_point"])}, {}, "y")
    return g, {"a": a, "b": b}


def _activation(rng, op: str) -> tuple[Graph, dict]:
    xdt, ydt = str(rng.choice(INT)), str(rng.choice(INT))
    shape = (int(rng.integers(1, 4)), int(rng.choice([1, 5, 16, 31, 64])))
    x = _values(rng, xdt, shape)
    # real x spans about +-8 (where GELU / SiLU bend) at the input's extremes, sometimes much wider
    span = float(rng.choice([4.0, 8.0, 16.0, 64.0]))
    sx = span / _info(xdt).max
    in_bits = min(30, 62 - BITS[xdt] - 1)
    mi, si = fixed_multiplier(sx * 4096, in_bits)
    sy = span / _info(ydt).max * float(rng.uniform(0.5, 2.0))
    mo, so = fixed_multiplier(1 / (4096 * sy), 24)
    attrs = {"x_zero_point": int(rng.integers(-50, 50)), "in_multiplier": mi, "in_shift": si,
             "out_multiplier": mo, "out_shift": so, **_clamp(rng, ydt)}
    node = Node(op, op, ["x"], ["y"], attrs)
    g = _graph(f"{op}_{xdt}_{ydt}", {"x": (shape, xdt)}, [node],
               {"y": TensorInfo("y", shape, ydt, sy, attrs["y_zero_point"])}, {}, "y")
    return g, {"x": x}


def _norm(rng, op: str) -> tuple[Graph, dict]:
    xdt = str(rng.choice(("int8", "int16") if op == "layernorm" else INT))
    ydt = str(rng.choice(("int8", "int16")))
    c = int(rng.choice([1, 3, 8, 31, 64, 100, 384]))
    rows = int(rng.integers(1, 4))
    spread = None if xdt != "int32" else float(2 ** int(rng.integers(10, 30)))
    x = _values(rng, xdt, (rows, c), spread)
    shift = int(rng.integers(8, 28))
    ymax = _info(ydt).max
    # |n| is about 2^20 / sqrt(C) (quant/ops/norm.py): gamma maps that to about a third of the output range
    g_mag = ymax / 3 * 2 ** shift * math.sqrt(c) / 2 ** 20
    gamma = np.round(rng.uniform(-3, 3, c) * g_mag).clip(-(1 << 30), 1 << 30).astype(np.int32)
    consts = {"gamma": gamma}
    attrs = {"x_zero_point": int(rng.integers(-100, 100)) if xdt != "int32" else int(rng.integers(-1000, 1000)),
             "eps": int(rng.integers(0, 1 << 20)), "shift": shift, **_clamp(rng, ydt)}
    ins = ["x", "gamma"]
    if op == "layernorm":
        consts["beta"] = np.round(rng.uniform(-0.3, 0.3, c) * ymax * 2 ** shift).clip(-(1 << 30), 1 << 30) \
            .astype(np.int32)
        ins.append("beta")
    else:
        attrs["pre_shift"] = int(rng.integers(0, 9)) if xdt == "int32" else int(rng.integers(0, 2))
    node = Node(op, op, ins, ["y"], attrs)
    g = _graph(f"{op}_{xdt}_{ydt}_c{c}", {"x": ((rows, c), xdt)}, [node],
               {"y": TensorInfo("y", (rows, c), ydt, 1.0, attrs["y_zero_point"])}, consts, "y")
    return g, {"x": x}


def _head_rmsnorm(rng) -> tuple[Graph, dict]:
    """rmsnorm's random case over heads x head_dim channels, the gain of one head's."""
    one, _ = _norm(rng, "rmsnorm")
    heads, (rows, c) = int(rng.integers(1, 5)), one.tensors["x"].shape
    xdt, ydt, attrs = one.tensors["x"].dtype, one.tensors["y"].dtype, one.nodes[0].attrs
    x = _values(rng, xdt, (rows, heads * c), None if xdt != "int32" else float(2 ** int(rng.integers(10, 30))))
    node = Node("head_rmsnorm", "head_rmsnorm", ["x", "gamma"], ["y"], {**attrs, "heads": heads, "head_dim": c})
    g = _graph(f"head_rmsnorm_{xdt}_{ydt}_h{heads}_c{c}", {"x": ((rows, heads * c), xdt)}, [node],
               {"y": TensorInfo("y", (rows, heads * c), ydt, 1.0, attrs["y_zero_point"])}, dict(one.constants), "y")
    return g, {"x": x}


def _rope(rng) -> tuple[Graph, dict]:
    heads, hd = int(rng.choice([1, 2, 3])), int(rng.choice([2, 6, 16, 32]))
    t, p = int(rng.integers(1, 6)), int(rng.integers(6, 40))
    ydt = str(rng.choice(INT))
    ang = np.arange(p)[:, None] * (10000.0 ** (-np.arange(hd // 2) / (hd // 2)))[None, :]
    cos = np.round(np.cos(ang) * 2 ** 14).astype(np.int16)
    sin = np.round(np.sin(ang) * 2 ** 14).astype(np.int16)
    x = _values(rng, "int8", (t, heads * hd))
    pos = rng.integers(0, p, t).astype(np.int32)
    m, s = _requant(rng, 127 * 2 ** 14, ydt)
    attrs = {"heads": heads, "head_dim": hd, "x_zero_point": int(rng.integers(-128, 128)), "multiplier": m,
             "shift": s, **_clamp(rng, ydt)}
    node = Node("rope", "rope", ["x", "positions", "cos", "sin"], ["y"], attrs)
    g = _graph(f"rope_h{heads}_d{hd}_{ydt}", {"x": ((t, heads * hd), "int8"), "positions": ((t,), "int32")},
               [node], {"y": TensorInfo("y", (t, heads * hd), ydt, 1.0, attrs["y_zero_point"])},
               {"cos": cos, "sin": sin}, "y")
    return g, {"x": x, "positions": pos}


def _embedding(rng) -> tuple[Graph, dict]:
    dt = str(rng.choice(INT))
    v, c, t = int(rng.integers(2, 60)), int(rng.choice([1, 5, 16, 33])), int(rng.integers(1, 7))
    table = _values(rng, dt, (v, c))
    ids = rng.integers(0, v, t).astype(np.int32)
    node = Node("embedding", "emb", ["ids", "table"], ["y"], {})
    g = _graph(f"embedding_{dt}", {"ids": ((t,), "int32")}, [node], {"y": TensorInfo("y", (t, c), dt, 1.0, 0)},
               {"table": table}, "y")
    return g, {"ids": ids}


def _heads(rng):
    kvh = int(rng.choice([1, 2, 3]))
    return kvh * int(rng.choice([1, 2, 3])), kvh, int(rng.choice([1, 4, 7, 16, 32, 64]))


def _matmul_qk(rng) -> tuple[Graph, dict]:
    h, kvh, hd = _heads(rng)
    t, s = int(rng.integers(1, 6)), int(rng.integers(1, 20))
    ydt = str(rng.choice(("int8", "int16")))
    q = _values(rng, "int8", (t, h * hd))
    k = _values(rng, "int8", (s, kvh * hd))
    zq, zk = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    m, sh = _requant(rng, float(np.abs(q.astype(np.int64) - zq).mean() * np.abs(k.astype(np.int64) - zk).mean()
                                * math.sqrt(hd)) * 2, ydt)
    attrs = {"heads": h, "kv_heads": kvh, "head_dim": hd, "q_zero_point": zq,
             "k_zero_point": zk, "multiplier": m, "shift": sh, **_clamp(rng, ydt)}
    node = Node("matmul_qk", "qk", ["q", "k"], ["y"], attrs)
    g = _graph(f"matmul_qk_h{h}_kv{kvh}_d{hd}_{ydt}", {"q": ((t, h * hd), "int8"), "k": ((s, kvh * hd), "int8")},
               [node], {"y": TensorInfo("y", (h, t, s), ydt, 1.0, attrs["y_zero_point"])}, {}, "y")
    return g, {"q": q, "k": k}


def _softmax_node(rng, xdt: str, ydt: str, causal: bool) -> tuple[Node, TensorInfo]:
    span = float(rng.choice([2.0, 8.0, 30.0, 200.0]))  # real spread of the scores
    sx = span / _info(xdt).max
    m, s = fixed_multiplier(sx * math.log2(math.e) * 65536, 30)
    scale, zp = (2.0 ** -15, 0) if ydt == "int16" else (2.0 ** -8, -128)
    return Node("softmax", "softmax", ["x"], ["p"], {"in_multiplier": m, "in_shift": s, "causal": causal}), \
        TensorInfo("p", (), ydt, scale, zp)


def _softmax(rng) -> tuple[Graph, dict]:
    xdt, ydt = str(rng.choice(("int8", "int16"))), str(rng.choice(("int8", "int16")))
    h, t = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    s = t + int(rng.integers(0, 130))
    causal = bool(rng.random() < 0.5)
    x = _values(rng, xdt, (h, t, s))
    node, info = _softmax_node(rng, xdt, ydt, causal)
    info.shape = (h, t, s)
    g = _graph(f"softmax_{xdt}_{ydt}_{'causal' if causal else 'full'}_s{s}", {"x": ((h, t, s), xdt)}, [node],
               {"p": info}, {}, "p")
    return g, {"x": x}


def _matmul_pv(rng) -> tuple[Graph, dict]:
    """softmax -> matmul_pv (p must come from a softmax: its row sums bound the accumulator)."""
    h, kvh, hd = _heads(rng)
    t = int(rng.integers(1, 5))
    s = t + int(rng.integers(0, 20))
    xdt, pdt, ydt = str(rng.choice(("int8", "int16"))), str(rng.choice(("int8", "int16"))), \
        str(rng.choice(("int8", "int16")))
    causal = bool(rng.random() < 0.5)
    x = _values(rng, xdt, (h, t, s))
    v = _values(rng, "int8", (s, kvh * hd))
    sm, pinfo = _softmax_node(rng, xdt, pdt, causal)
    pinfo.shape = (h, t, s)
    pmax = 2 ** 15 if pdt == "int16" else 2 ** 8
    m, sh = _requant(rng, pmax * 64.0, ydt)
    attrs = {"heads": h, "kv_heads": kvh, "head_dim": hd, "p_zero_point": pinfo.zero_point,
             "v_zero_point": int(rng.integers(-128, 128)), "multiplier": m, "shift": sh, **_clamp(rng, ydt)}
    pv = Node("matmul_pv", "pv", ["p", "v"], ["y"], attrs)
    g = _graph(f"softmax_pv_h{h}_kv{kvh}_d{hd}_{pdt}_{ydt}", {"x": ((h, t, s), xdt), "v": ((s, kvh * hd), "int8")},
               [sm, pv], {"p": pinfo, "y": TensorInfo("y", (t, h * hd), ydt, 1.0, attrs["y_zero_point"])}, {}, "y")
    return g, {"x": x, "v": v}


def declared_case(op: str, rng: np.random.Generator, tries: int = 500) -> tuple[Graph, dict[str, np.ndarray]]:
    """A random case of an integer op from its op table entry alone: every computed input and the output [rows, n],
    constants [n], dtypes from its rules, attributes within their declared ranges (multipliers log-uniform, zero
    points and clamps within their dtypes, other attributes small integers); drawn again until the op's check
    passes (an op whose shapes do not fit this pattern needs a generator here)."""
    d = OPTABLE[op]
    r = d.rules
    allowed = r.inputs or (None,) * len(d.roles)
    for _ in range(tries):
        shape = (int(rng.integers(1, 4)), int(rng.choice([1, 7, 16, 33, 70])))
        dts = [str(rng.choice(a or INT)) for a in allowed]
        ydt = str(rng.choice(r.output or INT))
        ranges = {k: (lo, hi) for k, lo, hi in r.ranges}
        attrs = {**_clamp(rng, ydt)} if r.clamp else {}
        for k in d.attrs:
            if k in attrs:
                continue
            role = k[:-len("_zero_point")] if k.endswith("_zero_point") else None
            if role in d.roles:
                info = _info(dts[d.roles.index(role)])
                attrs[k] = int(rng.integers(max(int(info.min), -100), min(int(info.max), 100) + 1))
            elif k in r.multipliers:
                attrs[k] = int(2 ** rng.uniform(0, 31)) % (1 << 31)
            elif k in r.shifts:
                attrs[k] = int(rng.integers(0, 63))
            elif k in r.flags:
                attrs[k] = bool(rng.random() < 0.5)
            elif k in ranges:
                lo, hi = ranges[k]
                attrs[k] = int(rng.integers(lo, min(hi, lo + 64) + 1))
            else:
                attrs[k] = int(rng.integers(0, 8))
        consts = {role: _values(rng, dt, (shape[1],)) for i, (role, dt) in enumerate(zip(d.roles, dts))
                  if i in r.consts}
        computed = {role: (shape, dt) for i, (role, dt) in enumerate(zip(d.roles, dts)) if i not in r.consts}
        node = Node(op, op, list(d.roles), ["y"], attrs)
        y = TensorInfo("y", shape, ydt, 1.0, attrs.get("y_zero_point", 0))
        try:
            g = _graph(f"{op}_{'_'.join(dts)}_{ydt}", computed, [node], {"y": y}, consts, "y")
        except GraphError:
            continue
        return g, {role: _values(rng, dt, shape) for role, (shape, dt) in computed.items()}
    raise GraphError(f"no valid random case of {op} from its declaration in {tries} draws: give it a generator in "
                     "benchmarks/op_cases.py")


def random_case(op: str, rng: np.random.Generator) -> tuple[Graph, dict[str, np.ndarray]]:
    """A random small graph exercising `op` and its inputs."""
    if op not in HAND_WRITTEN:
        return declared_case(op, rng)
    if op in ("fully_connected", "fully_connected_grouped"):
        return _fc_int8(rng, op)
    if op == "fully_connected_wide":
        return _fc(rng)
    if op in ("add", "mul"):
        return _binary(rng, op)
    if op in ("gelu", "silu", "softcap"):  # softcap takes the activations' attributes (x to Q12, out of Q15)
        return _activation(rng, op)
    if op in ("layernorm", "rmsnorm"):
        return _norm(rng, op)
    return {"rope": _rope, "embedding": _embedding, "matmul_qk": _matmul_qk, "softmax": _softmax,
            "matmul_pv": _matmul_pv, "fully_connected_asym": _fully_connected_asym,
            "fully_connected_dynamic": _fully_connected_dynamic, "channel_gather": _channel_gather,
            "head_rmsnorm": _head_rmsnorm}[op](rng)


def expected_bytes(g: Graph, inputs: dict[str, np.ndarray]) -> bytes:
    y = reference.run(g, inputs)[g.outputs[0]]
    return np.ascontiguousarray(y).astype(y.dtype.newbyteorder("<")).tobytes()


# ---- quantization-method ops (quant/ops/linear_quant.py, quant/ops/gather.py)
def _fc_quant_weights(rng, k: int, n: int, bits: int, gs: int, xr: int, bias_room: int):
    """Random weights, group scales and offsets whose accumulator bound xr * mass + bias_room stays below 2^31."""
    from quant.ops.checks import fc_quant_mass
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    cap = int(rng.choice([4, 64, 1 << 12, (1 << 15) - 1]))
    gsc = rng.integers(0, cap + 1, (n, k // gs)).astype(np.int64)
    goff = rng.integers(-8 * cap, 8 * cap + 1, (n, k // gs)).astype(np.int64)
    mass = int(fc_quant_mass(w, gsc, goff, gs).max(initial=0))
    room = (1 << 31) - 1 - bias_room
    if xr * mass >= room:  # shrink the scales and offsets until the bound holds
        f = room / (xr * mass) * 0.99
        gsc = np.floor(gsc * f).astype(np.int64)
        goff = np.trunc(goff * f).astype(np.int64)
    return w, gsc.astype(np.int32), goff.astype(np.int32)


def _fully_connected_asym(rng, k: int | None = None, n: int | None = None, xdt: str | None = None,
                          ydt: str | None = None, bits: int | None = None, gs: int | None = None,
                          rows: int | None = None) -> tuple[Graph, dict]:
    """A random fully_connected_asym case; any of its shape, types, width and group size can be given."""
    from quant.ops.checks import input_range
    from quant.ops.linear_quant import asym_accumulate
    k = int(rng.choice([1, 3, 17, 33, 64, 100, 129])) if k is None else k
    n = int(rng.choice([1, 2, 5, 8, 13, 19, 32])) if n is None else n
    xdt = ("int8" if rng.random() < 0.7 else "int16") if xdt is None else xdt
    ydt = str(rng.choice(INT)) if ydt is None else ydt
    bits = int(rng.choice([8, 4])) if bits is None else bits
    gs = int(rng.choice([d for d in (1, 3, 4, 8, 16, 32, k) if k % d == 0])) if gs is None else gs
    xzp = int(rng.integers(_info(xdt).min, _info(xdt).max + 1)) if xdt == "int8" else int(rng.integers(-100, 100))
    w, gsc, goff = _fc_quant_weights(rng, k, n, bits, gs, input_range(xdt, xzp), 1 << 16)
    b = rng.integers(-(1 << 16), 1 << 16, n).astype(np.int32)
    x = _values(rng, xdt, (int(rng.integers(1, 4)) if rows is None else rows, k))
    acc = b.astype(np.int64)[None, :] + asym_accumulate(x.astype(np.int64) - xzp, w, gsc, goff, gs)
    mult, shift = zip(*(_requant(rng, float(np.abs(acc[:, j]).max()), ydt) for j in range(n)))
    consts = {"w": w, "b": b, "gs": gsc, "go": goff, "m": np.array(mult, np.int32), "s": np.array(shift, np.int32)}
    attrs = {"x_zero_point": xzp, **_clamp(rng, ydt), "group_size": gs, "weight_bits": bits}
    node = Node("fully_connected_asym", "fc", ["x", "w", "b", "gs", "go", "m", "s"], ["y"], attrs)
    g = _graph(f"fc_asym_{xdt}_w{bits}_g{gs}_{ydt}_{k}x{n}", {"x": (x.shape, xdt)}, [node],
               {"y": TensorInfo("y", (x.shape[0], n), ydt, 1.0, attrs["y_zero_point"])}, consts, "y")
    return g, {"x": x}


def _fully_connected_dynamic(rng, k: int | None = None, n: int | None = None, xdt: str | None = None,
                             ydt: str | None = None, bits: int | None = None, gs: int | None = None,
                             rows: int | None = None, room: int = 0, symmetric: bool = False) -> tuple[Graph, dict]:
    """A random fully_connected_dynamic case; any of its shape, types, width and group size can be given. room:
    the part of 2^31 its accumulator bound leaves free (2^30: the grouped kernels' path, codegen/op_calls_quant.py);
    symmetric: every group offset 0."""
    from quant.ops.checks import dynamic_e_max
    from quant.ops.linear_quant import DYN_MANTISSA, asym_accumulate, dynamic_row_quantize
    k = int(rng.choice([1, 3, 17, 33, 64, 100, 129])) if k is None else k
    n = int(rng.choice([1, 2, 5, 8, 9, 13, 19, 32])) if n is None else n
    xdt = str(rng.choice(("int16", "int32"))) if xdt is None else xdt
    ydt = str(rng.choice(INT)) if ydt is None else ydt
    bits = int(rng.choice([8, 4])) if bits is None else bits
    gs = int(rng.choice([d for d in (1, 3, 4, 8, 16, 32, k) if k % d == 0])) if gs is None else gs
    rows = int(rng.integers(1, 5)) if rows is None else rows
    # rows of very different magnitudes (row exponents below and above 0), sometimes all zero
    x = np.concatenate([_values(rng, xdt, (1, k), spread=float(2 ** int(rng.integers(0, BITS[xdt] - 1))))
                        for _ in range(rows)])
    if rng.random() < 0.1:
        x[0] = 0
    xzp = int(rng.integers(-100, 100)) if rng.random() < 0.5 else 0
    w, gsc, goff = _fc_quant_weights(rng, k, n, bits, gs, 127, room)
    if symmetric:
        goff = np.zeros_like(goff)
    b = rng.integers(-(1 << 12), 1 << 12, n).astype(np.int32)
    q, mr, e = dynamic_row_quantize(x, xzp)
    acc = asym_accumulate(q, w, gsc, goff, gs)
    e_max = dynamic_e_max(xdt, xzp)
    mult, shift = [], []
    for j in range(n):
        span = float(np.abs(acc[:, j] * (mr * 2.0 ** e)).max()) or 1.0
        real = _info(ydt).max / span * float(rng.uniform(0.3, 1.5))
        m, t = fixed_multiplier(min(real, 2.0 ** 20), 31, max_shift=63)
        s = int(np.clip(t - DYN_MANTISSA, e_max, 48))
        m = int(min(round(m * 2.0 ** (s - (t - DYN_MANTISSA))), (1 << 31) - 1))
        mult.append(m)
        shift.append(s)
    consts = {"w": w, "b": b, "gs": gsc, "go": goff, "m": np.array(mult, np.int32), "s": np.array(shift, np.int32)}
    attrs = {"x_zero_point": xzp, **_clamp(rng, ydt), "group_size": gs, "weight_bits": bits}
    node = Node("fully_connected_dynamic", "fc", ["x", "w", "b", "gs", "go", "m", "s"], ["y"], attrs)
    g = _graph(f"fc_dynamic_{xdt}_w{bits}_g{gs}_{ydt}_{k}x{n}", {"x": (x.shape, xdt)}, [node],
               {"y": TensorInfo("y", (rows, n), ydt, 1.0, attrs["y_zero_point"])}, consts, "y")
    return g, {"x": x}


def _channel_gather(rng) -> tuple[Graph, dict]:
    xdt, ydt = str(rng.choice(INT)), str(rng.choice(INT))
    k = int(rng.choice([1, 5, 16, 33, 70]))
    j = int(rng.integers(1, k + 4))
    index = rng.integers(0, k, j).astype(np.int32)
    index[rng.random(j) < 0.2] = -1
    rows = int(rng.integers(1, 4))
    x = _values(rng, xdt, (rows, k))
    xzp = int(rng.integers(-100, 100))
    real = _info(ydt).max / _info(xdt).max * float(rng.uniform(0.3, 2.0))
    m, s = fixed_multiplier(real, min(30, 61 - BITS[xdt]), max_shift=62)
    attrs = {"x_zero_point": xzp, "multiplier": m, "shift": s, **_clamp(rng, ydt)}
    node = Node("channel_gather", "gather", ["x", "index"], ["y"], attrs)
    g = _graph(f"channel_gather_{xdt}_{ydt}_k{k}_j{j}", {"x": ((rows, k), xdt)}, [node],
               {"y": TensorInfo("y", (rows, j), ydt, 1.0, attrs["y_zero_point"])}, {"index": index}, "y")
    return g, {"x": x}
