/* gelu, tanh form through the sigmoid (quant/ops/elementwise.py): x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)).
 *
 * Portable form, 32-bit throughout for int8 / int16 inputs (ig_ms_t plans for the input and output scalings, as
 * ig_silu.c). The polynomial's int64 products become rounded high words of 32 x 32 products, exact for the clamped
 * |xc| <= 2^15:  rshr(q xc, 12) = mulhr32(q << 12, xc << 8) (q = rshr(xc^2, 12) <= 2^18),
 * rshr(x3 2930, 16) = mulhr32(x3 << 9, 2930 << 7) (|x3| <= 2^21), rshr(w 26145, 14) = mulhr32(w << 13, 26145 << 5)
 * (|w| < 2^17). For |x12| >= 2^16, xc is clamped and |u| > 2^16 saturates the sigmoid (ig_mul_sig15). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_GELU_C3_Q16 2930
#define IG_GELU_K_Q14 26145
#define IG_GELU_CLAMP (8ll << 12)

static inline __attribute__((always_inline)) int32_t gelu_u32(int32_t x12) {
  int32_t xc = x12 < -32768 ? -32768 : (x12 > 32768 ? 32768 : x12);
#if !IG_CORE32 /* the definition's int64 steps */
  int64_t q64 = ((int64_t)xc * xc + 2048) >> 12;
  int64_t x364 = (q64 * xc + 2048) >> 12;
  int64_t w64 = xc + ((x364 * IG_GELU_C3_Q16 + 32768) >> 16);
  return (int32_t)((w64 * IG_GELU_K_Q14 + 8192) >> 14);
#endif
  int32_t q = (xc * xc + 2048) >> 12;
  int32_t x3 = ig_mulhr32(q << 12, xc * 256);
  int32_t w = xc + ig_mulhr32(x3 * 512, IG_GELU_C3_Q16 << 7);
  return ig_mulhr32(w * 8192, IG_GELU_K_Q14 << 5);
}

static inline __attribute__((always_inline)) void gelu_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             ig_ms_t mi, int32_t in_mode, ig_ms_t mo,
                                                             int32_t out_mode, int32_t y_zp, int32_t lo, int32_t hi,
                                                             void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int32_t x12 = ig_ms_apply(mi, ig_load(x, i, xb) - x_zp, in_mode);
    int32_t f = ig_mul_sig15(x12, ig_sigmoid_q15_32(gelu_u32(x12)));
    ig_store(y, i, ig_clamp(ig_ms_apply(mo, f, out_mode) + y_zp, lo, hi), yb);
  }
}

static inline __attribute__((always_inline)) void gelu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                                             int32_t out_shift, int32_t y_zp, int32_t act_min,
                                                             int32_t act_max, void *y, int32_t yb) {
  if (xb < 4 && y_zp > -(1 << 30) && y_zp < (1 << 30)) {
    uint32_t dmax = (1u << (8 * xb - 1)) + (uint32_t)(x_zp < 0 ? -x_zp : x_zp);
    ig_ms_t mi = ig_ms_prepare(in_mult, in_shift, dmax);
    uint64_t fmax = (((uint64_t)dmax * (uint32_t)in_mult) >> in_shift) + 1; /* |f| <= |x12| */
    ig_ms_t mo = ig_ms_prepare(out_mult, out_shift, fmax < (1ull << 31) ? (uint32_t)fmax : 0xffffffffu);
    if (fmax < (1ull << 30) && mi.mode != IG_MS_WIDE && mo.mode != IG_MS_WIDE) {
      if (mi.mode == IG_MS_HR && mo.mode == IG_MS_HR)
        gelu_loop(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_HR, y_zp, act_min, act_max, y, yb);
      else if (mi.mode == IG_MS_HR)
        gelu_loop(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      else if (mo.mode == IG_MS_HR)
        gelu_loop(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_HR, y_zp, act_min, act_max, y, yb);
      else
        gelu_loop(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      return;
    }
  }
  for (int32_t i = 0; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t xc = ig_clamp64(x12, -IG_GELU_CLAMP, IG_GELU_CLAMP);
    int64_t x3 = ig_rshr64(ig_rshr64(xc * xc, 12) * xc, 12);
    int64_t u = ig_rshr64((xc + ig_rshr64(x3 * IG_GELU_C3_Q16, 16)) * IG_GELU_K_Q14, 14);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(u), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_GELU_DEF(D_, X, XT, Y, YT)                                                                             \
  IG_WEAK void ig_gelu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    gelu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
IG_FOR_2(IG_GELU_DEF)
