"""The Helium float (MVE-F) kernels of the FP32 baseline on cortex-m55 (runtime_c/kernels/mve/ig_*_f32.c, QEMU
mps3-an547): every FP32 op links its mve file, and each kernel stays within the tolerance the other SIMD families'
float kernels are held to (tests/codegen/test_float_transformer_ops.py's per-op bounds; the fully connected layer
test_float_kernels.py's) at every vector length 1..41 of the dimension it vectorizes: whole vectors, and tails of
1, 2 and 3 lanes under a VCTP predicate."""
from __future__ import annotations

import math

import numpy as np
import pytest

import isa
from benchmarks.kernels_runner import run_cases
from codegen.kernel_cases import emit_graph_cases
from codegen.op_calls import kernel_for
from quant import reference
from quant.ir import Node
from tests.codegen.test_float_transformer_ops import F32, _extremes, _graph, tolerance
from toolchain import build_elf

LENGTHS = range(1, 42)
# entry point -> its file stem (gelu_tanh lives in ig_gelu_f32.c)
MVE_F32 = {f"ig_{op}_f32": f"ig_{op}_f32" for op in ("add", "mul", "silu", "gelu", "rmsnorm", "layernorm", "rope",
                                                     "matmul_qk", "matmul_pv", "softmax", "embedding", "fc")}
MVE_F32["ig_gelu_tanh_f32"] = "ig_gelu_f32"


def test_every_fp32_op_links_its_mve_kernel():
    for fn, stem in MVE_F32.items():
        path = kernel_for(fn, stem, "mve")
        assert path.parent.name == "mve" and path.stem == stem, f"{fn}: {path}"


def _case(op: str, n: int, rng: np.random.Generator):
    """One graph of `op` whose vectorized dimension is n (the other dimensions small and random)."""
    rows = int(rng.integers(1, 3))
    normal = lambda *shape, scale=1.0: (rng.standard_normal(shape) * scale).astype(F32)  # noqa: E731
    if op in ("add_f32", "mul_f32"):
        a, b = normal(rows, n, scale=float(rng.choice([0.1, 1, 100]))), normal(rows, n)
        return _graph(op, {"a": a, "b": b}, Node(op, op, ["a", "b"], ["y"], {}), a.shape), {"a": a, "b": b}
    if op in ("silu_f32", "gelu_f32", "gelu_tanh_f32"):
        x = _extremes(rng, normal(rows, n, scale=float(rng.choice([1, 3, 6]))), [-14.0, 13.0, -95.0, 90.0, 0.0])
        real = "silu_f32" if op == "silu_f32" else "gelu_f32"
        attrs = {} if op == "silu_f32" else {"approximate": "tanh" if op == "gelu_tanh_f32" else "none"}
        return _graph(op, {"x": x}, Node(real, op, ["x"], ["y"], attrs), x.shape), {"x": x}
    if op in ("rmsnorm_f32", "layernorm_f32"):
        x = normal(rows, n, scale=float(rng.choice([0.1, 1, 30]))) + F32(rng.choice([0, 3]))
        consts = {"gamma": (1 + 0.3 * rng.standard_normal(n)).astype(F32)}
        if op == "layernorm_f32":
            consts["beta"] = (0.2 * rng.standard_normal(n)).astype(F32)
        node = Node(op, op, ["x", *consts], ["y"], {"eps": 1e-5})
        return _graph(op, {"x": x}, node, x.shape, consts), {"x": x}
    if op == "rope_f32":  # n rotation pairs per head
        heads, hd, p = int(rng.integers(1, 3)), 2 * n, 6
        ang = np.arange(p)[:, None] * (10000.0 ** (-np.arange(n) / n))[None, :]
        consts = {"cos": np.cos(ang).astype(F32), "sin": np.sin(ang).astype(F32)}
        x, pos = normal(rows, heads * hd), rng.integers(0, p, rows).astype(np.int32)
        node = Node(op, op, ["x", "positions", "cos", "sin"], ["y"], {"heads": heads, "head_dim": hd})
        return _graph(op, {"x": x, "positions": pos}, node, x.shape, consts), {"x": x, "positions": pos}
    if op in ("matmul_qk_f32", "matmul_pv_f32"):  # head_dim n; s = n as well for qk's keys, shifted
        kvh = int(rng.integers(1, 3))
        heads, t = kvh * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        s = max(t, (n * 7) % 41 + 1)
        attrs = {"heads": heads, "kv_heads": kvh, "head_dim": n}
        if op == "matmul_qk_f32":
            q, k = normal(t, heads * n), normal(s, kvh * n)
            node = Node(op, op, ["q", "k"], ["y"], {**attrs, "scale": 1.0 / math.sqrt(n)})
            return _graph(op, {"q": q, "k": k}, node, (heads, t, s)), {"q": q, "k": k}
        pr, v = rng.random((heads, t, s)).astype(F32), normal(s, kvh * n)
        return _graph(op, {"p": pr, "v": v}, Node(op, op, ["p", "v"], ["y"], attrs), (t, heads * n)), {"p": pr, "v": v}
    if op == "softmax_f32":  # s = n keys, causal rows see 1..n of them
        t = int(rng.integers(1, min(n, 4) + 1))
        x = normal(int(rng.integers(1, 3)), t, n, scale=float(rng.choice([1, 4, 30])))
        node = Node(op, op, ["x"], ["y"], {"causal": bool(rng.random() < 0.5)})
        return _graph(op, {"x": x}, node, x.shape), {"x": x}
    if op == "embedding_f32":
        vocab = int(rng.integers(1, 9))
        ids = rng.integers(0, vocab, rows).astype(np.int32)
        node = Node(op, op, ["ids", "table"], ["y"], {})
        return _graph(op, {"ids": ids}, node, (rows, n), {"table": normal(vocab, n)}), {"ids": ids}
    if op == "fully_connected_f32":  # K = n columns, N = (5 n) % 41 + 1 rows: every K and N tail
        nn = (5 * n) % 41 + 1
        consts = {"w": normal(nn, n), "b": normal(nn)}
        x = normal(1, n)
        node = Node(op, op, ["x", "w", "b"], ["y"], {"relu": n % 2 == 1})
        return _graph(op, {"x": x}, node, (1, nn), consts), {"x": x}
    raise ValueError(op)


