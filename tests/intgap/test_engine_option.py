"""`--engine jit|numpy` of `intgap eval` and `intgap mixed`: jit by default, set for the whole command."""
import pytest

from intgap import quant_commands
from intgap.cli import build_parser, main
from quant import QuantError, jit


@pytest.fixture(autouse=True)
def _restore_engine():
    before = jit.default()
    yield
    jit.set_default(before)


@pytest.mark.parametrize("argv,engine", [([], "jit"), (["--engine", "numpy"], "numpy"), (["--engine", "jit"], "jit")])
def test_eval_runs_on_the_chosen_engine(monkeypatch, capsys, argv, engine):
    seen = []

    def evaluate(q, **kw):
        seen.append(jit.default())
        raise QuantError("stop here")
    monkeypatch.setattr(quant_commands, "load_graph", lambda path: object())
    monkeypatch.setattr(quant_commands, "evaluate", evaluate)
    jit.set_default("numpy" if engine == "jit" else "jit")  # the option, not a leftover default, decides
    assert main(["eval", "g.igraph", *argv]) == 2
    assert seen == [engine] and "stop here" in capsys.readouterr().err


def test_mixed_takes_the_option_and_a_bad_engine_is_refused(capsys):
    assert build_parser().parse_args(["mixed", "--target", "cortex-m4", "--engine", "numpy"]).engine == "numpy"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "g.igraph", "--engine", "llvm"])
    assert "invalid choice: 'llvm'" in capsys.readouterr().err
