"""The host target of the JIT: LLVM initialisation, the host CPU's target machine (its name and vector features),
and compilation of an IR module at O3 into an execution engine. Compiled engines are kept by the caller."""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import llvmlite.binding as llvm

from quant.errors import GraphError


@functools.lru_cache(maxsize=1)
def host() -> "Host":
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return Host()


class Host:
    """The host CPU as LLVM sees it. INTGAP_JIT_FEATURES=portable turns off the CPU-specific dot-product
    instructions (the portable vector kernels are then used; tests check both)."""

    def __init__(self) -> None:
        self.cpu = llvm.get_host_cpu_name()
        feats = llvm.get_host_cpu_features()
        self.features = feats.flatten()
        self.vnni = (bool(feats.get("avx512vnni")) and bool(feats.get("avx512bw"))
                     and os.environ.get("INTGAP_JIT_FEATURES") != "portable")
        self.triple = llvm.get_process_triple()

    def machine(self):
        """A new target machine for this CPU: an execution engine owns (and frees) the one it is given."""
        return llvm.Target.from_default_triple().create_target_machine(
            cpu=self.cpu, features=self.features, opt=3, reloc="default", codemodel="jitdefault")

    def describe(self) -> str:
        return f"{self.cpu} ({'AVX-512 VNNI' if self.vnni else 'portable vectors'})"


def compile_ir(text: str) -> "Compiled":
    """Parses, verifies, optimises at O3 (loop and SLP vectorisation on) and JIT-compiles LLVM IR. The machine code
    is kept on disk by the IR text, the LLVM version and the host CPU (INTGAP_CACHE/jit): the next process loads it
    instead of optimising and compiling again."""
    h = host()
    key = hashlib.sha256("\n".join((text, llvm.llvm_version_info.__repr__(), h.cpu, h.features,
                                     h.triple)).encode()).hexdigest()
    cached = _object_path(key)
    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as exc:  # a bug in a kernel emitter, never user input
        raise GraphError(f"the JIT built invalid LLVM IR ({exc}); run with --engine numpy and report it") from exc
    machine = h.machine()
    mod.triple = h.triple
    mod.data_layout = str(machine.target_data)
    if cached is None or not cached.is_file():
        pto = llvm.create_pipeline_tuning_options(speed_level=3)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pto.loop_unrolling = True
        pto.loop_interleaving = True
        pb = llvm.create_pass_builder(machine, pto)
        pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, machine)
    engine.set_object_cache(lambda _mod, buf: _store(cached, buf), lambda _mod: _load(cached))
    engine.finalize_object()
    return Compiled(engine, mod)


def _object_path(key: str) -> Path | None:
    if os.environ.get("INTGAP_JIT_CACHE") == "off":
        return None
    root = Path(__file__).resolve().parents[2]
    try:  # the project's cache of things that can be made again (isa/paths.cache_dir)
        d = Path(os.environ.get("INTGAP_CACHE", root / ".cache")) / "jit"
        d.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only project: compile every time
        return None
    return d / f"{key}.o"


def _load(path: Path | None) -> bytes | None:
    try:
        return path.read_bytes() if path is not None and path.is_file() else None
    except OSError:
        return None


def _store(path: Path | None, buf: bytes) -> None:
    if path is None or path.is_file():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_bytes(buf)
        os.replace(tmp, path)  # atomic: a concurrent process sees the whole object or none
    except OSError:
        tmp.unlink(missing_ok=True)


class Compiled:
    """A JIT-compiled module; keeps the engine alive while its function addresses are in use."""

    def __init__(self, engine, mod) -> None:
        self.engine = engine
        self.mod = mod

    def address(self, name: str) -> int:
        return self.engine.get_function_address(name)
