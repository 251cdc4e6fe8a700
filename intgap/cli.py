"""The `intgap` command line. Errors print as one line and a non-zero exit status, never a traceback."""
from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

import isa
from codegen import CodegenError
from isa.boards import board_for
from intgap import doctor, mixed_search
from intgap.board_option import add_board_argument, add_boards_command, resolve_boards
from intgap.compile_command import add_compile_command
from intgap.console_format import progress, table, write_json
from intgap.encoder_sweep import Encoder
from intgap.errors import DriverError
from intgap.generate_command import add_generate_command
from intgap.models import load_model
from intgap.quant_commands import add_engine_argument, add_quant_commands
from intgap.npu_report import console_lines as npu_console_lines
from intgap.report import kind_of as kind_of_run, per_target, summary_header, summary_table_rows, write_report
from intgap.run_command import add_run_command
from intgap.sequence_sweep import Decoder
from intgap.sweep import Classifier, parse_configs
from intgap.workload import Workload, run_workload
from quant import QuantError, jit
from quant.config import GRAMMAR
from quant.model_registry import kind_of
from quant.model_registry import listing as model_listing
from toolchain import ToolchainError

DEFAULT_TARGETS = "cortex-m4,rv32imc,cortex-a55,rv64gcv"
USER_ERRORS = (isa.IsaError, QuantError, CodegenError, ToolchainError, DriverError)


def cmd_bench(args: argparse.Namespace, console: Console) -> int:
    targets = isa.parse_targets(args.targets)
    configs = parse_configs(args.configs)
    boards = resolve_boards(targets, args.board)
    for t in targets:  # refuse an impossible backend before anything runs
        isa.run_check_backend(t, args.backend or t.default_backend)
    if args.jobs < 1:
        raise DriverError(f"--jobs must be at least 1, got {args.jobs}")
    out = Path(args.output) if args.output else Path(args.workdir) / "report"
    with console.status("loading the model"):
        workload = bench_workload(args.model, per_layer=not args.no_layers)
    with progress(console, TextColumn("{task.completed}/{task.total} runs"), task="quantizing") as cb:
        result = run_workload(workload, targets, configs, backend=args.backend, jobs=args.jobs,
                              scheduler=args.scheduler, cache_root=Path(args.cache_dir) if args.cache_dir else None,
                              progress=cb, boards=boards)
    doc = write_report(result, out, plots=not args.no_plots)
    _print_bench(console, result, doc)
    console.print(f"wrote {out}/report.md, results.json, results.csv{plots_written(doc['plots'])}")
    write_json(console, args.json, {**workload.json_extra(result), **doc})
    return 0 if all(r["bit_exact"] for r in result.runs) else 1


def bench_workload(spec: str, per_layer: bool = True) -> Workload:
    """The workload of a model by its kind (quant/model_registry.py); anything that is not a transformer is taken
    as a classifier (a name or a .pt file; intgap/models.py says what it cannot load)."""
    kind = kind_of(spec)
    if kind == "decoder":
        return Decoder(spec)
    if kind == "encoder":
        return Encoder(spec)
    return Classifier(load_model(spec), per_layer)


