"""Every energy figure the CLI writes names its model and board: `intgap run`, `bench`, `generate` and `mixed`, their
printed lines and their JSON (issue 19's acceptance). A figure is an energy document (a dict with "total_uj") or a
field whose name holds "energy" and "uj"; each document carries its label, and each row or result with a flat energy
field carries "energy_model" (or its documents' labels)."""
from __future__ import annotations

import json
import re

from intgap.cli import main

LABEL = re.compile(r"intgap energy model v\d+ on [a-z0-9-]+")


def _figures(doc, where="$"):
    """(path, the dict holding it, key) of every energy figure with a value in a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and "energy" in k and "uj" in k:
                yield f"{where}.{k}", doc, k
            if isinstance(v, dict) and v.get("total_uj") is not None:
                yield f"{where}.{k}", v, "total_uj"
            yield from _figures(v, f"{where}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _figures(v, f"{where}[{i}]")


def assert_every_figure_named(doc, board: str) -> int:
    n = 0
    for path, holder, key in _figures(doc):
        name = holder.get("label") if key == "total_uj" else holder.get("energy_model") or (
            holder.get("energy") or {}).get("label") or doc.get("energy_model")
        assert name and LABEL.search(name) and name.rstrip(")").endswith(f"on {board}"), (path, name)
        n += 1
    return n


def test_run_generate_bench_and_mixed_name_the_model_and_board_of_every_energy_figure(tmp_path, capsys):
    from tests.isa.elf_builds import Builds
    elf = Builds(tmp_path / "elves")("tg_layers.c", "cortex-m4")
    assert main(["run", str(elf), "--target", "cortex-m4", "--board", "stm32f407", "--json",
                 str(tmp_path / "run.json")]) == 0
    assert assert_every_figure_named(json.loads((tmp_path / "run.json").read_text()), "stm32f407") >= 1
    assert "est. energy (intgap energy model v2 on stm32f407): " in capsys.readouterr().out

    assert main(["generate", "--model", "shakespeare-decoder", "--target", "cortex-a55", "-n", "2", "--no-check",
                 "--workdir", str(tmp_path / "gen"), "--json", str(tmp_path / "gen.json")]) == 0
    gen = json.loads((tmp_path / "gen.json").read_text())
    assert assert_every_figure_named(gen, "rk3566") >= 3  # prefill, decode, decode uJ per token
    out = capsys.readouterr().out
    assert "prefill: est. energy (intgap energy model v2 on rk3566): " in out
    assert "decode: est. energy (intgap energy model v2 on rk3566): " in out

    bench = tmp_path / "bench"
    assert main(["bench", "--model", "mlp", "--targets", "cortex-a55", "--configs", "w8a8", "--no-plots", "-o",
                 str(bench), "--cache-dir", str(tmp_path / "cache")]) == 0
    res = json.loads((bench / "results.json").read_text())
    assert assert_every_figure_named(res, "rk3566") >= 4
    assert any(x["layer"] is not None and x["energy_uj"] for x in res["gaps"])  # the per-layer energy gap
    rows = (bench / "results.csv").read_text().splitlines()
    head = rows[0].split(",")
    for line in rows[1:]:
        cells = dict(zip(head, line.split(",")))
        assert not cells["energy_uj"] or cells["energy_model"] == "est. energy (intgap energy model v2 on rk3566)"
    md = (bench / "report.md").read_text()
    assert "intgap energy model v2 on rk3566" in md and "## Energy gap per layer" in md
    assert "est. energy (intgap energy model v2 on rk3566)" in capsys.readouterr().out

    mixed = tmp_path / "mixed"
    assert main(["mixed", "--target", "cortex-a55", "--budgets", "6", "-o", str(mixed), "--cache-dir",
                 str(tmp_path / "cache")]) == 0
    doc = json.loads((mixed / "mixed.json").read_text())
    assert doc["energy_model"] == "est. energy (intgap energy model v2 on rk3566)"
    assert assert_every_figure_named(doc, "rk3566") >= 2
    assert "Energy per decode step: est. energy (intgap energy model v2 on rk3566)" in (mixed / "mixed.md").read_text()
