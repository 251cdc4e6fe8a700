"""Classifiers the driver knows by name (`mlp`, the digits MLP) and a user's plain module: a torch.export program
(.pt2), a Python factory (FILE.py:FUNCTION), or the state dict of one Linear layer (a state dict of more does not
say its activations: refused) (docs/modules.md)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from intgap.errors import DriverError
from isa.paths import cache_dir
from quant import capture, quantize_ptq
from quant.capture import ExportedModule, eval_mode
from quant.model_registry import MODELS, ModelEntry, listing, register

DIGITS_LAYERS = (64, 64, 32, 10)
DIGITS_SEED = 0


@dataclass
class LoadedModel:
    name: str
    module: nn.Module
    in_features: int
    calibration: np.ndarray  # float32 [N, in_features]
    test_x: np.ndarray  # float32 [M, in_features]
    test_y: np.ndarray | None  # class labels, when the model is a classifier with a test set
    description: str

    def graph(self, cfg):
        """The one graph `bench` and `compile` build at config `cfg` (a quant.config.QuantSpec): captured and, for
        an integer config, quantized with PTQ on the calibration set."""
        fg = capture(self.module, self.in_features, name=self.name)
        return fg if cfg.is_float else quantize_ptq(fg, self.calibration, int(cfg.weight_bits), cfg.group_size)


def mlp(layers: tuple[int, ...]) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
        mods.append(nn.Linear(a, b))
        if i < len(layers) - 2:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def _digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # scikit-learn takes seconds to import: only the classifier's data needs it
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)  # pixel intensities 0..16 -> 0..1
    return train_test_split(x, d.target, test_size=0.2, random_state=DIGITS_SEED, stratify=d.target)


def train_digits_mlp(epochs: int = 300) -> nn.Sequential:
    x_tr, _, y_tr, _ = _digits_split()
    torch.manual_seed(DIGITS_SEED)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same weights on every machine run
    try:
        model = mlp(DIGITS_LAYERS)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
        xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr).long()
        for _ in range(epochs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt), yt)
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def digits_model_path() -> Path:
    return cache_dir() / "models" / "mlp-digits.npz"


def load_digits_mlp() -> LoadedModel:
    path = digits_model_path()
    model = mlp(DIGITS_LAYERS)
    if path.exists():
        with np.load(path, allow_pickle=False) as npz:
            model.load_state_dict({k: torch.from_numpy(npz[k]) for k in npz.files})
    else:
        model = train_digits_mlp()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
        os.replace(tmp, path)
        (path.with_suffix(".json")).write_text(json.dumps(
            {"layers": DIGITS_LAYERS, "seed": DIGITS_SEED, "data": "sklearn.datasets.load_digits"}))
    x_tr, x_te, _, y_te = _digits_split()
    return LoadedModel("mlp", model.eval(), DIGITS_LAYERS[0], x_tr[:256], x_te, y_te,
                       "MLP 64-64-32-10 on scikit-learn digits (8x8 handwritten digits)")


def load_state_dict_mlp(path: Path) -> LoadedModel:
    if path.is_dir():  # not a state dict at all: most likely a Hugging Face folder missing its config.json
        raise DriverError(f"{path} is a directory without config.json: a Hugging Face model folder needs "
                          "config.json, weights (safetensors) and tokenizer files")
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DriverError(f"model file {path} does not exist: pass a model name (mlp) or a .pt state dict") from None
    except Exception as e:  # torch raises many types for a corrupt or unsafe file
        raise DriverError(f"{path} is not a loadable PyTorch state dict ({type(e).__name__}): "
                          "save it with torch.save(model.state_dict(), path)") from None
    if not isinstance(sd, dict):
        raise DriverError(f"{path} holds a {type(sd).__name__}, not a state dict: save model.state_dict()")
    idx = sorted({int(k.split(".")[0]) for k in sd if k.endswith(".weight") and k.split(".")[0].isdigit()})
    if not idx:
        raise DriverError(f"{path} is not the state dict of an nn.Sequential of Linear layers (keys like '0.weight')")
    for k, v in sd.items():
        if not isinstance(v, torch.Tensor):
            raise DriverError(f"{path}: entry {k!r} is a {type(v).__name__}, not a tensor: save model.state_dict()")
    for j, i in enumerate(idx):
        w, b = sd[f"{i}.weight"], sd.get(f"{i}.bias")
        if w.dim() != 2 or (b is not None and tuple(b.shape) != (w.shape[0],)):
            raise DriverError(f"{path}: layer {i} has weight {tuple(w.shape)} and bias "
                              f"{None if b is None else tuple(b.shape)}, not a Linear layer's [out, in] and [out]:"
                              " save the state dict of an nn.Sequential of Linear/ReLU layers")
        if j and w.shape[1] != sd[f"{idx[j - 1]}.weight"].shape[0]:
            raise DriverError(f"{path}: layer shapes do not chain (layer {idx[j - 1]} gives "
                              f"{sd[f'{idx[j - 1]}.weight'].shape[0]} features, layer {i} takes {w.shape[1]}):"
                              " save the state dict of the whole nn.Sequential")
    if len(idx) > 1:  # never benchmarked as a ReLU MLP the file does not describe
        raise DriverError(f"{path} is a state dict of {len(idx)} Linear layers: it does not say which activations "
                          "run between them; save the module with torch.export (torch.export.save(torch.export."
                          "export(model, (x,)), 'model.pt2')) or pass a factory FILE.py:FUNCTION")
    w, b = sd[f"{idx[0]}.weight"], sd.get(f"{idx[0]}.bias")
    model = nn.Linear(int(w.shape[1]), int(w.shape[0]), bias=b is not None)
    model.load_state_dict({"weight": w, **({"bias": b} if b is not None else {})})
    return _user_model(path.stem, model, int(w.shape[1]), f"Linear {w.shape[1]}-{w.shape[0]} from {path.name}")


def _user_model(name: str, module: nn.Module, in_features: int, what: str) -> LoadedModel:
    """A user's module, calibrated and tested on N(0, 1) inputs (no data set comes with it)."""
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((256, in_features)).astype(np.float32)
    test = rng.standard_normal((64, in_features)).astype(np.float32)
    return LoadedModel(name, eval_mode(module), in_features, calib, test, None,
                       f"{what} (calibrated on N(0,1) inputs)")


