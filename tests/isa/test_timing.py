"""Timing models on micro-benchmarks whose timing the cores' manuals state (see docs/timing-models.md), and the
whole-run estimate on analytic loops. The numbers asserted are the models' parameters at work: a failure means
the engine or a parameter changed, not that a core changed."""
from __future__ import annotations

import dataclasses

import pytest

from isa.cfg import Site
from isa.profile import analyze
from isa.timing import CycleEstimate, _branch_cost, estimate, get_model
from isa.timing.engine import block_cycles
from isa.targets import TARGETS, get_target
from tests.isa.asm_snippets import decode
from tests.isa.elf_builds import Builds, run


def cycles(model: str, arch: str, src: str, loop: bool = False, vlen: int = 128, target=None) -> int:
    m = get_model(model, target)
    ins = decode(arch, src, vlen=vlen)
    return block_cycles(m, ins, ins if loop else None)


def branch(model: str, kind: str, taken: int, not_taken: int, backward: bool = True) -> tuple[float, float]:
    site = Site(0x2000, kind, 0x1000 if backward else 0x3000, [], taken + not_taken, 0x1ffe)
    return _branch_cost(get_model(model), site, taken, not_taken)


# -- Cortex-M4: Cortex-M4 TRM Table 3-1 -------------------------------------------------------------------------

def test_m4_alu_chain_load_use_and_lsu_pipelining():
    assert cycles("cortex-m4", "arm", "adds r0, r0, r1\n" * 8) == 8
    assert cycles("cortex-m4", "arm", "ldr r0, [r1]\nadds r2, r0, r3") == 3  # LDR 2 + ADD 1
    assert cycles("cortex-m4", "arm", "ldr r0, [r1]\nldr r2, [r1, #4]\nadds r3, r0, r2") == 4  # pipelined LDRs
    # the address of the second load depends on the first: no pipelining (2 + 2 + 1)
    assert cycles("cortex-m4", "arm", "ldr r0, [r1]\nldr r2, [r0]\nadds r3, r2, r2") == 5
    assert cycles("cortex-m4", "arm", "str r0, [r1, #4]\nadds r2, r2, #1") == 2  # STR [Rn,#imm] is 1


def test_m4_mac_multiple_divide_and_it_folding():
    assert cycles("cortex-m4", "arm", "smlad r0, r1, r2, r0\n" * 8) == 8  # single-cycle MAC, chained
    assert cycles("cortex-m4", "arm", "mla r0, r1, r2, r0\nsmull r4, r5, r1, r2\nsmlal r4, r5, r1, r2") == 3
    assert cycles("cortex-m4", "arm", "ldm r0!, {r1, r2, r3, r4}") == 5  # 1 + N
    assert cycles("cortex-m4", "arm", "push {r4, r5, r6, r7, lr}") == 6
    assert cycles("cortex-m4", "arm", "sdiv r0, r1, r2") == 7  # 2-12, midpoint
    assert cycles("cortex-m4", "arm", "cmp r0, #1\nit eq\nmoveq r1, #2") == 2  # IT folded after a 16-bit insn
    assert cycles("cortex-m4", "arm", "vmla.f32 s0, s1, s2\nvdiv.f32 s3, s4, s5") == 3 + 14


def test_m4_branches_refill_without_prediction():
    # B: 1 + P (P = 2); a not-taken conditional branch costs its 1 issue cycle only
    assert branch("cortex-m4", "cond", 99, 1) == (99 * 2, 0)
    assert branch("cortex-m4", "call", 10, 0) == (20, 0)
    assert branch("cortex-m4", "fall", 0, 10) == (0, 0)
    assert branch("cortex-m4", "return", 5, 0) == (10, 0)  # BX LR: 1 + P too (no return stack)
    assert cycles("cortex-m4", "arm", "ldrd r0, r1, [r2]\nadds r3, r0, r1") == 4  # LDRD 1 + N, then the use


# -- Cortex-M7 (model v2: jnk0le's STM32H743 measurements, LLVM's ARMScheduleM7.td) --------------------------------

