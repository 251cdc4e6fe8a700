"""The decoder workload: one decode step per target and config (the difference of generate runs of 1 and 1 + K
tokens), per layer from per-layer kernel copies; est. cycles from the shipped build (docs/modules.md)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

import isa
from codegen.lower import is_sequence_graph
from codegen.program import GENERATE_HARNESS_FUNCTIONS, HARNESS_FUNCTIONS
from intgap.attribution import attribute
from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, toolchain_id
from intgap.errors import DriverError
from intgap.generate_command import decode_limit
from intgap.npu_report import add_bench_fields as add_npu_fields
from intgap.pipeline import reference_forward, reference_generate, run_forward, run_generate
from intgap.result_rows import FunctionCosts, copy_outputs, run_fields, split_rows, weight_macs, whole_energy
from intgap.sequence_models import sweep_graph
from intgap.workload import PER_LAYER_COPIES, Quality, Quantized, RunSpec, Workload
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
SEQUENCE_CODE = RUN_CODE + ("intgap/sequence_sweep.py", "intgap/pipeline.py", "intgap/npu_report.py")
_COPY_SUFFIX = re.compile(r"__L\d+(?=\.|$)")


def shared_name(function: str) -> str:
    """The function of the shared-kernel program a function of the copies build stands for (<kernel>__L<i>:
    <kernel>; any other: itself)."""
    return _COPY_SUFFIX.sub("", function, count=1)


def spread_over_copies(shared: dict[str, float], names, *weights: dict[str, float]) -> dict[str, float]:
    """Each function's figure in the shared-kernel program, divided among the functions of the copies build that
    stand for it (its per-layer copies, or itself) in proportion to the first of `weights` that is positive over
    them (equal parts if none is). A function with no counterpart in `names` keeps its name. The parts add up to
    the shared figures exactly (up to float rounding)."""
    groups: dict[str, list[str]] = {}
    for g in sorted(names):
        groups.setdefault(shared_name(g), []).append(g)
    out: dict[str, float] = {}
    for f, v in shared.items():
        members = groups.get(f, [])
        if not members:
            out[f] = out.get(f, 0.0) + v
            continue
        share = {g: 1.0 / len(members) for g in members}
        for w in weights:
            total = sum(max(w.get(g, 0.0), 0.0) for g in members)
            if total > 0:
                share = {g: max(w.get(g, 0.0), 0.0) / total for g in members}
                break
        for g in members:
            out[g] = out.get(g, 0.0) + v * share[g]
    return out


def shipped_cycles(est, harness, costs: FunctionCosts) -> None:
    """The shipped build's estimate (`est`: per_function cycles and memory stalls) divided among the functions of
    the copies build in `costs`: core cycles as the core model divides them there (`costs.cycles`, else
    instructions), memory stalls as the bytes each copy moved; they replace `costs.cycles` and `costs.stalls`."""
    own = {f: v for f, v in est.per_function.items() if f not in harness}
    stall_of = {f: est.per_function_memory_stalls.get(f, 0.0) for f in own}
    names = set(costs.instructions)
    moved = {f: costs.loads.get(f, 0.0) + costs.stores.get(f, 0.0) for f in names}
    core = spread_over_copies({f: v - stall_of[f] for f, v in own.items()}, names, costs.cycles, costs.instructions)
    stalls = spread_over_copies(stall_of, names, moved, costs.cycles, costs.instructions)
    costs.cycles = {f: core.get(f, 0.0) + stalls.get(f, 0.0) for f in set(core) | set(stalls)}
    costs.stalls = stalls


def run_keys(spec: RunSpec) -> tuple[str, str]:
    build = digest("seq-build", spec.graph_key, spec.target, toolchain_id(spec.target), len(spec.prompt), spec.steps,
                   spec.build_code or code_fingerprint())
    run = digest("seq-run", build, spec.backend, emulator_version(spec.target, spec.backend), spec.board,
                 spec.prompt, spec.expected, spec.run_code or code_fingerprint(SEQUENCE_CODE))
    return build, run


def cached_sequence_run(spec: RunSpec) -> list[dict] | None:
    docs = Cache(Path(spec.cache_root)).result(run_keys(spec)[1])
    return docs if docs is None or spec.layers else docs[:1]


def program_options(spec: RunSpec, mode: str) -> dict:
    """The build options of a run of `spec` in program mode `mode` ("forward": the prompt's rows at once;
    "generate": the prompt, then spec.steps decode steps)."""
    n = len(spec.prompt)
    if mode == "generate":
        return {"mode": mode, "max_tokens": n, "context": n + spec.steps}
    return {"mode": mode, "max_tokens": n, "context": n, "rows": "all"}


def shipped_program(cache: Cache, spec: RunSpec, graph, target, mode: str):
    """(program as it ships: one copy of each kernel, whether it was built now) of a run of `spec`."""
    return cache.program(digest("shipped", run_keys(spec)[0]), graph, target, layer_copies=False,
                         **program_options(spec, mode))


def counted(built, target, graph, harness, r) -> FunctionCosts:
    """A run of the copies build, counted (no memory system): exact instructions, bytes and categories per layer,
    and the core model's cycles per copy (what divides the shipped build's cycles among the copies)."""
    an = analyze(r, built.elf, target)
    prof = profile(r, built.elf, target, analysis=an)
    _, per_fn = attribute(an, harness, copy_outputs(prof, graph))
    return FunctionCosts.of_run(prof, estimate(r, built.elf, target, analysis=an), per_fn, harness)


def execute_run(spec: RunSpec) -> list[dict]:
    """The whole-model row and one row per layer of one (target, config), from the cache or measured now and
    committed to it (the whole-model row alone when the spec asks for no layers): a forward call on spec.prompt
    (no decode steps) or a decode step (`_forward`, `_decode_step`)."""
    cached = cached_sequence_run(spec)
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    measure, mode = (_decode_step, "generate") if spec.steps else (_forward, "forward")
    cache, target, graph = Cache(Path(spec.cache_root)), isa.get_target(spec.target), load_graph(spec.graph_path)
    # the program built twice: with per-layer kernel copies (counted: exact per layer) and as it ships (one copy of
    # each kernel: estimated on the board; the copies would multiply the code and its instruction-cache misses,
    # docs/memory-models.md)
    build_key, run_key = run_keys(spec)
    built, copies_now = cache.program(build_key, graph, target, layer_copies=True, **program_options(spec, mode))
    shipped, shipped_now = shipped_program(cache, spec, graph, target, mode)
    docs = measure(spec, target, board_for(target, spec.board or None), graph, built, shipped)
    cache.keep_result(run_key, docs, spec.label)
    wall = time.perf_counter() - t0
    for d in docs:
        d.update(built=copies_now or shipped_now, ran=True, wall_seconds=wall)
    return docs if spec.layers else docs[:1]


def _forward(spec: RunSpec, target, board, graph, built, shipped) -> list[dict]:
    """The cost of one forward call on the input rows `spec.prompt` (an encoder's sentence, an MLP's quantized
    sample). Integer runs of both builds must reproduce the reference interpreter's output rows bit for bit."""
    x = np.asarray(spec.prompt)
    y, r = run_forward(built, target, x, spec.backend)
    costs = counted(built, target, graph, HARNESS_FUNCTIONS, r)
    # a config that does not fit the board's memories is measured as if they were large enough (fits_board)
    ys, rs = run_forward(shipped, target, x, spec.backend, board=board, strict_fit=False)
    an = analyze(rs, shipped.elf, target)  # once, for the cycles and the energy
    est = estimate(rs, shipped.elf, target, board=board, analysis=an)
    shipped_cycles(est, HARNESS_FUNCTIONS, costs)
    ref = reference_forward(graph, x)
    # FP32: the same operations summed in another order; the error is recorded (integer: the same bytes)
    exact = bool(np.array_equal(y, ref) and np.array_equal(ys, ref)) if graph.is_integer else True
    err = 0.0 if graph.is_integer else float(max(np.abs(v.astype(np.float64) - ref).max() for v in (y, ys)))
    base = {**run_fields(spec, target, shipped, rs, est, board), "limiting_level": est.limiting_level,
            "sequence_tokens": len(x), "bit_exact": exact, "max_abs_error_vs_reference": err,
            "program_instructions": int(r.instructions), "shipped_program_instructions": int(rs.instructions),
            "cycles_from": "shipped build (shared kernels)"}
    # an MLP's rows are independent samples: its activations' bytes per inference are known (a transformer's depend
    # on the sequence length)
    docs = split_rows(costs, graph, base, activations=not is_sequence_graph(graph))
    docs[0]["energy"] = whole_energy(board, [(rs, est, an)])
    add_npu_fields(docs, None, rs, 1)  # NPU targets: CPU + NPU cycles
    return docs


