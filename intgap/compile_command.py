"""`intgap compile`: a model into a firmware artifact for one target (codegen/firmware.py), built, with a ROM/RAM
report of the linked example and one clear error for a model that does not fit (docs/modules.md)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path

from rich.console import Console
from rich.table import Table

import isa
from codegen.errors import ModelDoesNotFit
from codegen.firmware import SPECIAL_TOKENS, emit_firmware, lower_firmware, write_makefile_snippet
from codegen.firmware_cmake import PackageBuild, kv_symbols, write_cmake_package
from codegen.firmware_layout import (ARENA_CHOICES, WEIGHTS_CHOICES, Layout, check_layout_fits, emulator_target,
                                     has_memory_map, layout_of_elf, region_table, resolve_layout, section_placement)
from codegen.lower import check_fits, image_region, is_decoder, is_sequence_graph
from intgap import sequence_models
from intgap.console_format import progress, write_json
from intgap.errors import DriverError
from intgap.models import load_model
from isa.boards import board_for, get_board
from isa.elf import load_elf
from isa.errors import ProgramDoesNotFitBoard
from isa.placement import place
from quant import load_graph, save_graph
from quant.config import GRAMMAR, for_classifier, parse
from quant.default_method import method_help
from quant.model_registry import is_transformer, listing
from toolchain import (BuildFailed, build_elf, build_static_library, compiler_version, find_compiler,
                       memory_report, require_integer_purity)
from toolchain.build import COMMON_CFLAGS
from toolchain.library import archiver, link_example


DEFAULT_CONFIG = "w8a8"
DEFAULT_CONTEXT = 64
DEFAULT_MAX_TOKENS = 16


def is_sequence_model(spec: str) -> bool:
    """A transformer the sequence lowering takes: a registered one (quant/model_registry.py), or a Hugging Face
    model folder (config.json)."""
    return is_transformer(spec) or (Path(spec).is_dir() and (Path(spec) / "config.json").is_file())


def load_graph_for_compile(spec: str, workdir: Path, config: str = DEFAULT_CONFIG):
    """A graph: a `.igraph` file as it is, or an MLP (as `intgap bench --model`) quantized with `config` (PTQ)."""
    if spec.endswith(".igraph"):
        if not Path(spec).exists():
            raise DriverError(f"graph file {spec} does not exist: create it with `intgap quantize` or pass a model")
        return load_graph(spec)
    if is_sequence_model(spec):
        raise DriverError(f"{spec} is a transformer: load it with intgap.sequence_models.quantized_model")
    g = load_model(spec).graph(for_classifier(parse(config)))
    save_graph(g, workdir / "model.igraph")
    return g


def compile_firmware(graph, target, out: Path, compiler: str | None = None, *, context: int = 1,
                     max_tokens: int = 1, special_tokens: dict[str, int] | None = None,
                     layout: Layout | None = None) -> dict:
    """The artifact of `graph` (codegen/firmware.py) in `out`: libmodel.a, model.mk, the CMake package, the linked
    example, its ROM/RAM report and the integer-purity check of the example ELF. With a board `layout`
    (codegen/firmware_layout.py) the example links for that board's memory map, its sections where the layout
    says. Refused before anything is compiled when its weights, arena and key/value cache exceed the target's (the
    layout's) memories, and after linking when the linked firmware does; returns the summary (also
    out/memory_report.json). An MLP takes max_tokens rows (samples) per call."""
    low = lower_firmware(graph, target, max_tokens, context)
    if layout is None:
        check_fits(low, target)
    else:
        check_layout_fits(layout, graph.name, low.blob.size, low.arena_size, low.kv_bytes)
    cc = find_compiler(target, compiler)
    label = f"{cc.kind} {compiler_version(cc)}"
    fw = emit_firmware(low, out, label, special_tokens, layout)
    sizes = {"arena_bytes": low.arena_size, "weight_bytes": low.blob.size}
    sequence = bool(low.kv_bytes) or is_sequence_graph(graph)
    if sequence:
        sizes = {"decoder": fw.decoder, "context": low.context, "max_tokens": low.max_tokens,
                 **sizes, "kv_cache_bytes": low.kv_bytes}
    lib = out / "libmodel.a"
    build_static_library(fw.library_sources, target, lib, compiler=compiler)  # the kernels from the object cache
    # the application's objects must share the flags (the ABI) the library was compiled with
    write_makefile_snippet(fw, target, cc.path, [*cc.target_flags, *COMMON_CFLAGS], list(cc.link_flags), list(cc.libs),
                           label)
    write_cmake_package(out, target, PackageBuild(cc.path, archiver(target, cc), label, cc.target_flags,
                                                  COMMON_CFLAGS, cc.link_flags, cc.libs),
                        graph.name, [str(p.relative_to(out / "example")) for p in fw.example_sources[1:]],
                        fw.platform_defines, kv_symbols(low.model_c))
    elf = out / "example" / "example.elf"
    where = target if layout is None else emulator_target(target, layout)
    try:
        if layout is None:
            build_elf([fw.example_sources[0], lib], target, elf, include_dirs=(out,), compiler=compiler)
        else:
            link_example(cc, target, fw.example_sources, lib, elf, linker_script=fw.linker_script,
                         cflags=[*cc.target_flags, *COMMON_CFLAGS, f"-I{out}", f"-I{fw.example_include}",
                                 *(f"-D{d}" for d in fw.platform_defines)])
    except BuildFailed as e:
        # the linker's words ("region `CODE' overflowed by N bytes"), as they are or as toolchain.build words them
        m = re.search(r"region [`'\"]?(\w+)[`'\"]? overflowed by ([\d,]+) bytes", str(e))
        if m:
            name = m.group(1).lower().replace("_", "-")
            region = next((r for r in where.memory if r.name.lower() == name), image_region(where))
            over = int(m.group(2).replace(",", ""))
            raise _does_not_fit(graph, target, region.name, region.size + over, region.size, sequence, layout) from None
        raise
    report = memory_report(elf, where)
    for region_name, used, size in report.overflows():
        raise _does_not_fit(graph, target, region_name, used, size, sequence, layout)
    if graph.is_integer:
        require_integer_purity(elf)
    summary = {"model": graph.name, "target": target.name, "compiler": label, "integer_only": graph.is_integer,
               "kernel_family": target.kernel_family, **sizes,
               "files": sorted({str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
                               | {"memory_report.json"}),
               "memory": report.to_json()}
    if layout is not None:
        summary["board_layout"] = {"board": layout.board.name, "sections": section_placement(layout),
                                   "regions": region_table(layout, summary["memory"]["sections"])}
    (out / "memory_report.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _does_not_fit(graph, target, region: str, used: int, size: int, sequence: bool = False,
                  layout: Layout | None = None) -> ModelDoesNotFit:
    fix = ("use int4 weights (--config w4a8), a shorter context (--context), fewer tokens per call (--max-tokens), "
           "or a target with more memory") if sequence else \
        "use fewer or smaller layers, int4 weights, or a target with more memory"
    if layout is not None:
        fix = "other section choices (--weights-in / --arena-in), or " + fix.replace("a target", "a board")
    where = target.name if layout is None else f"board {layout.board.name} ({target.name})"
    return ModelDoesNotFit(f"model {graph.name} does not fit {where}: the linked firmware needs {used:,} bytes in "
                           f"memory region '{region}', which holds {size:,}: {used - size:,} bytes over; {fix}")


def _option_errors(args, sequence: bool, graph_file: bool) -> None:
    """Options that do not apply to the model are refused, not ignored."""
    if graph_file and (args.config is not None or args.method is not None):
        raise DriverError(f"{args.model} is quantized already: --config / --method apply to a model that intgap "
                          "quantizes (a name or a Hugging Face folder); drop them")
    given = [f"--{o.replace('_', '-')}" for o in ("context", "max_tokens", "method") if getattr(args, o) is not None]
    if not sequence and given:
        raise DriverError(f"{', '.join(given)} apply to transformer models; {args.model} is an MLP, which "
                          "`intgap compile` quantizes with --config (PTQ; an .igraph keeps its own quantization)")
    for o in ("context", "max_tokens"):
        v = getattr(args, o)
        if v is not None and v < 1:
            raise DriverError(f"--{o.replace('_', '-')} must be at least 1, got {v}")


def sequence_lengths(decoder: bool, context: int | None, max_tokens: int | None) -> tuple[int, int]:
    """(context, max_tokens) of the library. A decoder: the cache positions and the tokens per forward call
    (defaults 64 and 16). An encoder runs a whole sequence in one call, so both are its length (default 16)."""
    if decoder:
        return context or DEFAULT_CONTEXT, max_tokens or DEFAULT_MAX_TOKENS
    if context is not None and max_tokens is not None and context != max_tokens:
        raise DriverError(f"an encoder runs a whole sequence in one call: --context {context} and --max-tokens "
                          f"{max_tokens} must be the same (the sequence length), or give one of them")
    n = context or max_tokens or DEFAULT_MAX_TOKENS
    return n, n


def cmd_compile(args: argparse.Namespace, console: Console) -> int:
    target = isa.get_target(args.target)
    if args.board is not None:
        board_for(target, args.board)  # a board that cannot host the target is refused before anything is built
    layout = layout_for(target, args.board, args.weights_in, args.arena_in)
    out = Path(args.output)
    before = files_in(out)  # what the folder held already is not listed as written
    graph_file = args.model.endswith(".igraph")
    graph = load_graph_for_compile(args.model, out) if graph_file else None
    sequence = is_sequence_graph(graph) if graph_file else is_sequence_model(args.model)
    _option_errors(args, sequence, graph_file)  # options that do not apply are refused before anything is built
    out.mkdir(parents=True, exist_ok=True)
    lengths, recipe = {}, {}  # a transformer's: the library's lengths and tokens; the config and method it ran
    if sequence:
        with progress(console) as cb:
            sm = sequence_models.quantized_model(args.model, args.config or DEFAULT_CONFIG, args.method, progress=cb)
        context, max_tokens = sequence_lengths(is_decoder(sm.graph), args.context, args.max_tokens)
        tokens = {k: getattr(sm.tokenizer, f"{k}_token_id", None) for k in SPECIAL_TOKENS} if sm.tokenizer else None
        graph, recipe = dataclasses.replace(sm.graph, name=sm.name), {"config": sm.config, "method": sm.method}
        lengths = {"context": context, "max_tokens": max_tokens, "special_tokens": tokens}
    elif graph is None:
        with console.status(f"loading {args.model}"):
            graph = load_graph_for_compile(args.model, out, args.config or DEFAULT_CONFIG)
    with console.status(f"building libmodel.a for {target.name}"):
        s = {**compile_firmware(graph, target, out, args.compiler, layout=layout, **lengths), **recipe}
    written_only(s, out, before)
    s["board"] = board_fit(out / "example" / "example.elf", target, args.board, layout)
    print_compile_summary(console, s, out)
    write_json(console, args.json, s)
    return 0


def files_in(out: Path) -> dict[str, int]:
    """Every file under `out` with its inode change time (ns; a copy that keeps the source's mtime still changes
    it): what was there before a compile wrote its own."""
    return {str(p.relative_to(out)): p.stat().st_ctime_ns for p in out.rglob("*") if p.is_file()} \
        if out.is_dir() else {}


def written_only(summary: dict, out: Path, before: dict[str, int]) -> None:
    """The summary's and memory_report.json's file list cut to the files this compile wrote or rewrote."""
    now = files_in(out)
    summary["files"] = sorted(f for f, t in now.items() if before.get(f) != t)
    path = out / "memory_report.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "files": summary["files"]}, indent=2) + "\n")


def layout_for(target, board_name: str | None, weights_in: str | None, arena_in: str | None) -> Layout | None:
    """The board memory map the example links for: a board with one named by --board, or the target's default
    board when --weights-in / --arena-in are given; None: the emulator's MPS2 map."""
    if weights_in is None and arena_in is None:
        if board_name is None or not has_memory_map(board_for(target, board_name)):
            return None
    return resolve_layout(board_for(target, board_name), weights_in, arena_in)


