"""The models intgap knows by name, each declared once: kind, loader, calibration, description.

Transformers are declared here (their loaders are in quant/hf_models.py); the driver registers the classifiers it
trains (intgap/models.py) with `register`. A model that is not a name is a path: a Hugging Face folder (an encoder
or a decoder by its config.json), a plain module (`.pt2` program, `FILE.py:FUNCTION`), or a `.igraph` written by
`intgap quantize`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from quant import hf_models
from quant.errors import QuantError
from quant.hf_capture import ARCHITECTURES

KINDS = ("classifier", "encoder", "decoder")
FOLDER_CALIBRATION = (16, 128)       # a Hugging Face folder: (sequences, tokens per sequence)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str                         # classifier | encoder | decoder
    description: str
    load: Callable[[], object]        # transformers: a quant.hf_models.HFModel; classifiers: the driver's model
    # (sequences, tokens per sequence) the model's recipe calibrates on, as benchmarks/quant_accuracy.py measured
    # them; a classifier's calibration set is its loader's (None here)
    calibration: tuple[int, int] | None = None
    aliases: tuple[str, ...] = ()


MODELS: dict[str, ModelEntry] = {}


def register(entry: ModelEntry) -> ModelEntry:
    if entry.kind not in KINDS:
        raise QuantError(f"model {entry.name}: kind {entry.kind!r} is not one of {', '.join(KINDS)}")
    for n in (entry.name, *entry.aliases):
        MODELS[n] = entry
    return entry


def names() -> list[str]:
    """Every registered name (aliases left out)."""
    return list(dict.fromkeys(e.name for e in MODELS.values()))


register(ModelEntry("shakespeare-decoder", "decoder", "the bundled 0.92 M-parameter Llama trained on Shakespeare "
                    "(models/shakespeare-decoder)", hf_models.load_shakespeare_decoder, (32, 128)))
register(ModelEntry("smollm2", "decoder", "SmolLM2-135M-Instruct (Llama, from GGUF)", hf_models.load_smollm2,
                    (16, 256)))
register(ModelEntry("minilm", "encoder", "all-MiniLM-L6-v2 sentence encoder (BERT)", hf_models.load_minilm, (256, 64)))


def folder_kind(path: Path) -> str | None:
    """encoder / decoder for a Hugging Face folder by its config.json, None when it is not one we take."""
    cfg = _config(path)
    if cfg is None:
        return None
    arch = ARCHITECTURES.get(cfg.get("model_type"))
    if arch is None and any(str(a).endswith("ForCausalLM") for a in cfg.get("architectures") or []):
        return "decoder"  # another causal LM: the export capture reads it or names what it cannot lower
    return arch.kind if arch else None


def kind_of(spec: str) -> str | None:
    """The kind of a model spec without loading it: a registered name, a Hugging Face folder, a GGUF file (a
    causal LM, as transformers loads them), a .pt file (classifier); None for anything else (an .igraph says its
    kind itself)."""
    if spec in MODELS:
        return MODELS[spec].kind
    p = Path(spec)
    if is_gguf(p):
        return "decoder"
    if p.is_dir() and (p / "config.json").is_file():
        kind = folder_kind(p)
        if kind is None and _config(p) is not None:  # an unreadable config.json is the loader's error to name
            raise unsupported_folder(p)
        return kind
    if p.suffix in (".pt", ".pth"):
        return "classifier"
    return None


def is_gguf(p: Path) -> bool:
    return p.suffix == ".gguf" and p.is_file()


def is_transformer(spec: str) -> bool:
    return kind_of(spec) in ("encoder", "decoder")


def calibration_of(name: str) -> tuple[int, int]:
    """(sequences, tokens per sequence) of a transformer's recipe: its entry's, else the Hugging Face folder one,
    its sequences no longer than the folder's model attends over (a sliding window, its position table): the
    captured graph's length is the calibration's, and a longer one would be refused."""
    e = MODELS.get(name)
    if e is not None and e.calibration:
        return e.calibration
    sequences, tokens = FOLDER_CALIBRATION
    cfg = _config(Path(name)) or {}
    limits = [cfg.get(k) for k in ("sliding_window", "max_position_embeddings", "n_positions")]
    return sequences, min([tokens] + [v for v in limits if isinstance(v, int) and v > 0])


def listing(graph_files: bool = True) -> str:
    """One line naming every model spelling the commands take (for errors and --help)."""
    named = ", ".join(f"{e.name} ({e.kind})" for e in (MODELS[n] for n in names()))
    folders = ", ".join(f"{a.model_type} {a.kind}" for a in ARCHITECTURES.values())
    return (f"{named}, a Hugging Face folder ({folders}) or GGUF file, a plain module (.pt2, FILE.py:FUNCTION)"
            + (", or an .igraph written by `intgap quantize`" if graph_files else ""))


def _config(path: Path) -> dict | None:
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return cfg if isinstance(cfg, dict) else None


def unsupported_folder(path: Path) -> QuantError:
    """A Hugging Face folder of an architecture no capture takes: one short line (not transformers' list of every
    config class it knows)."""
    cfg = _config(path) or {}
    what = f"model_type {cfg.get('model_type')!r} ({', '.join(cfg.get('architectures') or []) or 'no class'})"
    return QuantError(f"{path} holds {what}: intgap captures {', '.join(ARCHITECTURES)} models "
                      "(README 'Architectures')")


def unknown_model(spec: str) -> QuantError:
    return QuantError(f"unknown model {spec!r}: use {listing()}")

