"""End-to-end recipes used by the CLI and the benchmarks: load a model, capture it, calibrate, apply a method,
lower to the integer graph; evaluate an integer graph against its FP32 model on held-out Shakespeare."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from quant.config import METHODS, MIGRATIONS, ConfigError, QuantSpec, parse
from quant.default_method import default_method
from quant.a16down_choice import choose_a16down
from quant.accuracy import cosine_against_fp32, perplexity_against_fp32, tokenize_text
from quant.errors import QuantError
from quant.hf_capture import capture_hf, is_encoder, sequence_inputs
from quant.hf_models import HFModel, pretrained, shakespeare_lines, shakespeare_text
from quant.ir import Graph
from quant.methods import awq, gamma_correction, smoothquant
from quant.mixed import allocation_config, load_layer_config
from quant.model_registry import MODELS, calibration_of, is_gguf, kind_of, unknown_model
from quant.gptq import gptq_overrides
from quant.gptq_hessian import hessian_calibration
from quant.observers import calibrate, fc_inputs
from quant.smooth_search import smooth_search
from quant.optable import Group
from quant.transformer_ptq import QuantConfig, ffn_hidden, lower

# a method is a '+' chain of these steps, applied in this order (docs/quantization.md "Methods")
STEPS = ("smoothquant", "smooth-search", "awq", "asym", "clip", "rtn", "gptq", "act-order", "hessian-x4", "qat",
         "outlier-split", "dynamic", "dynamic-all", "a16down", "a16down-top", "gamma")
Progress = Callable[[str, int, int], None]  # (step description, done, total)


def load_model(name: str) -> HFModel:
    """A transformer by its registered name (quant/model_registry.py), a Hugging Face folder or a GGUF file."""
    e = MODELS.get(name)
    if e is not None and e.kind != "classifier":
        return e.load()
    if e is not None:
        raise QuantError(f"{name} is a classifier (an MLP): this takes transformers; quantize it with `intgap compile "
                         f"--model {name} --config ...` or `intgap bench --model {name}`")
    p = Path(name)
    if is_gguf(p):
        return pretrained(p.stem, p.parent, causal=True, gguf=p.name)
    if not p.is_dir():
        raise unknown_model(name)
    kind = kind_of(name)
    try:
        return pretrained(p.name, p, causal=kind != "encoder")
    except (OSError, ValueError) as e:
        raise QuantError(f"cannot load a Hugging Face model from {p} ({e}): give a directory with config.json, "
                         "weights (safetensors) and tokenizer files") from None


def parse_config(config: str | QuantSpec) -> QuantConfig:
    """An integer config of the grammar (quant/config.py) as the transformer lowering's QuantConfig (w4a8 without a
    group size: groups of INT4_GROUP, QuantSpec.grid)."""
    spec = config if isinstance(config, QuantSpec) else parse(config)
    if spec.is_float:
        raise ConfigError("fp32 is the float baseline, not a quantization: use w8a8, w4a8 or another integer config")
    if spec.mixed_budget is not None:
        return QuantConfig(mixed_budget=spec.mixed_budget)
    if spec.layer_file is not None:
        return QuantConfig(layer_bits=load_layer_config(spec.layer_file))
    return QuantConfig(*spec.grid)


def calibration_feeds(m: HFModel, n: int, seq_len: int) -> list[dict]:
    if is_encoder(m.model):
        return [sequence_inputs(m.tokenizer(s, truncation=True, max_length=seq_len)["input_ids"])
                for s in shakespeare_lines("calib", n)]
    ids = tokenize_text(m.tokenizer, shakespeare_text("calib")[:400000], n * seq_len)
    return [sequence_inputs(ids[i * seq_len:(i + 1) * seq_len]) for i in range(len(ids) // seq_len)]


def parse_method(method: str) -> list[str]:
    """'smoothquant+gptq' -> ['smoothquant', 'gptq']: at most one migration (smoothquant | awq), then the rounding
    (rtn | gptq), then the optional gamma correction."""
    steps = method.split("+")
    if any(s not in STEPS for s in steps) or len(set(steps)) != len(steps) or \
            len(set(MIGRATIONS) & set(steps)) > 1 or len({"rtn", "gptq", "qat"} & set(steps)) > 1 or \
            ("qat" in steps and {*MIGRATIONS, "asym"} & set(steps)) or \
            ({"act-order", "hessian-x4"} & set(steps) and "gptq" not in steps) or \
            ("clip" in steps and "qat" in steps) or ("a16down" in steps and "a16down-top" in steps) or \
            ("dynamic" in steps and "dynamic-all" in steps):
        raise QuantError(f"unknown method {method!r}: use one of {', '.join(METHODS)} (or a '+' chain of "
                         f"{', '.join(STEPS)}: at most one of smoothquant/smooth-search/awq, one of rtn/gptq/qat, "
                         "qat without a migration or asym, act-order and hessian-x4 only with gptq, clip without qat, "
                         "a16down or a16down-top, dynamic or dynamic-all)")
    return sorted(steps, key=STEPS.index)


def canonical_method(method: str) -> str:
    """The method's steps in the order they are applied (migration, grid, rounding, activations, gamma)."""
    return "+".join(parse_method(method))


