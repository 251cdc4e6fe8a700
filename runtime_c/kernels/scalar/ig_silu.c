/* silu (quant/ops/elementwise.py): x * sigmoid(x) in Q12 with the integer sigmoid of ig_fixed64.h.
 *
 * Portable form, 32-bit throughout for int8 / int16 inputs: x12 = mul_rshr(x - zx, in_mult, in_shift) and the output
 * mul_rshr(f, out_mult, out_shift) are one 32 x 32 multiply each (ig_ms_t plans for the value ranges, made once per
 * call: |x - zx| < 2^bits, |f| <= max(|x12|, 1141) since silu >= -0.2785); the sigmoid is ig_sigmoid_q15_32 and
 * rshr(x12 s, 15) is ig_mul_sig15. Plans that do not fit (int32 input, huge multipliers) take the int64 form. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void silu_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             ig_ms_t mi, int32_t in_mode, ig_ms_t mo,
                                                             int32_t out_mode, int32_t y_zp, int32_t lo, int32_t hi,
                                                             void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int32_t x12 = ig_ms_apply(mi, ig_load(x, i, xb) - x_zp, in_mode);
    int32_t f = ig_mul_sig15(x12, ig_sigmoid_q15_32(x12));
    ig_store(y, i, ig_clamp(ig_ms_apply(mo, f, out_mode) + y_zp, lo, hi), yb);
  }
}

static inline __attribute__((always_inline)) void silu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                                             int32_t out_shift, int32_t y_zp, int32_t act_min,
                                                             int32_t act_max, void *y, int32_t yb) {
  if (xb < 4 && y_zp > -(1 << 30) && y_zp < (1 << 30)) {
    uint32_t dmax = (1u << (8 * xb - 1)) + (uint32_t)(x_zp < 0 ? -x_zp : x_zp);
    ig_ms_t mi = ig_ms_prepare(in_mult, in_shift, dmax);
    uint64_t fmax = (((uint64_t)dmax * (uint32_t)in_mult) >> in_shift) + 1;
    if (fmax < 1141) fmax = 1141;
    ig_ms_t mo = ig_ms_prepare(out_mult, out_shift, fmax < (1ull << 31) ? (uint32_t)fmax : 0xffffffffu);
    if (fmax < (1ull << 30) && mi.mode != IG_MS_WIDE && mo.mode != IG_MS_WIDE) {
      if (mi.mode == IG_MS_HR && mo.mode == IG_MS_HR)
        silu_loop(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_HR, y_zp, act_min, act_max, y, yb);
      else if (mi.mode == IG_MS_HR)
        silu_loop(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      else if (mo.mode == IG_MS_HR)
        silu_loop(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_HR, y_zp, act_min, act_max, y, yb);
      else
        silu_loop(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      return;
    }
  }
  for (int32_t i = 0; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(x12), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_SILU_DEF(D_, X, XT, Y, YT)                                                                             \
  IG_WEAK void ig_silu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    silu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
IG_FOR_2(IG_SILU_DEF)
