"""`intgap generate`: greedy token generation by the integer-only C program on an emulated core, checked against
the reference interpreter, with the cost of the prefill and of one decode step (docs/modules.md)."""
from __future__ import annotations

import argparse
import contextlib
import time
from collections import Counter
from pathlib import Path

from rich.console import Console

import isa
from intgap.board_option import add_board_argument
from intgap.console_format import progress, table, write_json
from intgap.errors import DriverError
from intgap.npu_report import add_generate_fields as add_npu_fields, console_text as npu_text
from intgap.pipeline import build_program, reference_generate, run_generate
from intgap.result_rows import weight_macs
from intgap import sequence_models
from isa.boards import board_for
from isa.energy import estimate_energy, split_text, step_energy
from isa.profile import analyze
from isa.timing import estimate
from isa.timing.memory import step_difference
from quant.config import GRAMMAR
from quant.default_method import method_help
from quant.model_registry import MODELS, kind_of, names


def add_generate_command(sub) -> None:
    g = sub.add_parser("generate", help="generate tokens with the integer-only C program of a decoder on an "
                                        "emulated core, checked against the reference interpreter")
    decoders = ", ".join(n for n in names() if MODELS[n].kind == "decoder")
    g.add_argument("--model", required=True,
                   help=f"{decoders}, a Hugging Face model folder, or a .igraph from intgap quantize")
    g.add_argument("--target", required=True, help="target name (intgap targets)")
    g.add_argument("--config", default="w8a8", help=f"{GRAMMAR} (default w8a8)")
    g.add_argument("--method", default=None, help=method_help())
    g.add_argument("--prompt", default="ROMEO:", help="the prompt text")
    g.add_argument("-n", "--new-tokens", type=int, default=16, help="tokens to generate (default 16)")
    g.add_argument("--context", type=int, default=None,
                   help="key/value cache positions (default: prompt + new tokens, at least 32)")
    g.add_argument("--chunk", type=int, default=None, help="prefill chunk in tokens (default: the whole prompt, "
                   "at most 32)")
    g.add_argument("--backend", choices=("unicorn", "qemu"), default=None)
    g.add_argument("--compiler", choices=("gcc", "clang"), default=None)
    add_board_argument(g)
    g.add_argument("--clock-mhz", type=float, default=None,
                   help="clock for the tokens/s estimate (default: the board's clock, intgap boards)")
    g.add_argument("--max-instructions", type=int, default=None,
                   help="instruction budget of each run (default: 16 per weight MAC of every token, at least 5e9)")
    g.add_argument("--no-check", action="store_true", help="skip the reference interpreter's greedy tokens")
    g.add_argument("--workdir", default="out/generate")
    g.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    g.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace, console: Console) -> int:
    target = isa.get_target(args.target)
    isa.run_check_backend(target, args.backend or target.default_backend)
    if args.new_tokens < 1:
        raise DriverError(f"--new-tokens must be at least 1, got {args.new_tokens}")
    if kind_of(args.model) == "encoder":  # before any quantization: it could never be used
        raise _encoder(args.model)
    board_for(target, args.board)  # a board that cannot host the target: refused before the model is quantized
    with progress(console) as cb:
        sm = sequence_models.quantized_model(args.model, args.config, args.method, progress=cb)
    if "logits" not in sm.graph.outputs:  # an .igraph of an encoder
        raise _encoder(args.model)
    if sm.tokenizer is None:
        raise DriverError(f"{args.model} has no tokenizer: intgap generate needs a text model")
    prompt = [int(t) for t in sm.tokenizer(args.prompt)["input_ids"]]
    if not prompt:
        raise DriverError("the prompt has no tokens: give some text with --prompt")
    doc = generate_on_target(sm, target, prompt, args.new_tokens, context=args.context, chunk=args.chunk,
                             backend=args.backend, compiler=args.compiler, clock_mhz=args.clock_mhz, board=args.board,
                             check=not args.no_check, workdir=Path(args.workdir), console=console,
                             max_instructions=args.max_instructions)
    doc["prompt"] = args.prompt
    doc["text"] = sm.tokenizer.decode(doc["tokens"])
    _print(console, doc)
    write_json(console, args.json, doc)
    return 0 if doc.get("matches_reference", True) else 1


def _encoder(model: str) -> DriverError:
    return DriverError(f"{model} is an encoder (its graph computes hidden states, not next-token logits): an encoder "
                       f"does not generate; measure it with `intgap bench --model {model}` or `intgap eval`")


