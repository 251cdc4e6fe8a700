"""Estimated energy per generated token (docs/energy.md): the bundled decoder (and SmolLM2 with --cases) at FP32,
W8A8 and W4A8 on boards with energy parameters, each figure split into compute, memory levels and static power and
named by its energy model and board. The decode figure is one step of `intgap generate` (the difference of a
1-token and an N-token generation over N - 1), its cycles from the memory-aware estimate on the same board.

    PYTHONPATH=. .venv/bin/python benchmarks/energy.py [--cases decoder] [--configs fp32,w8a8,w4a8] [-n 4]

Results: benchmarks/results/energy.{json,md}."""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from intgap import sequence_models  # noqa: E402
from intgap.generate_command import generate_on_target  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
# target, board: one of each energy-modelled board class (two MCUs, four application SoCs)
BOARDS = (("cortex-m4f", "stm32f407"), ("cortex-m7", "stm32h743"), ("cortex-a55", "rk3566"), ("rv64gc", "jh7110"),
          ("rv64gcv-vlen256", "spacemit-k1"), ("cortex-a53", "pi-zero-2"))
# case: (model, prompt, new tokens, boards it runs on). SmolLM2's weights (540 MB at FP32, 135 MB at W8A8) need
# DRAM: not the MCUs (1-2 MiB flash); pi-zero-2's 512 MiB DRAM holds W8A8 / W4A8 but not FP32 (SKIPPED). Its decode
# step is one step (2 new tokens: the difference of a 2- and a 1-token generation) after a 2-token prompt, so that a
# run stays within minutes on the emulator; the decoder's is the mean of 3 steps after "ROMEO:".
CASES = {"decoder": ("shakespeare-decoder", "ROMEO:", 4, ("stm32f407", "stm32h743", "rk3566", "jh7110", "spacemit-k1",
                                                     "pi-zero-2")),
         "smollm2": ("smollm2", "To be", 2, ("rk3566", "jh7110", "spacemit-k1", "pi-zero-2"))}
SKIPPED = {("smollm2", "fp32", "pi-zero-2"): "540 MB of FP32 weights exceed the board's 512 MiB DRAM"}
# A published system figure of a similar class, stated as such (not measured here)
PUBLISHED = ("Deeploy on the Siracusa RISC-V SoC (8-core cluster with an accelerator, 16 nm; Scherer et al., 2024), a "
             "small Llama-style language model: 490 uJ per token (the figure issue 19 cites; not re-checked here)")


def measure(model: str, text: str, config: str, target: str, board: str, n_new: int, workdir: Path,
            method: str | None = None) -> dict:
    sm = sequence_models.quantized_model(model, config, method)
    prompt = [int(t) for t in sm.tokenizer(text)["input_ids"]]
    t0 = time.time()
    # board=None runs on the target's default board without requiring the program to fit (a row says when it did
    # not): the FP32 decoder's weights exceed the MCUs' flash, and so do some integer programs
    default = isa.get_target(target).default_board == board
    doc = generate_on_target(sm, isa.get_target(target), prompt, n_new, board=None if default else board,
                             check=False, workdir=workdir, timeout_s=3600)
    e = doc["decode_energy_per_token"]
    return {"model": model, "config": config, "method": sm.method, "target": target, "board": doc["board"],
            "timing_model": doc["timing_model"], "energy_model": e["label"],
            "prompt_tokens": doc["prompt_tokens"], "new_tokens": n_new, "fits_board": not doc["board_fit_notes"], "board_fit_notes": doc["board_fit_notes"],
            "decode_instructions_per_token": doc["decode_instructions_per_token"],
            "decode_est_cycles_per_token": doc["decode_est_cycles_per_token"],
            "decode_memory_stall_cycles_per_token": doc["decode_memory_stall_cycles_per_token"],
            "limiting_level": doc["limiting_level"], "macs_per_token": doc["macs_per_token"],
            "est_tokens_per_second": doc["est_tokens_per_second"], "clock_mhz": doc["clock_mhz"],
            "energy_uj_per_token": e["total_uj"], "compute_uj": e["compute_uj"], "memory_uj": e["memory_uj"],
            "static_uj": e["static_uj"], "memory_by_level_uj": e["memory_by_level_uj"],
            "compute_by_class_uj": e["compute_by_class_uj"],
            "pj_per_mac": e["total_uj"] * 1e6 / doc["macs_per_token"] if e["total_uj"] is not None else None,
            "est_power_mw": e["total_uj"] * 1e-3 * doc["est_tokens_per_second"] if e["total_uj"] else None,
            "prefill_energy_uj_per_token": doc["prefill_energy_per_token"]["total_uj"],
            "seconds": round(time.time() - t0, 1)}


