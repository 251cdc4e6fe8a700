"""`intgap run prog.elf --target T`: run any ELF, print its exit status and output, the exact instruction count,
the estimated cycles (the timing model named) and a profile (top functions, instruction mix, bytes moved)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

import isa
from codegen.firmware_layout import emulator_target, layout_of_elf
from intgap.board_option import add_board_argument, memory_split_text
from intgap.console_format import table, write_json
from intgap.npu_report import run_fields as npu_run_fields, run_text as npu_run_text
from isa.boards import board_for
from isa.decode import MIX_CLASSES, MIX_LABELS
from isa.elf import built_by_intgap, load_elf
from isa.energy import estimate_energy, split_text
from isa.profile import analyze, profile
from isa.run import DEFAULT_MAX_INSTRUCTIONS, DEFAULT_TIMEOUT_S
from isa.timing import estimate


def add_run_command(subparsers) -> None:
    r = subparsers.add_parser("run", help="run an ELF on a target with exact counts, estimated cycles and a profile")
    r.add_argument("elf", help="the program (a static ELF built for the target)")
    r.add_argument("--target", required=True, help=f"target name ({', '.join(isa.TARGETS)})")
    r.add_argument("--backend", choices=("unicorn", "qemu"), default=None,
                   help="emulator (default: unicorn where it supports the target, else qemu)")
    r.add_argument("--max-instructions", type=int, default=None, metavar="N",
                   help="stop with an error after N instructions (default: 5e9)")
    r.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="wall-clock limit (default 900)")
    add_board_argument(r)
    r.add_argument("--weights-in-sram", action="store_true",
                   help="microcontroller boards: place read-only data (the weights) in SRAM instead of flash")
    r.add_argument("--top", type=int, default=10, help="functions to list (default 10)")
    r.add_argument("--no-profile", action="store_true", help="only run and count (no mix, bytes or cycles)")
    r.add_argument("--json", metavar="PATH", help="also write everything as JSON")
    r.set_defaults(func=cmd_run)


def run_and_profile(elf: str | Path, target: str, backend: str | None = None, *, max_instructions: int | None = None,
                    timeout_s: float | None = None, with_profile: bool = True, board: str | None = None,
                    weights_in_sram: bool = False) -> dict:
    """The document `intgap run --json` writes. The run is memory-aware on `board` (default: the target's board)
    whenever an estimate is made; `with_profile=False` only runs and counts."""
    t = isa.get_target(target)
    chosen = board_for(t, board) if with_profile or board else None
    b = chosen if with_profile else None
    layout = layout_of_elf(chosen, load_elf(elf).sections) if board else None
    if layout is not None:  # an example `intgap compile --board` linked for the board's own map
        t, backend = emulator_target(t, layout), backend or "unicorn"
        b = layout.board if with_profile else None
    res = isa.run(elf, t, backend, max_instructions=max_instructions or DEFAULT_MAX_INSTRUCTIONS,
                  timeout_s=timeout_s or DEFAULT_TIMEOUT_S, board=b, weights_in_sram=weights_in_sram,
                  strict_fit=board is not None)
    doc = {"elf": str(elf), "target": t.name, "backend": res.backend, "exit_code": res.exit_code,
           "stdout": res.stdout.decode("utf-8", "replace"), "stderr": res.stderr.decode("utf-8", "replace"),
           "instructions": res.instructions, "instructions_note": "exact (emulator block counts)",
           "wall_seconds": round(res.wall_seconds, 4)}
    if with_profile and res.counted:
        an = analyze(res, elf, t)
        prof = profile(res, elf, t, analysis=an)
        est = estimate(res, elf, t, analysis=an, board=b)
        doc["profile"] = prof.to_json()
        doc["cycles"] = est.to_json()
        doc["energy"] = estimate_energy(est, an, b, res.memory).to_json()
        doc.update(npu_run_fields(res, est))  # NPU targets: the device's jobs, CPU + NPU cycles
    return doc


def host_syscall_notice(elf: str | Path, target: isa.Target, backend: str | None) -> str | None:
    """Under QEMU a foreign program can reach this host: in user mode its system calls run here; on a QEMU board
    (Cortex-M) its semihosting file calls do (host commands are refused by QEMU's sandbox). Say so for an ELF
    intgap did not build; Unicorn lets nothing through."""
    if (backend or target.default_backend) != "qemu" or built_by_intgap(load_elf(elf)):
        return None
    if target.qemu.kind == "user":
        return (f"note: {Path(elf).name} was not built by intgap; under QEMU user mode its system calls run on this "
                "host with your permissions (use --backend unicorn where the target allows it, to keep it off the "
                "host)")
    return (f"note: {Path(elf).name} was not built by intgap; under QEMU's {target.qemu.args[1]} board its "
            "semihosting file calls (open, read, write, remove) reach this host's files with your permissions "
            "(use --backend unicorn to keep it off the host)")


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    notice = host_syscall_notice(args.elf, isa.get_target(args.target), args.backend)
    if notice:
        print(notice, file=sys.stderr)
    doc = run_and_profile(args.elf, args.target, args.backend, max_instructions=args.max_instructions,
                          timeout_s=args.timeout, with_profile=not args.no_profile, board=args.board,
                          weights_in_sram=args.weights_in_sram)
    print_run(console, doc, top=args.top)
    if "npu" in doc:
        console.print(npu_run_text(doc))
    write_json(console, args.json, doc)
    return 0


def print_memory_stats(console: Console, cyc: dict) -> None:
    """The simulated caches and memories of a memory-aware run: hits, misses, prefetches, traffic, stalls."""
    mem = cyc.get("memory")
    if not mem:
        return
    t = table(f"memory system of {cyc['board']} (simulated; stall cycles are estimates)",
              ("level", "accesses", "hits", "misses", "prefetched (useful)", "bytes in / written", "stall cycles",
               "cycles at its bandwidth"), ("level",))
    for c in mem["caches"]:
        t.add_row(c["name"], f"{c['accesses']:,}", f"{c['hits']:,}", f"{c['misses']:,}",
                  f"{c['prefetches_issued']:,} ({c['prefetches_useful']:,})", f"{c['bytes_in']:,}",
                  f"{c['stall_cycles']:,}", "")
    for m in mem["memories"]:
        bw = cyc["memory_bandwidth_cycles"].get(m["name"])
        t.add_row(f"{m['name']} ({m['kind']})", f"{m['reads'] + m['writes']:,}", "", "", "",
                  f"{m['read_bytes']:,} / {m['write_bytes']:,}", f"{m['stall_cycles']:,}",
                  f"{bw:,}" if bw is not None else "")
    console.print(t)


def print_run(console: Console, doc: dict, top: int = 10) -> None:
    console.print(f"[bold]{Path(doc['elf']).name}[/bold] on {doc['target']} ({doc['backend']}): "
                  f"exit status {doc['exit_code']}")
    if doc["stdout"]:
        console.print("program output:", style="dim")
        sys.stdout.flush()
        console.out(doc["stdout"].rstrip("\n"), highlight=False)
    if doc["stderr"]:
        console.print("program stderr:", style="dim")
        console.out(doc["stderr"].rstrip("\n"), highlight=False)
    console.print(f"instructions: {doc['instructions']:,} (exact)")
    cyc = doc.get("cycles")
    if cyc is None:
        return
    console.print(f"{cyc['label']}: {cyc['estimated_cycles']:,}  (est. IPC {cyc['est_ipc']:.2f}; issue "
                  f"{cyc['issue_cycles']:,}, taken branches {cyc['branch_cycles']:,}, mispredictions "
                  f"{cyc['mispredict_cycles']:,}, wait states {cyc['wait_state_cycles']:,})")
    console.print(f"  {memory_split_text(cyc)}")
    if doc.get("energy"):
        console.print(split_text(doc["energy"]))
    print_memory_stats(console, cyc)
    roof = cyc["roofline"]
    console.print(f"memory roofline bound (separate, not in the estimate): {roof['bytes_moved']:,} bytes / "
                  f"{roof['bandwidth_bytes_per_cycle']:g} B/cycle ({roof['note']}) = {roof['bound_cycles']:,} cycles")
    for n in cyc["notes"]:
        console.print(f"note: {n}", style="dim")
    prof = doc["profile"]
    tot = prof["instructions"] or 1
    fn_cycles = cyc["per_function_estimated_cycles"]
    fn_stalls = cyc.get("per_function_memory_stall_cycles", {})
    stalls = ("of which memory stalls",) if cyc.get("memory") else ()
    funcs = table(f"top functions: instructions exact (self; inclusive is gprof-style), cycles are {cyc['label']}",
                  ("function", "instr (self)", "%", "instr (incl.)", "est. cycles", *stalls, "loaded B", "stored B"),
                  ("function",))
    for f in prof["functions"][:top]:
        stall = (f"{fn_stalls.get(f['name'], 0):,}",) if cyc.get("memory") else ()
        funcs.add_row(f["name"], f"{f['instructions']:,}", f"{100 * f['instructions'] / tot:.1f}",
                      f"{f['inclusive_instructions']:,}", f"{fn_cycles.get(f['name'], 0):,}", *stall,
                      f"{f['load_bytes']:,}", f"{f['store_bytes']:,}")
    console.print(funcs)
    if prof["layers"]:
        lt = table("layers (ig_layer_<i>_<name>): self = the layer function, inclusive = with its callees",
                   ("layer", "instr (self)", "instr (incl.)", "loaded B", "stored B"), ("layer",))
        for l in prof["layers"]:
            incl = f"{l['inclusive_instructions']:,}" + ("" if l["inclusive_exact"] else " ~")
            lt.add_row(f"{l['index']} {l['name']}", f"{l['self_instructions']:,}", incl,
                       f"{l['load_bytes']:,}", f"{l['store_bytes']:,}")
        console.print(lt)
        if not all(l["inclusive_exact"] for l in prof["layers"]):
            console.print("~ a callee shared by several layers is divided among them in proportion to their calls "
                          "(gprof-style): approximate when the layers' shapes differ", style="dim")
    mix = prof["mix"]
    parts = [f"{MIX_LABELS[c]} {mix[c]:,} ({100 * mix[c] / tot:.1f}%)" for c in MIX_CLASSES if mix.get(c)]
    console.print("instruction mix: " + "; ".join(parts))
    if prof["softfloat_helper_instructions"]:
        console.print(f"soft-float helpers executed {prof['softfloat_helper_instructions']:,} instructions")
    console.print(f"bytes loaded {prof['load_bytes']:,}, stored {prof['store_bytes']:,} ({prof['bytes_note']})")
