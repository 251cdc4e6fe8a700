"""The report's PNG plots, drawn from plain rows (no sweep objects), so that any workload's report can use them:
shares on linear axes (a stacked bar on a log axis misstates its parts), ratios (speedups) on log axes."""
from __future__ import annotations

import math
from pathlib import Path

from intgap.attribution import CATEGORIES, CATEGORY_LABELS
from intgap.layer_kinds import sum_by_kind

# up to this many layers each gets its own bar; deeper models are summed by layer kind
PER_LAYER_MAX = 12
CATEGORY_COLORS = dict(zip(CATEGORIES, ("#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b",
                                        "#7f7f7f")))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
DPI = 90


def pyplot():
    """matplotlib with the file-only backend, chosen before pyplot loads (matplotlib is imported only here and in
    the axis helpers below, which run after it: it is slow to import and only plots need it)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def group_layers(rows: list[dict]) -> list[dict]:
    """Bars of the per-layer figure: one per layer for a shallow model, else one per layer kind (in ORDER).
    rows: {"name", "kind", "instructions", "cycles", "stalls", "attribution": {category: instructions}}."""
    if len(rows) <= PER_LAYER_MAX:
        return [{**r, "label": f"{r['name']} ({r['kind']})", "layers": 1} for r in rows]
    return [{**g, "label": f"{g['kind']} ({g['layers']} layer{'s' if g['layers'] > 1 else ''})"}
            for g in sum_by_kind(rows, ("instructions", "cycles", "stalls"), ("attribution",))]


def plot_layer_shares(rows: list[dict], path: Path, title: str, cycles_label: str) -> list[str]:
    """Horizontal bars, one per layer or layer kind (group_layers): its share of the est. cycles summed over the
    layers (core and memory stalls) and its share of their instructions by attribution category, both on linear
    axes. Returns the bar labels, top to bottom."""
    plt = pyplot()
    groups = group_layers(rows)
    cyc = sum(g["cycles"] for g in groups) or 1
    ins = sum(g["instructions"] for g in groups) or 1
    fig, (ac, ai) = plt.subplots(1, 2, sharey=True, figsize=(12, 1.8 + 0.38 * len(groups)))
    ys = list(range(len(groups)))[::-1]  # the first group at the top
    core = [100 * (g["cycles"] - g["stalls"]) / cyc for g in groups]
    stall = [100 * g["stalls"] / cyc for g in groups]
    ac.barh(ys, core, color="#4c72b0", label="core pipeline")
    ac.barh(ys, stall, left=core, color="#dd8452", label="memory stalls")
    for y, c, s in zip(ys, core, stall):
        ac.text(c + s, y, f" {c + s:.1f}%", va="center", fontsize=7)
    ac.set_xlabel(f"share of the layers' {cycles_label} (%)", fontsize=8)
    left = [0.0] * len(groups)
    for c in CATEGORIES:
        vals = [100 * g["attribution"].get(c, 0) / ins for g in groups]
        if any(vals):
            ai.barh(ys, vals, left=left, color=CATEGORY_COLORS[c], label=CATEGORY_LABELS[c])
            left = [a + v for a, v in zip(left, vals)]
    for y, v in zip(ys, left):
        ai.text(v, y, f" {v:.1f}%", va="center", fontsize=7)
    ai.set_xlabel("share of the layers' instructions (exact), by category (%)", fontsize=8)
    for ax in (ac, ai):
        ax.set_xlim(0, max(max(left), max(a + b for a, b in zip(core, stall))) * 1.18 + 1)
        ax.grid(axis="x", lw=0.4, alpha=0.5)
    ac.set_yticks(ys, [g["label"] for g in groups], fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    for ax in (ac, ai):  # below the tick labels and the axis label: 0.6 inch under the axes
        ax.legend(fontsize=7, loc="upper center", ncol=2, frameon=False,
                  bbox_to_anchor=(0.5, -0.6 / (ax.get_position().height * fig.get_figheight())))
    fig.savefig(path, dpi=DPI, bbox_inches="tight")  # the legends below the axes included
    plt.close(fig)
    return [g["label"] for g in groups]


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points (cost, accuracy) that no other point beats (cost <= and accuracy >=, one strictly)."""
    front = [i for i, (c, a) in enumerate(points)
             if not any(c2 <= c and a2 >= a and (c2 < c or a2 > a) for c2, a2 in points)]
    return sorted(front, key=lambda i: points[i][0])


