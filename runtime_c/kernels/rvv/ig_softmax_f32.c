/* softmax, FP32: RVV 1.0, vector-length agnostic (LMUL 4). Per row the max of the valid keys (VFREDMAX per strip),
 * exp(x - max) through ig_mathf.h's vector exp, summed per strip (VFREDUSUM), one division, a multiply per element
 * (VFMUL.VF); masked keys get 0. */
#include <riscv_vector.h>

#include "ig_attention_f32.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void softmax_row(const float *xr, float *yr, int32_t valid, int32_t s) {
  const size_t nv = (size_t)valid;
  if (nv > 0) {
    vfloat32m1_t m = __riscv_vfmv_v_f_f32m1(xr[0], 1);
    for (size_t j = 0, vl; j < nv; j += vl) {
      vl = __riscv_vsetvl_e32m4(nv - j);
      m = __riscv_vfredmax_vs_f32m4_f32m1(__riscv_vle32_v_f32m4(xr + j, vl), m, vl);
    }
    const float mx = __riscv_vfmv_f_s_f32m1_f32(m);
    vfloat32m1_t sum = __riscv_vfmv_v_f_f32m1(0.0f, 1);
    for (size_t j = 0, vl; j < nv; j += vl) {
      vl = __riscv_vsetvl_e32m4(nv - j);
      vfloat32m4_t e = ig_expv(__riscv_vfsub_vf_f32m4(__riscv_vle32_v_f32m4(xr + j, vl), mx, vl), vl);
      __riscv_vse32_v_f32m4(yr + j, e, vl);
      sum = __riscv_vfredusum_vs_f32m4_f32m1(e, sum, vl);
    }
    const float rs = 1.0f / __riscv_vfmv_f_s_f32m1_f32(sum); /* >= 1: the max's own term is exp(0) */
    for (size_t j = 0, vl; j < nv; j += vl) {
      vl = __riscv_vsetvl_e32m4(nv - j);
      __riscv_vse32_v_f32m4(yr + j, __riscv_vfmul_vf_f32m4(__riscv_vle32_v_f32m4(yr + j, vl), rs, vl), vl);
    }
  }
  for (size_t j = nv, vl; j < (size_t)s; j += vl) {
    vl = __riscv_vsetvl_e32m4((size_t)s - j);
    __riscv_vse32_v_f32m4(yr + j, __riscv_vfmv_v_f_f32m4(0.0f, vl), vl);
  }
}

void ig_softmax_f32(const float *x, int32_t groups, int32_t t, int32_t s, int32_t causal, float *y) {
  ig_softmax_rows_f32(x, groups, t, s, causal, y, softmax_row);
}
