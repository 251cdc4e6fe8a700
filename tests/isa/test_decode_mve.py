"""The Armv8.1-M decoder (isa/decode_mve.py) on what GNU as assembles, and hand-computed micro-benchmarks of the
Cortex-M55 timing model (dual-beat MVE: beat overlap, load-use, MAC throughput)."""
from __future__ import annotations

from tests.isa.asm_snippets import decode
from tests.isa.test_timing import cycles

MVE = "armv8.1m"


def _one(src: str):
    (ins,) = decode(MVE, src)
    return ins


def test_vector_loads_and_stores_move_a_q_register():
    i = _one("vldrb.u8 q1, [r1, #16]!")
    assert (i.cls, i.kind, i.load_bytes, i.writes) == ("load", "vec_load", 16, ("q1", "r1"))
    i = _one("vstrw.32 q2, [r2]")
    assert (i.cls, i.kind, i.store_bytes, i.writes) == ("store", "vec_store", 16, ())
    assert "q2" in i.reads and "r2" in i.reads
    assert _one("vld20.8 {q0, q1}, [r0]").kind == "vec_load"


def test_two_lane_vmov_is_a_move_not_a_load():
    # VMOV Qd[2], Qd[0], Rt, Rt2 shares the VLDR/VSTR encoding space (P = W = 0), a load or store it is not
    i = _one("vmov q3[2], q3[0], r0, r2")
    assert (i.kind, i.load_bytes, i.writes) == ("fp_move", 0, ("q3",)) and {"r0", "r2", "q3"} <= set(i.reads)
    i = _one("vmov r0, r2, q3[2], q3[0]")
    assert (i.kind, i.store_bytes, i.writes, i.reads) == ("fp_move", 0, ("r0", "r2"), ("q3",))
    assert _one("vstrb.8 q1, [r0], #-16").kind == "vec_store"


def test_reductions_predication_and_loops():
    i = _one("vmladava.s8 r4, q5, q6")
    assert (i.cls, i.kind, i.writes) == ("simd_int", "vec_mac_red", ("r4",)) and {"r4", "q5", "q6"} <= set(i.reads)
    assert "r2" not in _one("vmladav.s16 r2, q3, q4").reads  # the non-accumulating form
    assert _one("vmlaldava.s16 r0, r1, q1, q2").writes == ("r0", "r1")
    assert _one("vaddv.s32 r2, q3").kind == "vec_red"
    assert (_one("vctp.8 r2").kind, _one("vctp.8 r2").writes) == ("vec_pred", ("p0",))
    dls, wls, le = decode(MVE, "dls lr, r2\n1: wls lr, r2, 2f\nle lr, 1b\n2: nop")[:3]
    assert dls.branch is None and dls.writes == ("lr",)
    assert (wls.branch, wls.target) == ("cond", 0x100C) and (le.branch, le.target) == ("cond", 0x1004)


def test_vector_alu_and_multiply_groups():
    assert _one("vadd.i32 q0, q1, q2").kind == "vec_alu"
    assert _one("vshr.s8 q0, q1, #4").kind == "vec_alu"
    assert _one("vqrdmulh.s32 q0, q1, q2").kind == "vec_mul"
    assert (_one("vfma.f32 q0, q1, q2").cls, _one("vfma.f32 q0, q1, q2").kind) == ("simd_float", "vec_fmul")
    assert _one("vadd.f32 s0, s1, s2").cls == "scalar_float"  # the scalar FPU's encodings stay capstone's


# -- Cortex-M55 model: each MVE instruction keeps its unit 2 cycles (dual beat); different units overlap ---------

def test_m55_beat_overlap_of_different_units():
    assert cycles("cortex-m55", MVE, "vldrb.u8 q0, [r0]\nvldrb.u8 q1, [r1]", loop=True) == 4  # one load unit
    assert cycles("cortex-m55", MVE, "vldrb.u8 q0, [r0]\nvmladava.s8 r2, q4, q5", loop=True) == 2  # overlap
    assert cycles("cortex-m55", MVE, "vadd.i8 q0, q1, q2\nvmul.i8 q3, q4, q5", loop=True) == 2  # ALU + MAC


def test_m55_load_use_is_beat_wise():
    # the MAC starts on the beats the load has finished: one cycle after it, as if independent
    assert cycles("cortex-m55", MVE, "vldrb.u8 q1, [r0]\nvmladava.s8 r2, q1, q3") == 2
    # a reduction's scalar result waits for all beats: adds issues 3 cycles after the VMLADAVA
    assert cycles("cortex-m55", MVE, "vmladava.s8 r0, q1, q2\nadds r1, r0, #1") == 4


def test_m55_mac_throughput():
    # 16 int8 MACs per VMLADAVA, one every 2 cycles on the MAC unit: 8 MACs per cycle, chained or not
    assert cycles("cortex-m55", MVE, "vmladava.s8 r0, q1, q2\nvmladava.s8 r4, q1, q3", loop=True) == 4
    assert cycles("cortex-m55", MVE, "vmladava.s8 r0, q1, q2\nvmladava.s8 r0, q1, q3", loop=True) == 4
    # the fully connected kernel's step (ig_mve_dot4_s8): 5 loads (x and four rows) bound it at 10 cycles per
    # 64 MACs, the four VMLADAVA overlapping them
    body = "vldrb.u8 q0, [r0]\n" + "".join(f"vldrb.u8 q{i}, [r{i}]\nvmladava.s8 r{4 + 2 * i}, q0, q{i}\n"
                                          for i in range(1, 5))
    assert cycles("cortex-m55", MVE, body, loop=True) == 10
