/* softcap (quant/ops/softcap.py): c tanh(x / c) as the integer tanh 2 sigmoid(2u) - 1 of ig_fixed64.h's sigmoid:
 * z = mul_rshr(x - x_zp, in_mult, in_shift) (2 x / c in Q12), t = 2 sigmoid_q15(z) - 2^15 (tanh in Q15), then
 * y = clamp(mul_rshr(t, out_mult, out_shift) + y_zp). Portable C, int64 arithmetic as the definition states; the
 * SIMD families link this one (one call per attention block's scores or per logits row). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void softcap_body(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                                int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                                                int32_t out_shift, int32_t y_zp, int32_t act_min,
                                                                int32_t act_max, void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int64_t z = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                           INT32_MAX);
    int64_t t = 2 * ig_sigmoid_q15(z) - (1ll << 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(t, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_SOFTCAP_DEF(D_, X, XT, Y, YT)                                                                          \
  IG_WEAK void ig_softcap_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,   \
                                    int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,          \
                                    int32_t act_max, YT *y) {                                                    \
    softcap_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,    \
                 sizeof(YT));                                                                                     \
  }
IG_FOR_2(IG_SOFTCAP_DEF)