def generate_on_target(sm, target: isa.Target, prompt: list[int], n_new: int, *, context: int | None = None,
                       chunk: int | None = None, backend: str | None = None, compiler: str | None = None,
                       clock_mhz: float | None = None, check: bool = True, workdir: Path = Path("out/generate"),
                       console: Console | None = None, max_instructions: int | None = None,
                       board: str | None = None, timeout_s: float | None = None) -> dict:
    """Builds, runs and measures; returns the result document (see the module docstring). The default budget
    of a run scales with the model: 16 instructions per weight MAC of every token (scalar cores need about 7),
    at least isa's default, so a large model on a scalar core is not stopped half way. timeout_s: wall-clock
    limit of each run (None: isa.run's default)."""
    b = board_for(target, board)  # refuses a board that cannot host the target before anything is built
    context = context or max(32, len(prompt) + n_new - 1)
    chunk = chunk or min(len(prompt), 32)
    d = workdir / f"{sm.name}-{sm.config}" / target.name
    t0 = time.time()
    with console.status(f"building the generate program for {target.name}") if console else contextlib.nullcontext():
        built = build_program(sm.graph, target, d, mode="generate", max_tokens=chunk, context=context,
                              compiler=compiler)
    build_s = time.time() - t0
    backend = backend or target.default_backend
    if max_instructions is None:
        max_instructions = max(isa.DEFAULT_MAX_INSTRUCTIONS, 16 * weight_macs(sm.graph) * (len(prompt) + n_new))

    def run(n: int):
        tokens, r = run_generate(built, target, prompt, n, chunk=chunk, backend=backend,
                                 max_instructions=max_instructions, board=b, strict_fit=board is not None,
                                 timeout_s=timeout_s)
        an = analyze(r, built.elf, target)
        est = estimate(r, built.elf, target, analysis=an, board=b)
        return tokens, r, est, estimate_energy(est, an, b, r.memory)

    t0 = time.time()
    tokens, r_all, e_all, j_all = run(n_new)
    tokens1, r_one, e_one, j_one = (tokens[:1], r_all, e_all, j_all) if n_new == 1 else run(1)
    run_s = time.time() - t0
    if tokens1[0] != tokens[0]:
        raise DriverError("the first generated token differs between two runs of the same program: a bug to report")
    doc = {"model": sm.name, "config": sm.config, "method": sm.method, "target": target.name, "backend": backend,
           "compiler": built.compiler, "compiler_version": built.compiler_version,
           "prompt_tokens": len(prompt), "new_tokens": n_new, "context": context,
           "prefill_chunk": chunk, "tokens": tokens, "prompt_ids": prompt,
           "instructions_note": "exact dynamic instruction counts (emulator)",
           "cycles_note": f"estimates of {e_all.model}",
           "timing_model": e_all.model, "board": b.name,
           "memory_simulated": bool(e_all.memory),
           "board_fit_notes": list(r_all.memory.fit_notes) if r_all.memory else [],
           "prefill_instructions": r_one.instructions,
           "prefill_instructions_per_token": r_one.instructions / len(prompt),
           "prefill_est_cycles": e_one.cycles,
           "prefill_est_cycles_per_token": e_one.cycles / len(prompt),
           "prefill_memory_stall_cycles_per_token": e_one.memory_stall_cycles / len(prompt),
           "prefill_limiting_level": e_one.limiting_level,
           "energy_model": j_all.model,
           "prefill_energy_per_token": j_one.scaled(1 / len(prompt)).to_json(),
           "weights_bytes": built.lowered.blob.size, "arena_bytes": built.lowered.arena_size,
           "kv_cache_bytes": built.lowered.kv_bytes, "build_seconds": round(build_s, 1),
           "run_seconds": round(run_s, 1), "macs_per_token": weight_macs(sm.graph)}
    if n_new > 1:
        steps = n_new - 1
        step = step_difference(e_one, e_all, steps)
        doc.update(decode_instructions_per_token=(r_all.instructions - r_one.instructions) / steps,
                   decode_est_cycles_per_token=step.cycles,
                   decode_core_cycles_per_token=step.core_cycles,
                   decode_memory_stall_cycles_per_token=step.memory_stall_cycles,
                   limiting_level=decode_limit(e_one, e_all, step),
                   decode_memory_bytes_per_token=_memory_bytes_diff(e_one, e_all, steps))
        energy = step_energy(j_one, j_all, steps, step.cycles)
        doc["decode_energy_per_token"] = energy.to_json()
        if energy.modelled:
            doc.update(decode_energy_uj_per_token=energy.total_pj * 1e-6,
                       decode_energy_pj_per_mac=energy.total_pj / max(doc["macs_per_token"], 1))
        doc["decode_instructions_per_mac"] = doc["decode_instructions_per_token"] / max(doc["macs_per_token"], 1)
        clock = clock_mhz or e_all.clock_mhz
        note = "stated with --clock-mhz" if clock_mhz else (
            f"the clock of board {b.name}" if b.clock_mhz else target.extra.get("clock_note", "nominal"))
        doc.update(clock_mhz=clock, clock_note=note,
                   est_tokens_per_second=clock * 1e6 / doc["decode_est_cycles_per_token"])
    add_npu_fields(doc, target, r_one, r_all, n_new, len(prompt))  # NPU targets: CPU + NPU cycles
    if check:
        with console.status("greedy tokens of the reference interpreter") if console else contextlib.nullcontext():
            ref = reference_generate(sm.graph, prompt, n_new)
        doc["reference_tokens"] = ref
        doc["matches_reference"] = ref == tokens
    return doc