def _print_bench(console: Console, result, doc: dict) -> None:
    console.print(f"[bold]{result.model['description']}[/bold]")
    table = Table(title=f"latency gap, one {result.workload.unit}: instructions exact, cycles estimated "
                        "(timing model per target below); speedup and promise over FP32 on the same target")
    quality = result.workload.quality.column
    for col in summary_header(result.workload):
        table.add_column(col, justify="left" if col in ("target", "config") else "right",
                         no_wrap=col in ("target", "instr.", "est. cycles", "mem. stalls", "weights B", quality))
    for row in summary_table_rows(result):
        table.add_row(*row)
    console.print(table)
    console.print("promised: bytes = 32 / weight bits; MACs = MACs per instruction at that width / at FP32 "
                  "(intgap/report.py). gap = promised (bytes) / realized (cycles).")
    console.print("cycle models: " + per_target(result.runs, "cycle_model"), style="dim")
    for line in npu_console_lines(doc.get("npu", []), kind_of_run):  # targets with an NPU
        console.print(line)
    energy = per_target([r for r in result.runs if r["layer"] is None],
                        lambda r: (r.get("energy") or {}).get("label", "est. energy: none in this row"))
    console.print("est. energy uJ (x energy = FP32's / the config's; n/m: not modelled on the board, docs/energy.md): "
                  + energy, style="dim")
    if any(not r.get("fits_board", True) for r in result.runs if r["layer"] is None):
        console.print("* does not fit its board's memories (flash / RAM): estimated with their timing as if they "
                      "were large enough (report.md lists them)", style="dim")
    console.print("compilers: " + "; ".join(sorted({r["compiler_version"] for r in result.runs})), style="dim")
    console.print("emulators: " + "; ".join(sorted({r["emulator_version"] for r in result.runs})), style="dim")
    st = result.stats
    console.print(f"{st.runs} runs ({st.executed_runs} executed, {st.runs - st.executed_runs} cached), "
                  f"{st.builds} builds in {st.seconds:.1f} s on {st.where}", style="dim")


def plots_written(pngs: list[str]) -> str:
    """', 6 per-layer figures (layers_<target>_<config>.png), speedup.png, pareto.png' for the bench's last line."""
    layers = [p for p in pngs if p.startswith("layers_")]
    rest = [p for p in pngs if p not in layers]
    parts = ([f"{len(layers)} per-layer figure{'s' if len(layers) > 1 else ''} (layers_<target>_<config>.png)"]
             if layers else []) + rest
    return "".join(f", {p}" for p in parts)


def cmd_mixed(args: argparse.Namespace, console: Console) -> int:
    jit.set_default(args.engine)
    target = isa.get_target(args.target)
    board_for(target, args.board)  # a board that cannot host the target is refused before anything runs
    try:
        budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
    except ValueError:
        raise DriverError(f"--budgets takes mean weight bits like 5,6,7, not {args.budgets!r}") from None
    if not budgets or any(not 4 <= b <= 8 for b in budgets):
        raise DriverError(f"--budgets must lie in 4..8 (the supported widths), got {args.budgets!r}")
    with progress(console, task="measuring per-layer costs") as cb:
        doc = mixed_search.run_mixed_search(args.model, target, budgets, Path(args.output), board=args.board,
                                            cache_root=Path(args.cache_dir) if args.cache_dir else None, progress=cb)
    console.print((Path(args.output) / "mixed.md").read_text())
    console.print(f"wrote {Path(args.output) / 'mixed.md'}, mixed.json, mixed.png")
    write_json(console, args.json, doc)
    return 0


def cmd_targets(args: argparse.Namespace, console: Console) -> int:
    tab = table("targets (isa/targets.py)", ("name", "description", "compiler", "backends", "timing model",
                                             "nominal clock"))
    for t in isa.TARGETS.values():
        clock = f"{t.extra['clock_mhz']} MHz" if "clock_mhz" in t.extra else ""
        tab.add_row(t.name, t.description, f"{t.compiler} {t.triple}", ", ".join(t.backends), t.timing_model, clock)
    console.print(tab)
    write_json(console, args.json, [{"name": t.name, "description": t.description, "arch": t.arch,
                                     "compiler": t.compiler, "triple": t.triple, "backends": list(t.backends),
                                     **t.extra} for t in isa.TARGETS.values()])
    return 0


