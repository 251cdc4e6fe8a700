/* silu for AArch64 NEON: x12 and the output rescale as SMULL + SRSHL + SQXTN (exact for any multiplier; the
 * definition's int32 clamp of x12 is the saturation), the sigmoid in lanes (ig_neon_sigmoid_q15: exp2 vectorized,
 * one scalar UDIV per lane), rshr(x12 s, 15) by SRSHR with the large-|x| select (ig_neon_mul_sig15).
 * intgap-provides: ig_silu_s8_s8 ig_silu_s8_s16 ig_silu_s8_s32 ig_silu_s16_s8 ig_silu_s16_s16 ig_silu_s16_s32
 * int32 inputs (x - x_zp may leave int32) are the portable loop's. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI void silu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                     int32_t yb) {
  int64x2_t zy64 = vdupq_n_s64(y_zp);
  int32x4_t zx = vdupq_n_s32(x_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t nin = vdupq_n_s64(-in_shift), nout = vdupq_n_s64(-out_shift);
  int32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    int32x4_t x12 = ig_neon_mul_rshr_sat(vsubq_s32(ig_neon_load4(x, i, xb), zx), in_mult, nin);
    int32x4_t f = ig_neon_mul_sig15(x12, ig_neon_sigmoid_q15(x12));
    int32x4_t v = ig_neon_mul_rshr_zp_sat(f, out_mult, nout, zy64);
    ig_neon_store4(y, i, ig_neon_clamp(v, lo, hi), yb);
  }
  for (; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(x12), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_NEON_SILU_DEF(D_, X, XT, Y, YT)                                                                        \
  void ig_silu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    silu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
#define IG__NEON_SILU_B(M, X, XT) IG_FOR_B(IG_NEON_SILU_DEF, M, X, XT)
IG_FOR_NARROW(IG__NEON_SILU_B, _)
