"""Lowers a graph to C: weights.c (const arrays), model.c (one function per layer, a static arena),
model.h (the API) and main.c (the run harness that reads `.ig_input` and writes the outputs as hex).

Integer graphs use the int8 kernels; FP32 graphs the float kernels (the baseline of the same model).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.errors import CodegenError
from codegen.memory_plan import Buffer, plan_arena
from codegen.packing import fold_bias, fold_bias_grouped, pack_fc_weights
from codegen.program import Program
from isa.targets import Target
from quant.ir import Graph
from quant.validate import validate

RUNTIME_C = Path(__file__).resolve().parent.parent / "runtime_c"

# op -> kernel source stem (one op per file, as runtime_c/kernels/<family>/); the weight width picks the variant
KERNEL_FOR_OP = {"fully_connected": "ig_fc_s8", "relu": "ig_relu_s8",
                 "fully_connected_f32": "ig_fc_f32", "relu_f32": "ig_relu_f32",
                 "fully_connected_grouped": "ig_fc_grouped_s8"}

C_TYPE = {"int8": "int8_t", "int32": "int32_t", "float32": "float"}


def kernel_source(stem: str, family: str) -> Path:
    """The family's kernel if it has one, else the portable scalar kernel."""
    for fam in (family, "scalar"):
        p = RUNTIME_C / "kernels" / fam / f"{stem}.c"
        if p.exists():
            return p
    raise CodegenError(f"no kernel {stem} in runtime_c/kernels/{family} or scalar")


def lower_node(graph: Graph, n, x: str, y: str, const, family: str = "scalar") -> tuple[str, str]:
    """One node -> (the C statement calling its kernel, the kernel's source stem). `const(key, array, ctype)`
    emits a constant array and returns its C name. Weights are packed here in the layout the kernel family
    reads (codegen/packing.py)."""
    if n.op in ("fully_connected", "fully_connected_grouped"):
        a = n.attrs
        w = graph.constants[n.inputs[1]]
        b = graph.constants[n.inputs[2]]
        nn_, kk = w.shape
        bits = a.get("weight_bits", 8)
        grouped = n.op == "fully_connected_grouped"
        if grouped:
            gsz = int(a["group_size"])
            gsc = graph.constants[n.inputs[3]]
            folded = fold_bias_grouped(b, w, gsc, gsz, a["x_zero_point"])
        else:
            folded = fold_bias(b, w, a["x_zero_point"])  # the kernel then uses x as stored
        stem = KERNEL_FOR_OP[n.op] + ("w4" if bits == 4 else "")
        wfam = kernel_source(stem, family).parent.name  # the family whose kernel is linked decides the layout
        cw = const(f"{n.inputs[1]}.{wfam}.w{bits}", pack_fc_weights(w, bits, wfam), "int8_t")
        cb = const(n.inputs[2] + ".folded", folded, "int32_t")
        cm = const(n.inputs[-2], graph.constants[n.inputs[-2]], "int32_t")
        cs = const(n.inputs[-1], graph.constants[n.inputs[-1]], "int32_t")
        tail = f"{a['y_zero_point']}, {a['act_min']}, {a['act_max']}, {y});"
        if grouped:
            cg = const(n.inputs[3] + ".transposed", np.ascontiguousarray(gsc.T), "int32_t")
            return f"{stem}({x}, {cw}, {cb}, {cg}, {cm}, {cs}, {kk}, {nn_}, {gsz}, {tail}", stem
        return f"{stem}({x}, {cw}, {cb}, {cm}, {cs}, {kk}, {nn_}, {tail}", stem
    if n.op == "relu":
        length = int(np.prod(graph.tensors[n.outputs[0]].shape))
        return f"ig_relu_s8({x}, {length}, {n.attrs['zero_point']}, {y});", "ig_relu_s8"
    if n.op == "fully_connected_f32":
        w = graph.constants[n.inputs[1]]
        nn_, kk = w.shape
        cw = const(n.inputs[1], w, "float")
        cb = const(n.inputs[2], graph.constants[n.inputs[2]], "float")
        return f"ig_fc_f32({x}, {cw}, {cb}, {kk}, {nn_}, {1 if n.attrs['relu'] else 0}, {y});", "ig_fc_f32"
    if n.op == "relu_f32":
        length = int(np.prod(graph.tensors[n.outputs[0]].shape))
        return f"ig_relu_f32({x}, {length}, {y});", "ig_relu_f32"
    raise CodegenError(f"no C lowering for op {n.op} (node {n.name}): supported ops are "
                       f"{', '.join(sorted(KERNEL_FOR_OP))}")


