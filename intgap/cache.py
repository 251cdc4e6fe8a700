"""A content-addressed cache of sweep artefacts under <cache>/sweep/<kind>/<key[:2]>/<key>/, written atomically
(docs/modules.md)."""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np

import isa
from codegen.program import Program
from intgap.pipeline import Built, build_program
from isa.paths import PROJECT_ROOT, cache_dir
from isa.qemu_backend import find_qemu
from toolchain import ToolchainError, find_compiler

CODE_FOLDERS = ("codegen", "runtime_c", "toolchain", "isa", "quant")
# what makes a run's result document beyond the build (the attribution rules, the run itself)
RUN_CODE = CODE_FOLDERS + ("intgap/attribution.py", "intgap/sweep.py", "intgap/cache.py", "intgap/result_rows.py")
VALID_MARK = "entry.json"


def digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(f"{p.dtype.str}{p.shape}".encode())
            h.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, bytes):
            h.update(p)
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=None)
def code_fingerprint(folders: tuple[str, ...] = CODE_FOLDERS) -> str:  # folders or files
    """A digest of the project's source files that make graphs, builds and runs: a change to any of them
    makes new keys (old entries stay until `make clean`). Taken once per process; a sweep's planner passes it
    to its workers so that all of them use the same keys."""
    h = hashlib.sha256()
    for folder in folders:
        root = PROJECT_ROOT / folder
        for p in ([root] if root.is_file() else sorted(root.rglob("*"))):
            if p.is_file() and p.suffix in (".py", ".c", ".h", ".S", ".ld", ".s") and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(PROJECT_ROOT)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def toolchain_id(target: str) -> str:
    """The compiler a build for `target` uses now (kind, path, version): part of every build key, so that a sweep
    under another compiler (clang 16 or 19, gcc 12 or 14) never takes the first one's cached builds."""
    return _toolchain_id(target, os.environ.get("PATH", ""))


@lru_cache(maxsize=None)
def _toolchain_id(target: str, path_env: str) -> str:
    try:
        cc = find_compiler(isa.get_target(target))
    except ToolchainError as e:  # the build itself then fails with this error
        return f"unavailable: {e}"
    return f"{cc.kind} {cc.path} {cc.version}"


def emulator_version(target: str, backend: str) -> str:
    """The emulator a run of `target` on `backend` uses now, as it names itself ("unicorn 2.1.4", "qemu-riscv64
    version 10.0.13 (...)"): recorded with every run and part of its cache key (another emulator version may count
    differently)."""
    return _emulator_version(target, backend, os.environ.get("PATH", ""))


@lru_cache(maxsize=None)
def _emulator_version(target: str, backend: str, path_env: str) -> str:
    if backend == "unicorn":
        return f"unicorn {importlib.metadata.version('unicorn')}"
    try:
        path = find_qemu(isa.get_target(target))
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (isa.IsaError, OSError, subprocess.TimeoutExpired) as e:  # the run itself then fails with this error
        return f"unavailable: {e}"
    return (out.strip().splitlines() or [path])[0]


def graph_digest(graph) -> str:
    """The content of an IntGraph: nodes, tensors, constants (not its file's bytes)."""
    return digest(graph.name, graph.inputs, graph.outputs, [n.to_json() for n in graph.nodes],
                  [graph.tensors[k].to_json() for k in sorted(graph.tensors)],
                  *[x for k in sorted(graph.constants) for x in (k, graph.constants[k])])


class Cache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "sweep"

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Path | None:
        """The entry's directory if a complete entry exists."""
        p = self.path(kind, key)
        return p if (p / VALID_MARK).is_file() else None

    def begin(self, kind: str, key: str) -> Path:
        """A fresh temporary directory to fill; pass it to commit()."""
        final = self.path(kind, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".tmp-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        return tmp

    def commit(self, kind: str, key: str, tmp: Path, meta: dict) -> Path:
        """Marks the temporary entry complete and renames it into place (atomic). If another worker won the race,
        its entry is kept and this one discarded: both hold the same content."""
        mark = tmp / (VALID_MARK + ".tmp")
        mark.write_text(json.dumps(meta, indent=1, default=str))
        os.replace(mark, tmp / VALID_MARK)
        final = self.path(kind, key)
        try:
            os.rename(tmp, final)
        except OSError:  # the final directory exists
            if (final / VALID_MARK).is_file():
                shutil.rmtree(tmp, ignore_errors=True)
            else:  # a broken left-over without its mark: replace it
                shutil.rmtree(final, ignore_errors=True)
                os.rename(tmp, final)
        return final

    def program(self, key: str, graph, target, **build) -> tuple[Built, bool]:
        """The program of `graph` on `target` (intgap/pipeline.py build_program with `build`) from the cache, or
        built now and committed; True when built now. The entry keeps the sources and the ELF (weights.bin is linked
        into the ELF)."""
        entry = self.get("builds", key)
        built_now = entry is None
        if built_now:
            tmp = self.begin("builds", key)
            b = build_program(graph, target, tmp, **build)
            (tmp / "weights.bin").unlink()
            entry = self.commit("builds", key, tmp, {"compiler": b.compiler, "compiler_version": b.compiler_version,
                                                     "program": b.program.describe()})
        meta = json.loads((entry / "entry.json").read_text())
        return Built(Program.described(meta["program"], entry), None, entry / "program.elf", meta["compiler"],
                     meta["compiler_version"]), built_now

    def result(self, key: str):
        """A run's result (its rows) from the cache, marked as neither built nor run; or None."""
        hit = self.get("runs", key)
        if hit is None:
            return None
        doc = json.loads((hit / "result.json").read_text())
        for d in doc:
            d.update(built=False, ran=False)
        return doc

    def keep_result(self, key: str, doc, label: str) -> None:
        tmp = self.begin("runs", key)
        (tmp / "result.json").write_text(json.dumps(doc))
        self.commit("runs", key, tmp, {"label": label})