def run_firmware_example(out: Path, inputs: dict[str, bytes] | None = None, **run_options):
    """Runs the example a compile wrote in `out` under the emulator: on its board's memory map and memory model
    when it was linked for one (memory_report.json says which), else as the target's program."""
    summary = json.loads((Path(out) / "memory_report.json").read_text())
    target = isa.get_target(summary["target"])
    elf = Path(out) / "example" / "example.elf"
    lay = summary.get("board_layout")
    layout = lay and layout_of_elf(get_board(lay["board"]), load_elf(elf).sections)
    if not layout:
        return isa.run(elf, target, inputs=inputs, **run_options)
    return isa.run(elf, emulator_target(target, layout), "unicorn", inputs=inputs, board=layout.board, **run_options)


def board_fit(elf: Path, target, board_name: str | None, layout: Layout | None = None) -> dict:
    """Where the linked example's sections go on the board (isa/placement.py) and whether they fit its memories.
    A board named with --board must hold the firmware (else one clear error); the target's default board is
    reported, fitting or not. An example linked for a board's map (`layout`) is placed by its addresses."""
    b = board_for(target, board_name) if layout is None else layout.board
    doc = {"name": b.name, "description": b.description, "named": board_name is not None}
    try:
        p = place(elf, target if layout is None else emulator_target(target, layout), b)
    except ProgramDoesNotFitBoard as e:
        if board_name is not None:
            raise
        return {**doc, "fits": False, "why": str(e)}
    sizes = {m.name: m.size for m in b.memories}
    return {**doc, "fits": True, "memories": {m: {"bytes": n, "size": sizes[m]} for m, n in p.used.items()},
            "placement": [{"what": r.what, "base": r.base, "end": r.end, "memory": r.memory} for r in p.ranges
                          if r.what != "stack"]}