def decode_limit(e_one, e_all, step) -> str:
    """What limits one decode step (`step`: isa.timing.memory.step_difference of the two runs), by the estimate's
    own rule: the limiting memory when functions bound by its bandwidth take over half the step; else, when the
    step's stalls exceed its core cycles, the level serving most of them; else "core"."""
    if not e_all.memory:
        return "core"
    if step.bandwidth_bound_cycles > step.cycles / 2 and e_all.memory_bandwidth_cycles:
        return max(e_all.memory_bandwidth_cycles, key=e_all.memory_bandwidth_cycles.get)
    by_level = _levels(e_all) - _levels(e_one)  # a memory's figure includes its memory-side caches' (ART)
    return max(by_level, key=by_level.get) if step.memory_stall_cycles > step.core_cycles and by_level else "core"


def _levels(e) -> Counter:
    """Stall cycles by the cache level or memory that served them."""
    return Counter({x["name"]: x["stall_cycles"] for x in e.memory["caches"] + e.memory["memories"]})


def _memory_bytes_diff(e_one, e_all, steps: int) -> dict[str, float]:
    """Bytes each backing memory served per decode step (reads + writes)."""
    if not e_all.memory:
        return {}
    one = {m["name"]: m["read_bytes"] + m["write_bytes"] for m in e_one.memory["memories"]}
    return {m["name"]: (m["read_bytes"] + m["write_bytes"] - one.get(m["name"], 0)) / steps
            for m in e_all.memory["memories"]}


def _print(console: Console, doc: dict) -> None:
    console.print(f"[bold]{doc['model']}[/bold] {doc['config']} ({doc['method']}) on {doc['target']} "
                  f"({doc['backend']}, built with {doc['compiler_version']})")
    console.print(f"prompt: {doc['prompt']!r} ({doc['prompt_tokens']} tokens)")
    console.print(f"generated: {doc['text']!r} ({doc['new_tokens']} tokens)")
    if "matches_reference" in doc:
        console.print("tokens equal the reference interpreter's greedy tokens: "
                      + ("yes" if doc["matches_reference"] else f"NO (reference: {doc['reference_tokens']})"))
    t = table(f"cost per token: instructions exact, cycles {doc['cycles_note']}",
              ("phase", "instructions / token", "est. cycles / token", "of which memory stalls", "limited by",
               "instructions / MAC"), ("phase", "limited by"))
    macs = max(doc["macs_per_token"], 1)
    t.add_row(f"prefill ({doc['prompt_tokens']} tokens, chunks of {doc['prefill_chunk']})",
              f"{doc['prefill_instructions_per_token']:,.0f}", f"{doc['prefill_est_cycles_per_token']:,.0f}",
              f"{doc['prefill_memory_stall_cycles_per_token']:,.0f}", doc["prefill_limiting_level"],
              f"{doc['prefill_instructions_per_token'] / macs:.3f}")
    if "decode_instructions_per_token" in doc:
        t.add_row(f"decode ({doc['new_tokens'] - 1} steps)", f"{doc['decode_instructions_per_token']:,.0f}",
                  f"{doc['decode_est_cycles_per_token']:,.0f}", f"{doc['decode_memory_stall_cycles_per_token']:,.0f}",
                  doc["limiting_level"], f"{doc['decode_instructions_per_mac']:.3f}")
    console.print(t)
    if "npu" in doc:
        console.print(npu_text(doc))
    for n in doc.get("board_fit_notes", []):
        console.print(f"note: on the target's default board {n}; the estimate takes its memories' timing as if they "
                      "were large enough (name a board with --board to require a fit)", style="yellow")
    if not doc.get("memory_simulated"):
        console.print(f"no memory stalls simulated on board {doc['board']} (a zero-wait board, or a backend without "
                      "memory capture): cycles are the core model's", style="dim")
    elif doc.get("decode_memory_bytes_per_token"):
        moved = ", ".join(f"{m} {v / 1e6:,.2f} MB" for m, v in doc["decode_memory_bytes_per_token"].items() if v)
        console.print(f"memory traffic per decode step: {moved}", style="dim")
    console.print(f"prefill: {split_text(doc['prefill_energy_per_token'], ' per token', macs)}")
    if "decode_energy_per_token" in doc:
        console.print(f"decode: {split_text(doc['decode_energy_per_token'], ' per token', macs)}")
    if "est_tokens_per_second" in doc:
        console.print(f"estimated decode speed: {doc['est_tokens_per_second']:.1f} tokens/s at {doc['clock_mhz']:g} MHz "
                      f"({doc['clock_note']}; an estimate from {doc['timing_model']})")
    console.print(f"{doc['macs_per_token']:,} weight MACs per token; weights {doc['weights_bytes']:,} B, key/value "
                  f"cache {doc['kv_cache_bytes']:,} B ({doc['context']} positions), arena {doc['arena_bytes']:,} B",
                  style="dim")
