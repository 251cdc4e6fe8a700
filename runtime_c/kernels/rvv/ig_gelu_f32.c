/* gelu, FP32: RVV 1.0, vector-length agnostic strips of LMUL 4 through ig_mathf.h's vector erfc / exp (the same
 * algorithms as the portable kernel, with fused multiply-adds and VFDIV / VFRDIV). */
#include <riscv_vector.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

void ig_gelu_f32(const float *x, int32_t len, float *y) {
  for (size_t n = (size_t)(len > 0 ? len : 0), vl; n > 0; n -= vl, x += vl, y += vl) {
    vl = __riscv_vsetvl_e32m4(n);
    __riscv_vse32_v_f32m4(y, ig_gelu_erfv(__riscv_vle32_v_f32m4(x, vl), vl), vl);
  }
}

void ig_gelu_tanh_f32(const float *x, int32_t len, float *y) {
  for (size_t n = (size_t)(len > 0 ? len : 0), vl; n > 0; n -= vl, x += vl, y += vl) {
    vl = __riscv_vsetvl_e32m4(n);
    __riscv_vse32_v_f32m4(y, ig_gelu_tanhv(__riscv_vle32_v_f32m4(x, vl), vl), vl);
  }
}
