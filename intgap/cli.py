"""The `intgap` command line. Errors print as one line and a non-zero exit status, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import isa
from codegen import CodegenError
from intgap.errors import DriverError
from quant import QuantError
from toolchain import ToolchainError

DEFAULT_TARGETS = "cortex-m4,rv32imc,cortex-a55,rv64gcv"
USER_ERRORS = (isa.IsaError, QuantError, CodegenError, ToolchainError, DriverError)


def cmd_bench(args: argparse.Namespace, console: Console) -> int:
    from intgap.models import load_model
    from intgap.pipeline import bench_target, prepare, rows_to_json

    targets = isa.parse_targets(args.targets)
    for t in targets:  # refuse an impossible backend before anything runs
        isa.run_check_backend(t, args.backend or t.default_backend)
    workdir = Path(args.workdir)
    with console.status("loading and quantizing the model"):
        model = load_model(args.model)
        prep = prepare(model, workdir)
    rows = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("targets", total=len(targets))
        for t in targets:
            rows.append(bench_target(prep, t, workdir, args.backend,
                                     progress=lambda s: bar.update(task, description=s)))
            bar.advance(task)
    doc = rows_to_json(prep, rows)
    _print_bench(console, doc)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        console.print(f"wrote {args.json}")
    return 0 if all(r.bit_exact for r in rows) else 1


def _print_bench(console: Console, doc: dict) -> None:
    acc = doc["accuracy"]
    console.print(f"[bold]{doc['description']}[/bold]: {doc['macs_per_inference']} MACs per inference")
    if "fp32_accuracy" in acc:
        console.print(f"test accuracy on {acc['samples']} held-out samples: FP32 {acc['fp32_accuracy']:.2%}, "
                      f"int8 (reference interpreter) {acc['int8_accuracy']:.2%}; "
                      f"top-1 agreement {acc['argmax_agreement']:.2%}")
    table = Table(title="one inference, batch 1: instructions are exact counts (run harness excluded)")
    for col in ("target", "backend", "int8 instr", "fp32 instr", "speedup", "int8 weight B", "fp32 weight B",
                "int8 arena B", "bit-exact"):
        table.add_column(col, justify="left" if col in ("target", "backend") else "right", no_wrap=col == "target")
    for r in doc["targets"]:
        table.add_row(r["target"], r["backend"], f"{r['int8_instructions']:,}", f"{r['fp32_instructions']:,}",
                      f"{r['realized_speedup']:.2f}x", f"{r['int8_weight_bytes']:,}", f"{r['fp32_weight_bytes']:,}",
                      f"{r['int8_arena_bytes']:,}", "yes" if r["bit_exact"] else "[red]NO[/red]")
    console.print(table)
    console.print("speedup = fp32 instructions / int8 instructions on the same target; weight bytes include "
                  "biases (and int8 requantization multipliers and shifts).")


def cmd_targets(args: argparse.Namespace, console: Console) -> int:
    table = Table(title="targets (isa/targets.py)")
    for col in ("name", "description", "compiler", "backends", "timing model"):
        table.add_column(col)
    for t in isa.TARGETS.values():
        table.add_row(t.name, t.description, f"{t.compiler} {t.triple}", ", ".join(t.backends), t.timing_model)
    console.print(table)
    if args.json:
        Path(args.json).write_text(json.dumps([{"name": t.name, "description": t.description, "arch": t.arch,
                                                "compiler": t.compiler, "triple": t.triple,
                                                "backends": list(t.backends)} for t in isa.TARGETS.values()],
                                              indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="intgap", description="Measure the latency gap of quantized models on "
                                "emulated ARM and RISC-V cores.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="quantize a model, build it for targets, run it, compare int8 with FP32")
    b.add_argument("--model", default="mlp", help="model name (mlp) or path to a .pt state dict (default: mlp)")
    b.add_argument("--targets", default=DEFAULT_TARGETS, help=f"comma-separated targets (default: {DEFAULT_TARGETS})")
    b.add_argument("--backend", choices=("unicorn", "qemu"), default=None,
                   help="emulator (default: unicorn where it supports the target, else qemu)")
    b.add_argument("--workdir", default="out/bench", help="where graphs, C sources and ELFs go (default: out/bench)")
    b.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    b.set_defaults(func=cmd_bench)
    t = sub.add_parser("targets", help="list the targets")
    t.add_argument("--json", metavar="PATH")
    t.set_defaults(func=cmd_targets)
    from intgap.run_command import add_run_command
    add_run_command(sub)
    from intgap.quant_commands import add_quant_commands
    add_quant_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # a fixed width when writing to a pipe or file, so the table's columns are never truncated
    console = Console(width=None if sys.stdout.isatty() else 120)
    try:
        return args.func(args, console)
    except USER_ERRORS as e:
        msg = " ".join(str(e).split()) if "\n" not in str(e).strip() else str(e).strip()
        print(f"intgap: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("intgap: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
