"""Profiles from exact counts: per-function sums, mix coverage, bytes, soft-float calls, layers, edges, decode."""
from __future__ import annotations

import pytest

from isa.decode import MIX_CLASSES
from isa.profile import analyze, is_softfloat_helper, profile
from isa.targets import TARGETS, get_target
from tests.isa.asm_snippets import decode
from tests.isa.elf_builds import Builds, run

UNICORN = [n for n, t in TARGETS.items() if t.unicorn is not None]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("profile-elves"))


@pytest.mark.parametrize("target", UNICORN)
def test_functions_and_mix_cover_every_instruction(build, target):
    t = get_target(target)
    elf = build("uc_matmul.c", target)
    r = run(elf, target, "unicorn", 1)
    p = profile(r, elf, t)
    assert p.instructions == r.instructions
    assert sum(f.instructions for f in p.functions.values()) == r.instructions
    assert set(p.mix) == set(MIX_CLASSES) and sum(p.mix.values()) == r.instructions
    for f in p.functions.values():
        assert sum(f.mix.values()) == f.instructions
    mm = p.functions["uc_matmul_s8"]
    # 32 x 32 x 32 multiply-accumulates of two int8 loads: 65,536 bytes (+ register saves on Thumb; Armv6-M, with
    # eight low registers, also reloads spilled loop values: measured 8,356 bytes more on cortex-m0plus)
    spills = 16384 if t.arch == "arm" and "thumb2" not in t.extensions else 64
    assert 65536 <= mm.load_bytes <= 65536 + spills and mm.mix["mul_mac"] >= 32 ** 3
    assert "(no symbol)" not in p.functions


def test_softfloat_calls_are_their_own_class(build):
    soft = profile(r := run(e := build("tg_float.c", "cortex-m4"), "cortex-m4"), e, "cortex-m4")
    assert r.stdout == b"b4000000\n"
    assert soft.mix["softfloat_call"] >= 32 and soft.mix["scalar_float"] == 0  # fmul + fadd per element
    assert soft.softfloat_helper_instructions > 0
    assert any(is_softfloat_helper(f) for f in soft.functions)
    hard = profile(run(e := build("tg_float.c", "cortex-m4f"), "cortex-m4f"), e, "cortex-m4f")
    assert hard.mix["softfloat_call"] == 0 and hard.mix["scalar_float"] >= 32
    assert hard.softfloat_helper_instructions == 0


def test_softfloat_helper_names():
    for n in ("__aeabi_fmul", "__aeabi_dadd", "__aeabi_i2f", "__aeabi_ul2d", "__aeabi_cfcmple", "__addsf3",
              "__muldf3", "__fixsfsi", "__fixunsdfdi", "__floatsisf", "__floatunsidf", "__extendsfdf2",
              "__truncdfsf2", "__eqsf2", "__unordsf2"):
        assert is_softfloat_helper(n), n
    for n in ("__aeabi_idiv", "__aeabi_uidivmod", "__aeabi_ldivmod", "__divsi3", "__udivdi3", "__mulsi3",
              "memcpy", "ig_layer_0_fc"):
        assert not is_softfloat_helper(n), n


@pytest.mark.parametrize("target", ["cortex-m4", "rv32imc", "cortex-a55", "rv64gcv"])
def test_layers_self_and_inclusive(build, target):
    """rv64gcv: clang calls through auipc + jalr, whose target the decoder resolves."""
    elf = build("tg_layers.c", target)
    r = run(elf, target, get_target(target).default_backend, 50)
    p = profile(r, elf, target)
    layers = {l.name: l for l in p.layers}
    assert [l.index for l in p.layers] == [0, 1] and set(layers) == {"fc", "relu"}
    assert all(l.inclusive_exact for l in p.layers)
    f = p.functions
    assert f["ig_layer_0_fc"].calls == {"tg_kernel_a": 2}
    assert layers["fc"].inclusive_instructions == f["ig_layer_0_fc"].instructions + f["tg_kernel_a"].instructions
    relu_calls = f["ig_layer_1_relu"].calls
    if relu_calls:  # a tail call (b / j) is followed as a call too
        assert relu_calls == {"tg_kernel_b": 1}
    assert layers["relu"].inclusive_instructions == f["ig_layer_1_relu"].instructions + f["tg_kernel_b"].instructions


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-a53", "rv64gc"])
def test_loop_branch_edges_are_exact(build, target):
    """tg_count.c's loop branch: taken n-1 times, falls through once (solved by flow conservation)."""
    elf = build("tg_count.c", target)
    r = run(elf, target, "unicorn", 300)
    an = analyze(r, elf, target)
    e = an.edges
    loops = [k for k, s in enumerate(e.sites) if s.kind == "cond" and s.count == 300
             and an.img.function_at(s.addr).name == "tg_sum_words"]
    assert len(loops) == 1
    k = loops[0]
    assert (e.taken[k], e.not_taken[k], e.exact[k]) == (299, 1, True)
    assert e.inferred == 0


# -- decoding and classes, on assembled snippets -----------------------------------------------------------------

def _summary(insns):
    return [(i.cls, i.load_bytes, i.store_bytes) for i in insns]