def _decode_step(spec: RunSpec, target, board, graph, built, shipped) -> list[dict]:
    """The cost of one decode step: the difference of the runs that generate 1 and 1 + K tokens, divided by K."""
    k = spec.steps

    def run(program, n_new: int, **on_board):
        return run_generate(program, target, spec.prompt, n_new, backend=spec.backend, **on_board)

    (_, r1), (tokn, rn) = run(built, 1), run(built, 1 + k)
    costs = counted(built, target, graph, GENERATE_HARNESS_FUNCTIONS, rn).per_step(
        counted(built, target, graph, GENERATE_HARNESS_FUNCTIONS, r1), k)
    # the shipped build on the board: the estimate. A config that does not fit the board's memories is measured as
    # if they were large enough (fits_board)
    (_, sr1), (stokn, srn) = (run(shipped, n, board=board, strict_fit=False) for n in (1, 1 + k))
    an1, ann = (analyze(r, shipped.elf, target) for r in (sr1, srn))  # once each, for the cycles and the energy
    e1, en = (estimate(r, shipped.elf, target, board=board, analysis=a) for r, a in ((sr1, an1), (srn, ann)))
    step = step_difference(e1, en, k)  # the shipped build's step, the bandwidth bound on its own bytes per function
    shipped_cycles(step, GENERATE_HARNESS_FUNCTIONS, costs)
    exact = spec.expected is None or tokn == stokn == list(spec.expected)
    base = {**run_fields(spec, target, shipped, srn, en, board), "limiting_level": decode_limit(e1, en, step),
            "kv_cache_bytes": shipped.program.kv_cache_bytes, "context_tokens": len(spec.prompt) + spec.steps,
            "decode_steps_measured": k, "bit_exact": bool(exact) if graph.is_integer else True,
            "tokens_match_reference": bool(exact), "tokens": tokn, "max_abs_error_vs_reference": 0.0,
            "program_instructions": int(rn.instructions), "shipped_program_instructions": int(srn.instructions),
            "cycles_from": "shipped build (shared kernels)",
            "prefill_instructions": int(r1.instructions), "prefill_estimated_cycles": int(e1.cycles)}
    docs = split_rows(costs, graph, base)
    docs[0]["energy"] = whole_energy(board, [(sr1, e1, an1), (srn, en, ann)], step.cycles, k)
    add_npu_fields(docs, sr1, srn, k)  # NPU targets: CPU + NPU cycles
    return docs


