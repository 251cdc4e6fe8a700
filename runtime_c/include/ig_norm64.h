/* rmsnorm's output pass (quant/ops/norm.py) for one row as the definition writes it, int64 throughout, given the
 * row's root r: what a vector family runs for the rows its 32-bit lane forms do not cover (r >= 2^30, shifts
 * below 22, large pre-shifts). */
#ifndef IG_NORM64_H
#define IG_NORM64_H
#include <stdint.h>

#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_NORM_C_MAX ((1ll << 24) - 1)

/* c = clamp(rshr(x - zp, pre_shift), +-(2^24 - 1)) of element i */
static inline int64_t ig_norm_c64(const void *x, int32_t i, int32_t xb, int32_t x_zp, int32_t pre_shift) {
  return ig_clamp64(ig_rshr64((int64_t)ig_load(x, i, xb) - x_zp, pre_shift), -IG_NORM_C_MAX, IG_NORM_C_MAX);
}

static inline void ig_rms_row64(const void *x, int32_t xb, int32_t base, int32_t channels, const int32_t *gamma,
                                int32_t x_zp, int32_t pre_shift, int64_t root, int32_t shift, int32_t y_zp,
                                int32_t lo, int32_t hi, void *y, int32_t yb) {
  ig_divisor_t div = ig_divisor((uint64_t)root);
  for (int32_t i = 0; i < channels; i++) {
    int64_t n = ig_round_div_by(ig_norm_c64(x, base + i, xb, x_zp, pre_shift) * (1ll << 20), div);
    ig_store(y, base + i, (int32_t)ig_clamp64(ig_rshr64(n * gamma[i], shift) + y_zp, lo, hi), yb);
  }
}
#endif