def load_exported(path: Path) -> LoadedModel:
    """A module saved with torch.export.save: its graph says every op, so quant/capture.py lowers it or refuses
    the op by name."""
    try:
        ep = torch.export.load(str(path))
    except FileNotFoundError:
        raise DriverError(f"model file {path} does not exist") from None
    except Exception as e:  # a corrupt archive raises many types
        raise DriverError(f"{path} is not a torch.export program ({type(e).__name__}): save it with "
                          "torch.export.save(torch.export.export(model, (x,)), path)") from None
    module = ExportedModule(ep)
    if len(module.shapes) != 1 or len(module.shapes[0]) != 2:
        raise DriverError(f"{path}: the program takes inputs of shapes {[list(x) for x in module.shapes]}; intgap "
                          "runs modules of one [batch, features] input")
    return _user_model(path.stem, module, int(module.shapes[0][1]), f"exported module from {path.name}")


def load_factory(spec: str) -> LoadedModel:
    """FILE.py:FUNCTION: FUNCTION() returns an nn.Module (its input width is its first Linear's in_features) or
    (module, example input [batch, features])."""
    import importlib.util

    file, _, fn = spec.rpartition(":")
    p = Path(file)
    if not p.is_file():
        raise DriverError(f"factory file {file} does not exist: pass FILE.py:FUNCTION")
    mod_spec = importlib.util.spec_from_file_location(f"intgap_user_{p.stem}", p)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    factory = getattr(mod, fn, None)
    if not callable(factory):
        raise DriverError(f"{file} has no function {fn!r}: pass FILE.py:FUNCTION")
    made = factory()
    module, example = made if isinstance(made, tuple) else (made, None)
    if not isinstance(module, nn.Module):
        raise DriverError(f"{spec} returned a {type(module).__name__}, not an nn.Module")
    if example is not None:
        width = int(example.shape[-1])
    else:
        first = next((m for m in module.modules() if isinstance(m, nn.Linear)), None)
        if first is None:
            raise DriverError(f"{spec}: no Linear layer gives the input width; return (module, example input)")
        width = first.in_features
    return _user_model(fn, module, width, f"module {fn}() from {p.name}")


register(ModelEntry("mlp", "classifier", "MLP 64-64-32-10 on scikit-learn digits", load_digits_mlp,
                    aliases=("mlp-digits",)))


def load_model(spec: str) -> LoadedModel:
    """A classifier: a registered name (quant/model_registry.py), a .pt2 program, FILE.py:FUNCTION, or a .pt state
    dict of one Linear layer."""
    e = MODELS.get(spec)
    if e is not None and e.kind == "classifier":
        return e.load()
    if e is not None:
        raise DriverError(f"{spec} is a{'n' if e.kind == 'encoder' else ''} {e.kind}: this path takes classifiers "
                          "(MLPs); `intgap bench`, `compile` and `quantize` take it")
    p = Path(spec)
    if p.suffix == ".pt2":
        return load_exported(p)
    if ".py:" in spec:
        return load_factory(spec)
    if p.suffix in (".pt", ".pth") or p.exists():
        return load_state_dict_mlp(p)
    raise DriverError(f"unknown model {spec!r}: use {listing(graph_files=False)}")


if __name__ == "__main__":  # `python -m intgap.models`: train and cache the default model (run by `make setup`)
    m = load_digits_mlp()
    print(f"default model ready: {m.description}, cached at {digits_model_path()}")
