"""The programs users run, for the speed benchmarks (benchmarks/memory_speed.py, qemu_memory_speed.py): a model's
config quantized and built as `intgap bench` builds it (intgap/cli.py's workload, the sweep cache's graph and its
shipped build, the same cache keys), with the input of the run `intgap bench` makes of it. The decoder's program
is its generate program (the prompt's prefill, then one decode step per new token); a classifier's or an
encoder's is one forward call."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import isa
from intgap.cache import Cache, code_fingerprint
from intgap.cli import bench_workload
from intgap.sequence_sweep import shipped_program
from intgap.sweep import parse_config
from isa.boards import board_for
from quant import load_graph

# model, config: the bundled decoder at both integer configs (the MLP's forward call is ~2,000 instructions: its
# run is all start-up, no speed figure)
WORKLOADS = (("shakespeare-decoder", "w8a8"), ("shakespeare-decoder", "w4a8"))


def workload_program(model: str, config: str, target: isa.Target, backend: str,
                     new_tokens: int | None = None) -> tuple[Path, dict]:
    """(ELF, inputs) of `model` at `config` on `target` as `intgap bench` ships and runs it (quantized and built
    now if the cache has neither). `new_tokens`: a generate program built and run for that many new tokens (its
    context the prompt's length + new_tokens - 1), not the 1 + decode steps of `intgap bench`'s run."""
    workload, cache = bench_workload(model), Cache()
    quantized = workload.quantize(parse_config(config), cache)
    codes = {"build_code": code_fingerprint(), "run_code": code_fingerprint(workload.run_code)}
    spec = workload.specs(quantized, target, backend, board_for(target).name, str(cache.root), codes)[0]
    if new_tokens is not None and workload.mode == "generate":  # the program built for that many (its context)
        spec = dataclasses.replace(spec, steps=new_tokens - 1)
    shipped, _ = shipped_program(cache, spec, load_graph(spec.graph_path), target, workload.mode)
    if workload.mode != "generate":
        return shipped.elf, shipped.program.encode_forward(np.asarray(spec.prompt))
    return shipped.elf, shipped.program.encode_generate(spec.prompt, 1 + spec.steps, None)


def workload_label(model: str, config: str) -> str:
    return f"{model} {config.upper()} " + ("generate" if bench_workload(model).mode == "generate" else "forward")
