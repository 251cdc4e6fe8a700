"""A graph on a target: built into a forward or generate program (codegen/program.py), run under an emulator,
checked against the reference interpreter (docs/modules.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import isa
import toolchain
from codegen.lower import Lowered
from codegen.program import EXIT_MESSAGES, Program, emit_program
from intgap.errors import DriverError
from quant import jit
from quant.hf_capture import sequence_inputs
from quant.ir import Graph


@dataclass
class Built:
    program: Program
    lowered: Lowered
    elf: Path
    compiler: str  # kind: gcc or clang
    compiler_version: str  # first line of its --version


def build_program(graph: Graph, target: isa.Target, directory: Path, *, mode: str = "forward", max_tokens: int = 1,
                  context: int | None = None, rows: str | None = None, compiler: str | None = None,
                  layer_copies: bool = False) -> Built:
    """Emits (refusing a model whose data exceed the target's memory), builds and (integer graphs) checks integer
    purity. max_tokens: rows per forward call (an MLP's samples). layer_copies: each layer calls its own copies of
    its kernels, for exact per-layer profiles (codegen/lower.py)."""
    prog, low = emit_program(graph, target, directory, mode=mode, max_tokens=max_tokens, context=context,
                             rows=rows, layer_copies=layer_copies)
    elf = directory / "program.elf"
    cc = toolchain.build_elf(prog.sources, target, elf, compiler=compiler, symbol_copies=prog.copies)
    if graph.is_integer:
        toolchain.require_integer_purity(elf)  # invariant 1, on every integer build
    return Built(prog, low, elf, cc.kind, cc.version)


def _checked_run(built: Built, target: isa.Target, inputs: dict, backend: str | None, **run) -> isa.RunResult:
    r = isa.run(built.elf, target, backend, inputs=inputs, **{k: v for k, v in run.items() if v is not None})
    if r.exit_code != 0:
        why = EXIT_MESSAGES.get(r.exit_code) or (f"the program exited with status {r.exit_code}; run it with "
                                                 f"`intgap run {built.elf} --target {target.name}` to see why")
        raise DriverError(f"{built.program.name} on {target.name} stopped: {why} "
                          f"({r.stdout.decode(errors='replace').strip()[:200]})")
    return r


def run_forward(built: Built, target: isa.Target, x, backend: str | None = None, **run
                ) -> tuple[np.ndarray, isa.RunResult]:
    """The output rows of one forward call on the rows x; `run`: isa.run's options as in run_generate."""
    n = np.asarray(x).shape[0]
    r = _checked_run(built, target, built.program.encode_forward(x), backend, **run)
    return built.program.decode_forward(r.stdout, n), r


def run_generate(built: Built, target: isa.Target, prompt, n_new: int, chunk: int | None = None,
                 backend: str | None = None, **run) -> tuple[list[int], isa.RunResult]:
    """Greedy generation on the target. `run`: isa.run's options, None for its default: max_instructions,
    timeout_s (the wall-clock limit), board (a name or isa.boards.Board: the run is memory-aware on it) and
    strict_fit (a program that does not fit the board's memories: an error, or with False a note)."""
    r = _checked_run(built, target, built.program.encode_generate(prompt, n_new, chunk), backend, **run)
    return [int(t) for t in built.program.decode_generate(r.stdout, n_new)], r


def reference_generate(graph: Graph, prompt, n_new: int) -> list[int]:
    """Greedy tokens of the reference interpreter: argmax of the last logits row of the whole sequence so far."""
    seq = [int(t) for t in np.asarray(prompt).reshape(-1)]
    out = []
    for _ in range(n_new):
        logits = jit.run(graph, sequence_inputs(np.asarray(seq)))[graph.outputs[0]]
        nxt = int(np.argmax(logits[-1]))
        out.append(nxt)
        seq.append(nxt)
    return out


def reference_forward(graph: Graph, x) -> np.ndarray:
    """The reference's output rows for a program's input (token ids, the input rows of a cut-out layer, or an MLP's
    samples)."""
    x = np.asarray(x)
    data = next(t for t in graph.inputs if t != "positions")
    inputs = {data: x.astype(np.int32) if data == "input_ids" else x}
    if "positions" in graph.inputs:
        inputs["positions"] = np.arange(x.shape[0], dtype=np.int32)
    return jit.run(graph, inputs)[graph.outputs[0]]  # the default engine: byte-identical to the reference
