/* rope, FP32: RVV 1.0, vector-length agnostic strips (LMUL 2) of rotation pairs: a cos - b sin (VFMUL, VFNMSAC)
 * and b cos + a sin (VFMUL, VFMACC); a position outside the table returns 1. */
#include <riscv_vector.h>

#include "ig_ops_f32.h"

int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  const int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const float *c = cos_t + (size_t)p * (size_t)half, *sn = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      const float *xa = x + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *xb = xa + half;
      float *ya = y + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *yb = ya + half;
      for (size_t i = 0, vl; i < (size_t)half; i += vl) {
        vl = __riscv_vsetvl_e32m2((size_t)half - i);
        vfloat32m2_t a = __riscv_vle32_v_f32m2(xa + i, vl), b = __riscv_vle32_v_f32m2(xb + i, vl);
        vfloat32m2_t cv = __riscv_vle32_v_f32m2(c + i, vl), sv = __riscv_vle32_v_f32m2(sn + i, vl);
        vfloat32m2_t lo = __riscv_vfnmsac_vv_f32m2(__riscv_vfmul_vv_f32m2(a, cv, vl), b, sv, vl);
        vfloat32m2_t hi = __riscv_vfmacc_vv_f32m2(__riscv_vfmul_vv_f32m2(b, cv, vl), a, sv, vl);
        __riscv_vse32_v_f32m2(ya + i, lo, vl);
        __riscv_vse32_v_f32m2(yb + i, hi, vl);
      }
    }
  }
  return 0;
}
