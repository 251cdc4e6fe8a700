"""One node as a C kernel call and constants as C arrays: the pieces of codegen/kernel_cases.py's programs (a
whole graph is lowered by codegen/lower.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen.errors import CodegenError
from codegen.op_calls import C_TYPE, OpEnv, emit_node
from codegen.op_calls_f32 import f32_literal  # exact: the C weights equal the graph's bit for bit
from quant.ir import Graph

def lower_node(graph: Graph, n, x: str, y: str, const, family: str = "scalar",
               extensions: tuple[str, ...] = ()) -> tuple[str, set[Path]]:
    """One batch-1 node -> (the C statement calling its kernel, the kernel files to link). `const(key, array,
    ctype)` emits a constant array and returns its C name; x / y are the C expressions of its first input and its
    output (codegen/op_calls.py lowers every op; this is its one-row form)."""
    where = {n.inputs[0]: x, n.outputs[0]: y}

    def buf(tensor: str, row0: str) -> str:
        if tensor not in where:
            raise CodegenError(f"node {n.name}: input {tensor} has no buffer in a one-input program")
        return where[tensor]

    return emit_node(graph, n, OpEnv(buf=buf, const=const, rows="1", family=family, extensions=extensions))


def _c_array(ctype: str, name: str, values: np.ndarray) -> str:
    flat = values.reshape(-1)
    if ctype == "float":
        items = [f32_literal(v) for v in flat.astype(np.float32)]
    else:
        items = [str(int(v)) for v in flat]
    lines = [", ".join(items[i:i + 16]) for i in range(0, len(items), 16)]
    body = ",\n  ".join(lines)
    return f"const {ctype} {name}[{len(flat)}] __attribute__((aligned(16))) = {{\n  {body}\n}};\n"
