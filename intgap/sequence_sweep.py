"""Sweeps of decoder models (the bundled shakespeare-decoder, SmolLM2, any Llama/GPT-2 folder): the cost of one
decode step per target and config, end to end and per layer, with the latency gap against FP32.

A run builds the greedy-generation program (codegen/program.py) twice: with per-layer kernel copies
(codegen/lower.py: every layer calls its own copy of each kernel, so each instruction belongs to one layer) and as it
ships (one copy of each kernel, as `intgap generate` and firmware build it). Each runs twice from the same prompt:
generating 1 token (the prefill) and 1 + K tokens; the difference, divided by K, is one decode step at a context of
the prompt plus half of K. Instructions, bytes and the attribution categories are the copies build's exact counts,
per function and so per layer. Estimated cycles are the shipped build's, on the board (the copies would multiply the
code and its instruction-cache misses); each shared function's step cycles are divided among its per-layer copies
(`spread_over_copies`), so the layers still add up to the step (docs/memory-models.md). Integer runs of both builds
must reproduce the reference interpreter's greedy tokens (bit_exact).

The decoder is a workload (intgap/workload.py): its runs are cached, parallel and distributable through the one
runner (intgap/runner.py), like the classifier's.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from codegen.program import GENERATE_HARNESS_FUNCTIONS
from intgap.cache import RUN_CODE, Cache, code_fingerprint, digest, emulator_version, graph_digest, toolchain_id
from intgap.errors import DriverError
from intgap.sweep import Config, SweepResult, _section_sizes, weight_and_activation_bytes
from intgap.workload import Workload, run_workload

PROMPT_TEXT = "ROMEO:\nBut soft, what light"
DECODE_STEPS = 4
SEQUENCE_CODE = RUN_CODE + ("intgap/sequence_sweep.py", "intgap/pipeline.py")
_COPY = re.compile(r"__L(\d+)(?:\.|$)")
_COPY_SUFFIX = re.compile(r"__L\d+(?=\.|$)")
_LAYER = re.compile(r"^ig_layer_(\d+)_")


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


def layer_of(function: str) -> int | None:
    """The layer a function belongs to: ig_layer_<i>_* and the layer's kernel copies <kernel>__L<i>."""
    m = _COPY.search(function) or _LAYER.match(function)
    return int(m.group(1)) if m else None


def role_of(node_name: str) -> str:
    """A layer's role with its block index taken out (layers.3.mlp.up_proj -> layers.*.mlp.up_proj)."""
    return re.sub(r"\.\d+\.", ".*.", node_name, count=1)


@dataclass
class SequenceRunSpec:
    model: str
    config: str
    target: str
    backend: str
    graph_path: str
    graph_key: str
    prompt: list[int]
    steps: int
    expected: list[int] | None  # the reference interpreter's greedy tokens (1 + steps)
    cache_root: str
    build_code: str = ""
    run_code: str = ""
    board: str = ""  # the board of the estimate (isa/boards.py); "" = the target's default board
    layer = None  # a run covers the whole model and yields the per-layer rows too

    @property
    def label(self) -> str:
        return f"{self.target} {self.config}"


def _keys(spec: SequenceRunSpec) -> tuple[str, str]:
    build = digest("seq-build", spec.graph_key, spec.target, toolchain_id(spec.target), len(spec.prompt), spec.steps,
                   spec.build_code or code_fingerprint())
    run = digest("seq-run", build, spec.backend, emulator_version(spec.target, spec.backend), spec.board,
                 spec.prompt, spec.expected,
                 spec.run_code or code_fingerprint(SEQUENCE_CODE))
    return build, run


def cached_sequence_run(spec: SequenceRunSpec) -> list[dict] | None:
    hit = Cache(Path(spec.cache_root)).get("runs", _keys(spec)[1])
    if hit is None:
        return None
    docs = json.loads((hit / "result.json").read_text())
    for d in docs:
        d.update(built=False, ran=False)
    return docs


