"""The IntGraph IR: tensors, constants and a topologically ordered list of nodes.

One small IR carries both the captured FP32 model and its integer-only version; what makes a graph integer-only
is that none of its ops is a float op (`validate(..., integer_only=True)` checks that). Op semantics are defined
by quant/reference.py; attributes are JSON values, constant tensors are numpy arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "float32": np.float32}

# op -> (is_float, input roles, required attributes)
OPS: dict[str, tuple[bool, tuple[str, ...], tuple[str, ...]]] = {
    # y = x @ w.T + b, optional relu. x [B, K] float32, w [N, K], b [N].
    "fully_connected_f32": (True, ("x", "weight", "bias"), ("relu",)),
    "relu_f32": (True, ("x",), ()),
    # int8 x [B, K], int8 w [N, K] symmetric per output channel, int32 b [N],
    # optional attribute weight_bits (8 default, or 4: w values in [-8, 7], stored unpacked in an int8 array;
    # codegen packs them two per byte in the layout each kernel wants),
    # int32 multiplier [N] and shift [N]: y = clamp(requant(sum_k (x - x_zp) * w + b) + y_zp, act_min, act_max)
    "fully_connected": (False, ("x", "weight", "bias", "multiplier", "shift"),
                        ("x_zero_point", "y_zero_point", "act_min", "act_max")),
    # Group-wise weights (int8 or int4) with integer per-group scale factors: for groups of `group_size` along K,
    #   acc[b, n] = bias[n] + sum_g group_scale[n, g] * sum_{k in g} (x[b, k] - x_zero_point) * w[n, k]
    # then requantized per output channel as above. group_scale int32 [N, K/group_size], values in [0, 2^15).
    "fully_connected_grouped": (False, ("x", "weight", "bias", "group_scale", "multiplier", "shift"),
                                ("x_zero_point", "y_zero_point", "act_min", "act_max", "group_size", "weight_bits")),
    # int8 relu in the quantized domain: y = max(x, zero_point) (scale and zero point unchanged)
    "relu": (False, ("x",), ("zero_point",)),
    # ---- transformer ops: integer semantics in the docstrings of quant/ops/<module>.py (the C kernels' spec) ----
    # fully_connected_grouped with int8/int16 x and int8/int16/int32 output (quant/ops/linear.py)
    "fully_connected_wide": (False, ("x", "weight", "bias", "group_scale", "multiplier", "shift"),
                             ("x_zero_point", "y_zero_point", "act_min", "act_max", "group_size", "weight_bits")),
    # quant/ops/attention.py
    "matmul_qk": (False, ("q", "k"), ("heads", "kv_heads", "head_dim", "q_zero_point", "k_zero_point",
                                      "y_zero_point", "multiplier", "shift", "act_min", "act_max")),
    "softmax": (False, ("x",), ("in_multiplier", "in_shift", "causal")),
    "matmul_pv": (False, ("p", "v"), ("heads", "kv_heads", "head_dim", "p_zero_point", "v_zero_point",
                                      "y_zero_point", "multiplier", "shift", "act_min", "act_max")),
    # quant/ops/elementwise.py
    "add": (False, ("a", "b"), ("a_zero_point", "b_zero_point", "y_zero_point", "a_multiplier", "b_multiplier",
                                "shift", "act_min", "act_max")),
    "mul": (False, ("a", "b"), ("a_zero_point", "b_zero_point", "y_zero_point", "multiplier", "shift",
                                "act_min", "act_max")),
    "gelu": (False, ("x",), ("x_zero_point", "in_multiplier", "in_shift", "out_multiplier", "out_shift",
                             "y_zero_point", "act_min", "act_max")),
    "silu": (False, ("x",), ("x_zero_point", "in_multiplier", "in_shift", "out_multiplier", "out_shift",
                             "y_zero_point", "act_min", "act_max")),
    # quant/ops/norm.py
    "layernorm": (False, ("x", "gamma", "beta"), ("x_zero_point", "eps", "shift", "y_zero_point", "act_min",
                                                  "act_max")),
    "rmsnorm": (False, ("x", "gamma"), ("x_zero_point", "pre_shift", "eps", "shift", "y_zero_point", "act_min",
                                        "act_max")),
    # quant/ops/rope.py, quant/ops/embedding.py
    "rope": (False, ("x", "positions", "cos", "sin"), ("heads", "head_dim", "x_zero_point", "y_zero_point",
                                                      "multiplier", "shift", "act_min", "act_max")),
    "embedding": (False, ("ids", "table"), ()),
    # quant/ops/linear_quant.py: asymmetric group-wise weights (integer scale and offset per group), static or
    # dynamic per-row (per-token) int8 input quantization; quant/ops/gather.py: channel gather (the outlier split)
    "fully_connected_asym": (False, ("x", "weight", "bias", "group_scale", "group_offset", "multiplier", "shift"),
                             ("x_zero_point", "y_zero_point", "act_min", "act_max", "group_size", "weight_bits")),
    "fully_connected_dynamic": (False, ("x", "weight", "bias", "group_scale", "group_offset", "multiplier", "shift"),
                                ("x_zero_point", "y_zero_point", "act_min", "act_max", "group_size",
                                 "weight_bits")),
    "channel_gather": (False, ("x", "index"), ("x_zero_point", "multiplier", "shift", "y_zero_point", "act_min",
                                               "act_max")),
    # ---- float32 counterparts of captured graphs (quant/ops/float_ops.py) ----
    "embedding_f32": (True, ("ids", "table"), ()),
    "add_f32": (True, ("a", "b"), ()),
    "mul_f32": (True, ("a", "b"), ()),
    "layernorm_f32": (True, ("x", "gamma", "beta"), ("eps",)),
    "rmsnorm_f32": (True, ("x", "gamma"), ("eps",)),
    "gelu_f32": (True, ("x",), ("approximate",)),
    "silu_f32": (True, ("x",), ()),
    "softmax_f32": (True, ("x",), ("causal",)),
    "matmul_qk_f32": (True, ("q", "k"), ("heads", "kv_heads", "head_dim", "scale")),
    "matmul_pv_f32": (True, ("p", "v"), ("heads", "kv_heads", "head_dim")),
    "rope_f32": (True, ("x", "positions", "cos", "sin"), ("heads", "head_dim")),
}


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | None = None  # quantization parameters of an activation tensor (None for float tensors)
    zero_point: int | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "scale": self.scale, "zero_point": self.zero_point}


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"op": self.op, "name": self.name, "inputs": list(self.inputs), "outputs": list(self.outputs),
                "attrs": self.attrs}


@dataclass
class Graph:
    name: str
    inputs: list[str]
    outputs: list[str]
    tensors: dict[str, TensorInfo]
    constants: dict[str, np.ndarray]
    nodes: list[Node]
    meta: dict = field(default_factory=dict)

    @property
    def is_integer(self) -> bool:
        return not any(OPS[n.op][0] for n in self.nodes if n.op in OPS)

    def weight_bytes(self) -> int:
        """Bytes of constant data (weights, biases, requantization parameters)."""
        return int(sum(a.nbytes for a in self.constants.values()))

    def macs(self) -> int:
        """Multiply-accumulates of one inference (batch 1)."""
        total = 0
        for n in self.nodes:
            if n.op in ("fully_connected", "fully_connected_f32", "fully_connected_grouped", "fully_connected_wide",
                        "fully_connected_asym", "fully_connected_dynamic"):
                total += int(np.prod(self.constants[n.inputs[1]].shape))
        return total
