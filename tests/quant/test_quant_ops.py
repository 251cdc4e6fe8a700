"""The quantization-method ops (quant/ops/linear_quant.py, quant/ops/gather.py): hand-computed integer cases, float
references with stated error bounds, the asymmetric weight grid, and validation of their bounds."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import GraphError, validate
from quant import reference as R
from quant.ir import Graph, Node, TensorInfo
from quant.ops.fixed import fixed_multiplier, quantize_multiplier
from quant.ops.gather import channel_gather
from quant.ops.linear_quant import dynamic_row_quantize, fully_connected_asym, fully_connected_dynamic
from quant.transformer_ptq import quantize_weight


def node(op, **attrs):
    return Node(op, op, [], ["y"], attrs)


def i32(*rows):
    return np.array(rows, np.int32)


# ---------------------------------------------------------------- fully_connected_asym
def test_fc_asym_hand_case():
    # x - zp = [2, -2, 4, 1]; groups of 2: g0 = 3 * (2*1 + -2*-2) + 5 * (2 - 2) = 18, g1 = 2 * (4*-8 + 1*7) - 1 * 5
    # = -55; acc = 10 + 18 - 55 = -27; requantize by 0.5 (2^30, shift 0): -13.5 -> -13 (SRDHM ties round upward)
    n = node("fully_connected_asym", x_zero_point=1, y_zero_point=3, act_min=-128, act_max=127, group_size=2,
             weight_bits=4)
    y = fully_connected_asym(n, "int8", np.array([[3, -1, 5, 2]], np.int8), np.array([[1, -2, -8, 7]], np.int8),
                             i32(10), i32([3, 2]), i32([5, -1]), i32(1 << 30), i32(0))
    assert y.tolist() == [[-13 + 3]]


def test_fc_asym_reproduces_q4_1_blocks_and_tracks_float():
    """GGUF Q4_1 blocks (w = d q + m, q in [0, 15], fp16 d = (max - min) / 15 and m = min) on the asymmetric grid: every weight within
    4.5 units (|q| * 0.5 + 0.5 of the rounding of d and m to integers of the unit), where d is thousands of units;
    the layer output is within one output step of the float product of the dequantized operands."""
    rng = np.random.default_rng(0)
    n, k, gsz = 24, 128, 32
    d = rng.uniform(0.002, 0.02, (n, k // gsz)).astype(np.float16).astype(np.float64)
    m = -(7.5 * d * rng.uniform(0.8, 1.2, d.shape)).astype(np.float16).astype(np.float64)
    q = rng.integers(0, 16, (n, k))
    q[:, 0::gsz], q[:, 1::gsz] = 0, 15  # Q4_1 takes d and m from the block's min and max: both codes occur
    w = q * np.repeat(d, gsz, axis=1) + np.repeat(m, gsz, axis=1)
    qw = quantize_weight(w, 4, gsz, asym=True)
    err = np.abs(qw.dequant() - w)
    assert np.all(err <= 4.5 * qw.unit[:, None] + 1e-15)
    assert np.all(qw.group_scale >= 500)  # d spans hundreds of units: the scale is resolved to < 0.1 %
    x = rng.integers(-128, 128, (5, k)).astype(np.int8)
    zx, sx, sy = 7, 0.05, 0.02
    mult, shift = zip(*(quantize_multiplier(float(u)) for u in sx * qw.unit / sy))
    nd = node("fully_connected_asym", x_zero_point=zx, y_zero_point=0, act_min=-32768, act_max=32767,
              group_size=gsz, weight_bits=4)
    y = fully_connected_asym(nd, "int16", x, qw.q, np.zeros(n, np.int32), qw.group_scale, qw.offset,
                             np.array(mult, np.int32), np.array(shift, np.int32))
    want = ((x.astype(np.float64) - zx) * sx) @ qw.dequant().T / sy
    assert np.abs(y - want).max() <= 1.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), bits=st.sampled_from([4, 8]), gsz=st.sampled_from([16, 32, 64]))
def test_asym_round_trip_within_half_step_inside_the_range(seed, bits, gsz):
    """Inside its grid's range a weight is within half a step (group_scale * unit) of its dequantized value; the
    grid misses a group's min/max by at most the rounding of its integer scale and offset."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((5, 128)) * rng.uniform(0.01, 3) + rng.uniform(-1, 1)
    qw = quantize_weight(w, bits, gsz, asym=True)
    step = np.repeat(qw.group_scale.astype(np.float64), gsz, axis=1) * qw.unit[:, None]
    off = np.repeat(qw.offset.astype(np.float64), gsz, axis=1) * qw.unit[:, None]
    lo, hi = (-8, 7) if bits == 4 else (-127, 127)
    inside = (w >= lo * step + off) & (w <= hi * step + off)
    err = np.abs(qw.dequant() - w)
    assert np.all(err[inside] <= step[inside] / 2 * (1 + 1e-9))
    edge = (abs(lo) + 1) * 0.5 * qw.unit[:, None]  # |q| * |d - gs unit| + |o - offset unit|, at most
    assert np.all(err <= step / 2 + edge + 1e-12)
    assert inside.mean() > 0.9


