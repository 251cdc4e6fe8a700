/* mul with rescale (quant/ops/elementwise.py): the three-factor product in int64. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void mul_body(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t a_zp, int32_t b_zp, int32_t mult,
                                                            int32_t shift, int32_t y_zp, int32_t act_min,
                                                            int32_t act_max, void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_MUL_DEF(D_, A, AT, B, BT, Y, YT)                                                                       \
  IG_WEAK void ig_mul_##A##_##B##_##Y(const AT *a, const BT *b, int32_t len, int32_t a_zp, int32_t b_zp, int32_t mult,   \
                              int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {            \
    mul_body(a, sizeof(AT), b, sizeof(BT), len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, sizeof(YT)); \
  }
IG_FOR_3(IG_MUL_DEF)
