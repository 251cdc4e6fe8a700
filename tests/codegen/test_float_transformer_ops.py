"""The FP32 baseline of every transformer op (runtime_c/kernels/<family>/ig_<op>_f32.c, lowered by
codegen/op_calls_f32.py) against quant/reference.py, on soft-float (Cortex-M4, RV32IMC), hard-float scalar
(Cortex-M4F, RV64GC), NEON (Cortex-A55), Helium float (Cortex-M55) and RVV (VLEN 128 and 256) targets, and whole
FP32 tiny Llama / GPT-2 / BERT models against PyTorch.

Float has no single definition, so the comparison is within a tolerance, stated per op with its reason. Notation:
u = 2^-24 (float32 unit roundoff: one correctly rounded operation has relative error <= u), eps = 2u (one ulp of
a float v is at most eps |v|), gamma(n) = n u / (1 - n u) (the classic bound of a sum of n terms in ANY order,
relative to the sum of the terms' magnitudes: it covers the different summation orders of the reference (numpy:
pairwise / BLAS), the scalar kernels (several partial sums), NEON (4 lanes) and RVV (VLEN-dependent strips)). Each
bound is the kernel's error plus the reference's own (both are float32 computations; the reference is not exact).
The errors of ig_mathf.h's functions are measured on the host (test_mathf_accuracy_on_host) and used here:
exp <= 1 ulp, erfc <= 8 ulp, 1/sqrt <= 2 ulp, silu <= 3 ulp, gelu <= 8 ulp, gelu_tanh <= 8 + 3 |2u(x)| ulp.
Below 2^-126 (subnormal results) any value is accepted (cores and soft-float may flush them).
"""
from __future__ import annotations

import ctypes
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import codegen.op_calls_f32  # noqa: F401  (registers the float lowerings)
import isa
from benchmarks.kernels_runner import run_cases
from codegen.kernel_cases import emit_graph_cases
from isa.elf import load_elf
from quant import reference
from quant.ir import Graph, Node, TensorInfo
from toolchain import build_elf

F32 = np.float32
U = 2.0 ** -24
EPS = 2.0 ** -23
TINY = 2.0 ** -126
RUNTIME_INCLUDE = Path(__file__).resolve().parents[2] / "runtime_c" / "include"


def gamma(n: int) -> float:
    return n * U / (1 - n * U)


# ------------------------------------------------------------------ random cases
def _graph(name: str, inputs: dict, node: Node, out_shape, consts=None) -> Graph:
    t = {k: TensorInfo(k, tuple(int(d) for d in v.shape), "int32" if v.dtype.kind == "i" else "float32")
         for k, v in inputs.items()}
    t["y"] = TensorInfo("y", tuple(int(d) for d in out_shape), "float32")
    return Graph(name, list(inputs), ["y"], t, consts or {}, [node])


def _extremes(rng, x: np.ndarray, values) -> np.ndarray:
    """Sets a few elements to the given extreme values (the exp / erfc tails, overflow of exp(-x), ...)."""
    flat = x.reshape(-1)
    idx = rng.choice(flat.size, min(flat.size, len(values)), replace=False)
    flat[idx] = np.asarray(values, F32)[: idx.size]
    return x