def print_compile_summary(console: Console, s: dict, out: Path) -> None:
    m = s["memory"]
    console.print(f"[bold]{s['model']}[/bold] for {s['target']} ({s['kernel_family']} kernels), built with {s['compiler']}")
    if "kv_cache_bytes" in s:
        what = (f"decoder: forward calls of up to {s['max_tokens']} tokens, key/value cache of {s['context']} "
                "positions, greedy ig_model_generate" if s["decoder"] else
                f"encoder / layer: sequences of up to {s['max_tokens']} tokens in one forward call")
        console.print(f"{what}; {s.get('config', '')} {s.get('method', '')}".rstrip())
    t = Table(title=f"memory of the linked example firmware ({out / 'example' / 'example.elf'})")
    for col in ("section", "address", "bytes", "ROM", "RAM", "region"):
        t.add_column(col, justify="right" if col in ("address", "bytes") else "left")
    for sec in m["sections"]:
        t.add_row(sec["name"], f"0x{sec['address']:x}", f"{sec['size']:,}", "yes" if sec["rom"] else "",
                  "yes" if sec["ram"] else "", sec["region"])
    console.print(t)
    used = ", ".join(f"{r} {u:,} of {m['region_size'][r]:,} B" for r, u in m["region_use"].items())
    console.print(f"ROM {m['rom_bytes']:,} B, RAM {m['ram_bytes']:,} B (stack not counted); regions: {used}")
    mb = m["model_bytes"]
    kv = f", key/value cache {mb['kv_cache']:,} B" if "kv_cache_bytes" in s else ""
    data = f", other buffers {mb['data']:,} B" if mb.get("data") else ""
    console.print(f"the model's share: weights {mb['weights']:,} B, arena {mb['arena']:,} B{kv}{data}, code {mb['code']:,} B")
    b = s.get("board")
    if "board_layout" in s:  # the board's report
        print_board_regions(console, s["board_layout"])
    elif b and b["fits"] and b.get("memories"):
        use = ", ".join(f"{m} {u['bytes']:,} of {u['size']:,} B" for m, u in b["memories"].items())
        console.print(f"on board {b['name']} (intgap boards): {use} (stack not counted)")
    elif b and not b["fits"]:
        console.print(f"note: on the target's default board: {b['why']} (name a board with --board)", style="yellow")
    console.print(f"wrote {', '.join(s['files'])} in {out}")


