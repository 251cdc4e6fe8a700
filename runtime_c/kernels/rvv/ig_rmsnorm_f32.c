/* rmsnorm, FP32: RVV 1.0, vector-length agnostic (LMUL 4). The sum of squares accumulates element-wise over full
 * strips of VLMAX (VFMACC) and is reduced once (VFREDUSUM), the short last strip reduced into it; one 1 / sqrt
 * per row (FSQRT.S, FDIV.S); then x * inv * gamma in strips. The sum order depends on VLEN. */
#include <riscv_vector.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  const size_t vlmax = __riscv_vsetvlmax_e32m4(), n = (size_t)channels;
  const size_t full = n / vlmax * vlmax;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * n;
    float *yr = y + (size_t)r * n;
    vfloat32m4_t acc = __riscv_vfmv_v_f_f32m4(0.0f, vlmax);
    for (size_t c = 0; c < full; c += vlmax) {
      vfloat32m4_t v = __riscv_vle32_v_f32m4(xr + c, vlmax);
      acc = __riscv_vfmacc_vv_f32m4(acc, v, v, vlmax);
    }
    vfloat32m1_t s = __riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_v_f_f32m1(0.0f, 1), vlmax);
    if (full < n) {
      size_t vl = n - full;
      vfloat32m4_t v = __riscv_vle32_v_f32m4(xr + full, vl);
      s = __riscv_vfredusum_vs_f32m4_f32m1(__riscv_vfmul_vv_f32m4(v, v, vl), s, vl);
    }
    const float inv = ig_rsqrtf(__riscv_vfmv_f_s_f32m1_f32(s) * inv_c + eps);
    for (size_t c = 0, vl; c < n; c += vl) {
      vl = __riscv_vsetvl_e32m4(n - c);
      vfloat32m4_t v = __riscv_vfmul_vf_f32m4(__riscv_vle32_v_f32m4(xr + c, vl), inv, vl);
      __riscv_vse32_v_f32m4(yr + c, __riscv_vfmul_vv_f32m4(v, __riscv_vle32_v_f32m4(gamma + c, vl), vl), vl);
    }
  }
}