def markdown(rows: list[dict], meta: dict) -> str:
    done = [r for r in rows if "error" not in r and r["energy_uj_per_token"] is not None]
    models = list(dict.fromkeys(r["model"] for r in rows))
    lines = ["# Estimated energy per token", "",
             "Estimates, not measurements: the energy model (docs/energy.md) applied to exact instruction counts and "
             "the simulated memory traffic of one decode step, static power over the estimated time. Every figure "
             "names its energy model and board; cycles are those of the timing model named beside it. Machine: "
             f"{meta['machine']}.", ""]
    for m in models:
        mine = [r for r in done if r["model"] == m]
        by_cmd: dict[str, list] = {}
        for r in mine:
            if r.get("measured"):
                by_cmd.setdefault(r["measured"]["command"], []).append(r["measured"])
        cmds = [f"`{c}` ({ms[0]['date']}{' to ' + ms[-1]['date'][11:] if len(ms) > 1 else ''}, 1-minute load "
                f"{min(float(m['load_average'].split()[0]) for m in ms):.1f}-"
                f"{max(float(m['load_average'].split()[0]) for m in ms):.1f})" for c, ms in by_cmd.items()]
        steps = sorted({(r["prompt_tokens"], r["new_tokens"]) for r in mine if r.get("prompt_tokens")})
        lines += [f"- {m}: " + "; ".join(f"decode step{'s' if n and n > 2 else ''} after a {p}-token prompt (the "
                                          f"difference of a {n}- and a 1-token generation over {n - 1})"
                                          for p, n in steps) + ". " + "; ".join(cmds) + "."]
    lines += [""]
    fp = {(r["model"], r["target"]): r for r in done if r["config"] == "fp32"}
    head = ["model", "target", "energy model", "config", "uJ / token", "compute", "memory (levels)", "static",
            "pJ / MAC", "saving over FP32", "est. tokens/s", "est. mW", "limit"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in done:
        f = fp.get((r["model"], r["target"]))
        save = (f"{f['energy_uj_per_token'] / r['energy_uj_per_token']:.2f}x" if f and r is not f else
                "1.00x" if r is f else "")
        levels = ", ".join(f"{m} {v:,.1f}" for m, v in r["memory_by_level_uj"].items())
        lines.append("| " + " | ".join([
            r["model"], r["target"], r["energy_model"] + ("" if r["fits_board"] else " *"),
            r["config"] + ("" if r["config"] == "fp32" else f" ({r['method']})"),
            f"{r['energy_uj_per_token']:,.1f}", f"{r['compute_uj']:,.1f}", f"{r['memory_uj']:,.1f} ({levels})",
            f"{r['static_uj']:,.1f}", f"{r['pj_per_mac']:,.1f}", save, f"{r['est_tokens_per_second']:,.1f}",
            f"{r['est_power_mw']:,.0f}", r["limiting_level"]]) + " |")
    misfit = sorted({n for r in done for n in r["board_fit_notes"]})
    lines += ["", "\\* the program does not fit the board's memories (" + "; ".join(misfit) + "): estimated with "
              "their timing and energy as if they were large enough." if misfit else "", "",
              "Left out: " + "; ".join([f"{m} on {', '.join(sorted(set(b for _, b in BOARDS) - set(CASES[c][3])))}: "
                                        "its weights (135 MB at W8A8, 540 MB at FP32) exceed the boards' memories"
                                        for c, (m, *_r) in CASES.items() if set(b for _, b in BOARDS) - set(CASES[c][3])]
                                       + [f"{m} {c} on {b}: {why}" for (m, c, b), why in SKIPPED.items()]
                                       + [f"{r['model']} {r['config']} on {r['board']}: {r['error']}" for r in rows
                                          if "error" in r]) + ".", "",
              *_not_measured(rows),
              f"Published system figure of a similar class, for comparison only: {PUBLISHED}.", ""]
    return "\n".join(lines)


def _not_measured(rows: list[dict]) -> list[str]:
    """A line naming the cases' model x config x board that energy.json has no row for (runs that did not fit a
    session), or nothing."""
    have = {(r["model"], r["config"], r["board"]) for r in rows}
    miss = [f"{m} {c} on {b}" for m, _, _, on in CASES.values() for b in on for c in ("fp32", "w8a8", "w4a8")
            if (m, c, b) not in have and (m, c, b) not in SKIPPED]
    return [f"Not measured yet (no row in energy.json): {', '.join(miss)}.", ""] if miss else []


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown cpu") \
        if Path("/proc/cpuinfo").exists() else platform.processor() or "unknown cpu"
    return f"{platform.machine()}, {cpu}, python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="decoder")
    ap.add_argument("--configs", default="fp32,w8a8,w4a8")
    ap.add_argument("--boards", default=",".join(b for _, b in BOARDS))
    ap.add_argument("-n", "--new-tokens", type=int, default=0, help="0: the case's own (CASES)")
    ap.add_argument("--workdir", default=str(ROOT / "out" / "bench-energy"))
    ap.add_argument("--methods", default="", help="config=method,... (default: each config's best measured "
                    "method); the rounding changes weight values, not the kernels or the bytes moved")
    ap.add_argument("--render", action="store_true", help="only write energy.md again from energy.json")
    args = ap.parse_args()
    if args.render:
        doc = json.loads((OUT / "energy.json").read_text())
        (OUT / "energy.md").write_text(markdown(doc["rows"], doc["meta"]))
        return
    wanted = args.boards.split(",")
    methods = dict(m.split("=", 1) for m in args.methods.split(",") if m)
    rows = []
    for case in args.cases.split(","):
        model, text, n_new, on = CASES[case]
        for target, board in (tb for tb in BOARDS if tb[1] in wanted and tb[1] in on):
            for config in args.configs.split(","):
                if (model, config, board) in SKIPPED:
                    continue
                try:
                    row = measure(model, text, config, target, board, args.new_tokens or n_new, Path(args.workdir),
                                  methods.get(config))
                except Exception as e:  # one row's failure (a build, a limit) leaves the others to run
                    row = {"model": model, "target": target, "board": board, "config": config, "error": str(e)}
                    print(json.dumps(row), flush=True)
                    _write(_merged(_stored(), [row]))
                    continue
                row["measured"] = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/energy.py "
                                   + " ".join(sys.argv[1:]), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                   "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3])}
                print(json.dumps({k: row[k] for k in ("model", "target", "config", "energy_uj_per_token",
                                                      "pj_per_mac", "seconds")}), flush=True)
                rows.append(row)
                _write(_merged(_stored(), [row]))


def _merged(old: list[dict], new: list[dict]) -> list[dict]:
    """energy.json's rows with this run's replacing those of the same model, config and board (a run of one case
    keeps the other's rows), in BOARDS order."""
    key = lambda r: (r["model"], r["config"], r["board"])
    by = {key(r): r for r in old} | {key(r): r for r in new}
    order = {b: i for i, (_, b) in enumerate(BOARDS)}
    conf = {"fp32": 0, "w8a8": 1, "w4a8": 2}
    return sorted(by.values(), key=lambda r: (list(CASES).index(next(c for c, v in CASES.items() if v[0] == r["model"])),
                                              order.get(r["board"], 99), conf.get(r["config"], 9)))


def _stored() -> list[dict]:
    """energy.json's rows as they are now (re-read before each write: runs of two cases may overlap)."""
    return json.loads((OUT / "energy.json").read_text())["rows"] if (OUT / "energy.json").exists() else []


def _write(rows: list[dict]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60).stdout.strip()
    meta = {"command": "PYTHONPATH=. .venv/bin/python benchmarks/energy.py " + " ".join(sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": commit,
            "machine": machine(), "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "published_comparison": PUBLISHED}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "energy.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    (OUT / "energy.md").write_text(markdown(rows, meta))


if __name__ == "__main__":
    main()
