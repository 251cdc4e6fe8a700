"""The C lowering of the FP32 ops (quant/ops/float_ops.py) whose call is not the op table's default (op_calls.py
default_call): each call with its prototype from ig_ops_f32.h, float attributes as exact hex-float literals
(docs/modules.md)."""
from __future__ import annotations

import math
import re

import numpy as np

from codegen.errors import CodegenError
from codegen.op_calls import RUNTIME_C, OpEnv, _io, _kernel, _length
from quant.ir import Graph, Node

HEADER = RUNTIME_C / "include" / "ig_ops_f32.h"
_PROTOTYPE = re.compile(r"^(?:void|int32_t)\s+(ig_\w+_f32)\s*\([^;]*?\);", re.S | re.M)
PROTOTYPES = {m.group(1): " ".join(m.group(0).split())  # entry point -> its prototype on one line
              for m in _PROTOTYPE.finditer(re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S))}


def f32_literal(v) -> str:
    """The exact C literal of float32(v) (hex float), e.g. eps 1e-5 -> 0x1.4f8b58p-17f."""
    f = np.float32(v)
    if not math.isfinite(float(f)):
        raise CodegenError(f"float attribute {v!r} is not a finite float32")
    return float(f).hex() + "f"


def _call(fn: str, args: list, env: OpEnv | None = None, stem: str | None = None):
    """`{ <prototype>; fn(args); }` (op_calls.py _kernel) and its (entry point, file stem)."""
    if fn not in PROTOTYPES:
        raise CodegenError(f"{fn} is not declared in {HEADER}")
    return _kernel(fn, stem or fn, args, env)


def _activation(g: Graph, n: Node, env: OpEnv):
    """gelu_f32: exact, or its tanh approximation in the same file."""
    approx = n.attrs.get("approximate", "none")
    if approx not in ("none", "tanh"):
        raise CodegenError(f"node {n.name}: gelu approximate={approx!r}; the kernels implement 'none' and 'tanh'")
    x, y = _io(env, n)
    fn = "ig_gelu_tanh_f32" if approx == "tanh" else "ig_gelu_f32"
    return _call(fn, [x, _length(g, n, env), y], stem=f"ig_{n.op}")


def _rope(g: Graph, n: Node, env: OpEnv):
    a = n.attrs
    cos, sin = g.constants[n.inputs[2]], g.constants[n.inputs[3]]
    if int(a["head_dim"]) % 2 or cos.shape != sin.shape or cos.shape[-1] != int(a["head_dim"]) // 2:
        raise CodegenError(f"node {n.name}: rope needs an even head_dim and cos / sin tables of "
                           f"[positions, head_dim / 2], got head_dim {a['head_dim']} and {cos.shape} / {sin.shape}")
    x, y = _io(env, n)
    cc, cs = (env.const(t, g.constants[t], "float") for t in n.inputs[2:4])
    return _call("ig_rope_f32", [x, env.rows, env.buf(n.inputs[1], "0"), cc, cs, cos.shape[0], a["heads"],
                                 a["head_dim"], y], env)
