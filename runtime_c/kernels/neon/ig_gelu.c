/* gelu (tanh form through the sigmoid) for AArch64 NEON: as ig_silu.c, with the polynomial of u in lanes; each
 * int64 product of the definition is one SQRDMULH of operands pre-shifted so that rshr(., 31) is the definition's
 * rshr (|xc| <= 2^15: rshr(q xc, 12) = SQRDMULH(q << 12, xc << 7), rshr(x3 2930, 16) = SQRDMULH(x3 << 9,
 * 2930 << 6), rshr(w 26145, 14) = SQRDMULH(w << 13, 26145 << 4)).
 * intgap-provides: ig_gelu_s8_s8 ig_gelu_s8_s16 ig_gelu_s8_s32 ig_gelu_s16_s8 ig_gelu_s16_s16 ig_gelu_s16_s32
 * int32 inputs are the portable loop's. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI int32x4_t gelu_u(int32x4_t x12) {
  int32x4_t xc = vminq_s32(vmaxq_s32(x12, vdupq_n_s32(-32768)), vdupq_n_s32(32768));
  int32x4_t q = vrshrq_n_s32(vmulq_s32(xc, xc), 12);
  int32x4_t x3 = vqrdmulhq_s32(vshlq_n_s32(q, 12), vshlq_n_s32(xc, 7));
  int32x4_t w = vaddq_s32(xc, vqrdmulhq_s32(vshlq_n_s32(x3, 9), vdupq_n_s32(2930 << 6)));
  return vqrdmulhq_s32(vshlq_n_s32(w, 13), vdupq_n_s32(26145 << 4));
}

IG_NI void gelu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                     int32_t yb) {
  int64x2_t zy64 = vdupq_n_s64(y_zp);
  int32x4_t zx = vdupq_n_s32(x_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t nin = vdupq_n_s64(-in_shift), nout = vdupq_n_s64(-out_shift);
  int32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    int32x4_t x12 = ig_neon_mul_rshr_sat(vsubq_s32(ig_neon_load4(x, i, xb), zx), in_mult, nin);
    int32x4_t f = ig_neon_mul_sig15(x12, ig_neon_sigmoid_q15(gelu_u(x12)));
    int32x4_t v = ig_neon_mul_rshr_zp_sat(f, out_mult, nout, zy64);
    ig_neon_store4(y, i, ig_neon_clamp(v, lo, hi), yb);
  }
  for (; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t xc = ig_clamp64(x12, -(8ll << 12), 8ll << 12);
    int64_t x3 = ig_rshr64(ig_rshr64(xc * xc, 12) * xc, 12);
    int64_t u = ig_rshr64((xc + ig_rshr64(x3 * 2930, 16)) * 26145, 14);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(u), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_NEON_GELU_DEF(D_, X, XT, Y, YT)                                                                        \
  void ig_gelu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    gelu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
#define IG__NEON_GELU_B(M, X, XT) IG_FOR_B(IG_NEON_GELU_DEF, M, X, XT)
IG_FOR_NARROW(IG__NEON_GELU_B, _)
