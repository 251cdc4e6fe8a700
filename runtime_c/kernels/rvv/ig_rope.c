/* rope for RVV 1.0, vector-length agnostic: rotation pairs in lanes.
 * a = x[i] - zp and b = x[i + d/2] - zp as int16 lanes, lo = a cos - b sin and hi = b cos + a sin by VWMUL and
 * VWMACC / VWNMSAC (int32, exact), requantized in lanes (ig_rvv_rq_apply), narrowing stores. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

IG_RI int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                        const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  ig_rvv_rq_t rq = ig_rvv_rq(mult, shift, y_zp, act_min, act_max);
  ig_rvv_set_vxrm_rnu();
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      size_t base = (size_t)(r * width + h * head_dim);
      const int8_t *xa = x + base, *xb = xa + half;
      for (size_t i = 0, vl; i < (size_t)half; i += vl) {
        vl = __riscv_vsetvl_e16m1((size_t)half - i);
        vint16m1_t a = __riscv_vsub_vx_i16m1(__riscv_vsext_vf2_i16m1(__riscv_vle8_v_i8mf2(xa + i, vl), vl), (int16_t)x_zp, vl);
        vint16m1_t b = __riscv_vsub_vx_i16m1(__riscv_vsext_vf2_i16m1(__riscv_vle8_v_i8mf2(xb + i, vl), vl), (int16_t)x_zp, vl);
        vint16m1_t cv = __riscv_vle16_v_i16m1(c + i, vl), sv = __riscv_vle16_v_i16m1(s + i, vl);
        vint32m2_t lo = __riscv_vwmacc_vv_i32m2(__riscv_vwmul_vv_i32m2(a, cv, vl), __riscv_vneg_v_i16m1(b, vl), sv, vl);
        vint32m2_t hi = __riscv_vwmacc_vv_i32m2(__riscv_vwmul_vv_i32m2(b, cv, vl), a, sv, vl);
        ig_rvv_st(y, base + i, ig_rvv_rq_apply(lo, &rq, vl), yb, vl);
        ig_rvv_st(y, base + (size_t)half + i, ig_rvv_rq_apply(hi, &rq, vl), yb, vl);
      }
    }
  }
  return 0;
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