def print_board_regions(console: Console, lay: dict) -> None:
    """The memory report per region of the board's map, and where the named sections went."""
    t = Table(title=f"memory of board {lay['board']} (example linked for its map)")
    for col in ("memory", "base", "size", "used", "free", "holds"):
        t.add_column(col, justify="left" if col in ("memory", "holds") else "right")
    for r in lay["regions"]:
        t.add_row(r["memory"], f"0x{r['base']:08x}", f"{r['size']:,}", f"{r['used']:,}", f"{r['free']:,}",
                  ", ".join(r["holds"]) or "-")
    console.print(t)
    console.print("sections: " + ", ".join(f"{k} in {v}" for k, v in lay["sections"].items()))


def add_compile_command(subparsers) -> None:
    c = subparsers.add_parser("compile", help="build a model into a firmware library (libmodel.a + model.h) for a target")
    c.add_argument("--model", default="mlp", help=f"{listing()} (default: mlp)")
    c.add_argument("--target", required=True, help="one target (see `intgap targets`)")
    c.add_argument("-o", "--output", required=True, help="output folder")
    c.add_argument("--compiler", choices=("gcc", "clang"), default=None,
                   help="compiler (default: the target's, isa/targets.py)")
    c.add_argument("--config", default=None,
                   help=f"{GRAMMAR} (default w8a8)")
    c.add_argument("--method", default=None,
                   help="transformers: " + method_help())
    c.add_argument("--context", type=int, default=None,
                   help=f"transformers: key/value cache positions (default {DEFAULT_CONTEXT}; an encoder: the "
                        "sequence length)")
    c.add_argument("--max-tokens", type=int, default=None,
                   help=f"transformers: tokens per forward call (default {DEFAULT_MAX_TOKENS})")
    c.add_argument("--board", default=None, metavar="NAME",
                   help="link the example for this board's memory map when it has one (stm32f407, stm32h743), else "
                        "check that the firmware fits the board (intgap boards; default: report the target's default "
                        "board)")
    c.add_argument("--weights-in", choices=WEIGHTS_CHOICES, default=None,
                   help="memory of the weights' section .ig_weights on the board's map (default flash; the board "
                        "must have it: docs/firmware.md)")
    c.add_argument("--arena-in", choices=ARENA_CHOICES, default=None,
                   help="memory of the arena and key/value cache (.ig_arena, .ig_kv) on the board's map (default: "
                        "the board's data memory)")
    c.add_argument("--json", metavar="PATH", help="also write the summary as JSON")
    c.set_defaults(func=cmd_compile)
