"""`--board` in the driver: `intgap boards`, which board each target's estimate uses, the refusals, and `generate`'s
core / memory split per token on a microcontroller board whose weights sit in flash."""
import json
import types

import pytest

import isa
from intgap.board_option import resolve_boards
from intgap.cli import main
from intgap.generate_command import generate_on_target
from isa.boards import BOARDS, get_board
from isa.errors import BoardMismatch, UnknownBoard
from isa.targets import DEFAULT_BOARDS
from tests.e2e.test_transformers_on_targets import _ids, quantized


def test_boards_lists_every_board_with_its_sources(tmp_path, capsys):
    out = tmp_path / "boards.json"
    assert main(["boards", "--json", str(out)]) == 0
    doc = {b["name"]: b for b in json.loads(out.read_text())}
    assert set(doc) == set(BOARDS)
    assert "cortex-a55" in doc["rk3566"]["default_for"]
    dram = doc["rk3566"]["memories"][0]
    assert dram["latency_ns"] > 0 and dram["read_gb_s"] > 0 and dram["sources"]
    assert "rk3566" in capsys.readouterr().out


def test_each_target_takes_the_first_named_board_that_hosts_it_else_its_default():
    a55, m4, a53 = (isa.get_target(n) for n in ("cortex-a55", "cortex-m4", "cortex-a53"))
    boards = resolve_boards([a55, m4, a53], "mps2-an386,rk3566")
    assert boards["cortex-a55"].name == "rk3566" and boards["cortex-m4"].name == "mps2-an386"
    assert boards["cortex-a53"].name == DEFAULT_BOARDS["cortex-a53"]
    assert {t: b.name for t, b in resolve_boards([a55, m4], None).items()} == {
        "cortex-a55": "rk3566", "cortex-m4": DEFAULT_BOARDS["cortex-m4"]}


def test_a_board_that_hosts_none_of_the_targets_or_no_board_at_all_is_refused():
    with pytest.raises(BoardMismatch, match="hosts none of the targets"):
        resolve_boards([isa.get_target("cortex-a55")], "stm32f407")
    with pytest.raises(UnknownBoard, match="choose one of"):
        resolve_boards([isa.get_target("cortex-a55")], "rk3588")


@pytest.mark.parametrize("argv,needle", [
    (["run", "prog.elf", "--target", "cortex-m4", "--board", "rk3566"], "cannot host target cortex-m4"),
    (["generate", "--model", "shakespeare-decoder", "--target", "cortex-a55", "--board", "nope"], "unknown board"),
    (["mixed", "--target", "cortex-a55", "--board", "jh7110"], "cannot host target cortex-a55"),
    (["compile", "--target", "cortex-m4", "-o", "unused", "--board", "jh7110"], "cannot host target cortex-m4"),
    (["bench", "--targets", "cortex-a55", "--board", "stm32f407"], "hosts none of the targets"),
])
def test_board_errors_are_one_line_before_anything_runs(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog.elf").write_bytes(b"\x7fELF")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("intgap: error:") and needle in err and len(err.strip().splitlines()) == 1


def test_generate_splits_each_token_into_core_and_flash_stalls(tmp_path):
    """A tiny Llama on cortex-m4: its weights sit in flash on the stm32f407 board (5 wait states behind the ART),
    so a decode step stalls; on the zero-wait MPS2 board the same program has no stalls and the core cycles agree."""
    g = quantized("llama", 8)
    sm = types.SimpleNamespace(graph=g, name="tiny-llama", config="w8a8", method="rtn")
    t = isa.get_target("cortex-m4")
    prompt = [int(x) for x in _ids(4, seed=5)]
    docs = {b: generate_on_target(sm, t, prompt, 3, board=b, workdir=tmp_path / b) for b in ("stm32f407",
                                                                                             "mps2-an386")}
    flash, zero = docs["stm32f407"], docs["mps2-an386"]
    assert flash["tokens"] == zero["tokens"] == flash["reference_tokens"]
    assert flash["memory_simulated"] and not zero["memory_simulated"]
    assert "on stm32f407" in flash["timing_model"] and flash["clock_mhz"] == get_board("stm32f407").clock_mhz
    assert flash["decode_memory_stall_cycles_per_token"] > 0 and zero["decode_memory_stall_cycles_per_token"] == 0
    assert flash["decode_core_cycles_per_token"] == pytest.approx(zero["decode_est_cycles_per_token"])
    assert flash["decode_est_cycles_per_token"] == pytest.approx(
        flash["decode_core_cycles_per_token"] + flash["decode_memory_stall_cycles_per_token"])
    assert flash["limiting_level"] in ("core", "flash") and zero["limiting_level"] == "core"
    assert flash["decode_memory_bytes_per_token"]["flash"] > 0
    # energy per token: named by its model and board, its parts summing to it, static power over the step's cycles
    e = flash["decode_energy_per_token"]
    assert e["label"] == "est. energy (intgap energy model v2 on stm32f407)" and e["memory_by_level_uj"]["flash"] > 0
    assert flash["decode_energy_uj_per_token"] == pytest.approx(e["compute_uj"] + e["memory_uj"] + e["static_uj"],
                                                                rel=1e-4)
    assert e["static_uj"] == pytest.approx(12 * 3.3 * flash["decode_est_cycles_per_token"] / 168e6 * 1e3, rel=1e-4)
    assert not zero["decode_energy_per_token"]["modelled"] and "decode_energy_uj_per_token" not in zero