def spread(ys: list[float], gap: float, top: float | None = None) -> list[float]:
    """Positions as near `ys` as the order allows with at least `gap` between neighbours (and none above `top`);
    returned in the input's order."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    pos = [ys[i] for i in order]
    for k in range(1, len(pos)):
        pos[k] = max(pos[k], pos[k - 1] + gap)
    if top is not None and pos and pos[-1] > top:
        pos[-1] = top
        for k in range(len(pos) - 2, -1, -1):
            pos[k] = min(pos[k], pos[k + 1] - gap)
    return [p for _, p in sorted(zip(order, pos))]


def plot_pareto(points: list[dict], path: Path, title: str, xlabel: str, ylabel: str,
                lower_is_better: bool = False) -> list[tuple[float, float, float, float]]:
    """Quality vs cost, a colour per series (target) and a marker per config, each series' Pareto front joined.
    points: {"series", "config", "cost", "quality"} (quality as plotted). The configs are named once, beside the
    axes at their quality, spread so that no two names overlap. Returns the names' boxes in pixels."""
    plt = pyplot()
    series = list(dict.fromkeys(p["series"] for p in points))
    configs = list(dict.fromkeys(p["config"] for p in points))
    fig, ax = plt.subplots(figsize=(9, 5.2))
    for si, s in enumerate(series):
        pts = [p for p in points if p["series"] == s]
        color = f"C{si % 10}"
        sign = -1 if lower_is_better else 1
        front = pareto_front([(p["cost"], sign * p["quality"]) for p in pts])
        ax.plot([pts[i]["cost"] for i in front], [pts[i]["quality"] for i in front], "-", lw=1, color=color)
        for p in pts:
            ax.scatter(p["cost"], p["quality"], s=30, color=color,
                       marker=MARKERS[configs.index(p["config"]) % len(MARKERS)])
        ax.scatter([], [], s=30, color=color, marker="o", label=s)
    log_axis(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if lower_is_better:
        ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2, title="colour: target", title_fontsize=7)
    fig.subplots_adjust(left=0.1, right=0.78, bottom=0.12, top=0.92)
    keys = list(dict.fromkeys((p["config"], p["quality"]) for p in points))  # one name each, right of the axes
    fig.canvas.draw()
    ys = [ax.transData.transform((1, q))[1] for _, q in keys]
    fs = 8
    gap = fs * DPI / 72 * 1.3
    top = ax.transAxes.transform((0, 1))[1] + gap
    placed = spread(ys, gap, top)
    from_px = ax.transAxes.inverted().transform
    texts = []
    for (cfg, q), y in zip(keys, placed):
        m = MARKERS[configs.index(cfg) % len(MARKERS)]
        ax.scatter([1.02], [from_px((0, y))[1]], marker=m, s=25, color="k", transform=ax.transAxes, clip_on=False)
        texts.append(ax.text(1.04, from_px((0, y))[1], f"{cfg} ({q:.4g})", transform=ax.transAxes,
                             va="center", fontsize=fs, clip_on=False))
    fig.canvas.draw()
    boxes = [tuple(t.get_window_extent().extents) for t in texts]
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return boxes


def plot_speedups(rows: list[dict], path: Path, model: str) -> None:
    """Promised vs realized speedup over FP32 per target, one panel per config (ratios: log axis).
    rows: {"config", "target", "board" (optional), "promised_memory", "promised_compute", "realized_instructions",
    "realized_cycles"}."""
    plt = pyplot()
    cfgs = list(dict.fromkeys(r["config"] for r in rows))
    fig, axes = plt.subplots(1, len(cfgs), figsize=(6 * len(cfgs), 4.5), squeeze=False)
    for ax, cfg in zip(axes[0], cfgs):
        rs = [x for x in rows if x["config"] == cfg]
        xs = range(len(rs))
        wdt = 0.2
        for k, (key, lab) in enumerate((("promised_memory", "promised (bytes)"),
                                        ("promised_compute", "promised (MACs/instr.)"),
                                        ("realized_instructions", "realized (instructions)"),
                                        ("realized_cycles", "realized (est. cycles)"))):
            ax.bar([i + (k - 1.5) * wdt for i in xs], [x[key] or 0 for x in rs], wdt, label=lab)
        ax.set_xticks(list(xs), [f"{x['target']} ({x['board']})" if x.get("board") else x["target"] for x in rs],
                      rotation=45, ha="right", fontsize=8)
        log_axis(ax.yaxis, lambda v: f"{v:g}x")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_ylabel(f"speedup of {cfg} over FP32 (same target)")
        ax.set_title(f"{model}, {cfg}: promised vs realized", fontsize=10)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def log_axis(axis, fmt=None) -> None:
    """A log axis ticked at 1, 2 and 5 per decade, labelled by `fmt` (value -> text; default engineering units:
    20k, 500k, 1M): matplotlib's default labels every minor tick of a short range as 3x10^4, 4x10^4..., which
    overprint."""
    from matplotlib.ticker import EngFormatter, FuncFormatter, LogLocator, NullFormatter
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    axis.set_major_formatter(EngFormatter(sep="") if fmt is None else FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(NullFormatter())


def plain_axis(axis, values: list[float], what: str) -> str:
    """Scales a large-valued axis to thousands or millions named in its label, with no offset text (matplotlib's
    '+2.4e6' offset sits on the axis label) and as many decimals as the visible span needs. Returns the label."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    top = max((abs(v) for v in values), default=0)
    div, unit = (1e6, "millions") if top >= 1e6 else (1e3, "thousands") if top >= 1e4 else (1, "")

    def fmt(v, _pos):
        locs = sorted(axis.get_majorticklocs())
        step = min((b - a for a, b in zip(locs, locs[1:])), default=div) / div or 1
        dec = max(0, -math.floor(math.log10(step) + 1e-9))
        if abs(step * 10 ** dec - round(step * 10 ** dec)) > 1e-6:  # a step of 2.5 units needs one more
            dec += 1
        return f"{v / div:,.{min(dec, 6)}f}"
    axis.set_major_locator(MaxNLocator(6))
    axis.set_major_formatter(FuncFormatter(fmt))
    label = f"{what} ({unit})" if unit else what
    axis.set_label_text(label)
    return label
