"""The walking-skeleton flow: model -> FP32 graph + W8A8 integer graph -> C -> ELF per target -> emulator runs,
with the integer outputs checked bit for bit against the reference interpreter."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import isa
from codegen import HARNESS_FUNCTIONS, Program, emit_program
from intgap.models import LoadedModel
from isa.attribution import per_function, sum_excluding
from isa.elf import load_elf
from quant import capture, quantize_ptq, save_graph
from quant import reference
from quant.ir import Graph
from toolchain import build_elf, require_integer_purity

# FP32 outputs on target vs PyTorch: the same float32 operations, summed in another order (the C loop runs
# k in order, PyTorch's GEMM blocks it), so they differ by a few ulps of the largest partial sums.
FP32_TOLERANCE = 1e-4


@dataclass
class Prepared:
    model: LoadedModel
    float_graph: Graph
    int_graph: Graph
    accuracy: dict


@dataclass
class TargetRow:
    target: str
    backend: str
    compiler: str
    int8_instructions: int  # exact, inference only (harness excluded)
    fp32_instructions: int
    realized_speedup: float  # fp32 / int8 instructions
    int8_weight_bytes: int
    fp32_weight_bytes: int
    int8_arena_bytes: int
    fp32_arena_bytes: int
    bit_exact: bool
    fp32_max_abs_error: float
    int8_program_instructions: int  # exact, whole program (start-up, harness, output)
    fp32_program_instructions: int


def prepare(model: LoadedModel, workdir: Path) -> Prepared:
    fg = capture(model.module, model.in_features, name=model.name)
    ig = quantize_ptq(fg, model.calibration)
    workdir.mkdir(parents=True, exist_ok=True)
    save_graph(ig, workdir / f"{model.name}.igraph")
    save_graph(fg, workdir / f"{model.name}.fp32.igraph")
    accuracy = evaluate(model, fg, ig)
    return Prepared(model, fg, ig, accuracy)


def evaluate(model: LoadedModel, fg: Graph, ig: Graph) -> dict:
    """FP32 (PyTorch) vs the integer graph (reference interpreter, i.e. the integer result itself)."""
    with torch.no_grad():
        y_fp = model.module(torch.from_numpy(model.test_x)).numpy()
    y_int = reference.dequantize_output(
        ig, reference.run(ig, {ig.inputs[0]: reference.quantize_input(ig, model.test_x)})[ig.outputs[0]])
    out = {"samples": int(len(model.test_x)),
           "output_max_abs_error": float(np.abs(y_int - y_fp).max()),
           "argmax_agreement": float((y_int.argmax(1) == y_fp.argmax(1)).mean())}
    if model.test_y is not None:
        out["fp32_accuracy"] = float((y_fp.argmax(1) == model.test_y).mean())
        out["int8_accuracy"] = float((y_int.argmax(1) == model.test_y).mean())
    return out


def build_program(graph: Graph, target: isa.Target, directory: Path, samples: int = 1,
                  compiler: str | None = None) -> tuple[Program, Path, str]:
    program = emit_program(graph, target, directory, samples=samples)
    elf = directory / "program.elf"
    cc = build_elf(program.sources, target, elf, compiler=compiler)
    if graph.is_integer:
        require_integer_purity(elf)  # invariant 1: no float instruction or soft-float helper reachable
    return program, elf, cc.kind


def run_program(program: Program, elf: Path, target: isa.Target, x: np.ndarray, backend: str | None = None
                ) -> tuple[np.ndarray, isa.RunResult, int]:
    """Runs the program on inputs x; returns outputs, the run, and the instructions of the inference alone."""
    result = isa.run(elf, target, backend, inputs=program.encode_inputs(x))
    if result.exit_code != 0:
        raise isa.EmulatorFault("non-zero exit", None, "", f"program exited with status {result.exit_code}")
    counts = per_function(result.blocks, load_elf(elf), target.arch)
    return program.decode_outputs(result.stdout), result, sum_excluding(counts, HARNESS_FUNCTIONS)


def bench_target(prep: Prepared, target: isa.Target, workdir: Path, backend: str | None = None,
                 progress: Callable[[str], None] = lambda s: None) -> TargetRow:
    backend = backend or target.default_backend
    isa.run_check_backend(target, backend)
    x = prep.model.test_x[:1]
    xq = reference.quantize_input(prep.int_graph, x)
    progress(f"{target.name}: build int8")
    p8, elf8, cc = build_program(prep.int_graph, target, workdir / target.name / "int8")
    progress(f"{target.name}: build fp32")
    pf, elff, _ = build_program(prep.float_graph, target, workdir / target.name / "fp32")
    progress(f"{target.name}: run int8 ({backend})")
    y8, r8, n8 = run_program(p8, elf8, target, xq, backend)
    progress(f"{target.name}: run fp32 ({backend})")
    yf, rf, nf = run_program(pf, elff, target, x, backend)
    ref = reference.run(prep.int_graph, {prep.int_graph.inputs[0]: xq})[prep.int_graph.outputs[0]]
    with torch.no_grad():
        y_torch = prep.model.module(torch.from_numpy(x)).numpy()
    return TargetRow(target.name, backend, cc, n8, nf, nf / n8 if n8 else float("nan"),
                     prep.int_graph.weight_bytes(), prep.float_graph.weight_bytes(), p8.arena_bytes, pf.arena_bytes,
                     bool(np.array_equal(y8, ref)), float(np.abs(yf - y_torch).max()), r8.instructions, rf.instructions)


def rows_to_json(prep: Prepared, rows: list[TargetRow]) -> dict:
    return {"model": prep.model.name, "description": prep.model.description,
            "macs_per_inference": prep.int_graph.macs(), "accuracy": prep.accuracy,
            "instructions": "exact dynamic instruction counts of one inference (batch 1), run harness excluded",
            "targets": [asdict(r) for r in rows]}