def test_m7_dual_issue_pairs():
    assert cycles("cortex-m7", "arm", "add r0, r0, #1\nadd r1, r1, #1\n" * 4) == 4  # two ALUs
    assert cycles("cortex-m7", "arm", "add r0, r0, #1\n" * 8) == 8  # dependent chain
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nadds r2, r4, r3") == 1  # load + independent ALU pair
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nstr r2, [r3]") == 1  # a load pairs with a store
    assert cycles("cortex-m7", "arm", "str r0, [r1]\nstr r2, [r3]") == 2  # two stores do not
    # two loads pair when they hit different banks (even / odd word): [r1] and [r1, #4] do, [r1] and [r1, #8] do not
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nldr r2, [r1, #4]") == 1
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nldr r2, [r1, #8]") == 2
    # bitfield/extend ops issue only as the older instruction of a pair
    assert cycles("cortex-m7", "arm", "uxtb r2, r3\nadd r0, r1") == 1
    assert cycles("cortex-m7", "arm", "add r0, r1\nuxtb r2, r3") == 2
    assert cycles("cortex-m7", "arm", "ldm r0!, {r1, r2, r3, r4}") == 2  # ceil(4 / 2) beats
    assert cycles("cortex-m7", "arm", "push {r4, r5, r6, r7, lr}") == 3  # ceil(5 / 2)


def test_m7_load_use_by_consumer_stage():
    """A word load feeds the late ALU the next cycle (issue 0, use 1: 2 cycles; v1 charged a stall: 3). Readers in
    EX1 (address, shifted operand, multiplier) wait one cycle more; LDRB/LDRH take one more cycle."""
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nadds r2, r0, r3") == 2
    assert cycles("cortex-m7", "arm", "ldrb r0, [r1]\nadds r2, r0, r3") == 3
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nldr r2, [r0]") == 3  # pointer chase: address read in EX1
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nadd r2, r3, r0, lsl #2") == 3  # inline shift in the early ALU
    assert cycles("cortex-m7", "arm", "ldr r0, [r1]\nmul r2, r0, r3") == 3
    assert cycles("cortex-m7", "arm", "uxtb r0, r1\nldr r2, [r3, r0]") == 3  # bitfield result as an index


def test_m7_mac_throughput_and_branches():
    assert cycles("cortex-m7", "arm", "smlad r0, r1, r2, r0\n" * 8) == 8  # accumulator forwarding: 1/cycle
    assert cycles("cortex-m7", "arm", "mul r0, r1, r2\nadds r3, r0, r0") == 3  # MUL result in 2
    assert cycles("cortex-m7", "arm", "vdiv.f32 s0, s1, s2") == 16
    # VFMA accumulator chain: 3 per step (issue 0, 3, 6); VFMA does not pair with VLDR, VADD does
    assert cycles("cortex-m7", "arm", "vfma.f32 s1, s2, s3\nvfma.f32 s1, s4, s5\nvfma.f32 s1, s6, s7") == 7
    assert cycles("cortex-m7", "arm", "vldr s0, [r0]\nvfma.f32 s1, s2, s3") == 2
    assert cycles("cortex-m7", "arm", "vldr s0, [r0]\nvadd.f32 s1, s2, s3") == 1
    # a predicted taken branch costs no bubble (it dual-issues with its target); a mispredict costs 8 (v1: 1 and 5)
    assert branch("cortex-m7", "cond", 50, 50) == (0, 50 * 8)
    assert branch("cortex-m7", "cond", 99, 1) == (0, 8)  # loop: one mispredict at the exit
    assert branch("cortex-m7", "return", 5, 0) == (0, 0)
    assert branch("cortex-m7", "indirect", 10, 0) == (0, 40)  # half of register jumps mispredicted (stated rate)


# -- Cortex-A53 / A55 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("core", ["cortex-a53", "cortex-a55"])
def test_a5x_dual_issue_latencies(core):
    assert cycles(core, "aarch64", "add x0, x0, #1\nadd x1, x1, #1\n" * 4) == 4
    assert cycles(core, "aarch64", "add x0, x0, #1\n" * 8) == 8
    assert cycles(core, "aarch64", "add x0, x0, x1, lsl #2\n" * 4, loop=True) == 8  # shifted operand: 2
    assert cycles(core, "aarch64", "ldr x0, [x1]\nadd x2, x0, x3") == 4  # load-use 3
    assert cycles(core, "aarch64", "mul x0, x0, x1\n" * 4, loop=True) == 12  # MUL 3, steady state
    assert cycles(core, "aarch64", "madd x0, x1, x2, x0\n" * 4) == 4  # accumulator forwarding
    assert cycles(core, "aarch64", "sdot v0.4s, v1.16b, v2.16b\n" * 4) == 4  # Q-form: one per cycle
    assert cycles(core, "aarch64", "add v0.8b, v1.8b, v2.8b\nadd v3.8b, v4.8b, v5.8b\n" * 2) == 2  # two D pipes
    assert branch(core, "cond", 50, 50) == (0, 50 * 8)
    assert branch(core, "cond", 99, 1) == (0, 8)  # loop branch: predicted taken without a bubble, exit mispredicted
    assert branch(core, "return", 5, 0) == (0, 0)  # return stack
    assert cycles(core, "aarch64", "smlal v0.4s, v1.4h, v2.4h\n" * 4) == 4  # widening MAC chain: accumulator forwarded
    assert cycles(core, "aarch64", "sdiv x0, x1, x2\nsdiv x3, x4, x5") == 11  # iterative divider busy 10


def test_a53_single_load_store_pipe_a55_two():
    assert cycles("cortex-a53", "aarch64", "ldr x0, [x1]\nstr x2, [x3]") == 2
    assert cycles("cortex-a55", "aarch64", "ldr x0, [x1]\nstr x2, [x3]") == 1


# -- SiFive-U74-like rv64gc, simple rv32imc -----------------------------------------------------------------------

def test_u74_dual_issue_mul_and_branches():
    assert cycles("rv64gc", "riscv64", "addi a0, a0, 1\naddi a1, a1, 1\n" * 4) == 4
    assert cycles("rv64gc", "riscv64", "addi a0, a0, 1\n" * 8) == 8  # dependent chain: 1 per cycle
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\naddi a2, a2, 1") == 1  # load + ALU pair
    # one pipelined multiplier: independent MULs 1 per cycle; a MUL pairs with an ALU op
    assert cycles("rv64gc", "riscv64", "mul a0, a1, a2\nmul a3, a4, a5\nmul a6, a7, t0\nmul t1, t2, t3") == 4
    assert cycles("rv64gc", "riscv64", "mul a0, a1, a2\naddi a3, a3, 1\n" * 4) == 4
    assert cycles("rv64gc", "riscv64", "div a0, a1, a2\ndiv a3, a4, a5") == 21  # iterative divider busy 20
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\nsd a2, 8(a3)") == 2  # one memory pipe
    assert branch("rv64gc", "return", 5, 0) == (5, 0)  # return-address stack: the taken bubble only
    assert cycles("rv64gc", "riscv64", "mul a0, a0, a1\n" * 4, loop=True) == 12
    assert branch("rv64gc", "cond", 99, 1) == (99 * 1, 4)  # taken bubble 1, mispredict 4


def test_u74_load_use_late_alu_and_address_stage():
    """Model v2: the late ALU takes a load's result the next cycle (issue 0, use 1: 2 cycles; v1: 3); an address,
    multiplier or divider operand is read in AG and waits the full 3-cycle load latency (issue 0, use 3: 4)."""
    assert cycles("rv64gc", "riscv64", "lw a0, 0(a1)\nadd a2, a0, a3") == 2
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\nsd a0, 0(a2)") == 2  # store data is read late too
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\nld a2, 0(a0)") == 4  # pointer chase
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\nmul a2, a0, a3") == 4
    assert cycles("rv64gc", "riscv64", "ld a0, 0(a1)\njr a0") == 4  # indirect jump target formed in AG
    assert cycles("rv64gc", "riscv64", "flw fa0, 0(a1)\nfadd.s fa1, fa0, fa0") == 4  # no late FP unit


def test_rv32_single_issue_static_prediction():
    assert cycles("rv32imc", "riscv32", "addi a0, a0, 1\naddi a1, a1, 1\n" * 4) == 8
    assert cycles("rv32imc", "riscv32", "lw a0, 0(a1)\nadd a2, a0, a3") == 3
    assert cycles("rv32imc", "riscv32", "div a0, a1, a2") == 34
    assert cycles("rv32imc", "riscv32", "addi a0, a0, 1\n" * 8) == 8
    assert cycles("rv32imc", "riscv32", "mul a0, a1, a2\nadd a3, a0, a0") == 3  # MUL result in 2
    assert branch("rv32imc", "cond", 99, 1, backward=True) == (99, 2)  # predicted taken: bubble 1, exit 2
    assert branch("rv32imc", "cond", 10, 90, backward=False) == (0, 20)  # predicted not taken
    assert branch("rv32imc", "return", 5, 0) == (0, 10)


# -- RVV ----------------------------------------------------------------------------------------------------------

RVV_ADDS = "vsetvli t0, a0, e32, {lmul}, ta, ma\n" + "vadd.vv v8, v16, v24\n" * 4


@pytest.mark.parametrize("vlen,lmul,busy", [(128, "m1", 1), (512, "m1", 4), (128, "m8", 8), (256, "m2", 4)])
def test_rvv_occupancy_is_lmul_vlen_over_dlen(vlen, lmul, busy):
    """Each vadd over VLMAX elements keeps the 128-bit datapath busy LMUL x VLEN / DLEN cycles."""
    t = dataclasses.replace(get_target("rv64gcv"), vlen=vlen)
    src = RVV_ADDS.format(lmul=lmul)
    assert cycles("rv64gcv", "riscv64", src, vlen=vlen, target=t) == 3 * busy + 1  # last one issues at 3 x busy
    assert cycles("rv64gcv", "riscv64", src, loop=True, vlen=vlen, target=t) == 4 * busy  # steady state


def test_rvv_mac_chain_and_reduction():
    t = get_target("rv64gcv")
    macs = "vsetvli t0, a0, e32, m1, ta, ma\n" + "vmacc.vv v8, v16, v24\n" * 4
    # a dependent vmacc starts after the MAC start-up latency (4) of the one before: 3 x 4 + 1; steady state 4 each
    assert cycles("rv64gcv", "riscv64", macs, target=t) == 13
    assert cycles("rv64gcv", "riscv64", macs, loop=True, target=t) == 16
    # a scalar read of a reduction waits for all of it: the vredsum pairs with the vsetvli (cycle 0), and the
    # vmv.x.s waits busy 1 + start-up 4 + log2(VLMAX = 4) 2 = 7 cycles, so it issues at 7: 8 in all
    red = "vsetvli t0, a0, e32, m1, ta, ma\nvredsum.vs v1, v2, v3\nvmv.x.s a0, v1"
    assert cycles("rv64gcv", "riscv64", red, target=t) == 8


def test_rvv_chaining():
    t = get_target("rv64gcv-vlen512")
    src = "vsetvli t0, a0, e32, m1, ta, ma\nvle32.v v1, (a1)\nvadd.vv v2, v1, v1"
    chained = cycles("rv64gcv", "riscv64", src, vlen=512, target=t)
    m = get_model("rv64gcv", t)
    m.params["chaining"] = False
    ins = decode("riscv64", src, vlen=512)
    unchained = block_cycles(m, ins)
    # 64 bytes at 16 B/cycle: the load keeps the port 4 cycles. Chained, the add starts after the load's 4-cycle
    # start-up (issue at 4, done issuing at 5); unchained it waits for the whole load (4 busy + 4 start-up)
    assert (chained, unchained) == (5, 9)


# -- whole runs ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("timing-elves"))


def test_m4_estimate_of_an_analytic_loop(build):
    """tg_count.c's loop on the M4: ldr 2 (stalls the dependent add), add 1, subs 1, bne 1 + P 2 = 7 cycles."""
    elf = build("tg_count.c", "cortex-m4")
    e1, e2 = (estimate(run(elf, "cortex-m4", "unicorn", n), elf, "cortex-m4") for n in (8, 1000))
    assert e2.cycles - e1.cycles == 992 * 7
    assert e2.per_function["tg_sum_words"] - e1.per_function["tg_sum_words"] == 992 * 7


@pytest.mark.parametrize("target,per_iteration", [("cortex-m7", 2), ("rv64gc", 4)])
def test_dual_issue_estimates_of_an_analytic_loop(build, target, per_iteration):
    """tg_count.c's loop, steady state. M7 v2 (ldr, add, subs, bne): add takes the word load the next cycle, subs
    pairs with it, bne waits for the flags, and the next ldr pairs with the predicted-taken bne (no bubble): 2
    cycles (v1: 4 + a taken bubble). U74 v2 (lw, addi, add, addi, bnez): the next lw pairs with bnez, its addi
    with add (the late ALU takes lw's result the next cycle), the counter's addi issues alone and bnez waits for
    it: 3 issue cycles + the taken bubble 1 (v1: 5)."""
    elf = build("tg_count.c", target)
    e1, e2 = (estimate(run(elf, target, "unicorn", n), elf, target) for n in (8, 1000))
    assert e2.cycles - e1.cycles == 992 * per_iteration
    assert e2.mispredict_cycles == e1.mispredict_cycles  # one mispredict at the loop exit, whatever the trips


@pytest.mark.parametrize("target", [n for n, t in TARGETS.items() if t.unicorn is not None])
def test_estimates_are_labelled_and_roofline_is_separate(build, target):
    t = get_target(target)
    elf = build("uc_matmul.c", target)
    r = run(elf, target, "unicorn", 1)
    an = analyze(r, elf, t)
    e = estimate(r, elf, t, analysis=an)
    assert isinstance(e, CycleEstimate)
    assert e.heading == f"est. cycles ({get_model(t.timing_model, t).label})"
    assert e.heading.startswith("est. cycles (intgap ") and " model v" in e.heading
    assert abs(e.cycles - (e.issue_cycles + e.branch_cycles + e.mispredict_cycles + e.wait_state_cycles)) <= 2
    assert abs(sum(e.per_function.values()) - e.cycles) <= len(e.per_function)
    assert e.roofline_cycles == round(e.bytes_moved / e.bandwidth_bytes_per_cycle)
    assert 0.2 < e.ipc <= 2.0  # single issue cores at most 1, dual issue at most 2
    if get_model(t.timing_model, t).issue_width == 1 or t.timing_model == "cortex-m4":
        assert e.ipc <= 1.0
    assert e.inferred_branch_executions == 0


def test_memory_wait_states_are_charged_per_data_access(build):
    """Every model runs from zero-wait memory (as vendor per-MHz figures do); a model given wait states charges
    them per data access: tg_count.c's loop makes one load per iteration, so 3 wait states add exactly 3 cycles to
    each of the 992 extra iterations, and nothing else changes."""
    elf = build("tg_count.c", "cortex-m4")
    runs = [run(elf, "cortex-m4", "unicorn", n) for n in (8, 1000)]
    slow = get_model("cortex-m4")
    slow.wait_states_per_access = 3
    plain = [estimate(r, elf, "cortex-m4") for r in runs]
    waits = [estimate(r, elf, "cortex-m4", model=slow) for r in runs]
    assert plain[0].wait_state_cycles == plain[1].wait_state_cycles == 0
    assert waits[1].wait_state_cycles - waits[0].wait_state_cycles == 992 * 3
    assert (waits[1].cycles - plain[1].cycles) - (waits[0].cycles - plain[0].cycles) == 992 * 3
    assert waits[1].issue_cycles == plain[1].issue_cycles and waits[1].branch_cycles == plain[1].branch_cycles


def test_every_target_names_a_registered_timing_model_with_a_version():
    from isa.timing import registered_models
    table = registered_models()
    assert {t.timing_model for t in TARGETS.values()} <= set(table)
    for name, entry in table.items():
        m = get_model(name, next((t for t in TARGETS.values() if t.timing_model == name), None))
        assert entry.version >= 1 and m.version == entry.version and m.label.endswith(f" model v{entry.version}")


def test_an_unknown_timing_model_names_the_registered_ones():
    from isa.timing import UnknownTimingModel
    with pytest.raises(UnknownTimingModel, match="cortex-m4.*isa/targets.py"):
        get_model("cortex-m99")
