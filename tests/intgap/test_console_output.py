"""What the commands print for a person: `intgap eval` as a table with units, `intgap mixed` saying where it wrote,
mixed.png's cycle axis without offset text."""
import json
from pathlib import Path

import pytest

from intgap.cli import main

DECODER = {"metric": "perplexity", "tokens": 4096, "window": 256, "fp32_perplexity": 37.4512,
           "int_perplexity": 37.5398, "relative_increase": 37.5398 / 37.4512 - 1, "model": "shakespeare-decoder",
           "config": "w8a8", "method": "smoothquant+gptq", "quantization": "ptq-w8a8-minmax-res16",
           "eval_seconds": 12.5}
ENCODER = {"metric": "cosine", "lines": 500, "mean_cosine": 0.99712, "min_cosine": 0.98121, "model": "minilm",
           "config": "w8a8", "method": "outlier-split", "quantization": "ptq-w8a8-minmax-res16-split",
           "eval_seconds": 3.0}


@pytest.mark.parametrize("res, shown", [
    (DECODER, ["held-out tokens", "window (tokens)", "FP32 perplexity", "integer perplexity", "increase",
               "4,096", "37.451", "37.540", "+0.24%", "shakespeare-decoder w8a8, method smoothquant+gptq",
               "quantization ptq-w8a8-minmax-res16"]),
    (ENCODER, ["held-out lines", "mean cosine vs FP32", "min cosine vs FP32", "0.9971", "0.9812", "500"]),
])
def test_eval_prints_named_columns_with_units(res, shown, monkeypatch, capsys, tmp_path):
    import intgap.quant_commands as qc  # the names `intgap eval` calls
    monkeypatch.setattr(qc, "load_graph", lambda path: object())
    monkeypatch.setattr(qc, "evaluate", lambda q, **kw: dict(res))
    assert main(["eval", "model.igraph", "--json", str(tmp_path / "e.json")]) == 0
    out = capsys.readouterr().out
    for s in shown:
        assert s in out, s
    for key in res:  # no raw result keys as headings
        if "_" in key:
            assert key not in out, key
    assert json.loads((tmp_path / "e.json").read_text()) == res and f"wrote {tmp_path / 'e.json'}" in out


def test_mixed_says_where_it_wrote(monkeypatch, capsys, tmp_path):
    import intgap.mixed_search as ms

    def fake(spec, target, budgets, out, **kw):
        out.mkdir(parents=True, exist_ok=True)
        (out / "mixed.md").write_text("# Mixed precision with measured costs\n")
        return {"rows": []}
    monkeypatch.setattr(ms, "run_mixed_search", fake)
    out = tmp_path / "m"
    assert main(["mixed", "--target", "cortex-m4", "-o", str(out), "--json", str(tmp_path / "m.json")]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'mixed.md'}, mixed.json, mixed.png" in printed and f"wrote {tmp_path / 'm.json'}" in printed


def test_mixed_plot_names_its_cycle_unit_and_board(tmp_path: Path):
    from intgap.mixed_search import _plot
    front = [{"cycles": 2_400_000 + 1500 * i, "mean_bits": 8 - 0.2 * i, "distortion": 10 ** (-3 - 0.1 * i)}
             for i in range(20)]
    rows = [{"how": h, "budget": b, "cycles": 2_405_000 + 1000 * b, "mean_bits": b, "distortion": 1e-3 / b}
            for h in ("Theorem 8", "measured-cost search") for b in (5, 6, 7)]
    label = _plot({"front": front, "rows": rows, "model": "shakespeare-decoder", "target": "cortex-m4",
                   "board": "stm32f407", "cycle_model": "est. cycles (intgap cortex-m4 model v1 on stm32f407)"},
                  tmp_path)
    assert label == "predicted est. cycles per decode step (millions)\n(intgap cortex-m4 model v1 on stm32f407)"
    assert (tmp_path / "mixed.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_names_the_plots_it_wrote():
    from intgap.cli import plots_written
    assert plots_written(["layers_cortex-m4_fp32.png", "layers_cortex-m4_w8a8.png", "speedup.png", "pareto.png"]) \
        == ", 2 per-layer figures (layers_<target>_<config>.png), speedup.png, pareto.png"
    assert plots_written([]) == ""  # --no-plots
