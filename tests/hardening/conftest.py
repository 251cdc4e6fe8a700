"""Shared fixtures of the hardening tests: a small valid integer graph, its .igraph bytes, and a cache of
small test ELFs (built once per session from tests/isa/programs)."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from intgap.console_format import PHASE_LINE
from intgap.models import mlp
from quant import capture, quantize_ptq, save_graph

PROGRAMS = Path(__file__).resolve().parent.parent / "isa" / "programs"


def small_int_graph():
    torch.manual_seed(0)
    fg = capture(mlp((13, 7, 5)), 13)
    return quantize_ptq(fg, np.random.default_rng(0).standard_normal((64, 13)).astype(np.float32))


@pytest.fixture(scope="session")
def graph_bytes(tmp_path_factory) -> bytes:
    p = tmp_path_factory.mktemp("graph") / "m.igraph"
    save_graph(small_int_graph(), p)
    return p.read_bytes()


def unpack(raw: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """graph.json as a dict and tensors.npz as arrays."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        doc = json.loads(z.read("graph.json"))
        with np.load(io.BytesIO(z.read("tensors.npz")), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    return doc, arrays


def pack(doc, arrays: dict[str, np.ndarray]) -> bytes:
    """An .igraph as a hand-editor would write it (graph.json need not be a dict)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("graph.json", json.dumps(doc))
        z.writestr("tensors.npz", buf.getvalue())
    return out.getvalue()


class ElfCache:
    def __init__(self, out_dir: Path):
        self.out_dir, self.cache = out_dir, {}

    def __call__(self, program: str, target: str) -> Path:
        import toolchain
        from isa.targets import get_target
        from toolchain.errors import CompilerNotFound
        key = (program, target)
        if key not in self.cache:
            elf = self.out_dir / f"{Path(program).stem}-{target}.elf"
            try:
                toolchain.build_elf([PROGRAMS / program], get_target(target), elf)
            except CompilerNotFound as e:
                pytest.skip(str(e))
            self.cache[key] = elf
        return self.cache[key]


@pytest.fixture(scope="session")
def elfs(tmp_path_factory) -> ElfCache:
    return ElfCache(tmp_path_factory.mktemp("hardening-elfs"))


def one_line_error(capsys) -> str:
    """The CLI's stderr: exactly one line starting with `intgap: error:` (no traceback) besides the progress lines
    a run prints when stderr is not a terminal (intgap.console_format.PHASE_LINE)."""
    err = capsys.readouterr().err
    lines = [l for l in err.splitlines() if l.strip() and not PHASE_LINE.match(l)]
    assert len(lines) == 1 and lines[0].startswith("intgap: error: "), err
    assert "Traceback" not in err
    return lines[0]