# ------------------------------------------------------------------ quantization and accuracy (in the parent)
def quantize_sequence_config(spec: str, cfg, prompt: list[int], steps: int, cache: Cache,
                             eval_tokens: int) -> Quantized:
    """The config's graph (FP32: the capture; else quantized with the config's best method), its perplexity on
    held-out Shakespeare next to FP32's (reference interpreter), and its greedy tokens from the prompt."""
    def measure(m, g, fg) -> dict:
        ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), eval_tokens)
        window = min(256, int(fg.meta.get("max_positions", 256)))
        acc = {**perplexity_against_fp32(g, fg, ids, window), "method": g.meta.get("method", "fp32")}
        return {"accuracy": acc, "expected": reference_generate(g, prompt, 1 + steps)}

    return sweep_graph(spec, cfg, cache, (prompt, steps, eval_tokens), measure)


class Decoder(Workload):
    """A decoder (the bundled shakespeare-decoder, SmolLM2, a Hugging Face folder): a generate program from the
    prompt, measured over one decode step, per layer; perplexity against FP32 (quant/accuracy.py)."""
    kind, mode, run_code = "decoder", "generate", SEQUENCE_CODE
    execute, cached = staticmethod(execute_run), staticmethod(cached_sequence_run)
    unit, unit_text = "decode step", "one decode step (the difference of two runs, divided by the steps)"
    quality = Quality("perplexity", "perplexity", "held-out perplexity (lower is better)", ".2f",
                      lower_is_better=True, change=True)
    by_role = True
    caches_text = ("A decode step is the difference of two runs, so the caches are warm: the prefill brought in what "
                   "fits.")
    per_layer_text = PER_LAYER_COPIES + " Decoder blocks are summed by role (layers.*.<op>)."

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

    def quantize(self, config, cache: Cache) -> Quantized:
        return quantize_sequence_config(self.spec, config, self.prompt, self.steps, cache, self.eval_tokens)

    def inputs(self, q: Quantized) -> list[int]:
        return self.prompt

    def model_doc(self, quantized: list) -> dict:
        macs = weight_macs(load_graph(quantized[0].graph_path))
        n = len(self.prompt)
        return {"name": self.name, "description": f"{self.name}: decoder, {macs:,} weight MACs per token; one greedy "
                f"decode step at a context of {n} to {n + self.steps} tokens", "kind": self.kind, "unit": self.unit,
                "prompt_tokens": n, "decode_steps": self.steps}

    def check(self, rows: list[dict]) -> None:
        if not any(r["bit_exact"] for r in rows if r["layer"] is None):
            raise DriverError("no run reproduced the reference interpreter's tokens: a bug to report")
