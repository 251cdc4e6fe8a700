"""Hand-computed micro-cases of the Cortex-M0+ and Cortex-M33 timing models (docs/timing-models.md)."""
from __future__ import annotations

from tests.isa.test_timing import branch, cycles


# -- Cortex-M0+: TRM r0p1 3.3 instruction summary ---------------------------------------------------------------

def test_m0plus_single_issue_two_cycle_memory_accesses():
    assert cycles("cortex-m0plus", "arm", "adds r0, r0, #1\nadds r1, r1, #1\n" * 4) == 8  # no dual issue
    assert cycles("cortex-m0plus", "arm", "ldr r0, [r1]\nadds r2, r0, r3") == 3  # LDR 2 + ADDS 1
    assert cycles("cortex-m0plus", "arm", "ldr r0, [r1]\nldr r2, [r1, #4]") == 4  # no load pipelining
    assert cycles("cortex-m0plus", "arm", "str r0, [r1, #4]\nadds r2, r2, #1") == 3  # STR 2
    assert cycles("cortex-m0plus", "arm", "muls r0, r1, r0\n" * 4) == 4  # fast multiplier: 1 each
    assert cycles("cortex-m0plus", "arm", "push {r4, r5, r6, r7, lr}") == 6  # 1 + N
    assert cycles("cortex-m0plus", "arm", "ldmia r0!, {r1, r2, r3}") == 4  # 1 + N


def test_m0plus_branches():
    assert branch("cortex-m0plus", "cond", 99, 1) == (99, 0)  # B<cond>: 2 taken, 1 not taken
    assert branch("cortex-m0plus", "return", 5, 0) == (5, 0)  # BX LR: 2
    assert cycles("cortex-m0plus", "arm", "bl .+8") + branch("cortex-m0plus", "call", 1, 0)[0] == 3  # BL 3
    assert cycles("cortex-m0plus", "arm", "pop {r4, pc}") + branch("cortex-m0plus", "return", 1, 0)[0] == 5  # 3 + N


# -- Cortex-M33 -------------------------------------------------------------------------------------------------

def test_m33_dual_issues_pairs_of_16_bit_alu_instructions():
    assert cycles("cortex-m33", "arm", "adds r0, r0, #1\nadds r1, r1, #1\n" * 4) == 4  # 16-bit pairs
    assert cycles("cortex-m33", "arm", "adds r0, r0, #1\n" * 8) == 8  # a dependent chain does not pair
    assert cycles("cortex-m33", "arm", "add.w r0, r0, #1\nadd.w r1, r1, #1\n" * 4) == 8  # 32-bit: single issue
    assert cycles("cortex-m33", "arm", "ldr r0, [r1]\nldr r2, [r1, #4]") == 2  # loads never pair


def test_m33_load_use_mac_and_branches():
    assert cycles("cortex-m33", "arm", "ldr r0, [r1]\nadds r2, r0, r3") == 3  # one load-use stall
    assert cycles("cortex-m33", "arm", "ldr r0, [r1]\nadds r2, r4, r3") == 2  # independent, but a load never pairs
    assert cycles("cortex-m33", "arm", "smlad r0, r1, r2, r0\n" * 8) == 8  # single-cycle MAC, chained
    assert cycles("cortex-m33", "arm", "sdiv r0, r1, r2") == 7
    assert branch("cortex-m33", "cond", 99, 1) == (99, 0)  # taken: 1 + P, P = 1
    assert branch("cortex-m33", "call", 10, 0) == (10, 0)
