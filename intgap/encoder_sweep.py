"""The encoder workload (all-MiniLM-L6-v2, a BERT folder): one forward pass of a sentence per target and config,
end to end and per layer; accuracy as `intgap eval` measures it (docs/modules.md)."""
from __future__ import annotations

from intgap.cache import RUN_CODE, Cache
from intgap.result_rows import weight_macs
from intgap.sequence_models import sweep_graph
from intgap.sequence_sweep import cached_sequence_run, execute_run
from intgap.workload import PER_LAYER_COPIES, Quality, Quantized, Workload
from quant import load_graph
from quant.recipes import evaluate, load_model

SENTENCE = "But soft, what light through yonder window breaks?"
EVAL_LINES = 64
ENCODER_CODE = RUN_CODE + ("intgap/encoder_sweep.py", "intgap/sequence_sweep.py", "intgap/pipeline.py",
                           "intgap/npu_report.py")


class Encoder(Workload):
    """An encoder (all-MiniLM-L6-v2, a BERT folder): the forward program of one sentence, measured once, per layer;
    mean cosine of sentence embeddings against FP32 (quant/recipes.py evaluate)."""
    kind, mode, run_code = "encoder", "forward", ENCODER_CODE
    execute, cached = staticmethod(execute_run), staticmethod(cached_sequence_run)
    unit, unit_text = "forward pass", "one forward pass of the sentence (run harness excluded)"
    quality = Quality("mean_cosine", "cosine", "mean cosine of sentence embeddings vs FP32", ".4f")
    by_role = True
    caches_text = ("One forward pass from reset: the caches start cold, so the first fetch of each code and weight "
                   "line pays its memory's latency (later tokens of the sentence reuse what fits the caches).")
    per_layer_text = PER_LAYER_COPIES + " Encoder blocks are summed by role (layer.*.<op>)."

    accuracy_text = ("Mean and lowest cosine similarity of mean-pooled sentence embeddings against the FP32 model on "
                     "held-out Shakespeare lines, computed with the reference interpreter, whose output rows every "
                     "target reproduced bit for bit (checked per run).")
    accuracy_columns = (("config", "config", ""), ("method", "method", ""), ("mean cosine", "mean_cosine", ".4f"),
                        ("lowest cosine", "min_cosine", ".4f"), ("lines", "lines", ""))

    def __init__(self, spec: str, eval_lines: int = EVAL_LINES, text: str = SENTENCE):
        self.spec, self.eval_lines = spec, eval_lines
        m = load_model(spec)
        self.name = m.name
        self.ids = [int(t) for t in m.tokenizer(text)["input_ids"]]

    def quantize(self, config, cache: Cache) -> Quantized:
        def measure(m, g, fg) -> dict:
            acc = evaluate(g, n_lines=self.eval_lines, model=m, fp32=fg)
            keep = ("metric", "lines", "mean_cosine", "min_cosine")
            return {"accuracy": {**{k: acc[k] for k in keep}, "method": g.meta.get("method", "fp32")}}

        return sweep_graph(self.spec, config, cache, ("encoder", self.eval_lines), measure)

    def inputs(self, q: Quantized) -> list[int]:
        return self.ids

    def model_doc(self, quantized: list) -> dict:
        macs = weight_macs(load_graph(quantized[0].graph_path))
        return {"name": self.name, "description": f"{self.name}: encoder, {macs:,} weight MACs per token; one forward "
                f"pass of a {len(self.ids)}-token sentence", "kind": self.kind, "unit": self.unit,
                "sequence_tokens": len(self.ids)}
