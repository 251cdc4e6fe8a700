"""The accuracy attribution (quant/accuracy_attribution.py) as a terminal table, a Markdown table, CSV, JSON and a
horizontal-bar plot (shares on a linear axis, as intgap/plots.py draws shares)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from rich.table import Table

from intgap.plots import DPI, pyplot

COLUMNS = ("unit", "ops", "weights", "tensors", "removed", "share_removed", "alone", "share_alone")


def _figure(res: dict, v: float) -> str:
    return f"{v:.4f}" if res["metric"] == "perplexity" else f"{v:.5f}"


def headline(res: dict) -> str:
    """One line: what was measured, on what, and the FP32 / float-twin / integer figures."""
    where = f"{res['tokens']:,} held-out tokens, windows of {res['window']}" if "tokens" in res \
        else f"{res['lines']:,} held-out lines"
    return (f"{res['model']} {res['config']} ({res['method']}), {res['metric']} on {where}: FP32 "
            f"{_figure(res, res['fp32'])}, everything float {_figure(res, res['float'])}, integer "
            f"{_figure(res, res['integer'])} (loss {_figure(res, res['integer'] - res['float'])})")


def attribution_table(res: dict) -> Table:
    t = Table(title=headline(res), caption="share removed: of the loss that the unit's float twin takes away (the "
              "rest integer); share alone: of the loss when only the unit is integer (the rest float)")
    for head in ("unit", "ops", "weights", "tensors", f"{res['metric']} without it", "share removed",
                 f"{res['metric']} with only it", "share alone"):
        t.add_column(head, justify="left" if head == "unit" else "right")
    for r in res["rows"]:
        t.add_row(r["unit"], str(r["ops"]), str(r["weights"]), str(r["tensors"]), _figure(res, r["removed"]),
                  f"{r['share_removed']:+.1%}", _figure(res, r["alone"]), f"{r['share_alone']:+.1%}")
    return t


def markdown_table(res: dict) -> str:
    lines = [f"| unit | ops | weights | tensors | {res['metric']} without it | share removed | "
             f"{res['metric']} with only it | share alone |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in res["rows"]:
        lines.append(f"| {r['unit']} | {r['ops']} | {r['weights']} | {r['tensors']} | {_figure(res, r['removed'])} | "
                     f"{r['share_removed']:+.1%} | {_figure(res, r['alone'])} | {r['share_alone']:+.1%} |")
    return "\n".join(lines)


def plot_attribution(res: dict, path: Path) -> None:
    """Two panels of horizontal bars, one bar per unit (the first at the top): its share of the loss removed and
    alone, in % on linear axes."""
    plt = pyplot()
    rows = res["rows"]
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(12, 1.6 + 0.3 * len(rows)))
    ys = list(range(len(rows)))[::-1]
    for ax, key, label in ((axes[0], "share_removed", "share of the loss its float twin removes (%)"),
                           (axes[1], "share_alone", "share of the loss when only it is integer (%)")):
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
        w = csv.DictWriter(f, ("model", "config", "method", "metric") + COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows({**{k: res[k] for k in ("model", "config", "method", "metric")}, **r} for r in res["rows"])
    plot_attribution(res, paths[2])
    paths[3].write_text(f"# Accuracy attribution\n\n{headline(res)}.\n\n{markdown_table(res)}\n\n"
                        f"![attribution]({paths[2].name})\n\nUnits and what replacing one removes: "
                        "docs/accuracy-attribution.md. Measured in {0} s.\n".format(res["seconds"]))
    return paths
