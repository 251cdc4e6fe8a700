/* silu for RVV 1.0, vector-length agnostic: x12 = VWMUL + VNCLIP (the definition's int32 clamp is the saturation),
 * the sigmoid in lanes (ig_rvv_sigmoid_q15: exp2 by VSMUL steps, the division by VDIVU on 64-bit lanes),
 * rshr(x12 s, 15) with the large-|x| select (ig_rvv_mul_sig15), the output rescale plus y_zp in int64 lanes.
 * intgap-provides: ig_silu_s8_s8 ig_silu_s8_s16 ig_silu_s8_s32 ig_silu_s16_s8 ig_silu_s16_s16 ig_silu_s16_s32
 * int32 inputs (x - x_zp may leave int32) are the portable loop's. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

IG_RI void silu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                     int32_t yb) {
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint32m2_t x12 = ig_rvv_mul_rshr_sat(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, i, xb, vl), x_zp, vl), in_mult, in_shift, vl);
    vint32m2_t f = ig_rvv_mul_sig15(x12, ig_rvv_sigmoid_q15(x12, vl), vl);
    vint32m2_t v = ig_rvv_mul_rshr_zp_sat(f, out_mult, out_shift, y_zp, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}

#define IG_RVV_SILU_DEF(D_, X, XT, Y, YT)                                                                         \
  void ig_silu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    silu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
#define IG__RVV_SILU_B(M, X, XT) IG_FOR_B(IG_RVV_SILU_DEF, M, X, XT)
IG_FOR_NARROW(IG__RVV_SILU_B, _)
