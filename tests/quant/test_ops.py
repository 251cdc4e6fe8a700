"""The transformer ops: hand-computed integer cases and float references with stated error bounds."""
import math

import numpy as np
import pytest

from quant import GraphError, validate
from quant import reference as R
from quant.ir import Graph, Node, TensorInfo
from quant.ops import fixed
from quant.ops.attention import matmul_pv, matmul_qk, softmax
from quant.ops.elementwise import add, gelu, mul, silu
from quant.ops.embedding import embedding
from quant.ops.linear import fully_connected_wide
from quant.ops.norm import layernorm, rmsnorm
from quant.ops.rope import rope
from quant.transformer_ptq import QMAX


def node(op, **attrs):
    return Node(op, op, [], ["y"], attrs)


# ---------------------------------------------------------------- fixed-point helpers
def test_rshr_and_round_div_hand_cases():
    assert fixed.rshr(np.array([5, -5, 6, -6, 7]), 1).tolist() == [3, -2, 3, -3, 4]  # ties toward +inf
    assert fixed.rshr(np.array([5]), 0).tolist() == [5]
    assert fixed.round_div(np.array([7, -7, 5, -5]), 2).tolist() == [4, -4, 3, -3]  # half away from zero
    assert fixed.isqrt(np.array([0, 1, 15, 16, 17, (1 << 62) - 1])).tolist() == [0, 1, 3, 4, 4, (1 << 31) - 1]


def test_exp2_hand_cases_and_error_bound():
    assert fixed.exp2_q20(np.array([0, -65536, -2 * 65536, -40 << 16])).tolist() == [1 << 20, 1 << 19, 1 << 18, 0]
    y = -np.arange(0, 20 << 16, 997)
    got = fixed.exp2_q20(y) / 2.0 ** 20
    want = 2.0 ** (y / 65536.0)
    assert np.all(np.abs(got - want) <= want * 2.5e-4 + 2.0 ** -20)  # polynomial 2.4e-4 relative + one Q20 step


def test_sigmoid_error_bound():
    z = np.arange(-20 << 12, 20 << 12, 37)
    got = fixed.sigmoid_q15(z) / 2.0 ** 15
    want = 1 / (1 + np.exp(-z / 4096.0))
    assert np.abs(got - want).max() <= 1.5e-4  # exp error 2.4e-4 * sigma(1-sigma) <= 6e-5, plus Q15 rounding
    assert fixed.sigmoid_q15(np.array([0]))[0] == 1 << 14


# ---------------------------------------------------------------- elementwise
def test_add_hand_case_and_float_bound():
    n = node("add", a_zero_point=1, b_zero_point=-2, y_zero_point=3, a_multiplier=3, b_multiplier=1, shift=1,
             act_min=-128, act_max=127)
    # ((5-1)*3 + (0+2)*1) / 2 = 7 -> + 3 = 10 ; ((-1-1)*3 + (-3+2)) / 2 = -3.5 -> -3 (ties toward +inf) -> 0
    y = add(n, "int8", np.array([5, -1], np.int8), np.array([0, -3], np.int8))
    assert y.tolist() == [10, 0]
    rng = np.random.default_rng(0)
    a, b = rng.integers(-32768, 32767, 1000), rng.integers(-128, 127, 1000)
    sa, sb, sy = 0.01, 0.3, 0.02
    m, s = fixed.fixed_multiplier(max(sa, sb) / sy, 30)
    n = node("add", a_zero_point=0, b_zero_point=5, y_zero_point=0, a_multiplier=round(sa / sy * 2 ** s),
             b_multiplier=round(sb / sy * 2 ** s), shift=s, act_min=-32768, act_max=32767)
    y = add(n, "int16", a.astype(np.int16), b.astype(np.int8)).astype(np.float64) * sy
    ref = np.clip(a * sa + (b - 5) * sb, -32768 * sy, 32767 * sy)
    assert np.abs(y - ref).max() <= 0.5 * sy + 1e-6  # one output rounding (multipliers exact to 2^-30)