def _bound(g, inputs, ref):
    """tolerance() of test_float_transformer_ops; for the fully connected layer test_float_kernels.py's: float32 sums
    in any order, within a few ulps of the sum of magnitudes."""
    if g.nodes[0].op != "fully_connected_f32":
        return tolerance(g, inputs, ref)
    x, w, b = (np.abs(np.asarray(a, np.float64)) for a in (inputs["x"][0], g.constants["w"], g.constants["b"]))
    return 4 * np.finfo(F32).eps * (x @ w.T + b) * (1 + np.log2(len(x)))


OPS = ("add_f32", "mul_f32", "silu_f32", "gelu_f32", "gelu_tanh_f32", "rmsnorm_f32", "layernorm_f32", "rope_f32",
       "matmul_qk_f32", "matmul_pv_f32", "softmax_f32", "embedding_f32", "fully_connected_f32")


@pytest.mark.parametrize("ops,seed", [(OPS[:7], 71), (OPS[7:], 72)])
def test_mve_f32_kernels_within_tolerance_at_every_length(ops, seed, tmp_path):
    """Each op at each vectorized length 1..41 (its inputs and the other dimensions random), against quant/reference.py
    within the op's bound; the program links only mve kernels."""
    rng = np.random.default_rng(seed)
    cases = [_case(op, n, rng) for op in ops for n in LENGTHS]
    target = isa.get_target("cortex-m55")
    kc = emit_graph_cases(cases, target, tmp_path)
    assert all(s.startswith("mve/") for s in kc.kernel_stems), sorted(set(kc.kernel_stems))
    build_elf(kc.sources, target, tmp_path / "cases.elf")
    bad = []
    for (g, inputs), raw in zip(cases, run_cases(kc, tmp_path / "cases.elf", target).outputs):
        ref = reference.run(g, inputs)["y"]
        y = np.frombuffer(raw, "<f4").reshape(ref.shape)
        tol = _bound(g, inputs, ref)
        if tol is None:
            ok = np.array_equal(y, ref)
        else:
            ok = not np.any(np.isnan(y)) and bool(np.all(np.abs(y.astype(np.float64) - ref) <= tol))
        if not ok:
            bad.append(f"{g.nodes[0].op} shape {ref.shape} {g.nodes[0].attrs}")
    assert not bad, f"{len(bad)} of {len(cases)} cases out of tolerance: {bad[:8]}"
