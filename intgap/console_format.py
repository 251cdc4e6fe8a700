"""Terminal output shared by the commands: `intgap eval`'s table (named columns with units, not the result's keys),
the progress bars and the `--json` file."""
from __future__ import annotations

import json
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# result key -> (column heading, format); the columns of each metric, in order
EVAL_COLUMNS = {
    "perplexity": (("tokens", "held-out tokens", "{:,}"), ("window", "window (tokens)", "{:,}"),
                   ("fp32_perplexity", "FP32 perplexity", "{:.3f}"), ("int_perplexity", "integer perplexity", "{:.3f}"),
                   ("relative_increase", "increase vs FP32", "{:+.2%}")),
    "cosine": (("lines", "held-out lines", "{:,}"), ("mean_cosine", "mean cosine vs FP32", "{:.4f}"),
               ("min_cosine", "min cosine vs FP32", "{:.4f}")),
}


def table(title: str, columns, left=None, overflow: str = "ellipsis", **kw) -> Table:
    """A table of `columns`, those in `left` (default: all) left-justified, the others right."""
    t = Table(title=title, **kw)
    for col in columns:
        t.add_column(col, justify="left" if left is None or col in left else "right", overflow=overflow)
    return t


def eval_table(res: dict, graph: str) -> Table:
    """The result of quant.recipes.evaluate as one row under headings with units."""
    what = " ".join(str(res[k]) for k in ("model", "config") if res.get(k))
    how = f", method {res['method']}" if res.get("method") else ""
    cols = EVAL_COLUMNS[res["metric"]]
    t = table(f"{graph} ({what}{how}): integer graph vs FP32, held-out Shakespeare",
              [head for _, head, _ in cols], (),
              caption=f"quantization {res.get('quantization') or 'n/a'}; evaluated in {res.get('eval_seconds', 0)} s")
    t.add_row(*[fmt.format(res[k]) for k, _, fmt in cols])
    return t


@contextmanager
def progress(console, *count, task: str | None = None):
    """A transient progress bar while the block runs, and the progress(what, done, total) callback that drives it:
    a bar per `what`, or with `task` one bar whose description follows `what`. `count`: the columns that show
    done / total (default: "done/total"). When the console is not a terminal (a log, CI, make) the bars would show
    nothing: one line per phase on stderr instead, with its count and elapsed time (PhaseLines)."""
    if not console.is_terminal:
        lines = PhaseLines()
        try:
            yield lines
        finally:
            lines.close()
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), *(count or (MofNCompleteColumn(),)),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        if task is not None:
            one = bar.add_task(task, total=None)
            yield lambda what, done, total: bar.update(one, description=what, completed=done, total=total)
            return
        tasks: dict[str, int] = {}

        def cb(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done)
        yield cb


PHASE_LINE = re.compile(r"^(?!intgap: error: ).+: \d+(/\d+)?, \d+\.\d s$")  # what PhaseLines prints: progress, not an error


class PhaseLines:
    """progress(what, done, total) as plain lines: `what: done/total, 12.3 s` when a phase ends (its count reaches
    the total, the next phase starts, or the block ends)."""

    def __init__(self) -> None:
        self.what, self.done, self.total, self.t0 = None, 0, 0, time.perf_counter()
        self.ended = None  # the phase just closed: its repeated last update prints nothing

    def __call__(self, what: str, done: int, total: int | None) -> None:
        if what == self.ended and total and done >= total:
            return
        if what != self.what:
            self.close()
            self.what, self.t0 = what, time.perf_counter()
        self.done, self.total = done, total
        if total and done >= total:
            self.close()

    def close(self) -> None:
        if self.what is not None:
            count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
            print(f"{self.what}: {count}, {time.perf_counter() - self.t0:.1f} s", file=sys.stderr, flush=True)
        self.ended, self.what = self.what, None


def write_json(console, path: str | None, doc) -> None:
    """--json PATH: the document written there, and said so."""
    if path:
        Path(path).write_text(json.dumps(doc, indent=2) + "\n")
        console.print(f"wrote {path}")