# ---------------------------------------------------------------- fully_connected_dynamic
def test_dynamic_row_quantization_hand_cases():
    # [300, -150, 1]: r = 300, bitlen 9 -> e = -6, mr = 300 << 6 = 19200, inv = floor(127 * 2^24 / 19200) = 110974;
    # q = rshr(x * inv, 18): 127, -150 * 110974 / 2^18 = -63.4997 -> -63, 0.42 -> 0
    # [0, 0, 0]: r = 1 -> e = -14, mr = 16384; [-32768, 20000, 5]: r = 2^15, e = 1, mr = 16384, inv = 130048,
    # 20000 * 130048 / 2^25 = 77.5 -> 78 (ties toward +inf)
    q, mr, e = dynamic_row_quantize(np.array([[300, -150, 1], [0, 0, 0], [-32768, 20000, 5]], np.int16), 0)
    assert q.tolist() == [[127, -63, 0], [0, 0, 0], [-127, 78, 0]]
    assert mr.tolist() == [19200, 16384, 16384] and e.tolist() == [-6, -14, 1]


def test_fc_dynamic_hand_case():
    # q = [127, -63, 0] (above); acc = 3 * (127*2 + -63*-1 + 0*7) - 2 * (127 - 63 + 0) = 951 - 128 = 823
    # m = rshr(2^30 * 19200, 15) = 2^15 * 19200; y = rshr(823 * m, 20 + 6) = 7715.625 -> 7716; + bias 4
    n = node("fully_connected_dynamic", x_zero_point=0, y_zero_point=0, act_min=-32768, act_max=32767,
             group_size=3, weight_bits=4)
    y = fully_connected_dynamic(n, "int16", np.array([[300, -150, 1]], np.int16), np.array([[2, -1, 7]], np.int8),
                                i32(4), i32([3]), i32([-2]), i32(1 << 30), i32(20))
    assert y.tolist() == [[7720]]


def test_fc_dynamic_against_float_with_rows_of_any_scale():
    """Each row is quantized at its own scale: rows 2^12 apart are equally accurate. Bound: half a row step
    (max|x_row| / 254) times sum |w| per output, plus one output step."""
    rng = np.random.default_rng(1)
    k, n, gsz = 96, 10, 32
    w = rng.standard_normal((n, k))
    qw = quantize_weight(w, 4, gsz, asym=True)
    x = np.concatenate([rng.integers(-mag, mag + 1, (2, k)) for mag in (5, 300, 20000)]).astype(np.int16)
    sx, sy = 1e-3, 1e-3
    mult, shift = [], []
    for r in qw.unit * sx / (127 * sy):
        m, t = fixed_multiplier(float(r), 31, max_shift=63)
        mult.append(m)
        shift.append(t - 15)
    nd = node("fully_connected_dynamic", x_zero_point=0, y_zero_point=0, act_min=-(1 << 31), act_max=(1 << 31) - 1,
              group_size=gsz, weight_bits=4)
    y = fully_connected_dynamic(nd, "int32", x, qw.q, np.zeros(n, np.int32), qw.group_scale, qw.offset,
                                np.array(mult, np.int32), np.array(shift, np.int32))
    wd = qw.dequant()
    want = (x * sx) @ wd.T / sy
    bound = (np.abs(x).max(axis=1, keepdims=True) * sx / 254) * np.abs(wd).sum(axis=1)[None, :] / sy + 1.0
    assert np.all(np.abs(y - want) <= bound)
    rel = np.abs(y - want) / np.abs(want).max(axis=1, keepdims=True)
    assert rel.max() < 0.05


# ---------------------------------------------------------------- channel_gather
def test_channel_gather_hand_case():
    # c = x[index] - 2 = [8, 0 (index -1), -5]; rshr(c * 3, 1) = [12, 0, -7.5 -> -7]; + y_zp 1
    n = node("channel_gather", x_zero_point=2, multiplier=3, shift=1, y_zero_point=1, act_min=-128, act_max=10)
    y = channel_gather(n, "int8", np.array([[10, -3, 7]], np.int16), i32(0, -1, 1))
    assert y.tolist() == [[10, 1, -6]]  # 13 clamps to act_max 10


