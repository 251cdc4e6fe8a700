"""The op table: every IntGraph op declared once (as tinygrad's Ops / GroupOp + spec); the reference interpreter,
validation (quant/ops/checks.py check_<check>), the op groups and the C lowering are keyed by it. An op's reference
kernel is the function named like it in quant/ops/<semantics>.py; docs/extending.md says how to add an op.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class OpDef:
    name: str
    roles: tuple[str, ...]       # the inputs, in order
    attrs: tuple[str, ...]       # required attributes
    groups: frozenset[str]
    semantics: str               # quant/ops/<semantics>.py holds the reference kernel named like the op
    check: str                   # quant/ops/checks.py check_<check> validates a node
    twin: str | None = None      # an integer op: the float op it quantizes
    int8_inputs: tuple[int, ...] = ()  # a float op: the inputs its integer form reads as int8

    @property
    def is_float(self) -> bool:
        return Group.FLOAT in self.groups

    @cached_property
    def reference(self) -> Callable:
        return getattr(importlib.import_module(f"quant.ops.{self.semantics}"), self.name)

    @cached_property
    def validator(self) -> Callable:
        return getattr(importlib.import_module("quant.ops.checks"), f"check_{self.check}")


_REQ = ("x_zero_point", "y_zero_point", "act_min", "act_max")   # a requantized int output
_GROUPED = _REQ + ("group_size", "weight_bits")
_FC = ("x", "weight", "bias")
_ATTN = ("heads", "kv_heads", "head_dim")
_ACT = ("x_zero_point", "in_multiplier", "in_shift", "out_multiplier", "out_shift", "y_zero_point", "act_min",
        "act_max")
F, FC, ROW, ATT, SEQ, NORM, ACT, SCO, R_OUT, R_IN = (
    Group.FLOAT, Group.FULLY_CONNECTED, Group.ROW_WISE, Group.ATTENTION, Group.SEQUENCE, Group.NORM, Group.ACTIVATION,
    Group.SCORES, Group.RESIDUAL_OUT, Group.RESIDUAL_IN)


def _op(name, roles, attrs, groups, semantics, check, twin=None, int8_inputs=()) -> OpDef:
    return OpDef(name, tuple(roles), tuple(attrs), frozenset(groups), semantics, check, twin, tuple(int8_inputs))


OPTABLE: dict[str, OpDef] = {o.name: o for o in (
    # ---- the integer ops
    _op("fully_connected", _FC + ("multiplier", "shift"), _REQ, (FC, ROW), "linear", "fully_connected",
        "fully_connected_f32"),
    _op("fully_connected_grouped", _FC + ("group_scale", "multiplier", "shift"), _GROUPED, (FC, ROW), "linear",
        "fully_connected", "fully_connected_f32"),
    _op("fully_connected_wide", _FC + ("group_scale", "multiplier", "shift"), _GROUPED, (FC, ROW), "linear",
        "fully_connected_wide", "fully_connected_f32"),
    _op("fully_connected_asym", _FC + ("group_scale", "group_offset", "multiplier", "shift"), _GROUPED, (FC, ROW),
        "linear_quant", "fully_connected_asym", "fully_connected_f32"),
    _op("fully_connected_dynamic", _FC + ("group_scale", "group_offset", "multiplier", "shift"), _GROUPED,
        (FC, ROW), "linear_quant", "fully_connected_dynamic", "fully_connected_f32"),
    _op("channel_gather", ("x", "index"), ("x_zero_point", "multiplier", "shift", "y_zero_point", "act_min",
                                           "act_max"), (ROW,), "gather", "channel_gather"),
    _op("relu", ("x",), ("zero_point",), (ROW,), "elementwise", "relu", "relu_f32"),
    _op("add", ("a", "b"), ("a_zero_point", "b_zero_point", "y_zero_point", "a_multiplier", "b_multiplier", "shift",
                            "act_min", "act_max"), (ROW,), "elementwise", "add", "add_f32"),
    _op("mul", ("a", "b"), ("a_zero_point", "b_zero_point", "y_zero_point", "multiplier", "shift", "act_min",
                            "act_max"), (ROW,), "elementwise", "mul", "mul_f32"),
    _op("gelu", ("x",), _ACT, (ROW, ACT), "elementwise", "activation", "gelu_f32"),
    _op("silu", ("x",), _ACT, (ROW, ACT), "elementwise", "activation", "silu_f32"),
    _op("layernorm", ("x", "gamma", "beta"), ("x_zero_point", "eps", "shift", "y_zero_point", "act_min", "act_max"),
        (ROW, SEQ, NORM), "norm", "norm", "layernorm_f32"),
    _op("rmsnorm", ("x", "gamma"), ("x_zero_point", "pre_shift", "eps", "shift", "y_zero_point", "act_min",
                                    "act_max"), (ROW, SEQ, NORM), "norm", "norm", "rmsnorm_f32"),
    # c tanh(x / c) on attention scores [heads, T, S] as on logits [T, V]: elementwise, each row on its own
    _op("softcap", ("x",), _ACT, (ROW,), "softcap", "activation", "softcap_f32"),
    _op("head_rmsnorm", ("x", "gamma"), ("heads", "head_dim", "x_zero_point", "pre_shift", "eps", "shift",
                                         "y_zero_point", "act_min", "act_max"), (ROW, SEQ), "head_norm",
        "head_rmsnorm", "head_rmsnorm_f32"),
    _op("rope", ("x", "positions", "cos", "sin"), ("heads", "head_dim", "x_zero_point", "y_zero_point", "multiplier",
                                                   "shift", "act_min", "act_max"), (ROW, SEQ), "rope", "rope",
        "rope_f32"),
    _op("embedding", ("ids", "table"), (), (ROW, SEQ), "embedding", "embedding", "embedding_f32"),
    _op("matmul_qk", ("q", "k"), _ATTN + ("q_zero_point", "k_zero_point", "y_zero_point", "multiplier", "shift",
                                          "act_min", "act_max"), (ATT, SEQ, SCO), "attention", "matmul_qk",
        "matmul_qk_f32"),
    _op("softmax", ("x",), ("in_multiplier", "in_shift", "causal"), (ATT, SEQ, SCO), "attention", "softmax",
        "softmax_f32"),
    _op("matmul_pv", ("p", "v"), _ATTN + ("p_zero_point", "v_zero_point", "y_zero_point", "multiplier", "shift",
                                          "act_min", "act_max"), (ATT, SEQ), "attention", "matmul_pv", "matmul_pv_f32"),
    # ---- their float32 counterparts (captured graphs, the FP32 baseline): quant/ops/float_ops.py
    _op("fully_connected_f32", _FC, ("relu",), (F, FC, ROW, R_OUT), "float_ops", "fully_connected", int8_inputs=(0,)),
    _op("relu_f32", ("x",), (), (F, ROW), "float_ops", "relu"),
    _op("embedding_f32", ("ids", "table"), (), (F, ROW, SEQ), "float_ops", "float"),
    _op("add_f32", ("a", "b"), (), (F, ROW, R_OUT, R_IN), "float_ops", "float"),
    _op("mul_f32", ("a", "b"), (), (F, ROW), "float_ops", "float"),
    _op("layernorm_f32", ("x", "gamma", "beta"), ("eps",), (F, ROW, SEQ, NORM), "float_ops", "float"),
    _op("rmsnorm_f32", ("x", "gamma"), ("eps",), (F, ROW, SEQ, NORM, R_IN), "float_ops", "float"),
    # not NORM: its gain of head_dim serves every head, so SmoothQuant has no per-channel gain to fold into
    _op("head_rmsnorm_f32", ("x", "gamma"), ("heads", "head_dim", "eps"), (F, ROW, SEQ), "head_norm", "float"),
    _op("softcap_f32", ("x",), ("cap",), (F, ROW), "softcap", "float"),
    _op("gelu_f32", ("x",), ("approximate",), (F, ROW, ACT), "float_ops", "float"),
    _op("silu_f32", ("x",), (), (F, ROW, ACT), "float_ops", "float"),
    _op("softmax_f32", ("x",), ("causal",), (F, ATT, SEQ, SCO), "float_ops", "float"),
    _op("matmul_qk_f32", ("q", "k"), _ATTN + ("scale",), (F, ATT, SEQ, SCO), "float_ops", "float", int8_inputs=(0, 1)),
    _op("matmul_pv_f32", ("p", "v"), _ATTN, (F, ATT, SEQ), "float_ops", "float", int8_inputs=(1,)),
    _op("rope_f32", ("x", "positions", "cos", "sin"), ("heads", "head_dim"), (F, ROW, SEQ), "float_ops", "float",
        int8_inputs=(0,)),
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