def test_mul_hand_case():
    n = node("mul", a_zero_point=0, b_zero_point=1, y_zero_point=0, multiplier=3, shift=2, act_min=-128, act_max=127)
    # 4 * (3-1) * 3 / 4 = 6 ; -5 * (0-1) * 3 / 4 = 3.75 -> 4 ; 100 * 100 * 3 / 4 -> saturates at 127
    y = mul(n, "int8", np.array([4, -5, 100], np.int8), np.array([3, 0, 101], np.int8))
    assert y.tolist() == [6, 4, 127]


@pytest.mark.parametrize("op,fn", [("gelu", lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
                                   ("silu", lambda x: x / (1 + np.exp(-x)))])
def test_gelu_silu_against_float(op, fn):
    """int16 input at scale 1e-3 over [-12, 12], output scale 1e-3: error <= 1 output step + 1e-3 (tanh form of GELU
    5e-4, sigmoid 1.5e-4 * |x|, Q12 2.4e-4)."""
    sx = sy = 1e-3
    x = np.arange(-12000, 12000, 7).astype(np.int16)
    mi, si = fixed.fixed_multiplier(sx * 4096, 24)
    mo, so = fixed.fixed_multiplier(1 / (4096 * sy), 24)
    n = node(op, x_zero_point=0, in_multiplier=mi, in_shift=si, out_multiplier=mo, out_shift=so, y_zero_point=0,
             act_min=-32768, act_max=32767)
    y = (gelu if op == "gelu" else silu)(n, "int16", x).astype(np.float64) * sy
    ref = fn(x * sx)
    assert np.abs(y - ref).max() <= sy + 1e-3 + 2e-4 * np.abs(x * sx).max()


def test_gelu_hand_case():
    """x = 1.0 exactly (Q12 4096): x3 = 4096, u = rshr((4096 + rshr(4096*2930, 16)) * 26145, 14)
    = rshr(4279 * 26145, 14) = 6828, sigmoid_q15(6828) computed step by step below, y = rshr(4096 * s, 15)."""
    assert ((4096 + ((4096 * 2930 + (1 << 15)) >> 16)) * 26145 + (1 << 13)) >> 14 == 6828
    a = -6828
    e = int(fixed.exp2_q20(fixed.mul_rshr(a, 23637, 10)))
    s = ((1 << 35) + ((1 << 20) + e) // 2) // ((1 << 20) + e)
    f = (4096 * s + (1 << 14)) >> 15
    n = node("gelu", x_zero_point=0, in_multiplier=1, in_shift=0, out_multiplier=1, out_shift=0, y_zero_point=0,
             act_min=-(1 << 31), act_max=(1 << 31) - 1)
    assert gelu(n, "int32", np.array([4096], np.int32)).tolist() == [f]
    assert abs(f / 4096 - 0.8412) < 1e-3  # GELU(1) = 0.8413


# ---------------------------------------------------------------- softmax and attention
def test_softmax_hand_case():
    """Inputs scaled so that one step is exactly 1 bit of exponent (x * log2(e) * s = 1): [0, -1, -2] -> 2^0, 2^-1,
    2^-2 in Q20 -> p = 4/7, 2/7, 1/7 in Q15."""
    n = node("softmax", in_multiplier=1 << 16, in_shift=0, causal=False)
    p = softmax(n, "int16", np.array([[[3, 2, 1]]], np.int16))
    total = (1 << 20) + (1 << 19) + (1 << 18)
    r = (1 << 52) // total
    want = [((e * r) + (1 << 36)) >> 37 for e in (1 << 20, 1 << 19, 1 << 18)]
    assert p.tolist() == [[want]]
    assert want == [18725, 9362, 4681]  # 32768 * (4/7, 2/7, 1/7) = 18724.6, 9362.3, 4681.1


def test_softmax_against_float_and_causal():
    rng = np.random.default_rng(0)
    sx = 0.01
    x = rng.integers(-1500, 1500, (3, 7, 9)).astype(np.int16)
    m, s = fixed.fixed_multiplier(sx * math.log2(math.e) * 65536, 30)
    for causal in (False, True):
        p = softmax(node("softmax", in_multiplier=m, in_shift=s, causal=causal), "int16", x) / 32768.0
        xf = x * sx
        if causal:
            xf = np.where(np.arange(9)[None, :] <= 2 + np.arange(7)[:, None], xf, -np.inf)
        ref = np.exp(xf - xf.max(-1, keepdims=True))
        ref /= ref.sum(-1, keepdims=True)
        assert np.abs(p - ref).max() <= 3e-4 + 2 ** -15  # exp2 polynomial 2.4e-4 relative, Q15 output rounding
        if causal:
            assert np.all(p[:, 0, 3:] == 0) and np.all(np.abs(p.sum(-1) - 1) < 1e-3)
    p8 = softmax(node("softmax", in_multiplier=m, in_shift=s, causal=False), "int8", x)
    assert np.abs((p8.astype(np.float64) + 128) / 256 - ref * 0 - _sm(x * sx)).max() <= 1 / 256


def _sm(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_matmul_qk_pv_hand_case_with_grouped_heads():
    """2 query heads share 1 KV head (head_dim 2): scores[h] = (q_h - zq) . (k - zk)."""
    q = np.array([[1, 2, 3, 4]], np.int8)          # T=1: head0 (1,2), head1 (3,4)
    k = np.array([[1, 0], [0, 1]], np.int8)         # S=2, one KV head
    n = node("matmul_qk", heads=2, kv_heads=1, head_dim=2, q_zero_point=1, k_zero_point=0, y_zero_point=0,
             multiplier=1 << 30, shift=1, act_min=-32768, act_max=32767)  # multiplier 1.0
    s = matmul_qk(n, "int16", q, k)
    assert s.tolist() == [[[0, 1]], [[2, 3]]]
    p = np.array([[[16384, 16384]], [[32767, 0]]], np.int16)
    v = np.array([[10, 20], [30, 40]], np.int8)
    n = node("matmul_pv", heads=2, kv_heads=1, head_dim=2, p_zero_point=0, v_zero_point=0, y_zero_point=0,
             multiplier=1 << 30, shift=-14, act_min=-128, act_max=127)  # 2^-15
    y = matmul_pv(n, "int8", p, v)
    assert y.tolist() == [[20, 30, 10, 20]]  # head0: mean of rows; head1: ~row 0


# ---------------------------------------------------------------- norms
def test_layernorm_hand_case():
    """x = [1, 3] (C=2): d = [-2, 2], ss = 8, r = 2, n = [-2^21, 2^21] (|n| <= 2^20 * sqrt(C))... with gamma 1, shift 20:
    y = round(n / 2^20) = [-2, 2] = (x - mean) / sigma * sqrt(C)^0 ... checked numerically below."""
    n = node("layernorm", x_zero_point=0, eps=0, shift=20, y_zero_point=0, act_min=-128, act_max=127)
    y = layernorm(n, "int8", np.array([[1, 3]], np.int8), np.array([1, 1]), np.array([0, 0]))
    # d = 2*[1,3] - 4 = [-2, 2]; ss = 8; r = isqrt(8) = 2; n = round(d * 2^20 / 2) = [-2^20, 2^20]; y = [-1, 1]
    assert y.tolist() == [[-1, 1]]


def test_layernorm_rmsnorm_against_float():
    rng = np.random.default_rng(1)
    c = 384
    x = rng.normal(0, 3000, (5, c)).clip(-32768, 32767).astype(np.int16)
    sx, sy = 0.001, 4 / 127
    gamma = rng.uniform(0.5, 1.5, c)
    beta = rng.uniform(-0.5, 0.5, c)
    gr = gamma * math.sqrt(c) / (2 ** 20 * sy)
    shift = 23 - math.frexp(gr.max())[1]
    n = node("layernorm", x_zero_point=0, eps=0, shift=shift, y_zero_point=0, act_min=-128, act_max=127)
    y = layernorm(n, "int8", x, np.round(gr * 2 ** shift), np.round(beta / sy * 2 ** shift)) * sy
    xf = x * sx
    ref = (xf - xf.mean(1, keepdims=True)) / xf.std(1, keepdims=True) * gamma + beta
    assert np.abs(y - np.clip(ref, -128 * sy, 127 * sy)).max() <= 0.5 * sy + 1e-3  # output rounding + Q20 normalization
    n = node("rmsnorm", x_zero_point=0, pre_shift=0, eps=0, shift=shift, y_zero_point=0, act_min=-128, act_max=127)
    y = rmsnorm(n, "int8", x, np.round(gr * 2 ** shift)) * sy
    ref = xf / np.sqrt((xf ** 2).mean(1, keepdims=True)) * gamma
    assert np.abs(y - np.clip(ref, -128 * sy, 127 * sy)).max() <= 0.5 * sy + 1e-3


# ---------------------------------------------------------------- rope, embedding, wide fc
def test_rope_hand_case_and_float():
    cos = np.array([[16384], [0]], np.int16)  # position 0: angle 0; position 1: angle pi/2
    sin = np.array([[0], [16384]], np.int16)
    n = node("rope", heads=1, head_dim=2, x_zero_point=0, y_zero_point=0, multiplier=1 << 30, shift=-13,
             act_min=-128, act_max=127)  # 2^-14
    y = rope(n, "int8", np.array([[3, 5], [3, 5]], np.int8), np.array([0, 1], np.int32), cos, sin)
    assert y.tolist() == [[3, 5], [-5, 3]]  # rotation by 90 degrees of (3, 5)
    with pytest.raises(GraphError, match="position out of range"):
        rope(n, "int8", np.array([[3, 5]], np.int8), np.array([2], np.int32), cos, sin)


def test_embedding_lookup_and_range():
    t = np.arange(12, dtype=np.int16).reshape(4, 3)
    assert embedding(node("embedding"), "int16", np.array([2, 0], np.int32), t).tolist() == [[6, 7, 8], [0, 1, 2]]
    with pytest.raises(GraphError, match="out of range"):
        embedding(node("embedding"), "int16", np.array([4], np.int32), t)


def test_fully_connected_wide_matches_grouped_and_widens():
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 127, (3, 8)).astype(np.int8)
    w = rng.integers(-8, 7, (4, 8)).astype(np.int8)
    b = rng.integers(-100, 100, 4).astype(np.int32)
    gs = rng.integers(1, 50, (4, 2)).astype(np.int32)
    mult = np.full(4, 1 << 30, np.int32)
    shift = np.full(4, -3, np.int32)
    a = {"x_zero_point": 3, "y_zero_point": 0, "act_min": -128, "act_max": 127, "group_size": 4, "weight_bits": 4}
    tensors = {"x": TensorInfo("x", (3, 8), "int8", 1.0, 3), "y": TensorInfo("y", (3, 4), "int8", 1.0, 0)}
    consts = {"w": w, "b": b, "gs": gs, "m": mult, "s": shift}
    g = Graph("g", ["x"], ["y"], tensors, consts, [Node("fully_connected_grouped", "fc", ["x", "w", "b", "gs", "m", "s"],
                                                        ["y"], a)])
    validate(g, integer_only=True)
    y8 = R.run(g, {"x": x})["y"]
    y16 = fully_connected_wide(Node("fully_connected_wide", "w", [], ["y"], {**a, "act_min": -32768, "act_max": 32767}),
                               "int16", x, w, b, gs, mult, shift)
    exact = b[None].astype(np.int64) + sum(
        gs[:, gi][None] * ((x[:, gi * 4:(gi + 1) * 4].astype(np.int64) - 3) @ w[:, gi * 4:(gi + 1) * 4].T.astype(np.int64))
        for gi in range(2))
    assert np.array_equal(np.clip(y16, -128, 127), y8)  # same result as the int8 op, only wider
    assert np.abs(y16.astype(np.float64) - exact / 16).max() <= 0.5  # multiplier 2^-4: one rounding


def test_float_op_is_rejected_in_an_integer_graph():
    tensors = {"a": TensorInfo("a", (2, 3), "float32"), "b": TensorInfo("b", (2, 3), "float32"),
               "y": TensorInfo("y", (2, 3), "float32")}
    g = Graph("g", ["a", "b"], ["y"], tensors, {}, [Node("add_f32", "add", ["a", "b"], ["y"])])
    validate(g, integer_only=False)
    with pytest.raises(GraphError, match="float op"):
        validate(g, integer_only=True)


def test_qmax_table():
    assert QMAX["int16"] == 32767
