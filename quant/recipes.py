"""End-to-end recipes used by the CLI and the benchmarks: load a model, capture it, calibrate, apply a method,
lower to the integer graph; evaluate an integer graph against its FP32 model on held-out Shakespeare."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from quant.accuracy import cosine, embed_sentences, perplexity, tokenize_text
from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from quant.hf_models import HFModel, load_minilm, load_smollm2, shakespeare_lines, shakespeare_text
from quant.ir import Graph
from quant.methods import smoothquant
from quant.observers import calibrate
from quant.transformer_ptq import QuantConfig, lower

METHODS = ("rtn", "smoothquant")
NOT_YET = ("awq", "gamma", "gptq", "qat", "outlier-split")
BEST_METHOD = {"w8a8": "smoothquant", "w4a8": "smoothquant"}  # from benchmarks/results/quant_accuracy.json
Progress = Callable[[str, int, int], None]  # (step description, done, total)


def load_model(name: str) -> HFModel:
    if name == "minilm":
        return load_minilm()
    if name == "smollm2":
        return load_smollm2()
    p = Path(name)
    if not p.is_dir():
        raise QuantError(f"unknown model {name!r}: use minilm, smollm2 or a directory holding a Hugging Face model")
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    try:
        cfg = AutoConfig.from_pretrained(p)
        cls = AutoModel if cfg.model_type == "bert" else AutoModelForCausalLM
        return HFModel(p.name, cls.from_pretrained(p).eval(), AutoTokenizer.from_pretrained(p))
    except (OSError, ValueError) as e:
        raise QuantError(f"cannot load a Hugging Face model from {p} ({e}): give a directory with config.json, "
                         "weights (safetensors) and tokenizer files") from None


def parse_config(config: str) -> QuantConfig:
    if config == "w8a8":
        return QuantConfig()
    if config.startswith("w4a8"):
        gs = int(config[5:]) if config.startswith("w4a8g") else 32
        return QuantConfig(weight_bits=4, group_size=gs)
    if config.startswith("mixed:"):
        raise QuantError("mixed precision (Theorem 8 bit allocation) is not implemented yet: use w8a8 or w4a8")
    raise QuantError(f"unknown config {config!r}: use w8a8, w4a8 (w4a8g64 for groups of 64) or mixed:<budget>")


def calibration_feeds(m: HFModel, n: int, seq_len: int) -> list[dict]:
    if m.model.config.model_type == "bert":
        return [sequence_inputs(m.tokenizer(s, truncation=True, max_length=seq_len)["input_ids"])
                for s in shakespeare_lines("calib", n)]
    ids = tokenize_text(m.tokenizer, shakespeare_text("calib")[:400000], n * seq_len)
    return [sequence_inputs(ids[i * seq_len:(i + 1) * seq_len]) for i in range(len(ids) // seq_len)]


def quantize_model(model: str | HFModel, config: str = "w8a8", method: str | None = None, calib: int = 64,
                   seq_len: int = 128, alpha: float = 0.8, observer: str = "minmax",
                   progress: Progress | None = None) -> Graph:
    m = load_model(model) if isinstance(model, str) else model
    cfg = parse_config(config)
    cfg.observer = observer
    method = method or BEST_METHOD.get(config.split("g")[0], "rtn")
    if method in NOT_YET:
        raise QuantError(f"method {method!r} is not implemented yet: use one of {', '.join(METHODS)}")
    if method not in METHODS:
        raise QuantError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    t0 = time.time()
    g = capture_hf(m.model, seq_len)
    feeds = calibration_feeds(m, calib, seq_len)
    step = lambda what: (lambda i: progress(what, i, len(feeds))) if progress else None  # noqa: E731
    cal = calibrate(g, feeds, progress=step("calibrating"))
    if method == "smoothquant":
        g = smoothquant(g, cal, alpha)
        cal = calibrate(g, feeds, progress=step("recalibrating (smoothed)"))
    q = lower(g, cal, cfg)
    q.meta.update({"model": model if isinstance(model, str) else m.name, "config": config, "method": method,
                   "quantize_seconds": round(time.time() - t0, 1)})
    return q


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
    step = lambda what, total: (lambda i: progress(what, i, total)) if progress else None  # noqa: E731
    t0 = time.time()
    if q.meta.get("architecture") == "bert":
        lines = shakespeare_lines("eval", n_lines)
        ef = embed_sentences(fp32, model.tokenizer, lines, progress=step("FP32 embeddings", len(lines)))
        eq = embed_sentences(q, model.tokenizer, lines, progress=step("integer embeddings", len(lines)))
        c = cosine(ef, eq)
        res = {"metric": "cosine", "lines": len(lines), "mean_cosine": float(c.mean()), "min_cosine": float(c.min())}
    else:
        ids = tokenize_text(model.tokenizer, shakespeare_text("eval"), n_tokens)
        nw = -(-(len(ids) - 1) // window)
        pf = perplexity(fp32, ids, window, progress=step("FP32 perplexity", nw))
        pq = perplexity(q, ids, window, progress=step("integer perplexity", nw))
        res = {"metric": "perplexity", "tokens": pq["tokens"], "window": window, "fp32_perplexity": pf["perplexity"],
               "int_perplexity": pq["perplexity"],
               "relative_increase": pq["perplexity"] / pf["perplexity"] - 1}
    res.update({"model": name, "config": q.meta.get("config"), "method": q.meta.get("method"),
                "eval_seconds": round(time.time() - t0, 1)})
    return res