def case(op: str, rng: np.random.Generator):
    """(graph of one node, its inputs) for a float op, with shapes that are not multiples of a vector length."""
    rows = int(rng.integers(1, 4))
    c = int(rng.choice([1, 3, 4, 7, 16, 33, 64, 100]))
    normal = lambda *shape, scale=1.0: (rng.standard_normal(shape) * scale).astype(F32)  # noqa: E731
    if op in ("add_f32", "mul_f32"):
        a, b = normal(rows, c, scale=float(rng.choice([0.1, 1, 100]))), normal(rows, c)
        return _graph(op, {"a": a, "b": b}, Node(op, op, ["a", "b"], ["y"], {}), a.shape), {"a": a, "b": b}
    if op in ("gelu_f32", "gelu_tanh_f32", "silu_f32"):
        x = normal(rows, c, scale=float(rng.choice([1, 3, 6])))
        x = _extremes(rng, x, [-14.0, 13.0, -9.5, -30.0, 0.0, 90.0, -95.0, 1e-6])
        real = "gelu_f32" if op != "silu_f32" else op
        attrs = {"approximate": "tanh" if op == "gelu_tanh_f32" else "none"} if real == "gelu_f32" else {}
        return _graph(op, {"x": x}, Node(real, op, ["x"], ["y"], attrs), x.shape), {"x": x}
    if op in ("layernorm_f32", "rmsnorm_f32"):
        c = max(c, 2)
        x = normal(rows, c, scale=float(rng.choice([0.1, 1, 30]))) + F32(rng.choice([0, 0, 3]))
        consts = {"gamma": (1 + 0.3 * rng.standard_normal(c)).astype(F32)}
        ins = ["x", "gamma"]
        if op == "layernorm_f32":
            consts["beta"] = (0.2 * rng.standard_normal(c)).astype(F32)
            ins.append("beta")
        eps = float(rng.choice([1e-5, 1e-6, 1e-12]))
        return _graph(op, {"x": x}, Node(op, op, ins, ["y"], {"eps": eps}), x.shape, consts), {"x": x}
    if op == "rope_f32":
        heads, hd, p = int(rng.integers(1, 4)), int(rng.choice([2, 6, 8, 16])), 12
        ang = np.arange(p)[:, None] * (10000.0 ** (-np.arange(hd // 2) / (hd // 2)))[None, :]
        consts = {"cos": np.cos(ang).astype(F32), "sin": np.sin(ang).astype(F32)}
        x = normal(rows, heads * hd)
        pos = rng.integers(0, p, rows).astype(np.int32)
        node = Node(op, op, ["x", "positions", "cos", "sin"], ["y"], {"heads": heads, "head_dim": hd})
        return _graph(op, {"x": x, "positions": pos}, node, x.shape, consts), {"x": x, "positions": pos}
    if op in ("matmul_qk_f32", "matmul_pv_f32"):
        kvh = int(rng.integers(1, 3))
        heads = kvh * int(rng.integers(1, 3))
        hd = int(rng.choice([1, 3, 8, 16, 20]))
        t = int(rng.integers(1, 6))
        s = t + int(rng.integers(0, 20))
        attrs = {"heads": heads, "kv_heads": kvh, "head_dim": hd}
        if op == "matmul_qk_f32":
            q, k = normal(t, heads * hd), normal(s, kvh * hd)
            node = Node(op, op, ["q", "k"], ["y"], {**attrs, "scale": 1.0 / math.sqrt(hd)})
            return _graph(op, {"q": q, "k": k}, node, (heads, t, s)), {"q": q, "k": k}
        p = rng.random((heads, t, s)).astype(F32)
        v = normal(s, kvh * hd)
        return _graph(op, {"p": p, "v": v}, Node(op, op, ["p", "v"], ["y"], attrs), (t, heads * hd)), {"p": p, "v": v}
    if op == "softmax_f32":
        groups, t = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        s = t + int(rng.integers(0, 40))
        x = normal(groups, t, s, scale=float(rng.choice([1, 4, 30])))
        node = Node(op, op, ["x"], ["y"], {"causal": bool(rng.random() < 0.5)})
        return _graph(op, {"x": x}, node, x.shape), {"x": x}
    if op == "embedding_f32":
        vocab = int(rng.integers(1, 40))
        table = normal(vocab, c)
        ids = rng.integers(0, vocab, rows).astype(np.int32)
        node = Node(op, op, ["ids", "table"], ["y"], {})
        return _graph(op, {"ids": ids}, node, (rows, c), {"table": table}), {"ids": ids}
    raise ValueError(op)


OPS = ("embedding_f32", "add_f32", "mul_f32", "gelu_f32", "gelu_tanh_f32", "silu_f32", "layernorm_f32",
       "rmsnorm_f32", "rope_f32", "matmul_qk_f32", "softmax_f32", "matmul_pv_f32")


def cases(seed: int, per_op: int = 3):
    rng = np.random.default_rng(seed)
    return [case(op, rng) for op in OPS for _ in range(per_op)]


# ------------------------------------------------------------------ tolerances
def tolerance(g: Graph, inputs: dict, ref: np.ndarray) -> np.ndarray | None:
    """The bound on |kernel - reference| per output element (None: bit-exact)."""
    n = g.nodes[0]
    d = {k: np.asarray(v, np.float64) for k, v in {**inputs, **g.constants}.items()}
    r = np.abs(ref.astype(np.float64))
    if n.op in ("embedding_f32", "add_f32", "mul_f32"):
        return None  # a copy / one correctly rounded operation: the same bits everywhere
    if n.op == "silu_f32":
        # silu <= 3 ulp (measured), the reference (float64, rounded) 0.5 ulp
        return 4 * EPS * r + TINY
    if n.op == "gelu_f32":
        x = d["x"]
        # kernel gelu <= 8 ulp (tanh form: + 3 |2u| ulp for the rounding of its argument), reference 0.5 ulp;
        # the reference's 1 + erf (1 + tanh) in float64 cancels where x << 0: absolute 2^-53 |x| / 2 at most
        k = 9.0 if n.attrs["approximate"] == "none" else 9.0 + 3 * np.abs(
            2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
        return k * EPS * r + 2.0 ** -52 * np.abs(x) + TINY
    if n.op == "rmsnorm_f32":
        c = ref.shape[-1]
        # mean of C squares (positive terms): relative gamma(C + 2) in both; 1/sqrt halves it and adds 2 ulp
        # (soft Newton) / 1 ulp (sqrt and division); the multiplies by inv and gamma 2 u: (C/2 + 8) u for the
        # kernel, (C/2 + 5) u for the reference; doubled margin on the constant terms
        return (c + 16) * U * r + TINY
    if n.op == "layernorm_f32":
        x, gm, bt = d["x"], d["gamma"], d["beta"]
        c = x.shape[-1]
        mu = x.mean(-1, keepdims=True)
        inv = 1 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + float(F32(n.attrs["eps"])))
        # the mean of C terms of any sign: absolute gamma(C + 2) mean|x| in each, which shifts every output by
        # that times inv * gamma; the variance (positive terms) and 1/sqrt as rmsnorm: (C/2 + 8) u relative on
        # xhat * gamma in each; the final multiply-add roundings: u |y| each
        mean_abs = np.abs(x).mean(-1, keepdims=True)
        return (2 * gamma(c + 2) * mean_abs * inv * np.abs(gm) + (c + 16) * U * np.abs((x - mu) * inv * gm)
                + 2 * U * (np.abs(bt) + r) + TINY)
    if n.op == "rope_f32":
        a = n.attrs
        h, hd = a["heads"], a["head_dim"]
        x = d["x"].reshape(-1, h, hd)
        pos = inputs["positions"].astype(np.int64)
        cos, sin = d["cos"][pos][:, None, :], d["sin"][pos][:, None, :]
        xa, xb = x[..., : hd // 2], x[..., hd // 2:]
        # a c - b s: two products and a sum (or a fused multiply-add): gamma(2) of |a c| + |b s| in each
        mag = np.abs(xa * cos) + np.abs(xb * sin)
        return (2 * gamma(2) * np.concatenate([mag, np.abs(xb * cos) + np.abs(xa * sin)], -1)).reshape(ref.shape) + TINY
    if n.op == "matmul_qk_f32":
        a = n.attrs
        h, kvh, hd = a["heads"], a["kv_heads"], a["head_dim"]
        q = np.abs(d["q"]).reshape(-1, h, hd).transpose(1, 0, 2)
        k = np.repeat(np.abs(d["k"]).reshape(-1, kvh, hd).transpose(1, 0, 2), h // kvh, axis=0)
        # a dot product of head_dim terms (any order) and the scale: gamma(head_dim + 1) of scale * sum |q k| each
        return 2 * gamma(hd + 1) * float(F32(a["scale"])) * (q @ k.transpose(0, 2, 1)) + TINY
    if n.op == "matmul_pv_f32":
        a = n.attrs
        h, kvh, hd = a["heads"], a["kv_heads"], a["head_dim"]
        v = np.repeat(np.abs(d["v"]).reshape(-1, kvh, hd).transpose(1, 0, 2), h // kvh, axis=0)
        mag = (np.abs(d["p"]) @ v).transpose(1, 0, 2).reshape(ref.shape)
        return 2 * gamma(d["p"].shape[-1]) * mag + TINY  # a dot product of s terms in each
    if n.op == "softmax_f32":
        s = ref.shape[-1]
        # x - max is the same float in both; exp: 1 ulp here, up to 4 ulp in numpy's float32 exp; the sum of s
        # positive terms gamma(s) relative (plus the terms' own exp error); then 1/sum and a multiply (2 u) here,
        # a division (u) there: (10 eps + 2 gamma(s)) relative. Masked keys are exactly 0 in both.
        return (10 * EPS + 2 * gamma(s)) * r + TINY
    raise ValueError(n.op)


def check_outputs(cases_, outputs, label: str) -> None:
    bad = []
    for (g, inputs), raw in zip(cases_, outputs):
        ref = reference.run(g, inputs)["y"]
        y = np.frombuffer(raw, "<f4").reshape(ref.shape)
        tol = tolerance(g, inputs, ref)
        if tol is None:
            ok = np.array_equal(y, ref)
            worst = "" if ok else f"{np.argwhere(y != ref)[:3].tolist()}"
        else:
            err = np.abs(y.astype(np.float64) - ref.astype(np.float64))
            ok = bool(np.all(err <= tol)) and not np.any(np.isnan(y))
            worst = f"worst err/tol {np.max(err / tol):.3g}"
        if not ok:
            bad.append(f"{g.name} {g.nodes[0].attrs} {worst}")
    assert not bad, f"{label}: {len(bad)} of {len(cases_)} cases out of tolerance: {bad}"


# ------------------------------------------------------------------ ig_mathf.h on the host
_HOST_WRAPPER = """#include <stddef.h>
#include "ig_mathf.h"
#define MAP(NAME, EXPR) void NAME(const float *x, float *y, size_t n) { for (size_t i = 0; i < n; i++) { float v = x[i]; y[i] = (EXPR); } }
MAP(v_exp, ig_expf(v)) MAP(v_erfc_tail, ig_erfc_tail(v)) MAP(v_erfc, ig_erfcf_pos(v)) MAP(v_rsqrt, ig_rsqrtf(v))
MAP(v_sqrt, ig_sqrtf(v)) MAP(v_silu, ig_silu1(v)) MAP(v_gelu, ig_gelu_erf1(v)) MAP(v_gelu_tanh, ig_gelu_tanh1(v))
"""


def _ulps(y: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|y - exact| in units of the last place of exact as a float32 (subnormal spacing below 2^-126; an exact
    value past the float range must come out as inf)."""
    exact = np.asarray(exact, np.float64)
    big = np.abs(exact) > float(np.finfo(F32).max)
    spacing = np.spacing(np.abs(np.where(big, 1.0, exact)).astype(F32)).astype(np.float64)
    out = np.abs(y.astype(np.float64) - np.where(big, 0.0, exact)) / np.maximum(spacing, 2.0 ** -149)
    out[big] = np.where(np.isinf(y[big]), 0.0, np.inf)
    return out


def test_mathf_accuracy_on_host(tmp_path):
    """ig_mathf.h's functions against float64 over dense sweeps of their input ranges, compiled for the host
    (without a hardware sqrt branch: the soft-float path's Newton steps are what is measured). These bounds are
    the ones the header states and the tolerances above use."""
    from scipy.special import erfc
    src = tmp_path / "mathf_host.c"
    src.write_text(_HOST_WRAPPER)
    lib_path = tmp_path / "mathf_host.so"
    subprocess.run(["gcc", "-O2", "-std=c11", "-shared", "-fPIC", f"-I{RUNTIME_INCLUDE}", str(src), "-o",
                    str(lib_path)], check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))

    def run(name, x):
        x = np.ascontiguousarray(x, F32)
        y = np.empty_like(x)
        getattr(lib, name)(x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p),
                           ctypes.c_size_t(x.size))
        return y

    x = np.linspace(-104, 89, 1_000_001, dtype=F32)  # down into subnormal results and past the overflow
    assert _ulps(run("v_exp", x), np.exp(x.astype(np.float64))).max() <= 1.0
    assert run("v_exp", np.array([-200.0, 100.0], F32)).tolist() == [0.0, math.inf]
    a = np.linspace(0, 13.5, 1_000_001, dtype=F32)
    assert _ulps(run("v_erfc_tail", a), erfc(a.astype(np.float64) / math.sqrt(2))).max() <= 8.0
    z = np.linspace(0, 9.5, 1_000_001, dtype=F32)
    assert _ulps(run("v_erfc", z), erfc(z.astype(np.float64))).max() <= 8.0
    r = np.geomspace(1e-30, 1e30, 1_000_001).astype(F32)
    assert _ulps(run("v_rsqrt", r), 1 / np.sqrt(r.astype(np.float64))).max() <= 2.0
    assert _ulps(run("v_sqrt", r), np.sqrt(r.astype(np.float64))).max() <= 1.0
    s = np.linspace(-87, 100, 1_000_001, dtype=F32)
    sd = s.astype(np.float64)
    assert _ulps(run("v_silu", s), sd / (1 + np.exp(-sd))).max() <= 3.0
    # below -87, exp(x) is subnormal (silu(x) = x exp(x) / (1 + exp(x)) < 2^-119): its absolute error, up to
    # 1.5 subnormal steps (2^-149), times |x|
    s = np.linspace(-104, -87, 100_001, dtype=F32)
    sd = s.astype(np.float64)
    assert np.all(np.abs(run("v_silu", s) - sd / (1 + np.exp(-sd))) <= 2 * (np.abs(sd) + 1) * 2.0 ** -149)
    g = np.linspace(-13, 13, 1_000_001, dtype=F32)
    gd = g.astype(np.float64)
    assert _ulps(run("v_gelu", g), 0.5 * gd * erfc(-gd / math.sqrt(2))).max() <= 8.0
    two_u = 2 * math.sqrt(2 / math.pi) * (gd + 0.044715 * gd ** 3)
    assert np.all(_ulps(run("v_gelu_tanh", g), gd / (1 + np.exp(-two_u))) <= 8.0 + 3 * np.abs(two_u))


# ------------------------------------------------------------------ every op on every kind of target
SOFT_FLOAT_HELPERS = ("__aeabi_f", "__addsf3", "__mulsf3", "__divsf3", "__subsf3")
OBJDUMP = {"arm": "arm-none-eabi-objdump", "aarch64": "aarch64-linux-gnu-objdump"}
HW_SQRT = {"arm": "vsqrt.f32", "aarch64": "fsqrt", "riscv64": "fsqrt.s"}


def _build_and_check(target, tmp_path, seed: int, vlens=(None,)):
    cs = cases(seed)
    kc = emit_graph_cases(cs, target, tmp_path)
    elf = tmp_path / "cases.elf"
    build_elf(kc.sources, target, elf)
    for vlen in vlens:
        check_outputs(cs, run_cases(kc, elf, target, vlen=vlen).outputs, f"{target.name} vlen={vlen}")
    return kc, elf


@pytest.mark.parametrize("target_name,seed", [("cortex-m4", 1), ("rv32imc", 2), ("cortex-m4f", 3), ("rv64gc", 4),
                                              ("cortex-a55", 5), ("cortex-m55", 7)])
def test_float_ops_within_tolerance(target_name, seed, tmp_path):
    """Soft-float (Cortex-M4, RV32IMC: the helpers of libgcc, no FPU instruction), hard-float scalar (Cortex-M4F,
    RV64GC: the portable kernels on the FPU, square roots in hardware), NEON (Cortex-A55: the neon/ kernels) and
    Helium float (Cortex-M55: the mve/ kernels, every op)."""
    target = isa.get_target(target_name)
    kc, elf = _build_and_check(target, tmp_path, seed)
    names = [f.name for f in load_elf(elf).functions]
    soft = [n for n in names if n.startswith(SOFT_FLOAT_HELPERS)]
    families = {stem.split("/")[0] for stem in kc.kernel_stems}
    if target.has_fpu:
        assert soft == [], f"{target_name} has an FPU but calls soft-float helpers {soft}"
        text = subprocess.run([OBJDUMP.get(target.arch, "riscv64-unknown-elf-objdump"), "-d", str(elf)],
                              capture_output=True, text=True, check=True).stdout
        assert f"\t{HW_SQRT[target.arch]}" in text, "the norms' square root is the FPU's instruction"
    else:
        assert soft, f"{target_name} has no FPU: the FP32 baseline must run in soft-float"
    if target.kernel_family == "neon":  # every op but the embedding copy has a NEON kernel
        assert {s for s in kc.kernel_stems if not s.startswith("neon/")} == {"scalar/ig_embedding_f32"}
    elif target.kernel_family == "mve":
        assert families == {"mve"}
    else:
        assert families == {"scalar"}


def test_float_ops_within_tolerance_rvv_every_vlen(tmp_path):
    """The RVV kernels (vector-length agnostic: other strips and sum orders at each VLEN) at VLEN 128, 256, 512."""
    kc, _ = _build_and_check(isa.get_target("rv64gcv"), tmp_path, 6, vlens=(128, 256, 512))
    assert {s for s in kc.kernel_stems if not s.startswith("rvv/")} == {"scalar/ig_embedding_f32"}


def test_a_bad_id_or_position_is_reported_by_the_float_kernels(tmp_path):
    """embedding_f32 and rope_f32 refuse an id / position outside their table with an error code."""
    rng = np.random.default_rng(0)
    t = isa.get_target("cortex-m4")
    for op, key in (("embedding_f32", "ids"), ("rope_f32", "positions")):
        g, inputs = case(op, rng)
        limit = g.constants["table" if op == "embedding_f32" else "cos"].shape[0]
        bad = dict(inputs, **{key: np.full_like(inputs[key], limit)})
        kc = emit_graph_cases([(g, bad)], t, tmp_path / op)
        build_elf(kc.sources, t, tmp_path / op / "c.elf")
        r = isa.run(tmp_path / op / "c.elf", t)
        assert r.exit_code == 3 and b"case 0 failed" in r.stdout, op


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-a55"])
def test_argmax_f32(target_name, tmp_path):
    """Greedy decoding over float logits: the first largest (numpy's argmax), negative rows, ties, -inf."""
    rows = [np.array(v, F32) for v in ([0.5, -1.0, 2.0, 2.0, 1.0], [-3.0, -1.0, -2.0], [7.0],
                                       [-math.inf, -1e30, -1e30], [1.0, 1.0 + 2 ** -23, 1.0])]
    rows.append(np.random.default_rng(0).standard_normal(517).astype(F32))
    decls = "\n".join(f"static const float x{i}[{r.size}] = {{{', '.join(float(v).hex() if math.isfinite(v) else '-__builtin_inff()' for v in r)}}};"
                      for i, r in enumerate(rows))
    calls = "\n".join(f"  out[{i}] = ig_argmax_f32(x{i}, {r.size});" for i, r in enumerate(rows))
    main = tmp_path / "main.c"
    main.write_text(f'#include "ig_platform.h"\n#include "ig_ops_f32.h"\n{decls}\n'
                    f"int main(void) {{\n  int32_t out[{len(rows)}];\n{calls}\n"
                    "  ig_write_hex(out, sizeof out);\n  return 0;\n}\n")
    t = isa.get_target(target_name)
    build_elf([main, codegen.op_calls.RUNTIME_C / "kernels/scalar/ig_argmax_f32.c"], t, tmp_path / "argmax.elf")
    r = isa.run(tmp_path / "argmax.elf", t)
    got = np.frombuffer(bytes.fromhex(r.stdout.decode().strip()), "<i4").tolist()
    assert got == [int(np.argmax(v)) for v in rows]


def test_lowering_refuses_what_it_cannot_lower():
    from codegen.errors import CodegenError
    from codegen.op_calls import OpEnv, emit_node
    env = OpEnv(buf=lambda t, r: t, const=lambda k, a, c: k, rows="2")
    g, _ = case("gelu_f32", np.random.default_rng(0))
    g.nodes[0].attrs["approximate"] = "sigmoid"
    with pytest.raises(CodegenError, match="approximate='sigmoid'"):
        emit_node(g, g.nodes[0], env)
    g, _ = case("rope_f32", np.random.default_rng(0))
    g.nodes[0].attrs["head_dim"] += 1
    with pytest.raises(CodegenError, match="even head_dim"):
        emit_node(g, g.nodes[0], env)
    # every lowered call carries the prototype of ig_ops_f32.h (the generated files do not include it)
    g, _ = case("softmax_f32", np.random.default_rng(0))
    stmt, files = emit_node(g, g.nodes[0], env)
    assert codegen.op_calls_f32.PROTOTYPES["ig_softmax_f32"] in stmt and [f.name for f in files] == ["ig_softmax_f32.c"]


# ------------------------------------------------------------------ whole FP32 models against PyTorch
def _tiny_bert(seed: int = 0):
    import torch
    from transformers import BertConfig, BertModel
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64)
    return BertModel(cfg).eval()


_MODELS: dict = {}


def _model(kind: str):
    """(captured FP32 graph, token ids, PyTorch's output), once per test session."""
    if kind not in _MODELS:
        import torch
        from tests import tiny_models
        from quant.hf_capture import capture_hf
        model = {"llama": tiny_models.tiny_llama, "gpt2": tiny_models.tiny_gpt2, "bert": _tiny_bert}[kind]()
        ids = np.random.default_rng(1).integers(0, 256, 12)
        with torch.no_grad():
            out = model(torch.tensor(ids[None]))
        want = (out.logits if hasattr(out, "logits") else out.last_hidden_state)[0].numpy()
        _MODELS[kind] = (capture_hf(model, seq_len=len(ids)), ids, want)
    return _MODELS[kind]


@pytest.mark.parametrize("target_name", ["cortex-m4", "cortex-m4f", "rv32imc", "cortex-a55", "rv64gcv", "cortex-m55"])
@pytest.mark.parametrize("kind", ["llama", "gpt2", "bert"])
def test_whole_fp32_model_matches_pytorch(kind, target_name, tmp_path):
    """A captured FP32 tiny Llama (RMSNorm, RoPE, grouped KV heads, SiLU gate, causal), GPT-2 (LayerNorm, GELU tanh,
    causal) and BERT (LayerNorm, GELU erf, full attention) lowered as a forward program (KV cache, one call of 12
    tokens) against PyTorch's logits / last hidden state. Tolerance: both are float32 evaluations of the same
    network that differ in summation orders and in exp / erf / sqrt; for these two-layer models the differences
    are a few ulps of the largest output (numpy's reference and PyTorch differ by <= 3 eps max|y| too, checked
    below), so 16 eps max|y| leaves a margin of 4 and still catches every real error (a wrong mask, cache row,
    scale or activation costs 1e-3 and more)."""
    from codegen.program import emit_program
    from quant.hf_capture import sequence_inputs
    graph, ids, want = _model(kind)
    target = isa.get_target(target_name)
    prog, _ = emit_program(graph, target, tmp_path, mode="forward", max_tokens=16, context=16, rows="all")
    build_elf(prog.sources, target, tmp_path / "model.elf")
    result = isa.run(tmp_path / "model.elf", target, inputs=prog.encode_forward(ids))
    assert result.exit_code == 0, result.stdout[-300:]
    y = prog.decode_forward(result.stdout, len(ids))
    bound = 16 * EPS * float(np.abs(want).max())
    assert float(np.abs(y - want).max()) <= bound
    assert float(np.abs(reference.run(graph, sequence_inputs(ids))[graph.outputs[0]] - want).max()) <= bound


@pytest.mark.parametrize("kind,target_name", [("gpt2", "cortex-m4"), ("llama", "rv64gcv")])
def test_fp32_greedy_generation_matches_pytorch(kind, target_name, tmp_path):
    """The generate harness on an FP32 graph (ig_argmax_f32 over float logits): a prompt of 5 tokens prefilled in
    chunks of 2 through the KV cache, then 8 tokens decoded one per call, against PyTorch's greedy tokens. The tiny
    models' matrices (not the embeddings) are scaled by 10: at their initial scale the residual stream stays the
    last token's embedding and a tied-embedding model only repeats it. Every step's top-2 logit margin is checked
    to be far above float32 error, so equal tokens is the right expectation."""
    import torch
    from codegen.program import emit_program
    from tests import tiny_models
    from quant.hf_capture import capture_hf
    model = {"gpt2": tiny_models.tiny_gpt2, "llama": tiny_models.tiny_llama}[kind]()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2 and not any(e in name for e in ("embed", "wte", "wpe")):
                p.mul_(10)
    prompt = [int(i) for i in np.random.default_rng(2).integers(0, 512, 5)]
    ids, margins = list(prompt), []
    with torch.no_grad():
        for _ in range(8):
            logits = model(torch.tensor([ids])).logits[0, -1].numpy()
            top = np.sort(logits)
            margins.append(float(top[-1] - top[-2]))
            ids.append(int(np.argmax(logits)))
    assert min(margins) > 1e-3 * float(np.abs(logits).max())
    target = isa.get_target(target_name)
    prog, _ = emit_program(capture_hf(model, seq_len=8), target, tmp_path, mode="generate", max_tokens=4,
                                    context=16)
    build_elf(prog.sources, target, tmp_path / "generate.elf")
    result = isa.run(tmp_path / "generate.elf", target, inputs=prog.encode_generate(prompt, 8, chunk=2))
    assert prog.decode_generate(result.stdout, 8).tolist() == ids[len(prompt):]