def gamma_overrides(g: Graph, cal, cfg: QuantConfig) -> dict:
    """The second-moment correction (quant/methods.gamma_correction) on every fully connected layer's weights
    (GPTQ's when cfg.weight_override holds them, else RTN's)."""
    out = {}
    for n in g.nodes_in(Group.FULLY_CONNECTED):
        w = g.constants[n.inputs[1]]
        out[n.name], _ = gamma_correction(w, cfg.weight_for(n.name, w), cal.gram[n.inputs[0]])
    return out


@dataclass(frozen=True)
class Recipe:
    """How a model is quantized for a config: every command (quantize, eval, compile, generate, bench, mixed) takes
    its graph from the recipe, so the accuracy measured is that of the firmware built."""
    config: str                  # canonical spelling (quant/config.py)
    method: str                  # canonical step order
    calib: int                   # calibration sequences (lines for an encoder)
    seq_len: int                 # tokens per calibration sequence (and the captured graph's length)
    observer: str = "minmax"
    alpha: float = 0.8           # SmoothQuant migration strength
    residual: str = "auto"
    qat_steps: int = 200


def _kind(model: str) -> str | None:
    try:
        return kind_of(model)
    except QuantError:  # a folder no capture takes: the loader names it
        return None


def recipe_for(model: str, config: str | QuantSpec = "w8a8", method: str | None = None, **overrides) -> Recipe:
    """The model's recipe for a config and method (default: default_method for the model's kind and the config,
    the model's calibration from quant/model_registry.py); `overrides` (calib, seq_len, observer, ...) set fields
    that are not None."""
    spec = config if isinstance(config, QuantSpec) else parse(config)
    calib, seq_len = calibration_of(model)
    method = "fp32" if spec.is_float else canonical_method(method or default_method(_kind(model), spec))
    r = Recipe(spec.name, method, calib, seq_len)
    return replace(r, **{k: v for k, v in overrides.items() if v is not None})


def quantize_model(model: str | HFModel, config: str = "w8a8", method: str | None = None,
                   progress: Progress | None = None, recipe: Recipe | None = None, **overrides) -> Graph:
    """The graph of `model` under `recipe` (default: recipe_for(model, config, method, **overrides): calib,
    seq_len, alpha, observer, residual, qat_steps). fp32 gives the captured float graph."""
    spec = parse(config)
    cfg = None if spec.is_float else parse_config(spec)  # refuse a bad config before the (slow) model load
    name = model if isinstance(model, str) else model.name
    recipe = recipe or recipe_for(name, spec, method, **overrides)
    m = load_model(model) if isinstance(model, str) else model
    t0 = time.time()
    if cfg is None:
        q, how = capture_hf(m.model, recipe.seq_len, name=m.name), {"method": "fp32"}
    else:
        g, cal, cfg = method_graph(m, recipe, cfg, progress)
        q, how = lower(g, cal, cfg), {"method": canonical_method(recipe.method), "layer_bits": dict(cfg.layer_bits)}
    q.meta.update({"model": name, "config": spec.name, **how, "quantize_seconds": round(time.time() - t0, 1)})
    return q