def test_thumb_classes_and_bytes():
    src = """ldr r0, [r1, #4]
ldrb r2, [r3], #1
ldrsh r2, [r3]
ldrd r4, r5, [r6]
strh r0, [r1]
push {r4, r5, r6, lr}
pop {r4, r5, r6, pc}
vldr d0, [r1]
vldr s1, [r1]
vpush {d8-d9}
smlad r0, r1, r2, r0
sadd8 r0, r1, r2
sdiv r0, r1, r2
vmla.f32 s0, s1, s2
add r0, r1, r2, lsl #2
cmp r0, #3
bkpt 0xab
tbb [pc, r1]
bl 0"""
    assert _summary(decode("arm", src)) == [
        ("load", 4, 0), ("load", 1, 0), ("load", 2, 0), ("load", 8, 0), ("store", 0, 2), ("store", 0, 16),
        ("branch", 16, 0), ("load", 8, 0), ("load", 4, 0), ("store", 0, 16), ("mul_mac", 0, 0), ("simd_int", 0, 0),
        ("mul_mac", 0, 0), ("scalar_float", 0, 0), ("int_alu", 0, 0), ("int_alu", 0, 0), ("system", 0, 0),
        ("branch", 1, 0), ("branch", 0, 0)]


def test_aarch64_classes_and_bytes():
    src = """ldr x0, [x1, #8]
ldr w0, [x1]
ldrb w0, [x1], #1
ldp q0, q1, [x2], #32
ld1 {v0.16b, v1.16b}, [x3]
ld1r {v2.4s}, [x3]
st1 {v0.s}[1], [x4]
stp x29, x30, [sp, #-16]!
sdot v0.4s, v1.16b, v2.16b
smlal v0.4s, v1.4h, v2.4h
fmla v0.4s, v1.4s, v2.4s
fadd s0, s1, s2
madd x0, x1, x2, x3
add x0, x1, x2, lsl #3
b.ne 0
ret
svc #0"""
    assert _summary(decode("aarch64", src)) == [
        ("load", 8, 0), ("load", 4, 0), ("load", 1, 0), ("load", 32, 0), ("load", 32, 0), ("load", 4, 0),
        ("store", 0, 4), ("store", 0, 16), ("simd_int", 0, 0), ("simd_int", 0, 0), ("simd_float", 0, 0),
        ("scalar_float", 0, 0), ("mul_mac", 0, 0), ("int_alu", 0, 0), ("branch", 0, 0), ("branch", 0, 0),
        ("system", 0, 0)]


def test_riscv_classes_bytes_and_rvv_assumption():
    src = """1: lw a0, 8(a1)
c.ld a2, 8(a3)
sb a0, 0(a1)
fld fa0, 0(a0)
mul a0, a1, a2
divu a0, a1, a2
fmadd.d fa0, fa1, fa2, fa3
vsetvli t0, a0, e32, m2, ta, ma
vle32.v v2, (a1)
vadd.vv v4, v2, v2
vfadd.vv v4, v2, v2
vse32.v v4, (a2)
vl1re8.v v8, (a0)
bnez a0, 1b
ecall"""
    for vlen in (128, 512):
        ins = decode("riscv64", src, vlen=vlen)
        group = 2 * vlen // 8  # e32, m2: VLMAX x 4 bytes = LMUL x VLEN / 8
        assert _summary(ins) == [
            ("load", 4, 0), ("load", 8, 0), ("store", 0, 1), ("load", 8, 0), ("mul_mac", 0, 0), ("mul_mac", 0, 0),
            ("scalar_float", 0, 0), ("simd_int", 0, 0), ("load", group, 0), ("simd_int", 0, 0),
            ("simd_float", 0, 0), ("store", 0, group), ("load", vlen // 8, 0), ("branch", 0, 0), ("system", 0, 0)]
        assert ins[9].vec.elements == 2 * vlen // 32 and ins[9].vec.lmul == 2


def test_layer_names_drop_compiler_clone_suffixes_and_shared_callees_are_flagged():
    from isa.profile import LAYER_RE, FunctionProfile, _subtree_exclusive
    m = LAYER_RE.match("ig_layer_12_fc1.constprop.0")
    assert (m.group(1), m.group(2)) == ("12", "fc1")
    assert LAYER_RE.match("ig_layer_3_attn.isra.0.part.1").group(2) == "attn"
    funcs = {n: FunctionProfile(n) for n in ("ig_layer_0_a", "ig_layer_1_b", "k", "h")}
    funcs["ig_layer_0_a"].calls = {"k": 1, "h": 2}
    funcs["ig_layer_1_b"].calls = {"k": 1}
    assert not _subtree_exclusive(funcs, "ig_layer_0_a") and not _subtree_exclusive(funcs, "ig_layer_1_b")
    funcs["ig_layer_1_b"].calls = {}
    assert _subtree_exclusive(funcs, "ig_layer_0_a")


def test_json_order_does_not_follow_block_order():
    """`intgap run --json` lists functions and each one's callees the same way whatever order the emulator
    reported the blocks in: by count, ties by name."""
    from isa.profile import FunctionProfile, Profile
    a, b = FunctionProfile("b_fn", instructions=5), FunctionProfile("a_fn", instructions=5)
    a.calls, b.calls = {"z": 1, "y": 1, "x": 3}, {}
    docs = [Profile("t", 10, {}, 0, 0, dict(order), [], 0, "", 0).to_json()
            for order in ([("b_fn", a), ("a_fn", b)], [("a_fn", b), ("b_fn", a)])]
    assert docs[0] == docs[1]
    assert [f["name"] for f in docs[0]["functions"]] == ["a_fn", "b_fn"]
    assert list(docs[0]["functions"][1]["calls"]) == ["x", "y", "z"]
