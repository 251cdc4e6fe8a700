"""The one config grammar (GRAMMAR) every command parses (bench --configs, quantize / compile / generate --config,
the values of a per-layer JSON file) and every --help text quotes; docs/quantization.md "Configs" explains it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from quant.errors import QuantError

FP32 = "fp32"
MIXED_RANGE = (4.0, 8.0)
GRAMMAR = ("fp32, w8a8, w4a8, w8a8-g<N> / w4a8-g<N> (groups of N along K; also w4a8g<N>), mixed:<mean weight bits "
           "4..8> (transformers) or a .json file of per-layer widths (transformers)")
LAYER_GRAMMAR = "w8a8, w4a8, w8a8-g<N> or w4a8-g<N>"  # what one layer of a .json file may take
# quantization methods: the recipe's steps (quant/recipes.py parses '+' chains of them); these are the ones measured
METHODS = ("rtn", "smoothquant", "awq", "gptq", "gamma", "qat", "smoothquant+gptq", "smoothquant+gamma", "awq+gptq",
           "smoothquant+gptq+gamma", "outlier-split", "dynamic", "gptq+outlier-split", "gptq+dynamic",
           "gptq+outlier-split+dynamic", "asym", "asym+gptq", "asym+gptq+outlier-split", "asym+gptq+dynamic",
           "asym+gptq+outlier-split+dynamic", "smoothquant+asym+gptq", "smoothquant+asym+gptq+gamma",
           "smoothquant+gptq+a16down")
_FIXED = re.compile(r"w([48])a8(?:-?g(\d+))?")
# the method steps that migrate activation ranges into the weights (quant/methods.py): a method takes at most one
MIGRATIONS = ("smoothquant", "smooth-search", "awq")
INT4_GROUP = 32  # w4a8 without a group size on a transformer: int4 in groups of 32 along K


class ConfigError(QuantError):
    """A config spelling outside the grammar (or a config the model kind cannot take)."""


@dataclass(frozen=True)
class QuantSpec:
    """A parsed config. name is the canonical spelling (w4a8-g64 for w4a8g64); weight_bits is 32 for fp32 and the
    budget for mixed:<bits>."""
    name: str
    weight_bits: float
    group_size: int | None = None
    mixed_budget: float | None = None
    layer_file: str | None = None

    @property
    def is_float(self) -> bool:
        return self.name == FP32

    @property
    def per_layer(self) -> bool:
        """mixed:<bits> or a .json file: widths chosen per layer (transformers only)."""
        return self.mixed_budget is not None or self.layer_file is not None

    @property
    def grid(self) -> tuple[int, int | None]:
        """A fixed width's (weight bits, group size) on a transformer: w4a8 without a group size is groups of
        INT4_GROUP (an MLP's w4a8 is per channel: quant/ptq.py takes weight_bits and group_size as they are)."""
        bits = int(self.weight_bits)
        return bits, self.group_size if self.group_size or bits == 8 else INT4_GROUP

    @property
    def family(self) -> str:
        """fp32 | w8a8 | w4a8 (any group size) | mixed (a budget or a layer file)."""
        return "mixed" if self.per_layer else self.name.split("-")[0]


def parse_fixed(text: str) -> QuantSpec | None:
    """w8a8 / w4a8 with an optional group size, or None when `text` is not of that form."""
    m = _FIXED.fullmatch(text.strip().lower())
    if m is None or (m.group(2) is not None and int(m.group(2)) <= 0):
        return None
    bits, gs = int(m.group(1)), (int(m.group(2)) if m.group(2) else None)
    return QuantSpec(f"w{bits}a8" + (f"-g{gs}" if gs else ""), bits, gs)


def parse(text: str) -> QuantSpec:
    """One config in any accepted spelling -> its QuantSpec; a ConfigError that lists the grammar otherwise."""
    s = text.strip()
    low = s.lower()
    if low == FP32:
        return QuantSpec(FP32, 32)
    if low.startswith("mixed:"):
        try:
            budget = float(low[6:])
        except ValueError:
            raise ConfigError(f"mixed precision needs a bit budget, e.g. mixed:6 (mean weight bits), not {text!r}") \
                from None
        if not MIXED_RANGE[0] <= budget <= MIXED_RANGE[1]:
            raise ConfigError(f"bit budget {budget:g} is outside the supported widths 4..8: use e.g. mixed:6")
        return QuantSpec(f"mixed:{budget:g}", budget, mixed_budget=budget)
    if low.endswith(".json"):
        return QuantSpec(s, 8, layer_file=s)
    fixed = parse_fixed(s)
    if fixed is None:
        raise ConfigError(f"unknown config {text!r}: use {GRAMMAR}")
    return fixed


def parse_layer(text: str) -> tuple[int, int | None]:
    """One layer's width in a per-layer .json file -> (weight bits, group size) (QuantSpec.grid)."""
    fixed = parse_fixed(text) if isinstance(text, str) else None
    if fixed is None:
        raise ConfigError(f"unknown precision {text!r} for a layer: use {LAYER_GRAMMAR}")
    return fixed.grid


def for_classifier(spec: QuantSpec) -> QuantSpec:
    """An MLP takes fp32 and the fixed widths; per-layer configs are for transformers."""
    if spec.per_layer:
        raise ConfigError(f"config {spec.name}: per-layer widths (mixed:<bits>, a .json file) are for transformer "
                          "models (e.g. --model shakespeare-decoder); for an MLP use fp32, w8a8, w4a8 or w4a8-g<N>")
    return spec