def method_graph(m: HFModel, recipe: Recipe, cfg: QuantConfig | None = None, progress: Progress | None = None):
    """What the lowering reads: the float graph after the recipe's migration (smoothquant | awq), its calibration,
    and cfg with the method's weights (GPTQ, QAT, gamma: cfg.weight_override) and the recipe's settings.
    quantize_model lowers it; the accuracy attribution (quant/accuracy_attribution.py) runs it beside the result."""
    spec = parse(recipe.config)
    cfg = cfg or parse_config(spec)
    cfg.observer = recipe.observer
    cfg.residual = recipe.residual
    steps = parse_method(recipe.method)
    for flag in ("asym", "clip", "act-order", "dynamic", "outlier-split", "a16down"):  # the steps QuantConfig reads
        setattr(cfg, flag.replace("-", "_"), flag in steps)
    if "dynamic-all" in steps:  # per-token scales on every input the dynamic op takes, not only where they win
        cfg.dynamic, cfg.dynamic_gain = True, math.inf
    g = capture_hf(m.model, recipe.seq_len)
    feeds = calibration_feeds(m, recipe.calib, recipe.seq_len)
    step = lambda what: (lambda i, n=len(feeds): progress(what, i, n)) if progress else None  # noqa: E731
    gram = any(s in ("awq", "gptq", "gamma") for s in steps)
    # SmoothQuant reads no Gram matrix and recalibrates below: its first pass skips them (AWQ's search needs them)
    first_gram = gram and not {"smoothquant", "smooth-search"} & set(steps)
    cal = calibrate(g, feeds, gram_for=fc_inputs(g) if first_gram else None, progress=step("calibrating"))
    if "smoothquant" in steps:
        g = smoothquant(g, cal, recipe.alpha)
    elif "smooth-search" in steps:  # alpha per layer (quant/smooth_search.py); a16down-top's blocks chosen inside
        pick = (lambda h: calibrate(h, feeds, progress=step("choosing int16 blocks"))) if "a16down-top" in steps \
            else None
        g = smooth_search(g, cal, recipe.alpha, pick, cfg.observer)
    elif "awq" in steps:
        g = awq(g, cal, cfg.weight_bits, cfg.group_size, asym=cfg.asym)
    if set(MIGRATIONS) & set(steps):
        cal = calibrate(g, feeds, gram_for=fc_inputs(g) if gram else None, progress=step("recalibrating"))
    if cfg.mixed_budget is not None:
        cfg.layer_bits = allocation_config(g, cal, cfg.mixed_budget)
    elif spec.layer_file is not None:
        load_layer_config(spec.layer_file, g)  # every pattern names a layer
    if "gptq" in steps:
        hcal = hessian_calibration(g, recipe.method, recipe.calib, lambda n: calibration_feeds(m, n, recipe.seq_len),
                                   cal, progress)
        cfg.weight_override = gptq_overrides(g, hcal, cfg, step("GPTQ rounding"))
    if "qat" in steps:  # Llama-style models; trains on the calibration sequences (quant/qat.py)
        from quant.qat import qat_weights
        seqs = [f["input_ids"].astype(np.int64) for f in feeds]
        cfg.weight_override, _ = qat_weights(m.model, g, cfg, seqs, steps=recipe.qat_steps,
                                             progress=step("QAT (STE + LSQ)"))
    if "gamma" in steps:
        cfg.weight_override = gamma_overrides(g, cal, cfg)
    if "a16down-top" in steps:  # int16 for the blocks whose int8 input costs the most (calibration data only)
        chosen = g.meta.get("a16down_chosen")  # smooth-search chose them before its int16 search
        cfg.a16down, cfg.a16down_only = True, frozenset(chosen) if chosen is not None else \
            choose_a16down(g, cal, ffn_hidden(g), observer=cfg.observer)
    return g, cal, cfg


def evaluate(q: Graph, n_lines: int = 500, n_tokens: int = 4096, window: int = 256, model: HFModel | None = None,
             fp32: Graph | None = None, progress: Progress | None = None) -> dict:
    """MiniLM: cosine of sentence embeddings vs FP32 on held-out lines; decoders: perplexity vs FP32."""
    name = q.meta.get("model")
    if model is None:
        if not name:
            raise QuantError("the graph does not say which model it came from (meta.model): re-create it with "
                             "`intgap quantize`")
        model = load_model(name)
    fp32 = fp32 or capture_hf(model.model, q.meta.get("seq_len", 128))
    t0 = time.time()
    if is_encoder(model.model):
        lines = shakespeare_lines("eval", n_lines)
        c = cosine_against_fp32(q, fp32, model.tokenizer, lines, progress)
        res = {"metric": "cosine", "lines": len(lines), "mean_cosine": float(c.mean()), "min_cosine": float(c.min())}
    else:
        p = perplexity_against_fp32(q, fp32, tokenize_text(model.tokenizer, shakespeare_text("eval"), n_tokens), window,
                                    progress)
        res = {"metric": "perplexity", "tokens": p["tokens"], "window": window, "fp32_perplexity": p["fp32_perplexity"],
               "int_perplexity": p["perplexity"], "relative_increase": p["relative_increase"]}
    res.update({"model": name, "config": q.meta.get("config"), "method": q.meta.get("method"),
                "quantization": q.meta.get("quantization"),
                "eval_seconds": round(time.time() - t0, 1)})
    return res
