"""The classifier workload (the digits MLP, a .pt state dict): one inference of a test sample per target and config,
end to end and per layer, and the sweep's config grammar (docs/modules.md)."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from intgap.cache import Cache, code_fingerprint, digest
from intgap.errors import DriverError
from intgap.sequence_sweep import SEQUENCE_CODE, cached_sequence_run, execute_run
from intgap.workload import PER_LAYER_COPIES, Quality, Quantized, SweepResult, Workload, quantized_graph
from quant import load_graph, reference
from quant.accuracy import classifier_accuracy
from quant.config import FP32, ConfigError, QuantSpec, parse


def parse_config(spec: str) -> QuantSpec:
    """One config of quant/config.py's grammar as a sweep takes it (mixed:<bits>: decoders, Theorem 8's allocation;
    not a per-layer .json file)."""
    try:
        q = parse(spec)
    except ConfigError as e:
        raise DriverError(str(e)) from None
    if q.layer_file is not None:
        raise DriverError(f"config {spec!r}: a per-layer .json file is for `intgap quantize` / `compile` / "
                          "`generate`; bench sweeps fp32, w8a8, w4a8, w4a8-g<N> / w8a8-g<N> and mixed:<bits>")
    return q


def parse_configs(text: str) -> list[QuantSpec]:
    cfgs = [parse_config(s) for s in text.split(",") if s.strip()]
    if not cfgs:
        raise DriverError("--configs is empty: pass e.g. fp32,w8a8,w4a8")
    if FP32 not in [c.name for c in cfgs]:
        cfgs.insert(0, parse(FP32))  # the gap is measured against the FP32 baseline on the same target
    return cfgs


# ------------------------------------------------------------------ quantization (in the parent, cached)
def model_digest(model) -> str:
    sd = model.module.state_dict()
    return digest(model.name, *[x for k in sorted(sd) for x in (k, sd[k].detach().numpy())],
                  model.calibration, model.test_x, model.test_y if model.test_y is not None else "none")


# ------------------------------------------------------------------ the sweep
class Classifier(Workload):
    """An MLP classifier: the forward program of one test sample, measured once, per layer (per_layer=False: the
    whole-model rows only); accuracy against its PyTorch module on the test set (quant/accuracy.py)."""
    kind, mode, run_code = "classifier", "forward", SEQUENCE_CODE
    execute, cached = staticmethod(execute_run), staticmethod(cached_sequence_run)
    unit, unit_text = "inference", "one inference (batch 1, run harness excluded)"
    quality = Quality("accuracy", "accuracy", "test accuracy (%)", ".2%")
    by_role = False
    caches_text = ("One inference from reset: the caches start cold, so the first fetch of each code and weight line "
                   "pays its memory's latency (a warm, repeated inference would pay less where they fit the caches).")
    per_layer_text = PER_LAYER_COPIES
    accuracy_text = ("Integer results are the reference interpreter's, which every target reproduces bit for bit "
                     "(checked per run on the benchmark sample).")
    accuracy_columns = (("config", "config", ""), ("test accuracy", "accuracy", ".2%"),
                        ("top-1 agreement with FP32", "argmax_agreement_with_fp32", ".2%"),
                        ("max |output - FP32|", "output_max_abs_error_vs_fp32", ".4f"), ("samples", "samples", ""))

    def __init__(self, model, per_layer: bool = True):
        self.model, self.per_layer, self.name = model, per_layer, model.name

    def quantize(self, cfg: QuantSpec, cache: Cache) -> Quantized:
        if cfg.name.startswith("mixed:"):
            raise DriverError(f"config {cfg.name}: mixed precision is for transformer models (intgap bench --model "
                              "shakespeare-decoder); for an MLP use w8a8 or w4a8")
        model = self.model

        def make():
            g = model.graph(cfg)
            return g, {"accuracy": classifier_accuracy(g, model.module, model.test_x, model.test_y)}

        return quantized_graph(cache, cfg, digest("quantize", model_digest(model), asdict(cfg),
                                                  code_fingerprint(("quant",))), make)

    def inputs(self, q: Quantized):
        """The first test sample (as the graph's input: quantized for an integer graph)."""
        x = self.model.test_x[:1].astype(np.float32)
        g = load_graph(q.graph_path)
        return reference.quantize_input(g, x) if g.is_integer else x

    def model_doc(self, quantized: list) -> dict:
        return {"name": self.model.name, "description": self.model.description, "kind": self.kind,
                "unit": self.unit}

    def json_extra(self, result: SweepResult) -> dict:
        """The int8-vs-FP32 keys `intgap bench --json` has always written for an MLP (kept for its readers)."""
        acc = {c["config"]: c for c in result.configs}
        doc: dict = {"description": result.model["description"], "targets": []}
        if "fp32" not in acc or "w8a8" not in acc:
            return doc
        a8, af = acc["w8a8"], acc["fp32"]
        doc["accuracy"] = {"samples": a8["samples"], "argmax_agreement": a8["argmax_agreement_with_fp32"],
                           "output_max_abs_error": a8["output_max_abs_error_vs_fp32"]}
        if a8.get("accuracy") is not None:
            doc["accuracy"].update(fp32_accuracy=af["accuracy"], int8_accuracy=a8["accuracy"])
        whole = {(r["target"], r["config"]): r for r in result.runs if r["layer"] is None}
        for t in dict.fromkeys(r["target"] for r in result.runs):
            r8, rf = whole[(t, "w8a8")], whole[(t, "fp32")]
            doc["macs_per_inference"] = r8["macs"]
            doc["targets"].append({
                "target": t, "backend": r8["backend"], "compiler": r8["compiler"],
                "int8_instructions": r8["instructions"], "fp32_instructions": rf["instructions"],
                "realized_speedup": rf["instructions"] / r8["instructions"],
                "int8_weight_bytes": r8["weight_bytes"] + r8["param_bytes"],
                "fp32_weight_bytes": rf["weight_bytes"] + rf["param_bytes"],
                "int8_arena_bytes": r8["arena_bytes"], "fp32_arena_bytes": rf["arena_bytes"],
                "bit_exact": r8["bit_exact"], "fp32_max_abs_error": rf["max_abs_error_vs_reference"],
                "int8_program_instructions": r8["program_instructions"],
                "fp32_program_instructions": rf["program_instructions"]})
        return doc
