/* mul, FP32: RVV 1.0, vector-length agnostic strips of LMUL 8 (VFMUL.VV: 32 elements per instruction at VLEN 128).
 * One rounding per element: the same bits as the portable kernel. */
#include <riscv_vector.h>

#include "ig_ops_f32.h"

void ig_mul_f32(const float *a, const float *b, int32_t len, float *y) {
  for (size_t n = (size_t)(len > 0 ? len : 0), vl; n > 0; n -= vl, a += vl, b += vl, y += vl) {
    vl = __riscv_vsetvl_e32m8(n);
    __riscv_vse32_v_f32m8(y, __riscv_vfmul_vv_f32m8(__riscv_vle32_v_f32m8(a, vl), __riscv_vle32_v_f32m8(b, vl), vl), vl);
  }
}
