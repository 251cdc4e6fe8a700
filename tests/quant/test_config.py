"""The one config grammar (quant/config.py): every spelling every command takes, the same parse everywhere, and an
error for a bad spelling that lists the grammar."""
import pytest

from quant.config import GRAMMAR, ConfigError, for_classifier, parse, parse_layer
from quant.recipes import parse_config


@pytest.mark.parametrize("text, name, bits, group", [
    ("fp32", "fp32", 32, None), ("W8A8", "w8a8", 8, None), ("w4a8", "w4a8", 4, None),
    ("w4a8-g64", "w4a8-g64", 4, 64), ("w4a8g64", "w4a8-g64", 4, 64), ("w8a8-g32", "w8a8-g32", 8, 32),
    ("w8a8g32", "w8a8-g32", 8, 32), (" w4a8-G16 ", "w4a8-g16", 4, 16)])
def test_fixed_spellings_parse_to_one_canonical_name(text, name, bits, group):
    s = parse(text)
    assert (s.name, s.weight_bits, s.group_size, s.per_layer) == (name, bits, group, False)
    assert parse(s.name) == s  # the canonical name parses back to itself


def test_mixed_and_layer_files():
    s = parse("mixed:6.0")
    assert (s.name, s.mixed_budget, s.family) == ("mixed:6", 6.0, "mixed")
    f = parse("layers.json")
    assert f.layer_file == "layers.json" and f.family == "mixed"
    with pytest.raises(ConfigError, match="outside the supported widths 4..8"):
        parse("mixed:9")
    with pytest.raises(ConfigError, match="needs a bit budget"):
        parse("mixed:lots")


@pytest.mark.parametrize("bad", ["w2a8", "w4a8g0", "w4a8gabc", "w4a8x", "int8", "w4a16", "w8a8-g", ""])
def test_a_bad_spelling_lists_the_grammar(bad):
    with pytest.raises(ConfigError) as e:
        parse(bad)
    assert str(e.value) == f"unknown config {bad!r}: use {GRAMMAR}"


def test_transformer_and_sweep_parsers_share_the_grammar():
    from intgap.errors import DriverError
    from intgap.sweep import parse_config as sweep_config
    for text in ("w8a8", "w4a8-g64", "w4a8g64", "w8a8-g32", "w8a8g32", "mixed:5"):
        s, c = parse(text), sweep_config(text)
        assert (c.name, c.weight_bits, c.group_size) == (s.name, s.weight_bits, s.group_size)
        q = parse_config(text)
        assert (q.mixed_budget or q.weight_bits) == s.weight_bits
        assert q.group_size == (s.group_size or (32 if s.weight_bits == 4 and not s.per_layer else None))
    for bad in ("w2a8", "w8a8-gx"):
        with pytest.raises(DriverError, match=f"unknown config '{bad}': use fp32, w8a8"):
            sweep_config(bad)
    with pytest.raises(ConfigError, match="fp32 is the float baseline"):
        parse_config("fp32")


def test_layer_widths_take_the_fixed_spellings_only():
    assert parse_layer("w8a8-g32") == (8, 32) and parse_layer("w4a8") == (4, 32) and parse_layer("w4a8g64") == (4, 64)
    for bad in ("mixed:6", "fp32", "w4a8x"):
        with pytest.raises(ConfigError, match="for a layer: use w8a8, w4a8, w8a8-g<N> or w4a8-g<N>"):
            parse_layer(bad)


def test_classifiers():
    assert for_classifier(parse("w8a8-g32")).group_size == 32
    with pytest.raises(ConfigError, match="per-layer widths .* are for transformer models"):
        for_classifier(parse("mixed:6"))


def test_every_help_text_quotes_the_grammar():
    from intgap.cli import build_parser
    sub = build_parser()._subparsers._group_actions[0].choices
    for cmd, opt in (("bench", "--configs"), ("quantize", "--config"), ("compile", "--config"),
                     ("generate", "--config")):
        helps = {a.option_strings[0]: a.help for a in sub[cmd]._actions if a.option_strings}
        assert GRAMMAR in helps[opt], cmd
