"""Long steps print one line per phase with its elapsed time when the output is not a terminal (issue 21 item 3)."""
import io

from rich.console import Console

from intgap.console_format import progress


def test_one_line_per_phase_when_not_a_terminal(capsys):
    console = Console(file=io.StringIO(), force_terminal=False)
    with progress(console) as cb:
        for i in range(1, 4):
            cb("calibrating", i, 3)
        cb("calibrating", 3, 3)  # a repeated last update
        cb("FP32 perplexity", 1, 5)
        cb("integer perplexity", 2, 5)
    lines = capsys.readouterr().err.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["calibrating: 3/3", "FP32 perplexity: 1/5", "integer perplexity: 2/5"]
    assert all(ln.endswith(" s") for ln in lines)
    assert console.file.getvalue() == ""


def test_a_terminal_keeps_the_bars(capsys):
    console = Console(file=io.StringIO(), force_terminal=True)
    with progress(console) as cb:
        cb("calibrating", 1, 1)
    assert capsys.readouterr().err == ""
