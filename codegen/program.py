"""The run harness of a lowered graph (codegen/lower.py), forward or generate, and how its inputs go in and its
outputs come back (the input section's layout: docs/modules.md)."""
from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codegen.errors import CodegenError
from codegen.lower import Lowered, check_fits, lower, model_header, weights_asm
from codegen.op_calls import RUNTIME_C, kernel_for
from isa.targets import Target
from quant.ir import DTYPES, Graph

INPUT_SECTION = ".ig_input"
EXIT_MESSAGES = {11: "a token id or position is outside the model's tables",
                 12: "the number of tokens is outside the program's limits (max tokens per call, context)"}
# Functions of the run harness and platform layer (runtime_c/platform, main.c): not part of the model's cost.
HARNESS_FUNCTIONS = frozenset({"main", "_start", "Reset_Handler", "Fault_Handler", "ig_write_hex", "ig_write_str",
                               "ig_sys_write", "ig_sys_exit", "semihost", "syscall3"})
# ... and of the generate harness, whose prefill / decode functions hold the model's calls (a decode step is
# measured from the functions below them)
GENERATE_HARNESS_FUNCTIONS = HARNESS_FUNCTIONS | {"ig_prefill", "ig_decode"}


@dataclass
class Program:
    name: str
    directory: Path
    sources: list[Path]
    mode: str  # "forward" | "generate"
    max_tokens: int
    context: int
    rows: str
    input_dtype: np.dtype
    input_channels: int
    output_dtype: np.dtype
    output_channels: int
    arena_bytes: int
    kv_cache_bytes: int
    weight_bytes: int
    layer_functions: list[str] = field(default_factory=list)
    kernel_family: str = "scalar"
    copies: list[tuple[Path, str]] = field(default_factory=list)  # (kernel file, symbol suffix), see lower.py

    def describe(self) -> dict:
        """What a cached build keeps to run its ELF again: everything but the sources (JSON-able)."""
        return {f: (v.str if isinstance(v, np.dtype) else v) for f, v in self.__dict__.items()
                if f not in ("directory", "sources", "copies")}

    @classmethod
    def described(cls, doc: dict, directory: Path) -> "Program":
        """The program `describe` wrote, for the ELF built in `directory`."""
        return cls(directory=directory, sources=[], **{f: (np.dtype(v) if f.endswith("_dtype") else v)
                                                       for f, v in doc.items()})

    def _section(self, words: list[int], rows: np.ndarray) -> dict[str, bytes]:
        return {INPUT_SECTION: np.asarray(words, "<i4").tobytes()
                + np.ascontiguousarray(rows).astype(self.input_dtype.newbyteorder("<")).tobytes()}

    def encode_forward(self, x) -> dict[str, bytes]:
        """x: token ids [n], or activation rows [n, C] of the input's dtype."""
        x = np.asarray(x)
        if self.mode != "forward":
            raise CodegenError(f"program {self.name} is a {self.mode} program")
        n = x.shape[0] if x.ndim else 0
        if self.input_channels > 1 and (x.ndim != 2 or x.shape[1] != self.input_channels):
            raise CodegenError(f"program {self.name} takes rows of {self.input_channels} values, got {list(x.shape)}")
        if not 1 <= n <= self.max_tokens:
            raise CodegenError(f"program {self.name} takes 1 to {self.max_tokens} tokens, got {n}")
        if self.input_dtype.kind == "f":
            wrong = x.dtype != self.input_dtype  # float inputs go in as they are, never cast
        else:
            wrong = x.dtype.kind not in "iu" or (x.min() < np.iinfo(self.input_dtype).min
                                                 or x.max() > np.iinfo(self.input_dtype).max)
        if wrong:
            raise CodegenError(f"program {self.name} takes {self.input_dtype} inputs, got {x.dtype} values")
        return self._section([n, 0, 0, 0], x)

    def decode_forward(self, stdout: bytes, n: int | None = None) -> np.ndarray:
        """The output rows the program wrote for n input rows (default: as many as it wrote)."""
        row = self.output_channels * self.output_dtype.itemsize
        if n is None:
            n = max(len(b"".join(stdout.split())) // 2 // row, 1)
        rows = n if self.rows == "all" else 1
        raw = _unhex(self.name, stdout, rows * row)
        return np.frombuffer(raw, self.output_dtype.newbyteorder("<")).reshape(rows, self.output_channels)

    def encode_generate(self, prompt, n_new: int, chunk: int | None = None) -> dict[str, bytes]:
        prompt = [int(i) for i in np.asarray(prompt).reshape(-1)]
        chunk = chunk or self.max_tokens
        if self.mode != "generate":
            raise CodegenError(f"program {self.name} is a {self.mode} program")
        if not prompt or n_new < 1 or len(prompt) + n_new - 1 > self.context:
            raise CodegenError(f"a prompt of {len(prompt)} tokens and {n_new} new tokens need "
                               f"{len(prompt) + n_new - 1} positions; program {self.name} has a context of "
                               f"{self.context} (build it with a larger context)")
        if not 1 <= chunk <= self.max_tokens:
            raise CodegenError(f"prefill chunk {chunk} must be between 1 and {self.max_tokens}")
        return self._section([len(prompt), n_new, chunk, 0], np.asarray(prompt, np.int32))

    def decode_generate(self, stdout: bytes, n_new: int) -> np.ndarray:
        return np.frombuffer(_unhex(self.name, stdout, 4 * n_new), "<i4").astype(np.int64)


def _unhex(name: str, stdout: bytes, expected: int) -> bytes:
    text = b"".join(stdout.split())
    try:
        raw = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise CodegenError(f"program {name} wrote {len(stdout)} bytes that are not its hex output") from None
    if len(raw) != expected:
        raise CodegenError(f"program {name} wrote {len(raw)} output bytes, expected {expected}")
    return raw


def argmax_kernel(low: Lowered) -> tuple[str, Path]:
    """The suffix of ig_argmax_<suffix> over the logits a greedy generation loop writes, and its file (the target
    family's when the kernel table lists one: it runs once per token over the whole vocabulary)."""
    suffix = {"int8": "s8", "int16": "s16", "int32": "s32", "float32": "f32"}[low.output_dtype]
    if suffix == "f32":
        return suffix, RUNTIME_C / "kernels" / "scalar" / "ig_argmax_f32.c"
    return suffix, kernel_for(f"ig_argmax_{suffix}", "ig_argmax", low.target.kernel_family)


def write_sources(low: Lowered, out_dir: Path, files: dict[str, str | bytes], generate: bool) -> list[Path]:
    """Writes the generated files (text or bytes) into out_dir; returns the kernel files the forward step (and a
    greedy generation loop's argmax) links, sorted: what the program and the firmware library are built from."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        (out_dir / fname).write_bytes(data) if isinstance(data, bytes) else (out_dir / fname).write_text(data)
    return sorted(set(low.kernel_sources) | ({argmax_kernel(low)[1]} if generate else set()))


def forward_main(about: str, prefix: str = "ig", init: bool = False) -> str:
    """main.c of one forward call on the rows in section .ig_input after the header [n, 0, 0, 0]: the run harness
    (prefix ig) or the firmware's example application (prefix app, init: calls ig_model_init first)."""
    p = prefix
    return f"""/* Generated by intgap: {about} */
#include "ig_platform.h"
#include "model.h"

struct {p}_input_t {{
  int32_t header[4];
  ig_model_input_t rows[IG_MODEL_MAX_TOKENS * IG_MODEL_INPUT_CHANNELS];
}};
struct {p}_input_t {p}_input IG_INPUT_SECTION = {{{{1}}}};
static ig_model_output_t {p}_output[IG_MODEL_OUTPUT_ROWS * IG_MODEL_OUTPUT_CHANNELS] __attribute__((aligned(16)));

int main(void) {{
{"  if (ig_model_init() != 0) return 1;" + chr(10) if init else ""}  int32_t n = {p}_input.header[0];
  int32_t e = ig_model_forward({p}_input.rows, n, 0, {p}_output);
  if (e == 1) {{ ig_write_str("intgap: a token id or position is outside the model's tables\\n"); return 11; }}
  if (e) {{ ig_write_str("intgap: the number of tokens is outside the program's limits\\n"); return 12; }}
  ig_write_hex({p}_output, sizeof(ig_model_output_t) * IG_MODEL_OUTPUT_CHANNELS * (IG_MODEL_OUTPUT_ROWS == 1 ? 1 : n));
  return 0;
}}
"""


_GENERATE_MAIN = """/* Generated by intgap: greedy generation harness. The runner patches [n_prompt, n_new, chunk, prompt ids] into
 * section .ig_input; the program writes the n_new generated ids. */
#include "ig_platform.h"
#include "%(argmax_header)s"
#include "model.h"

int32_t ig_input[4 + IG_MODEL_CONTEXT] IG_INPUT_SECTION = {1};
static ig_model_output_t ig_logits[IG_MODEL_OUTPUT_CHANNELS] __attribute__((aligned(16)));
static int32_t ig_generated[IG_MODEL_CONTEXT];

/* The prompt in chunks; returns the first generated id, or -(error) */
__attribute__((noinline)) static int32_t ig_prefill(const int32_t *ids, int32_t n, int32_t chunk) {
  for (int32_t p = 0; p < n; p += chunk) {
    int32_t m = n - p < chunk ? n - p : chunk;
    int32_t e = ig_model_forward(ids + p, m, p, ig_logits);
    if (e) return -e;
  }
  return ig_argmax_%(suffix)s(ig_logits, IG_MODEL_OUTPUT_CHANNELS);
}

/* One token at position pos; returns the next id, or -(error) */
__attribute__((noinline)) static int32_t ig_decode(int32_t token, int32_t pos) {
  int32_t e = ig_model_forward(&token, 1, pos, ig_logits);
  if (e) return -e;
  return ig_argmax_%(suffix)s(ig_logits, IG_MODEL_OUTPUT_CHANNELS);
}

int main(void) {
  int32_t n = ig_input[0], n_new = ig_input[1], chunk = ig_input[2];
  if (n < 1 || n_new < 1 || n + n_new - 1 > IG_MODEL_CONTEXT || chunk < 1 || chunk > IG_MODEL_MAX_TOKENS) {
    ig_write_str("intgap: the number of tokens is outside the program's limits\\n");
    return 12;
  }
  int32_t next = ig_prefill(ig_input + 4, n, chunk);
  for (int32_t g = 0; g < n_new; g++) {
    if (next < 0) {
      ig_write_str(next == -1 ? "intgap: a token id or position is outside the model's tables\\n"
                              : "intgap: the number of tokens is outside the program's limits\\n");
      return next == -1 ? 11 : 12;
    }
    ig_generated[g] = next;
    if (g + 1 < n_new) next = ig_decode(next, n + g);
  }
  ig_write_hex(ig_generated, sizeof(int32_t) * (size_t)n_new);
  return 0;
}
"""


def emit_program(graph: Graph, target: Target, out_dir: Path, *, mode: str = "forward", max_tokens: int = 1,
                 context: int | None = None, rows: str | None = None, layer_copies: bool = False
                 ) -> tuple[Program, Lowered]:
    """Writes model.h, model.c, weights.S + weights.bin and main.c of a forward or generate program, refusing a
    model whose data alone exceed the target's memory. max_tokens: rows per forward call (an MLP: samples).
    layer_copies: each layer calls its own copies of its kernels (exact per-layer profiles, codegen/lower.py);
    build with `symbol_copies=program.copies`."""
    if mode not in ("forward", "generate"):
        raise CodegenError(f"unknown program mode {mode!r}: use forward or generate")
    context = context or max_tokens
    rows = rows or ("last" if mode == "generate" else "all")
    if mode == "generate" and rows != "last":
        raise CodegenError("a generate program computes the last row's logits only (rows='last')")
    low = lower(graph, target, max_tokens, context, rows, layer_copies=layer_copies)
    check_fits(low, target)
    suffix, _ = argmax_kernel(low)
    if mode == "generate" and low.input != "input_ids":
        raise CodegenError("greedy generation needs a model that takes token ids")
    kernels = write_sources(low, out_dir, {
        "model.h": model_header(low), "model.c": low.model_c,
        "main.c": forward_main("forward harness. The runner patches [n, 0, 0, 0] and n input rows into section\n"
                               " * .ig_input.") if mode == "forward" else _GENERATE_MAIN % {
            "suffix": suffix, "argmax_header": "ig_ops_f32.h" if suffix == "f32" else "ig_ops.h"},
        "weights.bin": low.blob.tobytes(), "weights.S": weights_asm(out_dir / "weights.bin")}, mode == "generate")
    return Program(graph.name, out_dir, [out_dir / f for f in ("main.c", "model.c", "weights.S")] + kernels,
                   mode, max_tokens, context, rows, np.dtype(DTYPES[low.input_dtype]), low.input_channels,
                   np.dtype(DTYPES[low.output_dtype]), low.output_channels, low.arena_size, low.kv_bytes,
                   low.blob.size, low.layer_functions, target.kernel_family, low.copies), low
