"""The one lowering of a graph to a C forward step `ig_model_forward(input, n, pos0, out)`: rows, a static arena,
one weight blob and, for attention, a key/value cache (why it equals the reference bit for bit: docs/modules.md)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codegen import npu_calls
from codegen.errors import CodegenError, ModelDoesNotFit
from codegen.memory_plan import Buffer, plan_arena
from codegen.op_calls import ATTENTION, C_TYPE, ROW_WISE, OpEnv, emit_node_calls
from codegen.op_calls_quant import shared_row_quantization
from isa.targets import MemoryRegion, Target
from quant.ir import DTYPES, Graph
from quant.ops.checks import validate
from quant.optable import OPTABLE, Group, in_group

# the constants blob and each tensor in it start on a cache line (64 B, the largest line of the boards): a tensor's
# reads then touch the same lines whatever code or constants precede it (docs/memory-models.md, alignment)
BLOB_ALIGN = 64
LAYER_COPY_SUFFIX = "__L"  # <kernel function>__L<layer index>: the layer's own copy of a kernel


def _itemsize(dtype: str) -> int:
    return np.dtype(DTYPES[dtype]).itemsize


@dataclass
class WeightBlob:
    """Constants packed one after the other (each BLOB_ALIGN-byte aligned), little-endian, addressed by offset."""
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    offsets: dict[str, int] = field(default_factory=dict)
    ctypes: dict[str, str] = field(default_factory=dict)
    by_content: dict[bytes, int] = field(default_factory=dict)  # digest -> offset (tied weights stored once)

    def add(self, key: str, arr: np.ndarray, ctype: str) -> str:
        if key not in self.offsets:
            dt = {"int8_t": "<i1", "int16_t": "<i2", "int32_t": "<i4", "float": "<f4"}[ctype]
            data = np.ascontiguousarray(np.asarray(arr).astype(dt)).tobytes()
            h = hashlib.sha256(data).digest()
            self.ctypes[key] = ctype
            if h in self.by_content:  # the same bytes under another name (an LM head tied to the embedding)
                self.offsets[key] = self.by_content[h]
            else:
                pad = -self.size % BLOB_ALIGN
                if pad:
                    self.parts.append(b"\0" * pad)
                    self.size += pad
                self.offsets[key] = self.by_content[h] = self.size
                self.parts.append(data)
                self.size += len(data)
        return f"((const {self.ctypes[key]} *)(ig_weights + {self.offsets[key]}))"

    def tobytes(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class Lowered:
    graph: Graph
    target: Target
    max_tokens: int
    context: int
    rows: str  # "all" | "last"
    input: str  # input_ids, or an activation tensor [T, C] (a cut-out layer)
    input_dtype: str
    input_channels: int
    output: str
    output_dtype: str
    output_channels: int
    arena_size: int
    kv_bytes: int
    blob: WeightBlob
    model_c: str
    layer_functions: list[str]
    kernel_sources: list[Path]
    copies: list[tuple[Path, str]] = field(default_factory=list)  # (kernel file, symbol suffix) of layer copies


def is_sequence_graph(graph: Graph) -> bool:
    """A transformer graph (token ids or positions in, or an op of the sequence group), whose rows are tokens; in
    any other graph (an MLP) the rows are independent samples."""
    if "input_ids" in graph.inputs or "positions" in graph.inputs:
        return True
    return any(in_group(n.op, Group.SEQUENCE) for n in graph.nodes)


def causal_flags(graph: Graph) -> dict[str, bool]:
    """Input tensor -> whether it is causal, of every op that has a `causal` attribute (the attention softmax)."""
    return {n.inputs[0]: bool(n.attrs["causal"]) for n in graph.nodes if "causal" in OPTABLE[n.op].attrs}


def is_decoder(graph: Graph) -> bool:
    """Takes token ids and every attention is causal: greedy generation applies."""
    causal = causal_flags(graph).values()
    return "input_ids" in graph.inputs and bool(causal) and all(causal)


def vocab_size(graph: Graph) -> int | None:
    """Rows of the token embedding table (the ids the model takes), if the graph takes token ids."""
    for n in graph.nodes:
        if n.inputs[0] == "input_ids" and OPTABLE[n.op].roles == ("ids", "table"):
            return int(graph.constants[n.inputs[1]].shape[0])
    return None


def _attention_caches(g: Graph) -> dict[str, str]:
    """K and V tensors (the second input of an attention op that has one: matmul_qk / matmul_pv) -> their cache's
    C name."""
    caches: dict[str, str] = {}
    for n in g.nodes:
        if n.op in ATTENTION and len(n.inputs) > 1:
            t = n.inputs[1]
            if t in g.constants or t in g.inputs:
                raise CodegenError(f"node {n.name}: keys / values must be computed tensors, not {t!r}")
            caches.setdefault(t, f"ig_kv_{len(caches)}")
    return caches


def _last_row_only(g: Graph, caches: dict[str, str], rows: str) -> set[str]:
    """Tensors of which only the last row is ever read (empty with rows="all")."""
    if rows == "all":
        return set()
    consumers: dict[str, list] = {}
    for n in g.nodes:
        for i, t in enumerate(n.inputs):
            consumers.setdefault(t, []).append((n, i))
    last: set[str] = set(g.outputs)
    for n in reversed(g.nodes):
        out = n.outputs[0]
        if out in g.outputs or out in caches:
            continue
        uses = consumers.get(out, [])
        if uses and all(c.outputs[0] in last and (c.op in ROW_WISE or c.op in ATTENTION and i == 0)
                        for c, i in uses):
            last.add(out)
    return last


def lower(graph: Graph, target: Target, max_tokens: int = 1, context: int | None = None, rows: str = "all",
          layer_copies: bool = False) -> Lowered:
    """The forward step of `graph` for `target`: up to max_tokens rows per call, a cache of `context` positions
    (default max_tokens). layer_copies: every layer calls its own copy of each kernel (docs/modules.md)."""
    validate(graph, integer_only=False)
    context = context or max_tokens
    if rows not in ("all", "last"):
        raise CodegenError(f"rows must be 'all' or 'last', not {rows!r}")
    data_inputs = [t for t in graph.inputs if t != "positions"]
    if len(data_inputs) != 1 or (data_inputs[0] != "input_ids" and len(graph.tensors[data_inputs[0]].shape) != 2):
        raise CodegenError(f"graph {graph.name} has inputs {graph.inputs}: code generation needs one input, int32 "
                           "input_ids [T] or rows [T, C] (a batch-1 MLP: [1, C]), plus optionally positions")
    in_name = data_inputs[0]
    if len(graph.outputs) != 1:
        raise CodegenError(f"graph {graph.name} has {len(graph.outputs)} outputs; code generation handles graphs with "
                           "one input and one output")
    if not is_sequence_graph(graph) and graph.tensors[in_name].shape[0] != 1:
        raise CodegenError(f"graph {graph.name} was captured with batch {graph.tensors[in_name].shape[0]}: code "
                           "generation expects a graph captured with batch 1 (a program's rows are its samples)")
    if not 1 <= max_tokens <= context:
        raise CodegenError(f"max_tokens {max_tokens} must be between 1 and the context {context}")
    limit = graph.meta.get("max_positions")
    if limit is not None and context > int(limit):
        raise CodegenError(f"context {context} exceeds the model's {limit} positions: use --context {limit} or less")
    for n in graph.nodes:
        if "cos" in OPTABLE[n.op].roles:  # rope: a table row per position
            tab = graph.constants[n.inputs[OPTABLE[n.op].roles.index("cos")]].shape[0]
            if context > tab:
                raise CodegenError(f"context {context} exceeds the rope table of {tab} positions ({n.name})")
    caches = _attention_caches(graph)
    causal = causal_flags(graph)
    encoder = bool(causal) and not all(causal.values())
    last = _last_row_only(graph, caches, rows)
    out_name = graph.outputs[0]
    out_t = graph.tensors[out_name]

    def stored_shape(t: str) -> tuple[int, ...]:
        shape = graph.tensors[t].shape
        r = 1 if t in last else max_tokens
        if len(shape) == 3:  # attention scores / probabilities [heads, T, S]
            return (shape[0], r, context)
        return (r,) + tuple(shape[1:])

    # --- memory plan: every tensor but the input (caller), the output (caller) and the caches (static)
    last_use = {t: i for i, n in enumerate(graph.nodes) for t in n.inputs}  # tensor -> its last reader
    buffers = []
    if "positions" in graph.inputs:
        buffers.append(Buffer("positions", max_tokens * 4, -1, last_use.get("positions", -1)))
    for i, n in enumerate(graph.nodes):
        t = n.outputs[0]
        if t == out_name or t in caches:
            continue
        size = int(np.prod(stored_shape(t))) * _itemsize(graph.tensors[t].dtype)
        buffers.append(Buffer(t, size, i, last_use.get(t, i)))
    shared: dict[int, tuple[str, bool]] = {}  # node index -> (its group's row buffer, whether it fills it)
    for ix in shared_row_quantization(graph, last):
        first = graph.nodes[ix[0]]
        rbuf = f"{first.name}.rows_int8"
        k, r = graph.constants[first.inputs[1]].shape[1], 1 if first.inputs[0] in last else max_tokens
        buffers.append(Buffer(rbuf, r * (k + 8), ix[0], ix[-1]))  # int8 rows, then int32 (mr, e) per row
        shared.update({i: (rbuf, i == ix[0]) for i in ix})
    placed, arena_size = plan_arena(buffers)
    offset = {b.tensor: b.offset for b in placed}

    def base(t: str) -> str:
        if t == in_name:
            return "input"
        if t == out_name:
            return "out"
        if t in caches:
            return caches[t]
        ct = "int32_t" if t == "positions" else C_TYPE[graph.tensors[t].dtype]
        return f"(({ct} *)(ig_arena + {offset[t]}))"

    def row_width(t: str) -> int:
        shape = graph.tensors[t].shape
        return int(np.prod(shape[1:])) if len(shape) > 1 else 1

    blob = WeightBlob()
    copy_decls: list[str] = []
    copies: set[tuple[Path, str]] = set()
    fns: list[str] = []
    bodies: list[str] = []
    files: set[Path] = set()
    for i, n in enumerate(graph.nodes):
        one_row = n.outputs[0] in last

        def buf(t: str, row0: str, n=n, one_row=one_row) -> str:
            if n.op in ATTENTION and len(n.inputs) > 1 and t == n.inputs[1] and t in caches:
                return caches[t]  # attention reads every cached row
            if t in caches:  # the producer writes (and row-wise readers read) the rows of this step
                first = "(pos0 + n - 1)" if one_row else "pos0"
                return f"({caches[t]} + (size_t){first} * {row_width(t)})"
            if t in graph.tensors and len(graph.tensors[t].shape) == 3:
                return base(t)  # [heads, rows, S] buffers are laid out for the rows that run
            if one_row and t not in last and t != out_name:
                return f"({base(t)} + (size_t)(n - 1) * {row_width(t)})"
            return base(t)

        row_quant = None
        if i in shared:  # rows laid out as the input's: one_row reads the last of them, as buf() does
            rbuf, fills = shared[i]
            x = n.inputs[0]
            k, r = graph.constants[n.inputs[1]].shape[1], 1 if x in last else max_tokens
            row = "(n - 1)" if one_row and x not in last else "0"
            row_quant = (f"((int8_t *)(ig_arena + {offset[rbuf]}) + (size_t){row} * {k})",
                         f"((int32_t *)(ig_arena + {offset[rbuf] + r * k}) + (size_t){row} * 2)", fills)
        env = OpEnv(buf=buf, const=blob.add, rows="1" if one_row else "n", kv_len="(pos0 + n)",
                    family=target.kernel_family, extensions=target.extensions, error_return="return 1;",
                    row_quant=row_quant)
        stmt, calls = npu_calls.offload(graph, n, env, target, i, max_tokens, context) or emit_node_calls(graph, n, env)
        files |= {path for _, path in calls}
        if layer_copies:
            for kfn, path in calls:
                alias = f"{kfn}{LAYER_COPY_SUFFIX}{i}"
                stmt = re.sub(rf"\b{kfn}\(", alias + "(", stmt)
                copy_decls.append(f"extern __typeof__({kfn}) {alias};")
                copies.add((path, f"{LAYER_COPY_SUFFIX}{i}"))
        fn = f"ig_layer_{i}_{re.sub(r'[^0-9A-Za-z_]', '_', n.name)}"
        fns.append(fn)
        bodies.append(f"/* {n.op} {n.name}{' (last row only)' if one_row else ''} */\n"
                      f"__attribute__((noinline)) static int32_t {fn}(const ig_model_input_t *input, int32_t n, "
                      f"int32_t pos0, ig_model_output_t *out) {{\n  (void)input; (void)n; (void)pos0; (void)out;\n"
                      f"  {stmt}\n  return 0;\n}}\n")
    kv_lines, kv_bytes = [], 0
    for t, cname in caches.items():
        w = row_width(t)
        dt = graph.tensors[t].dtype
        kv_bytes += context * w * _itemsize(dt)
        kv_lines.append(f"static {C_TYPE[dt]} {cname}[{context} * {w}] __attribute__((aligned(16)));  /* {t} */")
    pos_fill = (f"  for (int32_t r = 0; r < n; r++) (({base('positions')}))[r] = pos0 + r;\n"
                if "positions" in graph.inputs else "")
    guard = ("  if (n < 1 || n > IG_MODEL_MAX_TOKENS || pos0 < 0 || pos0 + n > IG_MODEL_CONTEXT) return 2;\n"
             + ("  if (pos0 != 0) return 2; /* an encoder (non-causal attention) runs a whole sequence at once */\n"
                if encoder else ""))
    calls = "".join(f"  if ((e = {fn}(input, n, pos0, out)) != 0) return e;\n" for fn in fns)
    model_c = "\n".join([
        f"/* Generated by intgap: forward step of {graph.name} for {target.name}; one function per layer. */",
        '#include "model.h"', '#include "ig_kernels.h"', '#include "ig_ops.h"', '#include "ig_ops_quant.h"',
        *(['#include "ig_ops_f32.h"'] if not graph.is_integer else []), "",
        "extern const uint8_t ig_weights[];", *npu_calls.declarations(target), *copy_decls, "",
        f"static uint8_t ig_arena[{max(arena_size, 16)}] __attribute__((aligned(16)));", *kv_lines, "",
        *bodies,
        "int32_t ig_model_forward(const ig_model_input_t *input, int32_t n, int32_t pos0, ig_model_output_t *out) {",
        "  int32_t e;", guard + pos_fill + calls + "  return 0;", "}", ""])
    in_t = graph.tensors[in_name]
    return Lowered(graph, target, max_tokens, context, rows, in_name, in_t.dtype,
                   1 if in_name == "input_ids" else int(in_t.shape[-1]), out_name, out_t.dtype, int(out_t.shape[-1]),
                   arena_size, kv_bytes, blob, model_c, fns, sorted(files), sorted(copies))


def model_header(low: Lowered, about: str = ".", head: str = "", tail: str = "") -> str:
    """model.h of the forward step. The firmware's (codegen/firmware.py) says more `about` it in the first comment
    and adds declarations after the includes (`head`) and before the include guard's end (`tail`)."""
    g = low.graph
    kind = "integer-only" if g.is_integer else "FP32"
    out_t = g.tensors[low.output]
    quant = ""
    if out_t.scale is not None:
        quant = (f"/* Output quantization: real = scale * (q - zero_point). */\n"
                 f"#define IG_MODEL_OUTPUT_SCALE {out_t.scale!r}\n"
                 f"#define IG_MODEL_OUTPUT_ZERO_POINT {out_t.zero_point}\n")
    rows = "the last token's row" if low.rows == "last" else "one row per token"
    what = "token ids" if low.input == "input_ids" else f"rows of {low.input_channels} values ({low.input})"
    return f"""/* Generated by intgap: {kind} model {g.name} for {low.target.name}{about} */
#ifndef IG_MODEL_H
#define IG_MODEL_H
#include <stdint.h>
{head}
/* Tokens one forward call takes, and the positions the key/value cache holds. */
#define IG_MODEL_MAX_TOKENS {low.max_tokens}
#define IG_MODEL_CONTEXT {low.context}
/* Input: {what}; output: {rows} of {low.output_channels} values ({low.output}). */
#define IG_MODEL_INPUT_CHANNELS {low.input_channels}
#define IG_MODEL_OUTPUT_CHANNELS {low.output_channels}
#define IG_MODEL_OUTPUT_ROWS {1 if low.rows == "last" else low.max_tokens}
/* Static memory, planned ahead of time: working arena and the key/value cache (bytes). */
#define IG_MODEL_ARENA_SIZE {low.arena_size}
#define IG_MODEL_KV_CACHE_SIZE {low.kv_bytes}
#define IG_MODEL_WEIGHT_BYTES {low.blob.size}
{quant}
typedef {C_TYPE[low.input_dtype]} ig_model_input_t;
typedef {C_TYPE[low.output_dtype]} ig_model_output_t;

/* Runs n tokens (input rows 0..n) at positions pos0 .. pos0 + n - 1 (keys and values of earlier positions must be
 * in the cache from earlier calls). Returns 0, 1 for an id or position outside the model's tables, 2 for n or pos0
 * outside [1, IG_MODEL_MAX_TOKENS] / the context. */
int32_t ig_model_forward(const ig_model_input_t *input, int32_t n, int32_t pos0, ig_model_output_t *out);
{tail}#endif
"""


