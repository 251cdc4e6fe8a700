"""Sweeps of encoder models (all-MiniLM-L6-v2, a BERT folder): the cost of one forward pass of one sentence per
target and config, end to end and per layer, with the latency gap against FP32.

A run builds the forward program of the sentence's length twice, with per-layer kernel copies (counted: its exact
per-function counts are split by layer, intgap/result_rows.py) and as it ships (on the board: the estimate, divided
among the copies as for the decoder, intgap/sequence_sweep.py `shipped_cycles`), and runs each once. Integer runs
of both must reproduce the reference interpreter's output rows bit for bit. Accuracy is the mean cosine of
mean-pooled sentence embeddings against the FP32 model on held-out Shakespeare lines (quant/recipes.py `evaluate`,
as `intgap eval` measures it).
"""
from __future__ import annotations

import time

import numpy as np

from codegen.program import HARNESS_FUNCTIONS
from intgap.attribution import attribute
from intgap.cache import RUN_CODE, Cache, graph_digest
from intgap.pipeline import reference_forward, run_forward
from intgap.result_rows import FunctionCosts, copy_outputs, run_fields, split_rows, weight_macs
from intgap.sequence_models import sweep_graph
from intgap.sequence_sweep import QuantizedSequence, SequenceRunSpec, cached_sequence_run, set_up_run, shipped_cycles
from intgap.sweep import Config
from intgap.workload import Quality, Workload
from isa.profile import analyze, profile
from isa.timing import estimate
from quant import load_graph
from quant.recipes import evaluate, load_model

SENTENCE = "But soft, what light through yonder window breaks?"
EVAL_LINES = 64
ENCODER_CODE = RUN_CODE + ("intgap/encoder_sweep.py", "intgap/sequence_sweep.py", "intgap/pipeline.py")


def execute_encoder(spec: SequenceRunSpec) -> list[dict]:
    """The whole-model row and one row per layer of one (target, config): the cost of one forward pass of the
    sentence `spec.prompt` (a run spec of no decode steps)."""
    cached = cached_sequence_run(spec)
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    n = len(spec.prompt)
    cache, target, board, graph, run_key, built, shipped, built_now = set_up_run(
        spec, mode="forward", max_tokens=n, context=n, rows="all")
    x = np.asarray(spec.prompt, np.int32)
    y, r = run_forward(built, target, x, spec.backend)
    an = analyze(r, built.elf, target)
    prof = profile(r, built.elf, target, analysis=an)
    _, per_fn = attribute(an, HARNESS_FUNCTIONS, copy_outputs(prof, graph))
    costs = FunctionCosts.of_run(prof, estimate(r, built.elf, target, analysis=an), per_fn, HARNESS_FUNCTIONS)
    # a config that does not fit the board's memories is measured as if they were large enough (fits_board)
    ys, rs = run_forward(shipped, target, x, spec.backend, board=board, strict_fit=False)
    est = estimate(rs, shipped.elf, target, board=board)
    costs.cycles, costs.stalls = shipped_cycles(est, HARNESS_FUNCTIONS, set(costs.instructions), costs.cycles,
                                                costs.instructions, costs.loads, costs.stores)
    ref = reference_forward(graph, spec.prompt)
    # FP32: the same operations summed in another order; the error is recorded (integer: the same bytes)
    exact = bool(np.array_equal(y, ref) and np.array_equal(ys, ref)) if graph.is_integer else True
    err = 0.0 if graph.is_integer else float(max(np.abs(v.astype(np.float64) - ref).max() for v in (y, ys)))
    base = {**run_fields(spec, target, shipped, rs, est, board), "limiting_level": est.limiting_level,
            "sequence_tokens": n, "bit_exact": exact, "max_abs_error_vs_reference": err,
            "program_instructions": int(r.instructions), "shipped_program_instructions": int(rs.instructions),
            "cycles_from": "shipped build (shared kernels)"}
    docs = split_rows(costs, graph, base)
    cache.keep_result(run_key, docs, spec.label)
    wall = time.perf_counter() - t0
    for d in docs:
        d.update(built=built_now, ran=True, wall_seconds=wall)
    return docs


class Encoder(Workload):
    """An encoder (all-MiniLM-L6-v2, a BERT folder): the forward program of one sentence, measured once, per layer;
    mean cosine of sentence embeddings against FP32 (quant/recipes.py evaluate)."""
    kind, mode, run_code = "encoder", "forward", ENCODER_CODE
    unit, unit_text = "forward pass", "one forward pass of the sentence (run harness excluded)"
    quality = Quality("mean_cosine", "cosine", "mean cosine of sentence embeddings vs FP32", ".4f")
    by_role = True
    caches_text = ("One forward pass from reset: the caches start cold, so the first fetch of each code and weight "
                   "line pays its memory's latency (later tokens of the sentence reuse what fits the caches).")
    per_layer_text = ("Every layer calls its own copy of each kernel (per-layer kernel copies), so a layer's "
                      "instructions are exact; library helpers the layers share (soft-float, division) are divided "
                      "among them by calls. Est. cycles are those of the program as it ships (one copy of each "
                      "kernel) on the board, divided among the copies (core cycles as the core model divides them, "
                      "stalls as the bytes each moved). Encoder blocks are summed by role (layer.*.<op>).")
    accuracy_text = ("Mean and lowest cosine similarity of mean-pooled sentence embeddings against the FP32 model on "
                     "held-out Shakespeare lines, computed with the reference interpreter, whose output rows every "
                     "target reproduced bit for bit (checked per run).")
    accuracy_columns = (("config", "config", ""), ("method", "method", ""), ("mean cosine", "mean_cosine", ".4f"),
                        ("lowest cosine", "min_cosine", ".4f"), ("lines", "lines", ""))

    def __init__(self, spec: str, eval_lines: int = EVAL_LINES, text: str = SENTENCE):
        self.spec, self.eval_lines = spec, eval_lines
        m = load_model(spec)
        self.name = m.name
        self.ids = [int(t) for t in m.tokenizer(text)["input_ids"]]

    def quantize(self, config: Config, cache: Cache) -> QuantizedSequence:
        def measure(m, g, fg) -> dict:
            acc = evaluate(g, n_lines=self.eval_lines, model=m, fp32=fg)
            keep = ("metric", "lines", "mean_cosine", "min_cosine")
            return {"accuracy": {**{k: acc[k] for k in keep}, "method": g.meta.get("method", "fp32")}}

        path, meta, cached = sweep_graph(self.spec, config, cache, ("encoder", self.eval_lines), measure)
        return QuantizedSequence(config, path, graph_digest(load_graph(path)), meta["accuracy"], None, cached)

    def specs(self, q: QuantizedSequence, target, backend: str, board: str, cache_root: str, codes: dict) -> list:
        return [SequenceRunSpec(self.name, q.config.name, target.name, backend, str(q.graph_path), q.graph_key,
                                self.ids, 0, None, cache_root, **codes, board=board)]

    def executor(self):
        return execute_encoder

    def cached(self):
        return cached_sequence_run

    def model_doc(self, quantized: list) -> dict:
        macs = weight_macs(load_graph(quantized[0].graph_path))
        return {"name": self.name, "description": f"{self.name}: encoder, {macs:,} weight MACs per token; one forward "
                f"pass of a {len(self.ids)}-token sentence", "kind": self.kind, "unit": self.unit,
                "sequence_tokens": len(self.ids)}
