"""The host target of the JIT: LLVM initialisation, the host CPU's target machine (its name and vector features),
and compilation of an IR module at O3 into an execution engine. Compiled engines are kept by the caller."""
from __future__ import annotations

import functools
import os

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
        target = llvm.Target.from_default_triple()
        self.triple = llvm.get_process_triple()
        self.machine = target.create_target_machine(cpu=self.cpu, features=self.features, opt=3,
                                                    reloc="default", codemodel="jitdefault")

    def describe(self) -> str:
        return f"{self.cpu} ({'AVX-512 VNNI' if self.vnni else 'portable vectors'})"


def compile_ir(text: str) -> "Compiled":
    """Parses, verifies, optimises at O3 (loop and SLP vectorisation on) and JIT-compiles LLVM IR."""
    h = host()
    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as exc:  # a bug in a kernel emitter, never user input
        raise GraphError(f"the JIT built invalid LLVM IR ({exc}); run with --engine numpy and report it") from exc
    mod.triple = h.triple
    mod.data_layout = str(h.machine.target_data)
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pto.loop_interleaving = True
    pb = llvm.create_pass_builder(h.machine, pto)
    pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, h.machine)
    engine.finalize_object()
    return Compiled(engine, mod)


class Compiled:
    """A JIT-compiled module; keeps the engine alive while its function addresses are in use."""

    def __init__(self, engine, mod) -> None:
        self.engine = engine
        self.mod = mod

    def address(self, name: str) -> int:
        return self.engine.get_function_address(name)
