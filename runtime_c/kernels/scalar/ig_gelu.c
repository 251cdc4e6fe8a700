/* gelu, tanh form through the sigmoid (quant/ops/elementwise.py): x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_GELU_C3_Q16 2930
#define IG_GELU_K_Q14 26145
#define IG_GELU_CLAMP (8ll << 12)

static inline __attribute__((always_inline)) void gelu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp,
                                                             int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                                             int32_t out_shift, int32_t y_zp, int32_t act_min,
                                                             int32_t act_max, void *y, int32_t yb) {
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
