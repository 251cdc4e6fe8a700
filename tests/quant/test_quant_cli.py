"""`intgap quantize` / `intgap eval` errors are one line naming the cause and the fix."""
import pytest

from intgap.cli import main
from quant import QuantError
from quant.recipes import parse_config


def test_unknown_model_is_one_line_error(capsys, tmp_path):
    assert main(["quantize", "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "m.igraph")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("intgap: error: unknown model") and "\n" not in err


def test_eval_missing_file(capsys, tmp_path):
    assert main(["eval", str(tmp_path / "missing.igraph")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_configs():
    assert parse_config("w8a8").weight_bits == 8
    c = parse_config("w4a8g64")
    assert (c.weight_bits, c.group_size) == (4, 64)
    with pytest.raises(QuantError, match="not implemented"):
        parse_config("mixed:6")
    with pytest.raises(QuantError, match="unknown config"):
        parse_config("w2a2")
