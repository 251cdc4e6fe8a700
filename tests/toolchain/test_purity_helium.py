"""The purity check on Armv8.1-M: where the ELF has MVE, Helium integer instructions and the q / d / s register moves
integer MVE code needs (vector constants, lanes, q4-q7 saves) are allowed and instructions with a float data type are
not; without MVE every v-instruction stays a float one."""
import pytest

from toolchain.purity import check_integer_purity, is_float_instruction


@pytest.mark.parametrize("mnemonic,ops,is_float", [
    ("vadd.i32", "q0, q1, q2", False), ("vshr.s8", "q0, q1, #4", False), ("vorr", "q0, q1, q1", False),
    ("vdup.8", "q0, r1", False), ("vpush", "{d8, d9}", False), ("vmov.32", "r0, d0[1]", False),
    ("vldr", "d0, [pc, #0x1bc]", False), ("vmov", "ip, s12", False),
    ("vfma.f32", "q0, q1, q2", True), ("vcvt.f32.s32", "q0, q1", True), ("vadd.f32", "s0, s1, s2", True),
    ("vmov.f32", "s0, #1.0", True), ("vdiv.f32", "s0, s1, s2", True),
])
def test_on_helium_only_float_types_are_float(mnemonic, ops, is_float):
    assert is_float_instruction("EM_ARM", mnemonic, ops, mve=True) is is_float


@pytest.mark.parametrize("mnemonic,ops", [("vmov", "ip, s12"), ("vldr", "s0, [r0]"), ("vpush", "{d8, d9}")])
def test_without_mve_every_v_instruction_is_float(mnemonic, ops):
    assert is_float_instruction("EM_ARM", mnemonic, ops)


def test_a_cortex_m55_model_with_mve_kernels_is_pure(tmp_path):
    """A build for cortex-m55 (gcc autovectorizes the portable kernels with MVE too) passes; the same source with a
    float multiply is caught."""
    import isa
    import toolchain
    t = isa.get_target("cortex-m55")
    src = tmp_path / "m.c"
    body = ("#include <stdint.h>\n__attribute__((noinline, used))\n"
            "int32_t ig_model_forward(const int8_t *a, const int8_t *b, int32_t n) {\n"
            "  int32_t s = 0;\n  for (int32_t i = 0; i < n; i++) s += a[i] * b[i];\n  return s;\n}\n"
            "int main(void) { static int8_t a[64], b[64]; return ig_model_forward(a, b, 64); }\n")
    src.write_text(body)
    elf = tmp_path / "m.elf"
    toolchain.build_elf([src], t, elf)
    assert check_integer_purity(elf) == []
    src.write_text(body.replace("s += a[i] * b[i];", "s += (int32_t)((float)a[i] * 0.5f * b[i]);"))
    toolchain.build_elf([src], t, elf)
    assert any(".f32" in f.instruction for f in check_integer_purity(elf))