def execute_sequence(spec: SequenceRunSpec) -> list[dict]:
    """The whole-model row and one row per layer of one (target, config): the cost of one decode step."""
    import isa
    from intgap.attribution import CATEGORIES, attribute
    from intgap.pipeline import run_generate
    from intgap.generate_command import decode_limit
    from isa.boards import board_for
    from isa.profile import analyze, is_softfloat_helper, profile
    from isa.timing import estimate
    from isa.timing.memory import step_difference
    from quant import load_graph

    cached = cached_sequence_run(spec)
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    cache = Cache(Path(spec.cache_root))
    target = isa.get_target(spec.target)
    board = board_for(target, spec.board or None)
    graph = load_graph(spec.graph_path)
    build_key, run_key = _keys(spec)
    built, bmeta, built_copies = _cached_build(cache, build_key, graph, target, spec, layer_copies=True)
    shipped, _, built_shipped = _cached_build(cache, digest("seq-build-shipped", build_key), graph, target, spec,
                                              layer_copies=False)

    rows_out = {i: int(graph.constants[n.inputs[1]].shape[0]) for i, n in enumerate(graph.nodes)
                if n.op.startswith("fully_connected")}

    def count(n_new: int):
        """The copies build, counted (no memory system): exact instructions, bytes and categories per layer, and
        the core model's cycles per copy (the weights that divide the shipped build's cycles among the copies)."""
        tokens, r = run_generate(built, target, spec.prompt, n_new, backend=spec.backend)
        an = analyze(r, built.elf, target)
        prof = profile(r, built.elf, target, analysis=an)
        core = estimate(r, built.elf, target, analysis=an)
        # output elements each fully connected kernel copy made in this run: calls (one row each) x N
        outs: dict[str, int] = {}
        for fp in prof.functions.values():
            for callee, c in fp.calls.items():
                li = layer_of(callee)
                if li in rows_out and callee.startswith("ig_fc_"):
                    outs[callee] = outs.get(callee, 0) + c * rows_out[li]
        _, per_fn = attribute(an, GENERATE_HARNESS_FUNCTIONS, outs)
        return tokens, r, prof, core, per_fn

    def on_board(n_new: int):
        """The shipped build on the board: the estimate. A config that does not fit the board's memories is
        measured as if they were large enough (fits_board)."""
        tokens, r = run_generate(shipped, target, spec.prompt, n_new, backend=spec.backend, board=board,
                                 strict_fit=False)
        return tokens, r, estimate(r, shipped.elf, target, board=board)

    tok1, r1, p1, c1, a1 = count(1)
    tokn, rn, pn, cn, an_ = count(1 + spec.steps)
    _, _, e1 = on_board(1)
    stokn, srn, en = on_board(1 + spec.steps)
    k = spec.steps
    names = (set(pn.functions) | set(p1.functions)) - GENERATE_HARNESS_FUNCTIONS

    def diff(get) -> dict[str, float]:
        return {f: (get(pn, an_, f) - get(p1, a1, f)) / k for f in names}

    instr = diff(lambda p, a, f: p.functions[f].instructions if f in p.functions else 0)
    loads = diff(lambda p, a, f: p.functions[f].load_bytes if f in p.functions else 0)
    stores = diff(lambda p, a, f: p.functions[f].store_bytes if f in p.functions else 0)
    cats = {c: diff(lambda p, a, f, c=c: a.get(f, {}).get(c, 0)) for c in CATEGORIES}
    step = step_difference(e1, en, k)  # the shipped build's step, the bandwidth bound on its own bytes per function
    own = {f: v for f, v in step.per_function.items() if f not in GENERATE_HARNESS_FUNCTIONS}
    stall_of = {f: step.per_function_memory_stalls.get(f, 0.0) for f in own}
    copy_core = step_difference(c1, cn, k).per_function
    moved = {f: loads[f] + stores[f] for f in names}
    # core cycles go to the copies as the core model divides them there; stalls as the bytes the copies moved
    core = spread_over_copies({f: v - stall_of[f] for f, v in own.items()}, names, copy_core, instr)
    stalls = spread_over_copies(stall_of, names, moved, copy_core, instr)
    names |= set(core) | set(stalls)  # a shipped function with no counterpart (none expected) still counts
    cycles = {f: core.get(f, 0.0) + stalls.get(f, 0.0) for f in names}
    exact = spec.expected is None or tokn == stokn == list(spec.expected)
    sizes = _section_sizes(shipped.elf, target)
    fit_notes = list(srn.memory.fit_notes) if srn.memory else []
    base = {"model": spec.model, "config": spec.config, "target": spec.target, "backend": rn.backend,
            "compiler": bmeta["compiler"], "compiler_version": bmeta["compiler_version"],
            "emulator_version": emulator_version(spec.target, spec.backend),
            "kernel_family": bmeta["kernel_family"], "cycle_model": en.heading,
            "board": board.name, "limiting_level": decode_limit(e1, en, step),
            "fits_board": not fit_notes, "board_fit_notes": fit_notes,
            "arena_bytes": bmeta["arena_bytes"], "kv_cache_bytes": bmeta["kv_bytes"],
            "context_tokens": len(spec.prompt) + spec.steps, "decode_steps_measured": k,
            "bit_exact": bool(exact) if graph.is_integer else True,
            "tokens_match_reference": bool(exact), "tokens": tokn,
            "max_abs_error_vs_reference": 0.0, "cycles_from": "shipped build (shared kernels)",
            "shipped_program_instructions": int(srn.instructions), **sizes}

    def row(fns: dict[str, float], layer: int | None, name: str | None, g_macs: int, wbytes: dict) -> dict:
        """fns: function -> the share of it that belongs to this row (1 for its own functions)."""
        def total(d: dict[str, float]) -> int:  # fsum: the same figure whatever the order (workers hash differently)
            return int(round(math.fsum(d.get(f, 0.0) * w for f, w in fns.items())))
        return {**base, "layer": layer, "layer_name": name, "layer_role": role_of(name) if name else None,
                "instructions": total(instr), "program_instructions": int(rn.instructions),
                "estimated_cycles": total(cycles), "memory_stall_cycles": total(stalls),
                "load_bytes": total(loads), "store_bytes": total(stores),
                "attribution": {c: total(cats[c]) for c in CATEGORIES}, "mix": {}, "macs": g_macs, **wbytes,
                "softfloat_helper_instructions": int(round(math.fsum(instr.get(f, 0) * w for f, w in fns.items()
                                                               if is_softfloat_helper(f)))),
                "inclusive_exact": all(w == 1 for w in fns.values()),
                "prefill_instructions": int(r1.instructions), "prefill_estimated_cycles": int(e1.cycles)}

    docs = [row({f: 1.0 for f in names}, None, None, _macs(graph), weight_and_activation_bytes(graph, activations=False))]
    share = _layer_shares(names, p1, pn)
    for i, n in enumerate(graph.nodes):
        docs.append(row_shared(row, share, i, n, graph))
    docs[0]["shared_helper_instructions"] = int(round(sum(instr.get(f, 0) for f in names if layer_of(f) is None)))
    # what belongs to no layer: the step's own glue (ig_model_forward, the argmax over the logits) and helpers
    # only that glue calls
    outside = {f: instr.get(f, 0) * (1 - sum(share[f].values())) for f in names}
    docs[0]["outside_layers"] = {f: int(round(v)) for f, v in sorted(outside.items(), key=lambda kv: -kv[1])
                                 if round(v)}
    tmp = cache.begin("runs", run_key)
    (tmp / "result.json").write_text(json.dumps(docs))
    cache.commit("runs", run_key, tmp, {"label": spec.label})
    wall = time.perf_counter() - t0
    for d in docs:
        d.update(built=built_copies or built_shipped, ran=True, wall_seconds=wall)
    return docs


