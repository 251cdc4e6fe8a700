"""The purity check on Armv8.1-M: Helium integer instructions (only q registers, no float type) and the q4-q7
saves they need are allowed; Helium and scalar float instructions are not."""
import pytest

from toolchain.purity import is_float_instruction


@pytest.mark.parametrize("mnemonic,ops,is_float", [
    ("vadd.i32", "q0, q1, q2", False), ("vshr.s8", "q0, q1, #4", False), ("vorr", "q0, q1, q1", False),
    ("vdup.8", "q0, r1", False), ("vpush", "{d8, d9}", False), ("vmov.32", "r0, d0[1]", False),
    ("vfma.f32", "q0, q1, q2", True), ("vcvt.f32.s32", "q0, q1", True), ("vadd.f32", "s0, s1, s2", True),
    ("vmov", "s0, r1", True), ("vldr", "s0, [r0]", True), ("vmrs", "apsr_nzcv, fpscr", True),
])
def test_helium_integer_is_allowed_float_is_not(mnemonic, ops, is_float):
    assert is_float_instruction("EM_ARM", mnemonic, ops) is is_float
