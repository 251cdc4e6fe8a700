/* rope for RVV 1.0, vector-length agnostic: rotation pairs in lanes.
 * a = x[i] - zp and b = x[i + d/2] - zp as int16 lanes, lo = a cos - b sin and hi = b cos + a sin by VWMUL and
 * VWMACC / VWNMSAC (int32, exact), requantized in lanes (ig_rvv_rq_apply), narrowing stores. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

typedef struct {
  ig_rvv_rq_t rq;
  int32_t x_zp;
} rope_ctx_t;

IG_RI void rope_head(const rope_ctx_t *ctx, const int8_t *xa, const int8_t *xb, const int16_t *c, const int16_t *s,
                     int32_t head_base, int32_t half, void *y, int32_t yb, int32_t mode) {
  (void)mode;
  size_t base = (size_t)head_base;
  for (size_t i = 0, vl; i < (size_t)half; i += vl) {
    vl = __riscv_vsetvl_e16m1((size_t)half - i);
    vint16m1_t a = __riscv_vsub_vx_i16m1(__riscv_vsext_vf2_i16m1(__riscv_vle8_v_i8mf2(xa + i, vl), vl), (int16_t)ctx->x_zp, vl);
    vint16m1_t b = __riscv_vsub_vx_i16m1(__riscv_vsext_vf2_i16m1(__riscv_vle8_v_i8mf2(xb + i, vl), vl), (int16_t)ctx->x_zp, vl);
    vint16m1_t cv = __riscv_vle16_v_i16m1(c + i, vl), sv = __riscv_vle16_v_i16m1(s + i, vl);
    vint32m2_t lo = __riscv_vwmacc_vv_i32m2(__riscv_vwmul_vv_i32m2(a, cv, vl), __riscv_vneg_v_i16m1(b, vl), sv, vl);
    vint32m2_t hi = __riscv_vwmacc_vv_i32m2(__riscv_vwmul_vv_i32m2(b, cv, vl), a, sv, vl);
    ig_rvv_st(y, base + i, ig_rvv_rq_apply(lo, &ctx->rq, vl), yb, vl);
    ig_rvv_st(y, base + (size_t)half + i, ig_rvv_rq_apply(hi, &ctx->rq, vl), yb, vl);
  }
}
#include "ig_rope_rows.h"

IG_RI int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                        const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  const rope_ctx_t k = {ig_rvv_rq(mult, shift, y_zp, act_min, act_max), x_zp};
  ig_rvv_set_vxrm_rnu();
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, yb, &k, 0);
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
