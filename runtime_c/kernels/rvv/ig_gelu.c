/* gelu (tanh form through the sigmoid) for RVV 1.0, vector-length agnostic: as ig_silu.c, with the polynomial of u
 * in lanes; each int64 product of the definition is one VSMUL of operands pre-shifted so that rshr(., 31) is the
 * definition's rshr (|xc| <= 2^15: rshr(q xc, 12) = VSMUL(q << 12, xc << 7), rshr(x3 2930, 16) = VSMUL(x3 << 9,
 * 2930 << 6), rshr(w 26145, 14) = VSMUL(w << 13, 26145 << 4)).
 * intgap-provides: ig_gelu_s8_s8 ig_gelu_s8_s16 ig_gelu_s8_s32 ig_gelu_s16_s8 ig_gelu_s16_s16 ig_gelu_s16_s32
 * int32 inputs are the portable loop's. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

IG_RI vint32m2_t gelu_u(vint32m2_t x12, size_t vl) {
  vint32m2_t xc = __riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(x12, -32768, vl), 32768, vl);
  vint32m2_t q = __riscv_vssra_vx_i32m2(__riscv_vmul_vv_i32m2(xc, xc, vl), 12, IG_RNU, vl); /* rshr(xc^2, 12), no overflow */
  vint32m2_t x3 = __riscv_vsmul_vv_i32m2(__riscv_vsll_vx_i32m2(q, 12, vl), __riscv_vsll_vx_i32m2(xc, 7, vl), IG_RNU, vl);
  vint32m2_t w = __riscv_vadd_vv_i32m2(xc, __riscv_vsmul_vx_i32m2(__riscv_vsll_vx_i32m2(x3, 9, vl), 2930 << 6, IG_RNU, vl), vl);
  return __riscv_vsmul_vx_i32m2(__riscv_vsll_vx_i32m2(w, 13, vl), 26145 << 4, IG_RNU, vl);
}

IG_RI void gelu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                     int32_t yb) {
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint32m2_t x12 = ig_rvv_mul_rshr_sat(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, i, xb, vl), x_zp, vl), in_mult, in_shift, vl);
    vint32m2_t f = ig_rvv_mul_sig15(x12, ig_rvv_sigmoid_q15(gelu_u(x12, vl), vl), vl);
    vint32m2_t v = ig_rvv_mul_rshr_zp_sat(f, out_mult, out_shift, y_zp, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}

#define IG_RVV_GELU_DEF(D_, X, XT, Y, YT)                                                                         \
  void ig_gelu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    gelu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
#define IG__RVV_GELU_B(M, X, XT) IG_FOR_B(IG_RVV_GELU_DEF, M, X, XT)
IG_FOR_NARROW(IG__RVV_GELU_B, _)