def cmd_doctor(args: argparse.Namespace, console: Console) -> int:
    report = doctor.diagnose()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0 if report.ok else 1
    tab = table("intgap doctor: required = what make demo needs",
                ("tool", "version", "status", "needed for", "path / why / fix"), overflow="fold")
    for c in report.checks:
        fix = f"fix: {c.fix}" if c.fix and c.fix not in c.detail else ""
        why = c.path if c.usable else "; ".join(x for x in (c.detail, fix) if x)
        status = c.status + ("" if c.usable or not c.required else " (required)")
        tab.add_row(c.name, c.version, status, c.needed_for, why + (f" ({c.detail})" if c.usable and c.detail else ""))
    console.print(tab)
    missing = [c.name for c in report.checks if c.required and not c.usable]
    console.print("everything make demo needs is there" if not missing else
                  f"missing for make demo: {', '.join(missing)}: run `make setup`, then `intgap doctor` again")
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="intgap", description="Measure the latency gap of quantized models on "
                                "emulated ARM and RISC-V cores.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="quantize a model per config, build it for targets, run it, and report the "
                                      "latency gap against FP32 (report.md, results.json/csv, plots)")
    b.add_argument("--model", default="mlp", help=f"{model_listing(graph_files=False)} (default: mlp)")
    b.add_argument("--targets", default=DEFAULT_TARGETS, help=f"comma-separated targets (default: {DEFAULT_TARGETS})")
    b.add_argument("--configs", default="fp32,w8a8,w4a8",
                   help=f"comma-separated configs: {GRAMMAR}; w4a8 is int4 per channel for an MLP, groups of 32 "
                        "for a transformer; fp32 is always included (default: fp32,w8a8,w4a8)")
    b.add_argument("--backend", choices=("unicorn", "qemu"), default=None,
                   help="emulator (default: unicorn where it supports the target, else qemu)")
    add_board_argument(b, several=True)
    b.add_argument("-o", "--output", metavar="DIR", help="report folder (default: <workdir>/report)")
    b.add_argument("--workdir", default="out/bench", help="where the report goes without -o (default: out/bench)")
    b.add_argument("--jobs", type=int, default=1, metavar="N", help="local worker processes (default 1)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    b.add_argument("--cache-dir", metavar="DIR", help="content-addressed cache (default: .cache/sweep)")
    b.add_argument("--no-layers", action="store_true", help="classifiers: whole model only (no per-layer runs; a "
                   "transformer's one run per config yields its layers anyway)")
    b.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    b.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    b.set_defaults(func=cmd_bench)
    t = sub.add_parser("targets", help="list the targets")
    t.add_argument("--json", metavar="PATH")
    t.set_defaults(func=cmd_targets)
    add_boards_command(sub)
    add_run_command(sub)
    add_quant_commands(sub)
    add_compile_command(sub)
    add_generate_command(sub)
    d = sub.add_parser("doctor", help="every tool and package intgap uses: version, usable or not, the fix for "
                                      "anything missing (exit 0 only if make demo has all it needs)")
    d.add_argument("--json", action="store_true", help="print the report as JSON (schema: docs/doctor.md)")
    d.set_defaults(func=cmd_doctor)
    mx = sub.add_parser("mixed", help="mixed precision from measured per-layer costs on a target vs Theorem 8's "
                                      "allocation (decoders)")
    mx.add_argument("--model", default="shakespeare-decoder", help="a decoder (default: shakespeare-decoder)")
    mx.add_argument("--target", required=True)
    add_board_argument(mx)
    mx.add_argument("--budgets", default="5,6,7", help="mean weight bits to compare at (default 5,6,7)")
    mx.add_argument("-o", "--output", default="out/mixed", help="folder for mixed.md/json/png (default out/mixed)")
    mx.add_argument("--cache-dir", metavar="DIR")
    mx.add_argument("--json", metavar="PATH")
    add_engine_argument(mx)
    mx.set_defaults(func=cmd_mixed)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # a fixed width when writing to a pipe or file, so the table's columns are never truncated
    console = Console(width=None if sys.stdout.isatty() else 180)
    try:
        return args.func(args, console)
    except USER_ERRORS as e:
        msg = " ".join(str(e).split()) if "\n" not in str(e).strip() else str(e).strip()
        print(f"intgap: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("intgap: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # the file system refused (full disk, permissions): the file and the fix, no traceback
        fix = {errno.ENOSPC: "free some space and run it again (finished cache entries are kept)",
               errno.EDQUOT: "free some space and run it again (finished cache entries are kept)",
               errno.EACCES: "check the permissions, or choose another --workdir / --json path",
               errno.EROFS: "choose a writable --workdir / --json path"}.get(e.errno, "check the path")
        where = f" ({e.filename})" if e.filename else ""
        print(f"intgap: error: {e.strerror or e}{where}: {fix}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
