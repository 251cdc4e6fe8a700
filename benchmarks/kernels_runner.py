"""Kernel cases for tests and benchmarks: random fully connected layers (one-node IntGraphs with random
quantization parameters), built into one program per target, run under the emulator, compared byte for byte
with quant/reference.py.

Runs go through `isa.run`; where the QEMU backend is not available yet (or a different RVV VLEN than the
target's is asked for), the ELF is run under qemu-user here, counted with the project's TCG plugin."""
from __future__ import annotations

import binascii
import os
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import isa
from codegen.kernel_cases import KernelCases, emit_graph_cases, emit_kernel_cases
from isa.attribution import per_function
from isa.elf import load_elf
from isa.result import BlockCounts
from quant import reference
from quant.ir import Graph, Node, TensorInfo
from quant.ops.fixed import quantize_multiplier
from toolchain import build_elf


def fc_case(rng: np.random.Generator, k: int, n: int, bits: int = 8, group_size: int | None = None,
            float_baseline: bool = False) -> tuple[Graph, np.ndarray]:
    """A random one-node graph (fully_connected, fully_connected with weight_bits 4, fully_connected_grouped, or
    fully_connected_f32) and a random batch-1 input. Requantization parameters are drawn so that outputs spread
    over the int8 range, with some saturating; zero points and clamps are random."""
    if float_baseline:
        w = rng.standard_normal((n, k)).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        g = Graph(f"fc_f32_{k}x{n}", ["x"], ["y"],
                  {"x": TensorInfo("x", (1, k), "float32"), "y": TensorInfo("y", (1, n), "float32")},
                  {"w": w, "b": b}, [Node("fully_connected_f32", "fc", ["x", "w", "b"], ["y"], {"relu": False})])
        return g, rng.standard_normal((1, k)).astype(np.float32)
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    # a few extreme rows and a saturated input so the wide paths are exercised
    x = rng.integers(-128, 128, (1, k)).astype(np.int8)
    if rng.random() < 0.3:
        x[:] = -128
    if n > 1 and rng.random() < 0.5:
        w[rng.integers(0, n)] = lo
    xzp = int(rng.integers(-128, 128))
    yzp = int(rng.integers(-128, 128))
    act_min = int(rng.integers(-128, 0))
    act_max = int(rng.integers(act_min, 128))
    b = rng.integers(-(1 << 16), 1 << 16, n).astype(np.int32)
    attrs = {"x_zero_point": xzp, "y_zero_point": yzp, "act_min": act_min, "act_max": act_max}
    if bits == 4:
        attrs["weight_bits"] = 4
    consts = {"w": w, "b": b}
    xc = x.astype(np.int64) - xzp
    if group_size is None:
        acc = xc @ w.astype(np.int64).T + b
        op, ins = "fully_connected", ["x", "w", "b", "m", "s"]
    else:
        groups = k // group_size
        # the largest scales the IR's int32 accumulator bound allows (quant/ops/checks.py), often far smaller
        cap = ((1 << 31) - 1 - (1 << 16)) // (groups * 2 * 255 * max(-lo, hi) * group_size)
        cap = max(1, min(1 << 15, cap if rng.random() < 0.5 else min(cap, 1 << 6)))
        gsc = rng.integers(0, cap, (n, groups)).astype(np.int32)
        consts["gs"] = gsc
        attrs.update(group_size=group_size, weight_bits=bits)
        accg = np.einsum("gk,ngk->ng", xc.reshape(groups, group_size), w.astype(np.int64).reshape(n, groups, group_size))
        acc = (accg * gsc).sum(axis=1)[None] + b
        op, ins = "fully_connected_grouped", ["x", "w", "b", "gs", "m", "s"]
    spread = float(np.abs(acc).max()) + 1.0
    mult, shift = np.zeros(n, np.int32), np.zeros(n, np.int32)
    for j in range(n):
        real = 127.0 / spread * float(rng.uniform(0.3, 3.0))
        if rng.random() < 0.1:
            real *= float(rng.uniform(1, 2 ** 20))  # some strongly saturating channels / left shifts
        mult[j], shift[j] = quantize_multiplier(min(real, 2.0 ** 29))
    consts["m"], consts["s"] = mult, shift
    g = Graph(f"{op}_{k}x{n}_w{bits}", ["x"], ["y"],
              {"x": TensorInfo("x", (1, k), "int8", 0.05, xzp), "y": TensorInfo("y", (1, n), "int8", 0.1, yzp)},
              consts, [Node(op, "fc", ins, ["y"], attrs)])
    return g, x


