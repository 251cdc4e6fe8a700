"""`intgap compile`: a model into a firmware artifact for one target (codegen/firmware.py): libmodel.a, model.h
(init / invoke, arena size, input/output scale and zero point), the weights as a C array, an example main.c and a
Makefile snippet, plus a ROM/RAM report read from the linked example ELF. A model that does not fit the target's
memory ends in one error giving the bytes needed and available."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codegen.errors import ModelDoesNotFit
from codegen.firmware import emit_firmware, image_region, write_makefile_snippet
from intgap.errors import DriverError


def load_graph_for_compile(spec: str, workdir: Path):
    """An integer graph: a `.igraph` file as it is, or a model (as `intgap bench --model`) quantized W8A8 PTQ."""
    from quant import load_graph
    if spec.endswith(".igraph"):
        if not Path(spec).exists():
            raise DriverError(f"graph file {spec} does not exist: create it with `intgap quantize` or pass a model")
        return load_graph(spec)
    from intgap.models import load_model
    from quant import capture, quantize_ptq, save_graph
    model = load_model(spec)
    g = quantize_ptq(capture(model.module, model.in_features, name=model.name), model.calibration)
    save_graph(g, workdir / "model.igraph")
    return g


def compile_firmware(graph, target, out: Path, compiler: str | None = None) -> dict:
    """Writes the artifact into `out`; returns the summary (also written as out/memory_report.json)."""
    from toolchain import (BuildFailed, build_elf, build_static_library, compiler_version, find_compiler,
                           memory_report, require_integer_purity)

    cc = find_compiler(target, compiler)
    label = f"{cc.kind} {compiler_version(cc)}"
    fw = emit_firmware(graph, target, out, label)  # refuses a model whose weights and arena alone do not fit
    lib = out / "libmodel.a"
    build_static_library(fw.library_sources, target, lib, compiler=compiler)
    write_makefile_snippet(fw, target, cc.path, _cflags(cc), list(cc.link_flags), list(cc.libs), label)
    elf = out / "example" / "example.elf"
    try:
        build_elf([fw.example_sources[0], lib], target, elf, include_dirs=(out,), compiler=compiler)
    except BuildFailed as e:
        # the linker's words ("region `CODE' overflowed by N bytes"), as they are or as toolchain.build words them
        m = re.search(r"region [`'\"]?(\w+)[`'\"]? overflowed by ([\d,]+) bytes", str(e))
        if m:
            region = next((r for r in target.memory if r.name.lower() == m.group(1).lower()), image_region(target))
            over = int(m.group(2).replace(",", ""))
            raise _does_not_fit(graph, target, region.name, region.size + over, region.size) from None
        raise
    report = memory_report(elf, target)
    for region_name, used, size in report.overflows():
        raise _does_not_fit(graph, target, region_name, used, size)
    if graph.is_integer:
        require_integer_purity(elf)
    summary = {"model": graph.name, "target": target.name, "compiler": label, "integer_only": graph.is_integer,
               "kernel_family": target.kernel_family, "arena_bytes": fw.lowered.arena_size,
               "weight_bytes": fw.lowered.constant_bytes,
               "files": sorted({str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
                               | {"memory_report.json"}),
               "memory": report.to_json()}
    (out / "memory_report.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _does_not_fit(graph, target, region: str, used: int, size: int) -> ModelDoesNotFit:
    return ModelDoesNotFit(f"model {graph.name} does not fit {target.name}: the linked firmware needs {used:,} bytes in "
                           f"memory region '{region}', which holds {size:,}; use fewer or smaller layers, int4 "
                           "weights, or a target with more memory")


def _cflags(cc) -> list[str]:
    """The flags the library was compiled with (the application's objects must share the ABI flags)."""
    from toolchain.build import COMMON_CFLAGS
    return [*cc.target_flags, *COMMON_CFLAGS]


def cmd_compile(args: argparse.Namespace, console: Console) -> int:
    import isa
    target = isa.get_target(args.target)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with console.status(f"loading {args.model}"):
        graph = load_graph_for_compile(args.model, out)
    with console.status(f"building libmodel.a for {target.name}"):
        s = compile_firmware(graph, target, out, args.compiler)
    m = s["memory"]
    console.print(f"[bold]{s['model']}[/bold] for {s['target']} ({s['kernel_family']} kernels), built with {s['compiler']}")
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
    console.print(f"the model's share: weights {mb['weights']:,} B, arena {mb['arena']:,} B, code {mb['code']:,} B")
    console.print(f"wrote {', '.join(s['files'])} in {out}")
    if args.json:
        Path(args.json).write_text(json.dumps(s, indent=2) + "\n")
    return 0


def add_compile_command(subparsers) -> None:
    c = subparsers.add_parser("compile", help="build a model into a firmware library (libmodel.a + model.h) for a target")
    c.add_argument("--model", default="mlp",
                   help="model name (mlp), a .pt state dict, or an integer graph (.igraph) (default: mlp)")
    c.add_argument("--target", required=True, help="one target (see `intgap targets`)")
    c.add_argument("-o", "--output", required=True, help="output folder")
    c.add_argument("--compiler", choices=("gcc", "clang"), default=None,
                   help="compiler (default: the target's, isa/targets.py)")
    c.add_argument("--json", metavar="PATH", help="also write the summary as JSON")
    c.set_defaults(func=cmd_compile)
