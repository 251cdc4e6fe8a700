"""Transformer models the driver runs on targets, quantized once by their recipe and kept in the content-addressed
cache (docs/modules.md)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from intgap.cache import Cache, code_fingerprint, digest
from intgap.errors import DriverError
from intgap.workload import Quantized, quantized_graph
from quant import load_graph, save_graph
from quant.errors import QuantError
from quant.hf_capture import capture_hf
from quant.ir import Graph
from quant.recipes import load_model, quantize_model, recipe_for


@dataclass
class SequenceModel:
    name: str
    graph: Graph
    tokenizer: object | None
    config: str
    method: str


def _model_identity(spec: str) -> str:
    p = Path(spec)
    if p.is_dir():  # a folder: its files' names, sizes and times
        return digest(str(p.resolve()), sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                                               for f in p.iterdir() if f.is_file()))
    if p.is_file():  # a GGUF file: its size and time
        return digest(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns)
    return spec


def quantized_model(spec: str, config: str = "w8a8", method: str | None = None,
                    progress: Callable[[str, int, int], None] | None = None, cache: Cache | None = None
                    ) -> SequenceModel:
    if spec.endswith(".igraph"):
        if not Path(spec).exists():
            raise DriverError(f"graph file {spec} does not exist: create it with `intgap quantize`")
        g = load_graph(spec)
        name = g.meta.get("model", Path(spec).stem)
        try:
            tok = load_model(name).tokenizer
        except QuantError:  # a graph of an unknown model: no text
            tok = None
        return SequenceModel(Path(name).name, g, tok, g.meta.get("config", "?"), g.meta.get("method", "?"))
    recipe = recipe_for(spec, config, method)  # a bad config or method fails before the model loads
    m = load_model(spec)
    cache = cache or Cache()
    key = digest("quantized", _model_identity(spec), recipe.config, recipe.method, recipe.calib, recipe.seq_len,
                 code_fingerprint(("quant",)))
    hit = cache.get("quantized", key)
    if hit is not None:
        g = load_graph(hit / "model.igraph")
    else:
        g = quantize_model(m, recipe.config, progress=progress, recipe=recipe)
        g.meta["model"] = spec
        tmp = cache.begin("quantized", key)
        save_graph(g, tmp / "model.igraph")
        cache.commit("quantized", key, tmp, {"model": spec, "config": recipe.config, "method": recipe.method})
    return SequenceModel(m.name, g, m.tokenizer, recipe.config, recipe.method)


def sweep_graph(spec: str, config, cache: Cache, key_parts: tuple, measure: Callable) -> Quantized:
    """A sweep's graph of a transformer for `config` (a quant.config.QuantSpec; FP32: the capture, else quantized
    by the model's recipe) in the cache. `measure(model, graph, fp32_graph)` gives what the entry keeps beside the
    graph (its accuracy...); `key_parts`: what else that depends on."""
    recipe = recipe_for(spec, config.name)

    def make():
        m = load_model(spec)
        fg = capture_hf(m.model, recipe.seq_len, name=m.name)
        g = fg if config.is_float else quantize_model(m, recipe.config, recipe=recipe)
        g.name = m.name
        return g, measure(m, g, fg)

    key = digest("seq-quantize", _model_identity(spec), asdict(recipe), *key_parts, code_fingerprint(("quant",)))
    return quantized_graph(cache, config, key, make)
