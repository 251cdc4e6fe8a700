"""The op table: every IntGraph op declared once (as tinygrad's Ops / GroupOp + spec): its roles, attributes and
groups, its reference kernel (the function named like it in quant/ops/<semantics>.py), its static check (the
declarative `Rules` here, plus quant/ops/checks.py check_<check> where a bound needs code) and its C call (`CCall`:
the convention most kernels follow, or the codegen handler that lowers it). The reference interpreter, validation,
the op groups, the C lowering and the host engine are keyed by it; docs/extending.md says how to add an op.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable


class Group:
    """Op groups (tinygrad's GroupOp): the sets the passes and the lowering branch on, instead of op-name lists."""
    FLOAT = "float"                       # float32 arithmetic: captured graphs and the FP32 baseline
    FULLY_CONNECTED = "fully_connected"   # x @ weight.T: the weight matrix [N, K] is input 1 (MACs, weight bytes)
    ROW_WISE = "row_wise"                 # each row (token) is computed from the same row of its inputs only
    ATTENTION = "attention"               # reads every key / value row up to the current position
    SEQUENCE = "sequence"                 # only transformers have it: a graph with one is lowered as a sequence
    NORM = "norm"                         # a per-row normalization with a gain (SmoothQuant folds scales into it)
    ACTIVATION = "activation"             # a smooth pointwise nonlinearity (gelu, silu: integer form through Q12)
    SCORES = "scores"                     # attention scores / probabilities [heads, T, T]: quantized to int16
    # the float ops whose integer form may write / read an int32 residual stream (quant/transformer_ptq.plan_dtypes);
    # an op in both is the residual sum
    RESIDUAL_OUT = "residual_out"
    RESIDUAL_IN = "residual_in"
    GROUP_OFFSET = "group_offset"         # a fully connected layer with per-group weight offsets (asymmetric)
    DYNAMIC = "dynamic"                   # quantizes its input per row at run time (fully_connected_dynamic)


INT = ("int8", "int16", "int32")
I8, I16, I32, F32 = ("int8",), ("int16",), ("int32",), ("float32",)
NARROW = ("int8", "int16")


@dataclass(frozen=True)
class Rules:
    """The declarative part of an op's static check (quant/ops/checks.py applies it, then check_<check> if the op
    names one): the dtypes each input role (None: any) and the output may take, the roles that must be constants,
    one shape for the inputs and the output, a clamped integer output (y_zero_point, act_min <= act_max in the
    output's dtype), multipliers in [0, 2^31), shifts in [0, 62], integer attributes in [lo, hi], true / false
    flags. An attribute <role>_zero_point always lies within that input's dtype."""
    inputs: tuple[tuple[str, ...] | None, ...] = ()
    output: tuple[str, ...] | None = None
    consts: tuple[int, ...] = ()
    same_shape: bool = False
    clamp: bool = False
    multipliers: tuple[str, ...] = ()
    shifts: tuple[str, ...] = ()
    ranges: tuple[tuple[str, int, int], ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CCall:
    """The op's C call (codegen/op_calls.py). Without a handler, the convention: `ig_<op>` plus the dtype suffix
    of each `variant` tensor (a role, or "out"; default: the first input and the output; float32 adds none), called
    with the computed inputs' pointers, the `sizes` ("length": the elements this call computes; "rows", "channels",
    "kv_len", "groups": softmax's leading dimensions), the constant inputs as arrays, the attributes in declared
    order (an integer whose range exceeds int32 as (hi, lo) halves, a float as an exact float literal, a flag as
    0 / 1) and the output's pointer; defined in runtime_c/kernels/<family>/<file>.c (default ig_<op>.c). An op with
    real lowering logic names its handler instead: "<codegen module>.<function>"."""
    sizes: tuple[str, ...] = ("length",)
    variant: tuple[str, ...] | None = None
    file: str | None = None
    handler: str | None = None


@dataclass(frozen=True)
class OpDef:
    name: str
    roles: tuple[str, ...]       # the inputs, in order
    attrs: tuple[str, ...]       # required attributes (the default C call passes them in this order)
    groups: frozenset[str]
    semantics: str               # quant/ops/<semantics>.py (or a dotted module) holds the reference kernel
    rules: Rules = field(default_factory=Rules)
    check: str | None = None     # quant/ops/checks.py check_<check>: the bounds that need code
    c: CCall = field(default_factory=CCall)
    twin: str | None = None      # an integer op: the float op it quantizes
    int8_inputs: tuple[int, ...] = ()  # a float op: the inputs its integer form reads as int8

    @property
    def is_float(self) -> bool:
        return Group.FLOAT in self.groups

    @cached_property
    def reference(self) -> Callable:
        module = self.semantics if "." in self.semantics else f"quant.ops.{self.semantics}"
        return getattr(importlib.import_module(module), self.name)

    @cached_property
    def validator(self) -> Callable | None:
        return getattr(importlib.import_module("quant.ops.checks"), f"check_{self.check}") if self.check else None


_CLAMP = ("y_zero_point", "act_min", "act_max")
_REQ = ("x_zero_point",) + _CLAMP   # a requantized int output
_GROUPED = _REQ + ("group_size", "weight_bits")
_FC = ("x", "weight", "bias")
_ATTN = ("heads", "kv_heads", "head_dim")
_HEADS = tuple((k, 1, 1 << 15) for k in _ATTN)
_ACT = ("x_zero_point", "in_multiplier", "in_shift", "out_multiplier", "out_shift") + _CLAMP
_ACT_RULES = Rules((INT,), INT, same_shape=True, clamp=True, multipliers=("in_multiplier", "out_multiplier"),
                   shifts=("in_shift", "out_shift"))
_EPS = ("eps", 0, 1 << 60)
_NORM_C = CCall(("rows", "channels"))
_ATTN_C = CCall(("rows", "kv_len"))
F, FC, ROW, ATT, SEQ, NORM, ACT, SCO, R_OUT, R_IN, GOFF, DYN = (
    Group.FLOAT, Group.FULLY_CONNECTED, Group.ROW_WISE, Group.ATTENTION, Group.SEQUENCE, Group.NORM, Group.ACTIVATION,
    Group.SCORES, Group.RESIDUAL_OUT, Group.RESIDUAL_IN, Group.GROUP_OFFSET, Group.DYNAMIC)


def _op(name, roles, attrs, groups, semantics, rules=Rules(), check=None, c=CCall(), twin=None,
        int8_inputs=()) -> OpDef:
    return OpDef(name, tuple(roles), tuple(attrs), frozenset(groups), semantics, rules, check, c, twin,
                 tuple(int8_inputs))


def _fc(name, roles, attrs, semantics, check, handler, x, out, groups=()) -> OpDef:
    """[x, weight, bias, group parameters..., multiplier, shift]: an int8 weight and int32 constants."""
    rules = Rules((x, I8) + (I32,) * (len(roles) - 2), out, tuple(range(1, len(roles))), clamp=True)
    return _op(name, roles, attrs, (FC, ROW, *groups), semantics, rules, check, CCall(handler=handler),
               "fully_connected_f32")


def _float(name, roles, attrs, groups, semantics="float_ops", c=CCall(), rules=None, check=None,
           int8_inputs=()) -> OpDef:
    """A float32 op: by default float32 inputs (token ids and positions int32)."""
    rules = rules or Rules(tuple(("float32", "int32") for _ in roles))
    return _op(name, roles, attrs, (F, *groups), semantics, rules, check, c, int8_inputs=int8_inputs)


_FC_GROUPED = _FC + ("group_scale", "multiplier", "shift")
_FC_ASYM = _FC + ("group_scale", "group_offset", "multiplier", "shift")
OPTABLE: dict[str, OpDef] = {o.name: o for o in (
    # ---- the integer ops
    _fc("fully_connected", _FC + ("multiplier", "shift"), _REQ, "linear", "fully_connected", "op_calls._fc", I8, I8),
    _fc("fully_connected_grouped", _FC_GROUPED, _GROUPED, "linear", "fully_connected", "op_calls._fc", I8, I8),
    _fc("fully_connected_wide", _FC_GROUPED, _GROUPED, "linear", "fully_connected_wide", "op_calls._fc", NARROW,
        INT),
    _fc("fully_connected_asym", _FC_ASYM, _GROUPED, "linear_quant", "fully_connected_asym",
        "op_calls_quant._fc_quant", NARROW, INT, (GOFF,)),
    _fc("fully_connected_dynamic", _FC_ASYM, _GROUPED, "linear_quant", "fully_connected_dynamic",
        "op_calls_quant._fc_quant", ("int16", "int32"), INT, (GOFF, DYN)),
    _op("channel_gather", ("x", "index"), ("x_zero_point", "multiplier", "shift") + _CLAMP, (ROW,), "gather",
        Rules((INT, I32), INT, (1,), clamp=True, multipliers=("multiplier",), shifts=("shift",)), "channel_gather",
        CCall(handler="op_calls_quant._channel_gather")),
    _op("relu", ("x",), ("zero_point",), (ROW,), "elementwise",
        Rules((I8,), I8, same_shape=True, ranges=(("zero_point", -128, 127),)), c=CCall(variant=("x",),
                                                                                       file="ig_relu_s8"),
        twin="relu_f32"),
    _op("add", ("a", "b"), ("a_zero_point", "b_zero_point", "a_multiplier", "b_multiplier", "shift") + _CLAMP,
        (ROW,), "elementwise", Rules((INT, INT), INT, same_shape=True, clamp=True,
                                     multipliers=("a_multiplier", "b_multiplier"), shifts=("shift",)), "add",
        CCall(variant=("a", "b", "out")), "add_f32"),
    _op("mul", ("a", "b"), ("a_zero_point", "b_zero_point", "multiplier", "shift") + _CLAMP, (ROW,), "elementwise",
        Rules((INT, INT), INT, same_shape=True, clamp=True, multipliers=("multiplier",), shifts=("shift",)), "mul",
        CCall(variant=("a", "b", "out")), "mul_f32"),
    _op("gelu", ("x",), _ACT, (ROW, ACT), "elementwise", _ACT_RULES, "activation", twin="gelu_f32"),
    _op("silu", ("x",), _ACT, (ROW, ACT), "elementwise", _ACT_RULES, "activation", twin="silu_f32"),
    _op("layernorm", ("x", "gamma", "beta"), ("x_zero_point", "eps", "shift") + _CLAMP, (ROW, SEQ, NORM), "norm",
        Rules((NARROW, I32, I32), NARROW, (1, 2), clamp=True, shifts=("shift",), ranges=(_EPS,)), "norm", _NORM_C,
        "layernorm_f32"),
    _op("rmsnorm", ("x", "gamma"), ("x_zero_point", "pre_shift", "eps", "shift") + _CLAMP, (ROW, SEQ, NORM), "norm",
        Rules((INT, I32), NARROW, (1,), clamp=True, shifts=("shift",), ranges=(_EPS, ("pre_shift", 0, 31))), "norm",
        _NORM_C, "rmsnorm_f32"),
    # c tanh(x / c) on attention scores [heads, T, S] as on logits [T, V]: elementwise, each row on its own
    _op("softcap", ("x",), _ACT, (ROW,), "softcap", _ACT_RULES, "activation",
        CCall(handler="op_calls_quant._softcap"), "softcap_f32"),
    _op("head_rmsnorm", ("x", "gamma"), ("heads", "head_dim", "x_zero_point", "pre_shift", "eps", "shift") + _CLAMP,
        (ROW, SEQ), "head_norm", Rules((INT, I32), NARROW, (1,), clamp=True, shifts=("shift",), ranges=(
            ("heads", 1, 1 << 12), ("head_dim", 1, 1 << 13), _EPS, ("pre_shift", 0, 31))), "head_rmsnorm",
        CCall(handler="op_calls_quant._head_norm"), "head_rmsnorm_f32"),
    _op("rope", ("x", "positions", "cos", "sin"), ("heads", "head_dim", "x_zero_point", "multiplier", "shift")
        + _CLAMP, (ROW, SEQ), "rope", Rules((I8, I32, I16, I16), INT, (2, 3), clamp=True), "rope",
        CCall(handler="op_calls._rope"), "rope_f32"),
    _op("embedding", ("ids", "table"), (), (ROW, SEQ), "embedding", Rules((I32, INT), None, (1,)), "embedding",
        CCall(handler="op_calls._embedding"), "embedding_f32"),
    _op("matmul_qk", ("q", "k"), _ATTN + ("q_zero_point", "k_zero_point", "multiplier", "shift") + _CLAMP,
        (ATT, SEQ, SCO), "attention", Rules((I8, I8), NARROW, clamp=True, ranges=_HEADS), "matmul_qk", _ATTN_C,
        "matmul_qk_f32"),
    _op("softmax", ("x",), ("causal", "in_multiplier", "in_shift"), (ATT, SEQ, SCO), "attention",
        Rules((NARROW,), NARROW, multipliers=("in_multiplier",), shifts=("in_shift",), flags=("causal",)),
        "softmax", CCall(("groups", "rows", "kv_len")), "softmax_f32"),
    _op("matmul_pv", ("p", "v"), _ATTN + ("p_zero_point", "v_zero_point", "multiplier", "shift") + _CLAMP,
        (ATT, SEQ), "attention", Rules((NARROW, I8), NARROW, clamp=True, ranges=_HEADS), "matmul_pv", _ATTN_C,
        "matmul_pv_f32"),
    # ---- their float32 counterparts (captured graphs, the FP32 baseline): quant/ops/float_ops.py
    _float("fully_connected_f32", _FC, ("relu",), (FC, ROW, R_OUT), c=CCall(handler="op_calls._fc_f32"),
           rules=Rules((F32,) * 3), check="fc_shapes", int8_inputs=(0,)),
    _float("relu_f32", ("x",), (), (ROW,), rules=Rules((F32,), F32, same_shape=True)),
    _float("embedding_f32", ("ids", "table"), (), (ROW, SEQ), c=CCall(handler="op_calls._embedding")),
    _float("add_f32", ("a", "b"), (), (ROW, R_OUT, R_IN)),
    _float("mul_f32", ("a", "b"), (), (ROW,)),
    _float("layernorm_f32", ("x", "gamma", "beta"), ("eps",), (ROW, SEQ, NORM), c=_NORM_C,
           rules=Rules((F32,) * 3, consts=(1, 2))),
    _float("rmsnorm_f32", ("x", "gamma"), ("eps",), (ROW, SEQ, NORM, R_IN), c=_NORM_C,
           rules=Rules((F32,) * 2, consts=(1,))),
    # not NORM: its gain of head_dim serves every head, so SmoothQuant has no per-channel gain to fold into
    _float("head_rmsnorm_f32", ("x", "gamma"), ("heads", "head_dim", "eps"), (ROW, SEQ), "head_norm",
           CCall(handler="op_calls_quant._head_norm")),
    _float("softcap_f32", ("x",), ("cap",), (ROW,), "softcap", CCall(handler="op_calls_quant._softcap")),
    _float("gelu_f32", ("x",), ("approximate",), (ROW, ACT), c=CCall(handler="op_calls_f32._activation")),
    _float("silu_f32", ("x",), (), (ROW, ACT)),
    _float("softmax_f32", ("x",), ("causal",), (ATT, SEQ, SCO), c=CCall(("groups", "rows", "kv_len"))),
    _float("matmul_qk_f32", ("q", "k"), _ATTN + ("scale",), (ATT, SEQ, SCO), c=_ATTN_C, int8_inputs=(0, 1)),
    _float("matmul_pv_f32", ("p", "v"), _ATTN, (ATT, SEQ), c=_ATTN_C, int8_inputs=(1,)),
    _float("rope_f32", ("x", "positions", "cos", "sin"), ("heads", "head_dim"), (ROW, SEQ),
           c=CCall(handler="op_calls_f32._rope"), int8_inputs=(0,)),
)}


def ops_in(group: str) -> frozenset[str]:
    """The names of the ops in a group."""
    return frozenset(n for n, o in OPTABLE.items() if group in o.groups)


def quantized_op(float_op: str) -> str:
    """The integer op whose twin is `float_op` (the fully connected layers have several: their lowering picks)."""
    ops = [n for n, o in OPTABLE.items() if o.twin == float_op]
    if len(ops) != 1:
        raise KeyError(f"{float_op} has {len(ops)} integer twins: {', '.join(ops) or 'none'}")
    return ops[0]


def in_group(op: str, group: str) -> bool:
    o = OPTABLE.get(op)
    return o is not None and group in o.groups