def _ident(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def _c_array(ctype: str, name: str, values: np.ndarray) -> str:
    flat = values.reshape(-1)
    if ctype == "float":
        items = [_hexfloat(v) for v in flat.astype(np.float32)]
    else:
        items = [str(int(v)) for v in flat]
    lines = [", ".join(items[i:i + 16]) for i in range(0, len(items), 16)]
    body = ",\n  ".join(lines)
    return f"const {ctype} {name}[{len(flat)}] __attribute__((aligned(16))) = {{\n  {body}\n}};\n"


def _hexfloat(v: np.float32) -> str:
    """Exact float literal (C99 hex float), so the C weights equal the graph's bit for bit."""
    return float(v).hex() + "f"


@dataclass
class LoweredGraph:
    """A graph lowered to C pieces, before any file is written: the constants (still arrays), the layer functions,
    the arena plan and the kernels. `emit_program` writes it as a run harness, `codegen.firmware` as a library."""
    graph: Graph
    target: Target
    integer: bool
    in_ctype: str
    out_ctype: str
    arena_size: int
    constants: list[tuple[str, str, np.ndarray]]  # (C name, C type, values) in emission order
    layer_functions: list[str]
    layer_bodies: list[str]
    kernel_sources: list[Path]

    @property
    def constant_bytes(self) -> int:
        return int(sum(a.size * (4 if ct in ("int32_t", "float") else 1) for _, ct, a in self.constants))

    def weights_c(self) -> str:
        out = ["/* Generated by intgap: constant tensors of graph " + self.graph.name + ". */", "#include <stdint.h>", ""]
        out += [_c_array(ct, name, a) for name, ct, a in self.constants]
        return "\n".join(out)

    def quantization_macros(self) -> str:
        if not self.integer:
            return ""
        in_t, out_t = self.graph.tensors[self.graph.inputs[0]], self.graph.tensors[self.graph.outputs[0]]
        return (f"/* Quantization of the input and output (real = scale * (q - zero_point)). */\n"
                f"#define IG_MODEL_INPUT_SCALE {in_t.scale!r}\n#define IG_MODEL_INPUT_ZERO_POINT {in_t.zero_point}\n"
                f"#define IG_MODEL_OUTPUT_SCALE {out_t.scale!r}\n#define IG_MODEL_OUTPUT_ZERO_POINT {out_t.zero_point}\n")

    def model_c(self, arena_storage: str = "static") -> str:
        externs = [f"extern const {ct} {name}[{a.size}];" for name, ct, a in self.constants]
        calls = [f"  {fn}(input, output);" for fn in self.layer_functions]
        return "\n".join([
            f"/* Generated by intgap: layers of {self.graph.name}; each layer is one function for the profiler. */",
            '#include "model.h"', '#include "ig_kernels.h"', "",
            *externs, "",
            f"{arena_storage} uint8_t ig_arena[IG_MODEL_ARENA_SIZE > 0 ? IG_MODEL_ARENA_SIZE : 1] "
            "__attribute__((aligned(16)));", "",
            *self.layer_bodies,
            "void ig_model_invoke(const ig_model_input_t *input, ig_model_output_t *output) {",
            *calls, "}", ""])


def lower_graph(graph: Graph, target: Target) -> LoweredGraph:
    """Validates the graph, plans its arena and lowers every node (weights packed for the target's kernels)."""
    validate(graph, integer_only=False)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise CodegenError("code generation handles graphs with one input and one output today")
    if any(graph.tensors[n.outputs[0]].shape[0] != 1 for n in graph.nodes):
        raise CodegenError("code generation expects a graph captured with batch 1 (the harness loops over samples)")
    family = target.kernel_family
    in_t, out_t = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    in_ctype, out_ctype = C_TYPE[in_t.dtype], C_TYPE[out_t.dtype]

    # --- memory plan: every activation except the graph input (caller's buffer) and output (caller's buffer)
    last_use: dict[str, int] = {}
    for i, n in enumerate(graph.nodes):
        for t in n.inputs:
            last_use[t] = i
    buffers = []
    for i, n in enumerate(graph.nodes):
        t = n.outputs[0]
        if t in graph.outputs:
            continue
        info = graph.tensors[t]
        size = int(np.prod(info.shape)) * np.dtype(np.int8 if info.dtype == "int8" else np.float32).itemsize
        buffers.append(Buffer(t, size, i, last_use.get(t, i)))
    placed, arena_size = plan_arena(buffers)
    where = {b.tensor: f"(({C_TYPE[graph.tensors[b.tensor].dtype]} *)(ig_arena + {b.offset}))" for b in placed}
    where[graph.inputs[0]] = "input"
    where[graph.outputs[0]] = "output"

    constants: list[tuple[str, str, np.ndarray]] = []
    consts: dict[str, str] = {}

    def const(key: str, arr: np.ndarray, ctype: str) -> str:
        if key in consts:  # a constant two nodes share is emitted once
            return consts[key]
        cname = "ig_c_" + _ident(key)
        consts[key] = cname
        constants.append((cname, ctype, np.asarray(arr)))
        return cname

    layer_fns: list[str] = []
    kernel_stems: set[str] = set()
    body: list[str] = []
    for i, n in enumerate(graph.nodes):
        fn = f"ig_layer_{i}_{_ident(n.name)}"
        layer_fns.append(fn)
        x, y = where[n.inputs[0]], where[n.outputs[0]]
        stmt, stem = lower_node(graph, n, x, y, const, family)
        kernel_stems.add(stem)
        body.append(f"/* {n.op} {n.name} */\n__attribute__((noinline)) static void {fn}(const {in_ctype} *input, "
                    f"{out_ctype} *output) {{\n  (void)input; (void)output;\n  {stmt}\n}}\n")
    kernels = sorted({kernel_source(stem, family) for stem in kernel_stems})
    return LoweredGraph(graph, target, graph.is_integer, in_ctype, out_ctype, arena_size, constants, layer_fns, body,
                        kernels)


def emit_program(graph: Graph, target: Target, out_dir: Path, samples: int = 1, name: str | None = None) -> Program:
    low = lower_graph(graph, target)
    out_dir.mkdir(parents=True, exist_ok=True)
    in_t, out_t = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    guard = "IG_MODEL_H"
    header = f"""/* Generated by intgap: {'integer-only' if low.integer else 'FP32'} model {graph.name} for {target.name}. */
#ifndef {guard}
#define {guard}
#include <stdint.h>

#define IG_MODEL_INPUT_SIZE {int(np.prod(in_t.shape))}
#define IG_MODEL_OUTPUT_SIZE {int(np.prod(out_t.shape))}
/* Static working memory of one inference, planned from tensor lifetimes. */
#define IG_MODEL_ARENA_SIZE {low.arena_size}
{low.quantization_macros()}
typedef {low.in_ctype} ig_model_input_t;
typedef {low.out_ctype} ig_model_output_t;

void ig_model_invoke(const ig_model_input_t *input, ig_model_output_t *output);
#endif
"""
    main_c = f"""/* Generated by intgap: run harness. The runner patches the inputs into section .ig_input. */
#include "ig_platform.h"
#include "model.h"

#define IG_SAMPLES {samples}
ig_model_input_t ig_input[IG_SAMPLES * IG_MODEL_INPUT_SIZE] IG_INPUT_SECTION = {{1}};
static ig_model_output_t ig_output[IG_SAMPLES * IG_MODEL_OUTPUT_SIZE];

int main(void) {{
  for (int s = 0; s < IG_SAMPLES; s++)
    ig_model_invoke(ig_input + s * IG_MODEL_INPUT_SIZE, ig_output + s * IG_MODEL_OUTPUT_SIZE);
  ig_write_hex(ig_output, sizeof ig_output);
  return 0;
}}
"""
    files = {"model.h": header, "model.c": low.model_c(), "weights.c": low.weights_c(), "main.c": main_c}
    for fname, text in files.items():
        (out_dir / fname).write_text(text)
    return Program(name or graph.name, out_dir, [out_dir / "main.c", out_dir / "model.c", out_dir / "weights.c",
                                                 *low.kernel_sources],
                   np.dtype(np.int8 if in_t.dtype == "int8" else np.float32), int(np.prod(in_t.shape)),
                   np.dtype(np.int8 if out_t.dtype == "int8" else np.float32), int(np.prod(out_t.shape)),
                   samples, low.arena_size, low.layer_functions, target.kernel_family)
