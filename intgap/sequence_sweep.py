"""Sweeps of decoder models (the bundled shakespeare-decoder, SmolLM2, any Llama/GPT-2 folder): the cost of one
decode step per target and config, end to end and per layer, with the latency gap against FP32.

A run builds the greedy-generation program (codegen/program.py) with per-layer kernel copies
(codegen/lower.py: every layer calls its own copy of each kernel, so each instruction belongs to one layer) and
runs it twice from the same prompt: generating 1 token (the prefill) and 1 + K tokens. The difference of the two
exact per-function counts, divided by K, is the exact cost of one decode step at a context of the prompt plus half
of K, per function and so per layer; estimated cycles, bytes and the attribution categories are differenced alike.
Integer runs must reproduce the reference interpreter's greedy tokens (bit_exact).

The decoder is a workload (intgap/workload.py): its runs are cached, parallel and distributable through the one
runner (intgap/runner.py), like the classifier's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import isa
from codegen.program import GENERATE_HARNESS_FUNCTIONS
from intgap.attribution import CATEGORIES, attribute
from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, graph_digest, toolchain_id
from intgap.errors import DriverError
from intgap.generate_command import decode_limit
from intgap.result_rows import FunctionCosts, copy_outputs, run_fields, split_rows, weight_macs
from intgap.pipeline import reference_generate, run_generate
from intgap.sequence_models import sweep_graph
from intgap.sweep import Config
from intgap.workload import Quality, SweepResult, Workload, run_workload
from isa.boards import board_for
from isa.profile import analyze, profile
from isa.timing import estimate
from isa.timing.memory import step_difference
from quant import load_graph
from quant.accuracy import perplexity_against_fp32, tokenize_text
from quant.hf_models import shakespeare_text
from quant.recipes import load_model

PROMPT_TEXT = "ROMEO:\nBut soft, what light"
DECODE_STEPS = 4
SEQUENCE_CODE = RUN_CODE + ("intgap/sequence_sweep.py", "intgap/pipeline.py")


@dataclass
class SequenceRunSpec:
    model: str
    config: str
    target: str
    backend: str
    graph_path: str
    graph_key: str
    prompt: list[int]  # the tokens the program starts from (an encoder's run: its sentence)
    steps: int  # decode steps measured (an encoder's run: none, one forward pass of the prompt)
    expected: list[int] | None  # the reference interpreter's greedy tokens (1 + steps)
    cache_root: str
    build_code: str = ""
    run_code: str = ""
    board: str = ""  # the board of the estimate (isa/boards.py); "" = the target's default board
    layer = None  # a run covers the whole model and yields the per-layer rows too

    @property
    def label(self) -> str:
        return f"{self.target} {self.config}"


def run_keys(spec: SequenceRunSpec) -> tuple[str, str]:
    build = digest("seq-build", spec.graph_key, spec.target, toolchain_id(spec.target), len(spec.prompt), spec.steps,
                   spec.build_code or code_fingerprint())
    run = digest("seq-run", build, spec.backend, emulator_version(spec.target, spec.backend), spec.board,
                 spec.prompt, spec.expected,
                 spec.run_code or code_fingerprint(SEQUENCE_CODE))
    return build, run


def cached_sequence_run(spec: SequenceRunSpec) -> list[dict] | None:
    return Cache(Path(spec.cache_root)).result(run_keys(spec)[1])


def execute_sequence(spec: SequenceRunSpec) -> list[dict]:
    """The whole-model row and one row per layer of one (target, config): the cost of one decode step."""
    cached = cached_sequence_run(spec)
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    cache = Cache(Path(spec.cache_root))
    target = isa.get_target(spec.target)
    board = board_for(target, spec.board or None)
    graph = load_graph(spec.graph_path)
    build_key, run_key = run_keys(spec)
    built, built_now = cache.program(build_key, graph, target, mode="generate", max_tokens=len(spec.prompt),
                                     context=len(spec.prompt) + spec.steps, layer_copies=True)

    def measure(n_new: int):
        # a config that does not fit the board's memories is measured as if they were large enough (fits_board)
        tokens, r = run_generate(built, target, spec.prompt, n_new, backend=spec.backend, board=board,
                                 strict_fit=False)
        an = analyze(r, built.elf, target)
        prof = profile(r, built.elf, target, analysis=an)
        est = estimate(r, built.elf, target, analysis=an, board=board)
        _, per_fn = attribute(an, GENERATE_HARNESS_FUNCTIONS, copy_outputs(prof, graph))
        return tokens, r, prof, est, per_fn

    tok1, r1, p1, e1, a1 = measure(1)
    tokn, rn, pn, en, an_ = measure(1 + spec.steps)
    k = spec.steps
    names = (set(pn.functions) | set(p1.functions)) - GENERATE_HARNESS_FUNCTIONS

    def diff(get) -> dict[str, float]:
        return {f: (get(pn, en, an_, f) - get(p1, e1, a1, f)) / k for f in names}

    instr = diff(lambda p, e, a, f: p.functions[f].instructions if f in p.functions else 0)
    step = step_difference(e1, en, k)  # the bandwidth bound on the step's own bytes, per function
    cycles = {f: step.per_function.get(f, 0) for f in names}
    stalls = {f: step.per_function_memory_stalls.get(f, 0) for f in names}
    loads = diff(lambda p, e, a, f: p.functions[f].load_bytes if f in p.functions else 0)
    stores = diff(lambda p, e, a, f: p.functions[f].store_bytes if f in p.functions else 0)
    cats = {c: diff(lambda p, e, a, f, c=c: a.get(f, {}).get(c, 0)) for c in CATEGORIES}
    exact = spec.expected is None or tokn == list(spec.expected)
    base = {**run_fields(spec, target, built, rn, en, board), "limiting_level": decode_limit(e1, en, step),
            "kv_cache_bytes": built.program.kv_cache_bytes, "context_tokens": len(spec.prompt) + spec.steps,
            "decode_steps_measured": k, "bit_exact": bool(exact) if graph.is_integer else True,
            "tokens_match_reference": bool(exact), "tokens": tokn, "max_abs_error_vs_reference": 0.0,
            "prefill_instructions": int(r1.instructions), "prefill_estimated_cycles": int(e1.cycles)}
    calls: dict[str, dict[str, float]] = {}  # callee -> caller -> calls per decode step (difference of the runs)
    for f in names:
        for callee, c in (pn.functions[f].calls if f in pn.functions else {}).items():
            c1 = p1.functions[f].calls.get(callee, 0) if f in p1.functions else 0
            calls.setdefault(callee, {})[f] = c - c1
    docs = split_rows(FunctionCosts(instr, cycles, stalls, loads, stores, cats, calls), graph, base)
    cache.keep_result(run_key, docs, spec.label)
    wall = time.perf_counter() - t0
    for d in docs:
        d.update(built=built_now, ran=True, wall_seconds=wall)
    return docs


# ------------------------------------------------------------------ quantization and accuracy (in the parent)
@dataclass
class QuantizedSequence:
    config: Config
    graph_path: Path
    graph_key: str
    accuracy: dict
    expected: list[int] | None
    cached: bool


def quantize_sequence_config(spec: str, cfg: Config, prompt: list[int], steps: int, cache: Cache,
                             eval_tokens: int) -> QuantizedSequence:
    """The config's graph (FP32: the capture; else quantized with the config's best method), its perplexity on
    held-out Shakespeare next to FP32's (reference interpreter), and its greedy tokens from the prompt."""
    def measure(m, g, fg) -> dict:
        ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), eval_tokens)
        window = min(256, int(fg.meta.get("max_positions", 256)))
        acc = {**perplexity_against_fp32(g, fg, ids, window), "method": g.meta.get("method", "fp32")}
        return {"accuracy": acc, "expected": reference_generate(g, prompt, 1 + steps)}

    path, meta, cached = sweep_graph(spec, cfg, cache, (prompt, steps, eval_tokens), measure)
    return QuantizedSequence(cfg, path, graph_digest(load_graph(path)), meta["accuracy"], meta["expected"], cached)