def weights_asm(bin_path: Path) -> str:
    """The assembly that links the blob (an absolute path: the assembler's search path is not the compiler's;
    no path ends up in the ELF)."""
    return (f"/* Generated by intgap: the model's constants, linked from {bin_path.name}. */\n"
            "  .file \"weights.S\"\n"  # else the assembler names its temporary object: ELFs would differ by folder
            f"  .section .rodata.ig_weights,\"a\"\n  .balign {BLOB_ALIGN}\n  .global ig_weights\n"
            "  .type ig_weights, %object\n"  # a sized object: memory reports count it as the model's weights
            "ig_weights:\n"
            f"  .incbin \"{bin_path.resolve()}\"\n"
            "  .size ig_weights, . - ig_weights\n"
            f"  .balign {BLOB_ALIGN}\n")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.2f} MiB" if n >= 1 << 20 else f"{n / 1024:.1f} KiB"


def memory_needed(low: Lowered) -> int:
    """Bytes the program's data needs at least: constants, arena, key/value cache (code comes on top)."""
    return low.blob.size + low.arena_size + low.kv_bytes


def image_region(target: Target) -> MemoryRegion:
    """The region that holds the program image (code, constants, data and .bss): the executable one."""
    return next(r for r in target.memory if "x" in r.perms)


def check_fits(low: Lowered, target: Target) -> None:
    """Refuses, before compiling, a model whose data alone exceed the target's program memory (the region that
    holds the image: the executable one)."""
    region = image_region(target)
    need = memory_needed(low)
    if need <= region.size:
        return
    cache = f", key/value cache {low.kv_bytes:,} B for {low.context} positions" if low.kv_bytes else ""
    fix = ("use int4 weights (w4a8), a shorter context, one layer of the model (quant.subgraph), or a target with "
           "more memory") if low.kv_bytes else "use fewer or smaller layers, int4 weights, or a target with more memory"
    raise ModelDoesNotFit(
        f"model {low.graph.name} does not fit {target.name}: it needs at least {need:,} bytes ({_mib(need)}: "
        f"weights and parameters {low.blob.size:,} B, arena {low.arena_size:,} B{cache}) but the target's memory "
        f"region '{region.name}' holds {region.size:,} bytes ({_mib(region.size)}); {fix}")