def _cached_build(cache: Cache, key: str, graph, target, spec: SequenceRunSpec, layer_copies: bool):
    """The generate program of `graph` (with per-layer kernel copies or as it ships), from the build cache or built
    into it: (Built, its entry's metadata, whether it was built now)."""
    from codegen.program import Program
    from intgap.pipeline import Built, build_program
    entry = cache.get("builds", key)
    built_now = entry is None
    if entry is None:
        tmp = cache.begin("builds", key)
        b = build_program(graph, target, tmp, mode="generate", max_tokens=len(spec.prompt),
                          context=len(spec.prompt) + spec.steps, layer_copies=layer_copies)
        (tmp / "weights.bin").unlink()  # linked into the ELF; the entry keeps the sources and the ELF
        entry = cache.commit("builds", key, tmp, {
            "compiler": b.compiler, "compiler_version": b.compiler_version, "program": b.program.describe()})
    meta = json.loads((entry / "entry.json").read_text())
    built = Built(Program.described(meta["program"], entry), None, entry / "program.elf", meta["compiler"],
                  meta["compiler_version"])
    meta.update(arena_bytes=built.program.arena_bytes, kv_bytes=built.program.kv_cache_bytes,
                kernel_family=built.program.kernel_family)
    return built, meta, built_now


def row_shared(row, share: dict[str, dict[int, float]], i: int, node, graph) -> dict:
    fns = {f: w[i] for f, w in share.items() if w.get(i)}
    return row(fns, i, node.name, _macs(graph, [node]), weight_and_activation_bytes(graph, [node], activations=False))