class Decoder(Workload):
    """A decoder (the bundled shakespeare-decoder, SmolLM2, a Hugging Face folder): a generate program from the
    prompt, measured over one decode step, per layer; perplexity against FP32 (quant/accuracy.py)."""
    kind, mode, run_code = "decoder", "generate", SEQUENCE_CODE
    unit, unit_text = "decode step", "one decode step (the difference of two runs, divided by the steps)"
    quality = Quality("perplexity", "perplexity", "held-out perplexity (lower is better)", ".2f",
                      lower_is_better=True, change=True)
    by_role = True
    caches_text = ("A decode step is the difference of two runs, so the caches are warm: the prefill brought in what "
                   "fits.")
    per_layer_text = ("Every layer calls its own copy of each kernel (per-layer kernel copies), so a layer's "
                      "instructions are exact; library helpers the layers share (soft-float, division) are divided "
                      "among them by calls. Decoder blocks are summed by role (layers.*.<op>).")
    accuracy_text = ("Perplexity on held-out Shakespeare (plays never used for training or calibration), computed "
                     "with the reference interpreter, whose greedy tokens every target reproduced (checked per run).")
    accuracy_columns = (("config", "config", ""), ("method", "method", ""), ("perplexity", "perplexity", ".3f"),
                        ("FP32 perplexity", "fp32_perplexity", ".3f"), ("change", "relative_increase", "+.2%"),
                        ("tokens", "tokens", ""), ("window", "window", ""))

    def __init__(self, spec: str, eval_tokens: int = 2048, steps: int = DECODE_STEPS, prompt_text: str = PROMPT_TEXT):
        self.spec, self.eval_tokens, self.steps = spec, eval_tokens, steps
        m = load_model(spec)
        self.name = m.name
        self.prompt = [int(t) for t in m.tokenizer(prompt_text)["input_ids"]]

    def quantize(self, config: Config, cache: Cache) -> QuantizedSequence:
        return quantize_sequence_config(self.spec, config, self.prompt, self.steps, cache, self.eval_tokens)

    def specs(self, q: QuantizedSequence, target, backend: str, board: str, cache_root: str, codes: dict) -> list:
        return [SequenceRunSpec(self.name, q.config.name, target.name, backend, str(q.graph_path), q.graph_key,
                                self.prompt, self.steps, q.expected if not q.config.is_float else None, cache_root,
                                **codes, board=board)]

    def executor(self):
        return execute_sequence

    def cached(self):
        return cached_sequence_run

    def model_doc(self, quantized: list) -> dict:
        macs = weight_macs(load_graph(quantized[0].graph_path))
        n = len(self.prompt)
        return {"name": self.name, "description": f"{self.name}: decoder, {macs:,} weight MACs per token; one greedy "
                f"decode step at a context of {n} to {n + self.steps} tokens", "kind": self.kind, "unit": self.unit,
                "prompt_tokens": n, "decode_steps": self.steps}

    def check(self, rows: list[dict]) -> None:
        if not any(r["bit_exact"] for r in rows if r["layer"] is None):
            raise DriverError("no run reproduced the reference interpreter's tokens: a bug to report")


def run_sequence_sweep(spec: str, targets: list, configs: list[Config], *, backend: str | None = None,
                       jobs: int = 1, scheduler: str | None = None, cache_root: Path | None = None,
                       progress: Callable[[str, int, int], None] | None = None, eval_tokens: int = 2048,
                       steps: int = DECODE_STEPS, prompt_text: str = PROMPT_TEXT, client=None,
                       boards: dict | None = None) -> SweepResult:
    """`boards`: target name -> isa.boards.Board for the estimates (default: each target's default board)."""
    return run_workload(Decoder(spec, eval_tokens, steps, prompt_text), targets, configs, backend=backend,
                        jobs=jobs, scheduler=scheduler, cache_root=cache_root, progress=progress, client=client,
                        boards=boards)
