/* add with rescale (quant/ops/elementwise.py): int64 products and sum, floor-rounding shift, saturation. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void add_body(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t a_zp, int32_t b_zp, int32_t a_mult,
                                                            int32_t b_mult, int32_t shift, int32_t y_zp,
                                                            int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int64_t acc = ((int64_t)ig_load(a, i, ab) - a_zp) * a_mult + ((int64_t)ig_load(b, i, bb) - b_zp) * b_mult;
    ig_store(y, i, (int32_t)ig_clamp64(ig_rshr64(acc, shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_ADD_DEF(D_, A, AT, B, BT, Y, YT)                                                                       \
  IG_WEAK void ig_add_##A##_##B##_##Y(const AT *a, const BT *b, int32_t len, int32_t a_zp, int32_t b_zp, int32_t a_mult, \
                              int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,    \
                              YT *y) {                                                                          \
    add_body(a, sizeof(AT), b, sizeof(BT), len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y,   \
             sizeof(YT));                                                                                        \
  }
IG_FOR_3(IG_ADD_DEF)
