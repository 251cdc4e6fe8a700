"""Energy in the latency-gap report and the mixed-precision report: the energy gap's arithmetic, every figure named
by its model and board, and boards without energy parameters shown as not modelled."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from intgap.attribution import CATEGORIES
from intgap.report import energy_fields, energy_promise, energy_section, gaps


def _energy(board, total, compute, memory, static, modelled=True):
    label = f"est. energy (intgap energy model v2 on {board})"
    return {"label": label, "model": label[13:-1], "board": board, "modelled": modelled,
            "total_uj": total if modelled else None, "compute_uj": compute, "memory_uj": memory, "static_uj": static,
            "memory_by_level_uj": {"L1D": memory / 4, "dram": memory * 3 / 4} if modelled else {}}


def _row(target, config, board, energy, cycles):
    return {"target": target, "config": config, "layer": None, "layer_name": None, "instructions": 1000,
            "estimated_cycles": cycles, "load_bytes": 10, "store_bytes": 10, "macs": 2000, "board": board,
            "cycle_model": f"est. cycles (intgap x model v1 on {board})", "attribution": dict.fromkeys(CATEGORIES, 0),
            "energy": energy}


def _result():
    runs = [_row("cortex-a55", "fp32", "rk3566", _energy("rk3566", 40.0, 10.0, 20.0, 10.0), 4000),
            _row("cortex-a55", "w8a8", "rk3566", _energy("rk3566", 16.0, 4.0, 8.0, 4.0), 2000),
            _row("cortex-m4", "fp32", "mps2-an386", _energy("mps2-an386", 0, 0, 0, 0, False), 4000),
            _row("cortex-m4", "w8a8", "mps2-an386", _energy("mps2-an386", 0, 0, 0, 0, False), 2000)]
    return SimpleNamespace(runs=runs, configs=[{"config": "fp32", "weight_bits": 32}, {"config": "w8a8",
                                                                                          "weight_bits": 8}],
                           workload=SimpleNamespace(by_role=False, unit="inference"))


def test_energy_gap_and_fields():
    pm, po = energy_promise(8)
    assert pm == 4 and po == pytest.approx((3.7 + 0.9) / (3.1 / 16 + 0.1))  # 15.7x
    g = {x["target"]: x for x in gaps(_result())}
    a55 = g["cortex-a55"]
    assert a55["realized_energy"] == pytest.approx(40 / 16)
    assert a55["energy_gap_bytes"] == pytest.approx(4 / 2.5) and a55["energy_gap_ops"] == pytest.approx(po / 2.5)
    assert a55["energy_model"] == "intgap energy model v2 on rk3566"
    assert g["cortex-m4"]["realized_energy"] is None and g["cortex-m4"]["energy_gap_bytes"] is None
    f = energy_fields(_result().runs[1])
    assert f["energy_uj"] == 16 and f["energy_pj_per_mac"] == pytest.approx(16e6 / 2000)
    assert f["energy_model"] == "est. energy (intgap energy model v2 on rk3566)"
    assert energy_fields(_result().runs[2])["energy_uj"] is None


def test_energy_section_names_model_and_board_and_the_unmodelled():
    text = "\n".join(energy_section(_result()))
    assert "| cortex-a55 | intgap energy model v2 on rk3566 | w8a8 | 16.00 | 4.00 | 8.00 (L1D 2.00, dram 6.00) | 4.00 " \
           "| 8,000.0 | 2.50x | 4x / 15.7x | 1.60 / 6.26 |" in text
    assert "Not modelled (a board without energy parameters, docs/energy.md): cortex-m4 on mps2-an386." in text
    assert "uJ per inference" in text


def test_mixed_report_has_the_energy_column(tmp_path):
    from intgap.mixed_search import _markdown
    row = {"budget": 6, "how": "Theorem 8", "mean_bits": 6.0, "layers_at_4_bits": ["a"], "cycles": 1000.0,
           "measured_est_cycles": 1100, "measured_instructions": 900, "weight_bytes": 10, "perplexity": 40.0}
    doc = {"model": "m", "target": "cortex-a55", "board": "rk3566", "fp32_perplexity": 39.0, "front": [],
           "cycle_model": "est. cycles (intgap cortex-a55 model v1 on rk3566)",
           "energy_model": "est. energy (intgap energy model v2 on rk3566)",
           "rows": [{**row, "measured_energy_uj": 12.5}, {**row, "how": "x", "measured_energy_uj": None}]}
    _markdown(doc, tmp_path)
    md = (tmp_path / "mixed.md").read_text()
    assert "Energy per decode step: est. energy (intgap energy model v2 on rk3566)" in md
    assert "| 1,100 | 12.50 | 900 |" in md and "| 1,100 | n/m | 900 |" in md


def test_energy_gap_per_layer_with_its_split():
    """A layer's energy is its share of the whole model's: compute by instructions (stalls by stall cycles), memory
    by bytes moved, static by cycles; the gap rows carry it with FP32's, and report.md a table of them."""
    from intgap.report import layer_energy, layer_energy_section
    res = _result()
    for r in res.runs:
        r["memory_stall_cycles"] = 100
        if r["energy"]["modelled"]:
            r["energy"]["compute_by_class_uj"] = {"int_alu": r["energy"]["compute_uj"] * 0.8,
                                                  "stall": r["energy"]["compute_uj"] * 0.2}
    # layer 0 of each config: a quarter of the instructions, half of the bytes, a tenth of the cycles and all stalls
    layers = [{**r, "layer": 0, "layer_name": "fc1", "instructions": 250, "load_bytes": 5, "store_bytes": 5,
               "estimated_cycles": r["estimated_cycles"] // 10, "memory_stall_cycles": 100, "energy": None}
              for r in res.runs]
    res.runs += layers
    fp = layer_energy(layers[0], res.runs[0])
    assert fp["compute_uj"] == pytest.approx(10.0 * 0.8 / 4 + 10.0 * 0.2)
    assert fp["memory_uj"] == pytest.approx(20.0 / 2) and fp["memory_by_level_uj"]["dram"] == pytest.approx(7.5)
    assert fp["static_uj"] == pytest.approx(10.0 / 10)
    assert fp["total_uj"] == pytest.approx(2.0 + 2.0 + 10.0 + 1.0) and fp["label"].endswith("v2 on rk3566)")
    g = {(x["target"], x["layer"]): x for x in gaps(res)}
    x = g[("cortex-a55", 0)]
    q = layer_energy(layers[1], res.runs[1])["total_uj"]  # w8a8: 0.8 + 0.8 + 4 + 0.4
    assert x["energy_uj"] == pytest.approx(q) and x["realized_energy"] == pytest.approx(15.0 / q)
    assert x["energy_gap_bytes"] == pytest.approx(4 / (15.0 / q))
    assert x["energy"]["memory_by_level_uj"] == {"L1D": pytest.approx(1.0), "dram": pytest.approx(3.0)}
    assert x["fp32_energy"]["static_uj"] == pytest.approx(1.0)
    assert g[("cortex-m4", 0)]["realized_energy"] is None  # not modelled on its board
    text = "\n".join(layer_energy_section(res))
    assert "## Energy gap per layer" in text
    assert f"| cortex-a55 | w8a8 | fc1 | {q:,.3f} | 1.600 / 4.000 / 0.400 | 15.000 | 4.000 / 10.000 / 1.000 | " \
           f"{15.0 / q:.2f}x | 4x / 15.7x |" in text
    assert "cortex-m4" not in text
