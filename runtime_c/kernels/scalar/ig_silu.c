/* silu (quant/ops/elementwise.py): x * sigmoid(x) in Q12 with the integer sigmoid of ig_fixed64.h. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void silu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                                             int32_t out_shift, int32_t y_zp, int32_t act_min,
                                                             int32_t act_max, void *y, int32_t yb) {
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
