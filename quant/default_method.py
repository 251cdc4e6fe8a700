"""The CLI's default quantization method per model kind and config: the most accurate recorded method whose speed
meets the kind's goal, read from benchmarks/results (docs/quantization.md "The default method, per model kind").
Light on imports: the CLI's --help names the defaults."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from quant.config import MIGRATIONS, QuantSpec, parse
from quant.errors import QuantError

# the steps that change which kernels a method runs, and those that add ops (a migration gives a norm whose output
# also feeds the residual a smoothed copy for the layers: 12 more LayerNorms on MiniLM); the rest (grid search,
# rounding, gamma) change weight values only, so a speed row of one method speaks for every method with the same
# steps of these two kinds (docs/quantization.md "The default method, per model kind")
KERNEL_STEPS = ("asym", "outlier-split", "dynamic", "dynamic-all", "a16down", "a16down-top")
GRAPH_STEPS = MIGRATIONS
SPEED_TARGET = "cortex-a55"
# per model kind: the model whose recorded rows decide its defaults, and the speed goal per config family: decoders
# (issue 20) instructions per decoded token, encoders instructions per inference at most ENCODER_SLOWDOWN times the
# config's plain kernels' (no kernel step); a config without a goal (mixed) takes methods without kernel steps only
DECIDING_MODEL = {"decoder": "smollm2", "encoder": "minilm"}
DECODER_BUDGET = {"w8a8": 15e6, "w4a8": 21e6}
ENCODER_SLOWDOWN = 1.25
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def kernel_steps(method: str) -> frozenset:
    return frozenset(method.split("+")) & frozenset(KERNEL_STEPS)


def speed_class(method: str) -> frozenset:
    """The steps a method's instructions depend on."""
    return frozenset(method.split("+")) & frozenset(KERNEL_STEPS + GRAPH_STEPS)


def speed_ok(kind: str, config: str, method: str, speed_rows: list[dict]) -> bool:
    """Whether the recorded speed rows (generation.json's for decoders, minilm_targets.json's for encoders) show
    `method`'s speed class within the kind's goal for `config` on SPEED_TARGET; no row: no."""
    model, family, steps = DECIDING_MODEL[kind], parse(config).family, speed_class(method)
    if family not in DECODER_BUDGET:  # no goal: the config's own kernels only
        return not kernel_steps(method)
    rows = [r for r in speed_rows if r.get("model", model) == model and r.get("target") == SPEED_TARGET and
            r.get("config", "w8a8") == config and r.get("matches_reference", r.get("bit_exact", True))]
    if kind == "decoder":
        cost, budget = [r["decode_instructions_per_token"] for r in rows if speed_class(r["method"]) == steps], \
            DECODER_BUDGET[family]
    else:
        rows = [r for r in rows if r.get("scope") == "whole encoder"]
        cost = [r["program_instructions"] for r in rows if speed_class(r["method"]) == steps]
        plain = [r["program_instructions"] for r in rows if not kernel_steps(r["method"])]
        budget = ENCODER_SLOWDOWN * min(plain) if plain else 0
    return bool(cost) and max(cost) <= budget


def best_measured(kind: str, accuracy_rows: list[dict], speed_rows: list[dict], grid_measured: bool = True
                  ) -> dict[str, str]:
    """config family -> the method with the best recorded accuracy of the kind's deciding model (decoders: perplexity on
    4,095 held-out tokens; encoders: mean cosine on 500 held-out lines; minmax observer) among those whose speed
    meets the goal (speed_ok); for a grid no speed row measured (grid_measured False), among those without kernel
    steps (the grid's own kernels)."""
    model, best = DECIDING_MODEL[kind], {}
    for r in accuracy_rows:
        if r.get("model") != model or r.get("observer", "minmax") != "minmax" or \
                (r.get("tokens", 0) < 4095 if kind == "decoder" else r.get("lines", 0) < 500) or \
                not (speed_ok(kind, r["config"], r["method"], speed_rows) if grid_measured
                     else not kernel_steps(r["method"])):
            continue
        score = r["int_perplexity"] if kind == "decoder" else -r["mean_cosine"]
        family = parse(r["config"]).family
        if family not in best or score < best[family][0]:
            best[family] = (score, r["method"])
    return {k: v[1] for k, v in best.items()}


def _rows(name: str) -> list[dict]:
    path = RESULTS / name
    if not path.exists():  # a copy of the package without the repository's tables: no silent round-to-nearest
        raise QuantError(f"the default quantization method is read from {path}, which is missing (intgap installed "
                         "without the repository's benchmarks/results?): give --method, or install the repository "
                         "itself (`make setup`, an editable install)")
    return json.loads(path.read_text())["rows"]


@lru_cache(maxsize=None)
def default_methods(kind: str, grid_measured: bool = True) -> dict[str, str]:
    """The CLI's default method per config family for a model kind, by best_measured over the recorded tables."""
    speed = _rows("generation.json" if kind == "decoder" else "minilm_targets.json")
    return best_measured(kind, _rows("quant_accuracy.json"), speed, grid_measured)


def default_method(kind: str | None, config: str | QuantSpec) -> str:
    """The default method of a model kind (None: a decoder) for a config: its family's; for another group size than
    the family's measured one (w8a8-g32, w4a8-g64), the family's most accurate without kernel steps, whose speed is
    the grid's own kernels' and whose layers all lower (a16down refuses an int16 input that could overflow grouped
    weights' accumulator). A family the kind's model has no rows for takes the decoders' (mixed for an encoder);
    plain round-to-nearest where nothing is recorded."""
    spec = config if isinstance(config, QuantSpec) else parse(config)
    measured = spec.per_layer or spec.grid == parse(spec.family).grid
    return default_methods("encoder" if kind == "encoder" else "decoder", measured).get(spec.family) or \
        default_methods("decoder", measured).get(spec.family, "rtn")


def method_help() -> str:
    """--method's help: the rule and today's defaults per kind."""
    try:
        now = "; ".join(f"{kind}s " + ", ".join(f"{c} {m}" for c, m in default_methods(kind).items())
                        for kind in DECIDING_MODEL)
    except QuantError:
        now = f"unknown: {RESULTS} is missing"
    return (f"quantization method (default: per model kind, the most accurate recorded method within the kind's "
            f"speed goal, docs/quantization.md; now {now}; other group sizes: the most accurate without kernel steps)")