def fc_wide_case(rng: np.random.Generator, k: int, n: int, bits: int = 8, out_dtype: str = "int16",
                 group_size: int | None = None, scales: str = "random",
                 x_dtype: str = "int8") -> tuple[Graph, dict[str, np.ndarray]]:
    """A random one-node fully_connected_wide graph with int8 input (the transformer's o_proj / down_proj / LM head
    case) and its batch-1 input dict: int8 or int4 weights, int8 / int16 / int32 output; per-channel (group_size
    None: group_size K, unit scales, which lowers to ig_fc_s8*_to_*) or group-wise integer scales
    (ig_fc_grouped_s8*_to_*). Requantization spreads outputs over the output type with some channels saturating;
    zero points and clamps are random inside the output type, for int32 sometimes near its ends (the saturating
    y_zp add). scales="limit": the group scales as large as quantization makes them (quant/weights.py
    group_scale_limit: int4 at the limit, int8 at a 16th of it), many exactly at it, x at its extremes.
    x_dtype="int16" (per-channel int8 weights: the a16down down projection): x over the whole int16 range (zero
    point 0), some rows inside [-128, 127] (no high bytes), the weights shrunk until the accumulator bound of
    quant/ops/checks.py holds."""
    lo, hi = (-127, 127) if bits == 8 else (-8, 7)
    info = np.iinfo(np.dtype(out_dtype))
    w = rng.integers(lo, hi + 1, (n, k)).astype(np.int8)
    x = rng.integers(-128, 128, (1, k)).astype(np.int8)
    if rng.random() < 0.3:
        x[:] = -128
    if n > 1 and rng.random() < 0.5:
        w[rng.integers(0, n)] = lo
    xzp = int(rng.integers(-128, 128))
    b = rng.integers(-(1 << 16), 1 << 16, n).astype(np.int32)
    if x_dtype == "int16":
        x, xzp = _int16_row(rng, k), 0
        while (np.abs(w.astype(np.int64)).sum(axis=1) * 32768 + (1 << 16)).max() >= 1 << 31:
            w = (w // 2).astype(np.int8)
    gsz = k if group_size is None else group_size
    groups = k // gsz
    if group_size is None:
        gsc = np.ones((n, 1), np.int32)
    elif scales == "limit":
        from quant.weights import group_scale_limit
        cap = group_scale_limit(k, gsz, bits)
        gsc = rng.integers(cap // 2, cap + 1, (n, groups)).astype(np.int32)
        gsc[rng.random((n, groups)) < 0.5] = cap
        x = np.where(rng.random((1, k)) < 0.5, -128, 127).astype(np.int8)
    else:  # the largest scales quant/ops/checks.py's accumulator bound allows, often far smaller
        cap = ((1 << 31) - 1 - (1 << 16)) // (groups * 255 * max(-lo, hi) * gsz)
        cap = max(1, min((1 << 15) - 1, cap if rng.random() < 0.5 else min(cap, 1 << 6)))
        gsc = rng.integers(0, cap + 1, (n, groups)).astype(np.int32)
    xc = x.astype(np.int64) - xzp
    accg = np.einsum("gk,ngk->ng", xc.reshape(groups, gsz), w.astype(np.int64).reshape(n, groups, gsz))
    acc = (accg * gsc).sum(axis=1)[None] + b
    spread = float(np.abs(acc).max()) + 1.0
    mult, shift = np.zeros(n, np.int32), np.zeros(n, np.int32)
    for j in range(n):
        real = float(info.max) / spread * float(rng.uniform(0.3, 3.0))
        if rng.random() < 0.1:
            real *= float(rng.uniform(1, 2 ** 20))  # strongly saturating channels / left shifts
        mult[j], shift[j] = quantize_multiplier(min(real, 2.0 ** 29))
    lo_y, hi_y = int(info.min), int(info.max)
    if rng.random() < 0.4:  # a narrower clamp (a fused ReLU-like range)
        lo_y = int(rng.integers(lo_y, 0))
        hi_y = int(rng.integers(max(lo_y, 0), int(info.max) + 1))
    if out_dtype == "int32" and rng.random() < 0.3:  # the y_zp add saturates
        yzp = int(rng.choice([info.min + int(rng.integers(0, 1 << 20)), info.max - int(rng.integers(0, 1 << 20))]))
    else:
        yzp = int(rng.integers(max(lo_y, -(1 << 14)), min(hi_y, 1 << 14) + 1))
    attrs = {"x_zero_point": xzp, "y_zero_point": yzp, "act_min": lo_y, "act_max": hi_y, "group_size": gsz,
             "weight_bits": bits}
    consts = {"w": w, "b": b, "gs": gsc, "m": mult, "s": shift}
    kind = "pc" if group_size is None else f"g{group_size}" + ("lim" if scales == "limit" else "")
    g = Graph(f"fc_wide_w{bits}_{kind}{'_x16' if x_dtype == 'int16' else ''}_{out_dtype}_{k}x{n}", ["x"], ["y"],
              {"x": TensorInfo("x", (1, k), x_dtype, 1.0, xzp), "y": TensorInfo("y", (1, n), out_dtype, 1.0, yzp)},
              consts, [Node("fully_connected_wide", "fc", ["x", "w", "b", "gs", "m", "s"], ["y"], attrs)])
    return g, {"x": x}


def _int16_row(rng: np.random.Generator, k: int) -> np.ndarray:
    """One int16 activation row: the full range with its ends, or small values only (every high byte 0), or small
    values with a few large ones (outlier channels)."""
    kind = rng.integers(0, 3)
    if kind == 0:
        x = rng.integers(-32768, 32768, (1, k))
        x[0, rng.integers(0, k, 2)] = [-32768, 32767]
    else:
        x = rng.integers(-128, 128, (1, k))
        if kind == 2:
            x[0, rng.integers(0, k, max(1, k // 50))] = rng.integers(-32768, 32768, max(1, k // 50))
    return x.astype(np.int16)


def graph_expected_bytes(g: Graph, inputs: dict[str, np.ndarray]) -> bytes:
    y = reference.run(g, inputs)[g.outputs[0]]
    return np.ascontiguousarray(y).astype(y.dtype.newbyteorder("<")).tobytes()


def build_graph_cases(cases: list[tuple[Graph, dict[str, np.ndarray]]], target: isa.Target, directory: Path,
                      compiler: str | None = None, extra_cflags: tuple[str, ...] = ()) -> tuple[KernelCases, Path, str]:
    """Graph cases of any ops and output widths (codegen.kernel_cases.emit_graph_cases) built into one program."""
    kc = emit_graph_cases(cases, target, directory)
    elf = directory / "cases.elf"
    cc = build_elf(kc.sources, target, elf, compiler=compiler, extra_cflags=extra_cflags)
    return kc, elf, f"{cc.kind}: {cc.version}"  # results name the compiler and its version


def expected_bytes(g: Graph, x: np.ndarray) -> bytes:
    y = reference.run(g, {"x": x})["y"]
    return np.ascontiguousarray(y).astype(y.dtype.newbyteorder("<")).tobytes()


@dataclass
class CaseRun:
    outputs: list[bytes]
    per_function: dict[str, int]  # exact instructions per function (empty if not counted)
    instructions: int
    compiler: str
    result: isa.RunResult | None = None  # the counted run, where it went through isa.run (for cycle estimates)
    target: isa.Target | None = None  # the target (or its VLEN variant) it ran on


def build_cases(cases, target: isa.Target, directory: Path, repeat: int = 1, compiler: str | None = None,
                extra_cflags: tuple[str, ...] = ()) -> tuple[KernelCases, Path, str]:
    kc = emit_kernel_cases(cases, target, directory, repeat=repeat)
    elf = directory / "cases.elf"
    cc = build_elf(kc.sources, target, elf, compiler=compiler, extra_cflags=extra_cflags)
    return kc, elf, f"{cc.kind}: {cc.version}"  # results name the compiler and its version


def run_cases(kc: KernelCases, elf: Path, target: isa.Target, vlen: int | None = None,
              backend: str | None = None) -> CaseRun:
    if vlen is not None and vlen != target.vlen:
        # the registry's variant of this target at that VLEN (rv64gcv-vlen256, ...), run like any target
        variant = next((t for t in isa.TARGETS.values() if t.vlen == vlen and t.arch == target.arch
                        and t.arch_flags == target.arch_flags and t.kernel_family == target.kernel_family), None)
        if variant is not None:
            target, vlen = variant, None
    if vlen is not None and vlen != target.vlen or (backend or target.default_backend) == "qemu" and not _has_qemu_backend():
        stdout, blocks, total = _run_qemu_user(elf, target, vlen)
        r = None
    else:
        r = isa.run(elf, target, backend)
        if r.exit_code != 0:
            raise RuntimeError(f"{elf} exited with {r.exit_code}: {r.stdout[-300:]!r}")
        stdout, blocks, total = r.stdout, r.blocks, r.instructions
    raw = binascii.unhexlify(b"".join(stdout.split()))
    counts = per_function(blocks, load_elf(elf), target.arch) if len(blocks.addr) else {}
    return CaseRun(kc.split_outputs(raw), counts, total, "", r, target)


def _has_qemu_backend() -> bool:
    try:
        import isa.qemu_backend  # noqa: F401
        return True
    except ImportError:
        return False


def _run_qemu_user(elf: Path, target: isa.Target, vlen: int | None) -> tuple[bytes, BlockCounts, int]:
    from isa.native import build_shared
    from isa.paths import deps_dir
    if target.qemu.kind != "user":
        raise RuntimeError(f"no QEMU backend yet to run {target.name} ({target.qemu.kind} mode)")
    args = list(target.qemu.args)
    if vlen is not None:
        args = [a.replace(f"vlen={target.vlen}", f"vlen={vlen}") for a in args]
    plugin = build_shared("ig_tcg_counter.c", (deps_dir() / "include",))
    os.chmod(elf, 0o755)
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "counts.bin"
        proc = subprocess.run([target.qemu.binary, *args, "-plugin", f"{plugin},out={out}", "-d", "plugin", str(elf)],
                              capture_output=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"{elf.name} under {target.qemu.binary} exited {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace')[-500:]}")
        data = out.read_bytes()
    from isa.qemu_backend import _HEADER, _RECORD  # the plugin's file layout
    _magic, n, _flags, total = struct.unpack_from("<8sQQQ", data, 0)
    rec = np.frombuffer(data, _RECORD, count=n, offset=_HEADER)
    blocks = BlockCounts(rec["addr"].copy(), rec["size"].copy(), rec["insns"].copy(), rec["count"].copy())
    return proc.stdout, blocks, int(total)
