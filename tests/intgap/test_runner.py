"""The one runner (intgap/runner.py): what the cache holds is served without executing, the rest is executed, and
the answer says where the work ran; a cached build's program (codegen/program.py) describes itself faithfully."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.program import Program
from intgap.runner import run_specs


@dataclass
class Spec:
    n: int

    @property
    def label(self) -> str:
        return f"spec {self.n}"


def test_cached_specs_are_served_and_only_the_rest_executed():
    executed, reported = [], []
    cache = {0: {"n": 0, "from": "cache"}, 2: {"n": 2, "from": "cache"}}

    def execute(s):
        executed.append(s.n)
        return {"n": s.n, "from": "run"}

    results, where = run_specs([Spec(i) for i in range(4)], execute, lambda s: cache.get(s.n),
                               report=lambda label, d, n: reported.append((label, d, n)))
    assert executed == [1, 3] and where == "local"
    assert [r["from"] for r in results] == ["cache", "run", "cache", "run"]
    assert reported[:2] == [("runs", 0, 4), ("cached", 2, 4)] and reported[-1] == ("spec 3", 4, 4)


def test_all_cached_runs_nothing():
    results, where = run_specs([Spec(0)], lambda s: 1 / 0, lambda s: {"n": s.n})
    assert results == [{"n": 0}] and where == "cache"


def test_program_description_round_trips(tmp_path):
    p = Program("m", tmp_path, [tmp_path / "main.c"], "forward", 3, 3, "all", np.dtype("<i1"), 13,
                np.dtype("<f4"), 5, 96, 0, 1234, ["ig_layer_0_x"], "neon", [(Path("k.c"), "__L0")])
    back = Program.described(p.describe(), tmp_path / "entry")
    assert back.directory == tmp_path / "entry" and back.sources == [] and back.copies == []
    assert (back.input_dtype, back.output_dtype) == (np.dtype("<i1"), np.dtype("<f4"))
    assert {k: v for k, v in back.__dict__.items() if k not in ("directory", "sources", "copies")} == \
        {k: v for k, v in p.__dict__.items() if k not in ("directory", "sources", "copies")}