def test_channel_gather_identity_and_requantization_against_float():
    rng = np.random.default_rng(2)
    x = rng.integers(-32768, 32768, (4, 50)).astype(np.int16)
    idx = rng.permutation(50)[:20].astype(np.int32)
    n = node("channel_gather", x_zero_point=0, multiplier=1, shift=0, y_zero_point=0, act_min=-32768, act_max=32767)
    assert np.array_equal(channel_gather(n, "int16", x, idx), x[:, idx])
    m, s = fixed_multiplier(1 / 300, 30, max_shift=62)  # int16 -> int8 at a 300x coarser scale
    n = node("channel_gather", x_zero_point=0, multiplier=m, shift=s, y_zero_point=-4, act_min=-128, act_max=127)
    y = channel_gather(n, "int8", x, idx).astype(np.float64)
    want = np.clip(x[:, idx] / 300 - 4, -128, 127)
    assert np.abs(y - want).max() <= 0.5 + 1e-6  # one rounding (the multiplier is exact to 2^-30 relative)


# ---------------------------------------------------------------- validation of the new ops
def _fc_graph(op, xdt, w, gs, go, mult, shift, bias=None, **attrs):
    nrow, k = w.shape
    a = {"x_zero_point": 0, "y_zero_point": 0, "act_min": -128, "act_max": 127, "group_size": k // gs.shape[1],
         "weight_bits": 4, **attrs}
    consts = {"w": w, "b": np.zeros(nrow, np.int32) if bias is None else bias, "gs": gs, "go": go,
              "m": np.asarray(mult, np.int32), "s": np.asarray(shift, np.int32)}
    t = {"x": TensorInfo("x", (2, k), xdt, 1.0, 0), "y": TensorInfo("y", (2, nrow), "int8", 1.0, 0)}
    return Graph("g", ["x"], ["y"], t, consts, [Node(op, "fc", ["x", "w", "b", "gs", "go", "m", "s"], ["y"], a)])


def test_validation_of_the_accumulator_bound_and_dynamic_shifts():
    w = np.full((2, 128), 7, np.int8)
    ok = _fc_graph("fully_connected_asym", "int8", w, i32([100, 100], [1, 1]), i32([0, 0], [0, 0]), [1 << 30] * 2,
                   [0, 0])
    validate(ok, integer_only=True)
    big = _fc_graph("fully_connected_asym", "int8", w, i32([30000, 30000], [1, 1]), i32([0, 0], [0, 0]),
                    [1 << 30] * 2, [0, 0])
    with pytest.raises(GraphError, match="overflow the int32 accumulator"):
        validate(big, integer_only=True)
    # the bound is per row: the largest bias (row 1) and the largest group mass (row 0) in different rows fit,
    # as the lowering computes it (the sum of the two maxima, 2.9e9, once refused an OPT model's fc2)
    apart = _fc_graph("fully_connected_asym", "int8", w, i32([16000, 16000], [1, 1]), i32([0, 0], [0, 0]),
                      [1 << 30] * 2, [0, 0], bias=np.array([0, 1 << 30], np.int32))
    validate(apart, integer_only=True)
    apart.constants["b"][0] = 1 << 29  # row 0: 1.84e9 + 2^29 leaves int32
    with pytest.raises(GraphError, match="overflow the int32 accumulator"):
        validate(apart, integer_only=True)
    dyn = _fc_graph("fully_connected_dynamic", "int16", w, i32([100, 100], [1, 1]), i32([0, 0], [0, 0]),
                    [1 << 30] * 2, [10, 10])
    validate(dyn, integer_only=True)
    for bad in (0, 49):  # int16 input: e up to 1, so shift - e < 0 at shift 0; shift 49 - (-14) > 62
        g = _fc_graph("fully_connected_dynamic", "int16", w, i32([100, 100], [1, 1]), i32([0, 0], [0, 0]),
                      [1 << 30] * 2, [bad, 10])
        with pytest.raises(GraphError, match="shifts must lie in"):
            validate(g, integer_only=True)
    with pytest.raises(GraphError, match="input"):
        validate(_fc_graph("fully_connected_dynamic", "int8", w, i32([1, 1], [1, 1]), i32([0, 0], [0, 0]),
                           [1 << 30] * 2, [10, 10]), integer_only=True)


def test_validation_of_gather_indices():
    t = {"x": TensorInfo("x", (2, 4), "int16", 1.0, 0), "y": TensorInfo("y", (2, 3), "int8", 1.0, 0)}
    a = {"x_zero_point": 0, "multiplier": 1, "shift": 0, "y_zero_point": 0, "act_min": -128, "act_max": 127}
    g = Graph("g", ["x"], ["y"], t, {"i": i32(0, -1, 3)}, [Node("channel_gather", "g", ["x", "i"], ["y"], a)])
    validate(g, integer_only=True)
    assert R.run(g, {"x": np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int16)})["y"].tolist() == [[1, 0, 4], [5, 0, 8]]
    g.constants["i"] = i32(0, -2, 4)
    with pytest.raises(GraphError, match="index values"):
        validate(g, integer_only=True)
