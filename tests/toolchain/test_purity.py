"""The integer purity check catches a planted floating-point operation (hardware FP instruction or soft-float
helper) reachable from the model, names the function and instruction, and ignores float in the run harness."""
import pytest

import isa
from toolchain import FloatInIntegerBuild, build_elf, check_integer_purity, require_integer_purity

MODEL = r"""
#include <stdint.h>
#include "ig_platform.h"
volatile int32_t ig_sink;
__attribute__((noinline)) static int32_t ig_helper(int32_t v) {
#ifdef PLANT_FLOAT
  volatile float f = (float)v;  /* the planted float operation, one call below the layer */
  return (int32_t)(f * 0.5f);
#else
  return v >> 1;
#endif
}
__attribute__((noinline)) void ig_layer_0_fc(int32_t v) { ig_sink = ig_helper(v); }
void ig_model_invoke(int32_t v) { ig_layer_0_fc(v); }
int main(void) {
#ifdef HARNESS_FLOAT
  volatile float h = 3.0f; ig_sink = (int32_t)(h * h);  /* float in the harness: not the model's code */
#endif
  ig_model_invoke(ig_sink);
  ig_write_hex((const void *)&ig_sink, 4);
  return 0;
}
"""


def _build(tmp_path, target_name, *defines):
    src = tmp_path / "m.c"
    src.write_text(MODEL)
    elf = tmp_path / f"{target_name}-{'-'.join(defines) or 'pure'}.elf"
    build_elf([src], isa.get_target(target_name), elf, extra_cflags=tuple(f"-D{d}" for d in defines))
    return elf


@pytest.mark.parametrize("target_name,expect", [("cortex-m4", "__aeabi_"), ("rv32imc", "sf"),
                                                 ("cortex-a55", "f"), ("rv64gcv", "f")])
def test_planted_float_is_caught_with_function_and_instruction(tmp_path, target_name, expect):
    assert check_integer_purity(_build(tmp_path, target_name)) == []
    assert check_integer_purity(_build(tmp_path, target_name, "HARNESS_FLOAT")) == []
    elf = _build(tmp_path, target_name, "PLANT_FLOAT")
    findings = check_integer_purity(elf)
    assert findings and all(f.function == "ig_helper" or f.function.startswith("__") for f in findings)
    assert any(expect in f.instruction for f in findings)
    with pytest.raises(FloatInIntegerBuild) as e:
        require_integer_purity(elf)
    assert "ig_helper" in str(e.value) or "soft-float helper" in str(e.value)
