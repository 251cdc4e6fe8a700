/* layernorm, FP32: RVV 1.0, vector-length agnostic (LMUL 4). The sum and then the sum of squares of x - mean
 * accumulate element-wise over full strips of VLMAX and are reduced once each (VFREDUSUM), the short last strip
 * reduced into them; one 1 / sqrt per row (FSQRT.S, FDIV.S); then beta + (x - mean) * inv * gamma (VFMACC) in
 * strips. The sum order depends on VLEN. */
#include <riscv_vector.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, const float *beta,
                      float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  const size_t vlmax = __riscv_vsetvlmax_e32m4(), n = (size_t)channels;
  const size_t full = n / vlmax * vlmax, tail = n - full;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * n;
    float *yr = y + (size_t)r * n;
    vfloat32m4_t acc = __riscv_vfmv_v_f_f32m4(0.0f, vlmax);
    for (size_t c = 0; c < full; c += vlmax)
      acc = __riscv_vfadd_vv_f32m4(acc, __riscv_vle32_v_f32m4(xr + c, vlmax), vlmax);
    vfloat32m1_t s = __riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_v_f_f32m1(0.0f, 1), vlmax);
    if (tail) s = __riscv_vfredusum_vs_f32m4_f32m1(__riscv_vle32_v_f32m4(xr + full, tail), s, tail);
    const float mean = __riscv_vfmv_f_s_f32m1_f32(s) * inv_c;
    acc = __riscv_vfmv_v_f_f32m4(0.0f, vlmax);
    for (size_t c = 0; c < full; c += vlmax) {
      vfloat32m4_t d = __riscv_vfsub_vf_f32m4(__riscv_vle32_v_f32m4(xr + c, vlmax), mean, vlmax);
      acc = __riscv_vfmacc_vv_f32m4(acc, d, d, vlmax);
    }
    s = __riscv_vfredusum_vs_f32m4_f32m1(acc, __riscv_vfmv_v_f_f32m1(0.0f, 1), vlmax);
    if (tail) {
      vfloat32m4_t d = __riscv_vfsub_vf_f32m4(__riscv_vle32_v_f32m4(xr + full, tail), mean, tail);
      s = __riscv_vfredusum_vs_f32m4_f32m1(__riscv_vfmul_vv_f32m4(d, d, tail), s, tail);
    }
    const float inv = ig_rsqrtf(__riscv_vfmv_f_s_f32m1_f32(s) * inv_c + eps);
    for (size_t c = 0, vl; c < n; c += vl) {
      vl = __riscv_vsetvl_e32m4(n - c);
      vfloat32m4_t d = __riscv_vfsub_vf_f32m4(__riscv_vle32_v_f32m4(xr + c, vl), mean, vl);
      d = __riscv_vfmul_vf_f32m4(d, inv, vl);
      vfloat32m4_t o = __riscv_vfmacc_vv_f32m4(__riscv_vle32_v_f32m4(beta + c, vl), d,
                                               __riscv_vle32_v_f32m4(gamma + c, vl), vl);
      __riscv_vse32_v_f32m4(yr + c, o, vl);
    }
  }
}
