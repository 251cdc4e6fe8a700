"""The accuracy attribution (quant/accuracy_attribution.py) as a terminal table, a Markdown table, CSV, JSON and a
horizontal-bar plot (shares on a linear axis, as intgap/plots.py draws shares)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from rich.table import Table

from intgap.console_format import table
from intgap.plots import DPI, pyplot

LABELS = {"kl_divergence": "KL from FP32 (nats/token)", "perplexity": "perplexity",
          "cosine_loss": "1 - mean cosine"}


def _fmt(key: str, v: float) -> str:
    return f"{v:.4f}" if key == "perplexity" else f"{v:.3g}"


def headline(res: dict) -> str:
    """One line: what was measured, on what, and the FP32 / everything-float / integer figures."""
    where = f"{res['tokens']:,} held-out tokens, windows of {res['window']}" if "tokens" in res \
        else f"{res['lines']:,} held-out lines"
    figs = "; ".join(f"{LABELS[k]}: FP32 {_fmt(k, res['fp32'][k])}, everything float {_fmt(k, res['float'][k])}, "
                     f"integer {_fmt(k, v)}" for k, v in res["integer"].items())
    return f"{res['model']} {res['config']} ({res['method']}) on {where}: {figs}"


def _columns(res: dict) -> list[tuple[str, callable]]:
    """(heading, row -> cell) of the table: the units' sizes, then per figure its value without the unit and
    with only it, the loss figure's with the shares."""
    key = res["loss"]
    cols = [("unit", lambda r: r["unit"]), ("ops", lambda r: str(r["ops"])),
            ("weights", lambda r: str(r["weights"])), ("tensors", lambda r: str(r["tensors"]))]
    for k in res["integer"]:
        for how, what in (("removed", "without it"), ("alone", "with only it")):
            cols.append((f"{LABELS[k]} {what}", lambda r, k=k, how=how: _fmt(k, r[how][k])))
            if k == key:
                cols.append((f"share {how}", lambda r, how=how: f"{r['share_' + how]:+.1%}"))
    return cols


CAPTION = ("share removed: the part of the loss (integer minus everything-float {0}) that the unit's float twin "
           "takes away, the rest integer; share alone: the loss when only the unit is integer, the rest float")


def attribution_table(res: dict) -> Table:
    cols = _columns(res)
    t = table(headline(res), [h for h, _ in cols], ("unit",), caption=CAPTION.format(LABELS[res["loss"]]))
    for r in res["rows"]:
        t.add_row(*[cell(r) for _, cell in cols])
    return t


def markdown_table(res: dict) -> str:
    cols = _columns(res)
    lines = ["| " + " | ".join(h for h, _ in cols) + " |", "|---" + "|--:" * (len(cols) - 1) + "|"]
    lines += ["| " + " | ".join(cell(r) for _, cell in cols) + " |" for r in res["rows"]]
    return "\n".join(lines)


def plot_attribution(res: dict, path: Path) -> None:
    """Two panels of horizontal bars, one bar per unit (the first at the top): its share of the loss removed and
    alone, in % on linear axes."""
    plt = pyplot()
    rows = res["rows"]
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(12, 1.6 + 0.3 * len(rows)))
    ys = list(range(len(rows)))[::-1]
    loss = LABELS[res["loss"]]
    for ax, key, label in ((axes[0], "share_removed", f"share of the loss ({loss}) its float twin removes (%)"),
                           (axes[1], "share_alone", f"share of the loss ({loss}) when only it is integer (%)")):
        vals = [100 * r[key] for r in rows]
        ax.barh(ys, vals, color=["#4c72b0" if v >= 0 else "#c44e52" for v in vals])
        for y, v in zip(ys, vals):
            ax.text(v, y, f" {v:.1f}%" if v >= 0 else f"{v:.1f}% ", va="center", ha="left" if v >= 0 else "right",
                    fontsize=7)
        lo, hi = min(0.0, *vals), max(0.0, *vals)
        pad = (hi - lo) * 0.2 + 1
        ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel(label, fontsize=8)
        ax.grid(axis="x", lw=0.4, alpha=0.5)
    axes[0].set_yticks(ys, [r["unit"] for r in rows], fontsize=7)
    fig.suptitle(headline(res), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def write_attribution(res: dict, out: Path) -> list[Path]:
    """attribution.json, attribution.csv, attribution.png and report.md in the folder out."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "attribution.json", out / "attribution.csv", out / "attribution.png", out / "report.md"]
    paths[0].write_text(json.dumps(res, indent=1) + "\n")
    with open(paths[1], "w", newline="") as f:
        figs = list(res["integer"])
        w = csv.writer(f)
        w.writerow(["model", "config", "method", "unit", "ops", "weights", "tensors", "share_removed", "share_alone"]
                   + [f"{k}_{how}" for k in figs for how in ("removed", "alone")])
        w.writerows([res["model"], res["config"], res["method"]] + [r[k] for k in (
            "unit", "ops", "weights", "tensors", "share_removed", "share_alone")] +
            [r[how][k] for k in figs for how in ("removed", "alone")] for r in res["rows"])
    plot_attribution(res, paths[2])
    paths[3].write_text(f"# Accuracy attribution\n\n{headline(res)}.\n\n{markdown_table(res)}\n\n"
                        f"{CAPTION.format(LABELS[res['loss']])}.\n\n"
                        f"![attribution]({paths[2].name})\n\nUnits and what replacing one removes: "
                        "docs/accuracy-attribution.md. Measured in {0} s.\n".format(res["seconds"]))
    return paths
