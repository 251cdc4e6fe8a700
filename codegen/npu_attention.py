"""Attention matmuls as NPU jobs (runtime_c/npu/ig_npu.c ig_npu_matmul_qk / ig_npu_matmul_pv, docs/npu.md).

matmul_qk multiplies the query rows by the key cache (its rows kv_heads * head_dim apart, the weights of the job),
matmul_pv the probabilities by the value cache read k-major (its columns); the caches keep their own zero point and
the requantization is per tensor (scalar in the descriptor). The driver issues one job per KV head at decode (the
group's query vectors are adjacent) and one per query head for several rows; the scores use the runtime's causal
length s = pos0 + n, and softmax masks the future positions as on the CPU. A node stays on the CPU when its jobs at
the program's largest shape (max rows, the whole context) would not fit the scratchpads."""
from __future__ import annotations

from pathlib import Path

from codegen.op_calls import RUNTIME_C, OpEnv, c_int
from quant.ir import Graph, Node
from quant.optable import OPTABLE, Group, in_group

DRIVER = RUNTIME_C / "npu" / "ig_npu.c"
OPS = ("matmul_qk", "matmul_pv")
PROTOTYPES = tuple(
    f"int32_t ig_npu_{op}(const {x} *{a}, const int8_t *{b}, int32_t t, int32_t s, int32_t heads, int32_t kv_heads, "
    f"int32_t head_dim, int32_t {a}_zero_point, int32_t {b}_zero_point, int32_t multiplier, int32_t shift, "
    "int32_t y_zero_point, int32_t act_min, int32_t act_max, uint32_t flags, int32_t tag, void *y);"
    for op, x, a, b in (("matmul_qk", "int8_t", "q", "k"), ("matmul_pv", "void", "p", "v")))
_IN_FLAG = {"int8": 0, "int16": 1 << 4}  # ig_npu.h IG_NPU_IN_*, IG_NPU_OUT_* (IG_NPU_W4 = 1)
_OUT_FLAG = {"int8": 0, "int16": 1 << 8, "int32": 2 << 8}


def why_not(g: Graph, n: Node, npu, max_rows: int, context: int) -> str:
    """'' when attention node `n` runs on the NPU, else why it stays on the CPU."""
    x_dt, kv_dt, y_dt = (g.tensors[t].dtype if t in g.tensors else str(g.constants[t].dtype)
                         for t in (n.inputs[0], n.inputs[1], n.outputs[0]))
    ok_in = OPTABLE[n.op].rules.inputs[0]  # the first operand's dtypes: q int8, p int8 / int16
    if x_dt not in ok_in or kv_dt != "int8" or y_dt not in _OUT_FLAG:
        return f"{x_dt} x {kv_dt} -> {y_dt}"
    a = n.attrs
    group, hd = a["heads"] // a["kv_heads"], a["head_dim"]
    m = max(group, max_rows)  # a decode job's rows are the group's heads, a prefill job's the rows of one head
    k, nn = (hd, context) if in_group(n.op, Group.SCORES) else (context, hd)  # q k^T writes the scores
    from isa.npu.cycles import Gemm, scratchpad_check
    return scratchpad_check(Gemm(m, k, nn, 8, 2 if x_dt == "int16" else 1, 1, 1, 0), npu)


def offload(g: Graph, n: Node, env: OpEnv, tag: int) -> tuple[str, list[tuple[str, Path]]]:
    """The C statement running attention node `n` on the NPU (why_not(...) == '')."""
    a = n.attrs
    first, second = OPTABLE[n.op].roles
    flags = _IN_FLAG[g.tensors[n.inputs[0]].dtype] | _OUT_FLAG[g.tensors[n.outputs[0]].dtype]
    args = [env.buf(n.inputs[0], "0"), env.buf(n.inputs[1], "0"), env.rows, env.kv_len,
            *(str(a[k]) for k in ("heads", "kv_heads", "head_dim")),
            *(c_int(a[k]) for k in (f"{first}_zero_point", f"{second}_zero_point", "multiplier", "shift",
                                    "y_zero_point", "act_min", "act_max")),
            f"{flags}u", str(tag), env.buf(n.outputs[0], "0")]
    fn = f"ig_npu_{n.op}"
    return f"if ({fn}({', '.join(args)})) {env.error_return}", [(fn, DRIVER)]
