/* rope, FP32: RVV 1.0, vector-length agnostic strips (LMUL 2) of rotation pairs: a cos - b sin (VFMUL, VFNMSAC)
 * and b cos + a sin (VFMUL, VFMACC); a position outside the table returns 1. */
#include <riscv_vector.h>

#include "ig_ops_f32.h"
#include "ig_rope_f32.h"

static inline __attribute__((always_inline)) void rope_head(const float *xa, const float *xb, const float *c,
                                                             const float *sn, float *ya, float *yb, int32_t half) {
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

int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  return ig_rope_rows_f32(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, rope_head);
}