def _layer_shares(names: set[str], p1, pn) -> dict[str, dict[int, float]]:
    """function -> {layer: share}. A layer's own functions (ig_layer_<i>_*, the kernel copies <kernel>__L<i>) are
    wholly its own; a helper the layers share (libgcc's soft-float and division helpers, memcpy) is divided among
    them in proportion to the decode-step calls each layer's functions make to it, recursively (gprof-style; exact
    when a helper costs the same per call, as soft-float helpers nearly do)."""
    calls: dict[str, dict[str, float]] = {}  # callee -> caller -> calls per decode step (difference of the runs)
    for f in names:
        for callee, c in (pn.functions[f].calls if f in pn.functions else {}).items():
            c1 = p1.functions[f].calls.get(callee, 0) if f in p1.functions else 0
            calls.setdefault(callee, {})[f] = c - c1
    memo: dict[str, dict[int, float]] = {}

    def shares(f: str, stack: frozenset) -> dict[int, float]:
        if f in memo:
            return memo[f]
        li = layer_of(f)
        if li is not None:
            return {li: 1.0}
        acc: dict[int, float] = {}
        total = 0.0
        for caller, c in sorted(calls.get(f, {}).items()):
            if caller in stack or c <= 0:
                continue
            total += c
            for layer, w in shares(caller, stack | {f}).items():
                acc[layer] = acc.get(layer, 0.0) + c * w
        out = {k: v / total for k, v in acc.items()} if total else {}
        memo[f] = out
        return out

    return {f: shares(f, frozenset()) for f in names}


def _macs(graph, nodes=None) -> int:
    """Weight MACs of one token (fully connected layers)."""
    return int(sum(graph.constants[n.inputs[1]].size for n in (nodes or graph.nodes)
                   if n.op.startswith("fully_connected")))


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
                             eval_tokens: int, progress=None) -> QuantizedSequence:
    """The config's graph (FP32: the capture; else quantized with the config's best method), its perplexity on
    held-out Shakespeare next to FP32's (reference interpreter), and its greedy tokens from the prompt."""
    from intgap.sequence_models import _model_identity
    from intgap.pipeline import reference_generate
    from quant import load_graph, save_graph
    from quant.accuracy import perplexity_against_fp32, tokenize_text
    from quant.hf_capture import capture_hf
    from quant.hf_models import shakespeare_text
    from quant.recipes import load_model, quantize_model, recipe_for

    recipe = recipe_for(spec, cfg.name)
    key = digest("seq-quantize", _model_identity(spec), asdict(recipe), prompt, steps, eval_tokens,
                 code_fingerprint(("quant",)))
    entry = cache.get("graphs", key)
    cached = entry is not None
    if entry is None:
        m = load_model(spec)
        fg = capture_hf(m.model, recipe.seq_len, name=m.name)
        g = fg if cfg.is_float else quantize_model(m, recipe.config, recipe=recipe)
        g.name = m.name
        ids = tokenize_text(m.tokenizer, shakespeare_text("eval"), eval_tokens)
        window = min(256, int(fg.meta.get("max_positions", 256)))
        acc = {**perplexity_against_fp32(g, fg, ids, window), "method": g.meta.get("method", "fp32")}
        expected = reference_generate(g, prompt, 1 + steps)
        tmp = cache.begin("graphs", key)
        save_graph(g, tmp / "model.igraph")
        entry = cache.commit("graphs", key, tmp, {"accuracy": acc, "expected": expected, "config": asdict(cfg)})
    meta = json.loads((entry / "entry.json").read_text())
    g = load_graph(entry / "model.igraph")
    return QuantizedSequence(cfg, entry / "model.igraph", graph_digest(g), meta["accuracy"], meta["expected"], cached)


class Decoder(Workload):
    """A decoder (the bundled shakespeare-decoder, SmolLM2, a Hugging Face folder): a generate program from the
    prompt, measured over one decode step, per layer; perplexity against FP32 (quant/accuracy.py)."""
    kind, mode, run_code = "decoder", "generate", SEQUENCE_CODE

    def __init__(self, spec: str, eval_tokens: int = 2048, steps: int = DECODE_STEPS, prompt_text: str = PROMPT_TEXT):
        from quant.recipes import load_model
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
        from quant import load_graph
        macs = _macs(load_graph(quantized[0].graph_path))
        n = len(self.prompt)
        return {"name": self.name, "description": f"{self.name}: decoder, {macs:,} weight MACs per token; one greedy "
                f"decode step at a context of {n} to {n + self.steps} tokens", "kind": self.kind, "unit": "decode step",
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
