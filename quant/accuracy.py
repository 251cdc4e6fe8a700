"""Accuracy of integer graphs, measured with the integer result itself (quant/jit.run: the JIT engine by default, or the
numpy reference interpreter; both give the same bytes):
MiniLM sentence-embedding cosine similarity against the FP32 model, decoder perplexity on text, classifiers against
their PyTorch module. Every command's comparison with FP32 is one of the *_against_fp32 / classifier_accuracy here."""
from __future__ import annotations

import hashlib
import os
import json
import weakref
from pathlib import Path
from typing import Callable

import numpy as np

from quant import jit, reference
from quant.hf_capture import sequence_inputs
from quant.ir import Graph


Forward = Callable[[np.ndarray], np.ndarray]  # token ids -> the real-valued output (logits, hidden states)


def graph_forward(g: Graph) -> Forward:
    """The graph's forward pass on token ids; an integer graph's output is dequantized."""
    def forward(ids: np.ndarray) -> np.ndarray:
        y = jit.run(g, sequence_inputs(ids))[g.outputs[0]]
        return reference.dequantize_output(g, y) if y.dtype.kind != "f" else y
    return forward


def embed_sentences(g: Graph | Forward, tokenizer, lines: list[str], max_len: int = 128,
                    progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Mean-pooled sentence embeddings from a graph (or forward pass) whose output is the last hidden state."""
    forward = graph_forward(g) if isinstance(g, Graph) else g
    out = []
    for i, s in enumerate(lines):
        ids = tokenizer(s, truncation=True, max_length=max_len)["input_ids"]
        out.append(forward(np.asarray(ids)).astype(np.float64).mean(axis=0))
        if progress:
            progress(i + 1)
    return np.stack(out)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)


def tokenize_text(tokenizer, text: str, n_tokens: int) -> np.ndarray:
    ids = tokenizer(text[: n_tokens * 12])["input_ids"]
    if len(ids) < n_tokens:
        ids = tokenizer(text)["input_ids"]
    return np.asarray(ids[:n_tokens], np.int64)


def window_log_probs(g: Graph | Forward, ids: np.ndarray, window: int = 256):
    """(chunk, log-probabilities of the next token [len(chunk) - 1, vocab]) per consecutive non-overlapping window
    of a graph or forward pass (each window starts a fresh context)."""
    forward = graph_forward(g) if isinstance(g, Graph) else g
    for start in range(0, len(ids) - 1, window):
        chunk = ids[start:start + window + 1]
        if len(chunk) < 2:
            break
        z = forward(chunk[:-1]).astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        yield chunk, z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def perplexity(g: Graph | Forward, ids: np.ndarray, window: int = 256,
               progress: Callable[[int], None] | None = None, reference: list[np.ndarray] | None = None) -> dict:
    """Perplexity over consecutive non-overlapping windows (each window starts a fresh context) of a graph or a
    forward pass. With reference (window_log_probs of a reference model, float32 is enough): the mean KL divergence
    KL(reference || g) of the next-token distributions, nats per token, and the perplexity."""
    nll, kl, count = 0.0, 0.0, 0
    refs = iter(reference or ())
    for w, (chunk, logp) in enumerate(window_log_probs(g, ids, window)):
        nll -= logp[np.arange(len(chunk) - 1), chunk[1:]].sum()
        if reference is not None:
            ref = next(refs)
            kl += float((np.exp(ref.astype(np.float64)) * (ref - logp)).sum())
        count += len(chunk) - 1
        if progress:
            progress(w + 1)
    if reference is not None:
        return {"kl_divergence": kl / count, "perplexity": float(np.exp(nll / count))}
    return {"perplexity": float(np.exp(nll / count)), "tokens": count, "window": window}


def classifier_accuracy(g: Graph, module, x: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """A classifier graph against its PyTorch module on samples x: argmax agreement, largest output error and,
    with labels, top-1 accuracy."""
    import torch
    with torch.no_grad():
        y_fp = module(torch.from_numpy(x)).numpy()
    if g.is_integer:  # quantize the inputs, dequantize the outputs
        y = jit.run(g, {g.inputs[0]: reference.quantize_input(g, x)})[g.outputs[0]]
        y = reference.dequantize_output(g, y)
    else:
        y = reference.run(g, {g.inputs[0]: x})[g.outputs[0]]
    acc = {"samples": int(len(x)), "argmax_agreement_with_fp32": float((y.argmax(1) == y_fp.argmax(1)).mean()),
           "output_max_abs_error_vs_fp32": float(np.abs(y - y_fp).max())}
    if labels is not None:
        acc["accuracy"] = float((y.argmax(1) == labels).mean())
    return acc


_FP32: dict = {}  # (id of an FP32 capture, held-out data) -> (a weak reference to it, its figures)


def fp32_once(fp32: Graph, data: tuple, make: Callable[[], object]):
    """The FP32 side of a comparison (make()), computed once per capture and held-out data (every config and method
    compares against the same); a weak reference tells a reused id() from the same capture. data: the lines, or
    (tokens, window, sum of the token ids) for a perplexity. Kept on disk too (_fp32_disk): the next `intgap eval`
    of the same model skips the float forward passes."""
    hit = _FP32.get((id(fp32), data))
    if hit is None or hit[0]() is not fp32:
        hit = _FP32[(id(fp32), data)] = (weakref.ref(fp32), _fp32_disk(fp32, data, make))
    return hit[1]


def _fp32_disk(fp32: Graph, data: tuple, make: Callable[[], object]):
    """make(), cached in INTGAP_CACHE/fp32 by the graph (nodes, attributes, constants), the data and the source of
    quant/ (outside its engines, which never run float graphs); INTGAP_FP32_CACHE=off turns it off."""
    if os.environ.get("INTGAP_FP32_CACHE") == "off":
        return make()
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(repr((data, [(n.op, n.inputs, n.outputs, n.attrs) for n in fp32.nodes])).encode())
    for name in sorted(fp32.constants):
        h.update(name.encode() + np.ascontiguousarray(fp32.constants[name]).tobytes())
    for src in sorted((root / "quant").rglob("*.py")):
        if "jit" not in src.relative_to(root).parts:
            h.update(src.read_bytes())
    path = Path(os.environ.get("INTGAP_CACHE", root / ".cache")) / "fp32" / h.hexdigest()
    try:  # data files only (a figures dict as JSON, embeddings as .npy): nothing in the cache runs code
        if path.with_suffix(".json").is_file():
            return json.loads(path.with_suffix(".json").read_text())
        if path.with_suffix(".npy").is_file():
            return np.load(path.with_suffix(".npy"), allow_pickle=False)
    except (OSError, ValueError):
        pass
    value = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = ".npy" if isinstance(value, np.ndarray) else ".json" if isinstance(value, dict) else None
        tmp = path.with_name(f".{path.name}.{os.getpid()}{kind}")  # written whole, then renamed (atomic)
        if kind == ".npy":
            np.save(tmp, value, allow_pickle=False)
        elif kind == ".json":
            tmp.write_text(json.dumps(value))
        if kind:
            os.replace(tmp, path.with_suffix(kind))
    except (OSError, TypeError):  # a read-only cache, or figures JSON cannot hold: computed again next time
        pass
    return value


def _steps(progress: Callable[[str, int, int], None] | None, total: int):
    return lambda what: (lambda i: progress(what, i, total)) if progress else None


def perplexity_against_fp32(g: Graph, fp32: Graph, ids: np.ndarray, window: int,
                            progress: Callable[[str, int, int], None] | None = None) -> dict:
    """A decoder graph's perplexity on ids next to its FP32 capture's, and the relative increase."""
    step = _steps(progress, -(-(len(ids) - 1) // window))
    base = fp32_once(fp32, (len(ids), window, int(ids.sum())),
                 lambda: perplexity(fp32, ids, window, progress=step("FP32 perplexity")))
    ppl = base if g is fp32 else perplexity(g, ids, window, progress=step("integer perplexity"))
    return {"metric": "perplexity", "perplexity": ppl["perplexity"], "fp32_perplexity": base["perplexity"],
            "tokens": ppl["tokens"], "window": window, "relative_increase": ppl["perplexity"] / base["perplexity"] - 1}


def cosine_against_fp32(g: Graph | Forward, fp32: Graph, tokenizer, lines: list[str],
                        progress: Callable[[str, int, int], None] | None = None) -> np.ndarray:
    """Per line, the cosine of an encoder graph's (or forward pass's) sentence embedding to its FP32 capture's."""
    step = _steps(progress, len(lines))
    ef = fp32_once(fp32, tuple(lines),
                   lambda: embed_sentences(fp32, tokenizer, lines, progress=step("FP32 embeddings")))
    return cosine(ef, embed_sentences(g, tokenizer, lines, progress=step("integer embeddings")))
