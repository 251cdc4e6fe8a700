/* The norms' rows (quant/ops/norm.py) as the definition writes them, int64 throughout: what a vector family runs
 * for the rows its 32-bit lane forms do not cover (r >= 2^30, small shifts, large pre-shifts, sums that could
 * leave int32). */
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

/* layernorm's 32-bit forms hold (else a row takes the int64 definition): |c| <= 2^bits - 1, |d| <= 2 C max|c| below
 * 2^31, and the sum of squares C d^2 + eps stays below 2^62 (no wrap, so r >= |d|) */
static inline __attribute__((always_inline)) int32_t ig_ln_fits32(int32_t xb, int32_t channels, int64_t eps) {
  uint64_t cmax = (1ull << (8 * xb)) - 1, dmax = 2ull * (uint64_t)channels * cmax;
  return !(dmax >= (1ull << 31) || (uint64_t)eps >= (1ull << 62) ||
           dmax * dmax >= ((1ull << 62) - (uint64_t)eps) / (uint64_t)(channels > 0 ? channels : 1));
}

/* layernorm's row statistics as the definition writes them: the sum of c = x - zp, and eps + the sum of d^2,
 * d = C c - sum (two passes, int64) */
typedef struct {
  int64_t sum;
  uint64_t ss;
} ig_ln_stats64_t;

static inline __attribute__((always_inline)) ig_ln_stats64_t ig_ln_stats64(const void *x, int32_t xb, int32_t base,
                                                                            int32_t channels, int32_t x_zp,
                                                                            int64_t eps) {
  ig_ln_stats64_t st = {0, (uint64_t)eps};
  for (int32_t i = 0; i < channels; i++) st.sum += (int64_t)ig_load(x, base + i, xb) - x_zp;
  for (int32_t i = 0; i < channels; i++) {
    int64_t d = (int64_t)channels * ((int64_t)ig_load(x, base + i, xb) - x_zp) - st.sum;
    st.ss += (uint64_t)(d * d);
  }
  return st;
}

/* layernorm's y from channel i on, given the row's sum and root: n = round_div(d 2^20, root), y = rshr(n gamma +
 * beta, shift) + y_zp, clamped (int64: the vector families' tail and their rows outside the lane forms) */
static inline __attribute__((always_inline)) void ig_ln_y64(const void *x, int32_t xb, int32_t base, int32_t channels,
                                                             const int32_t *gamma, const int32_t *beta, int32_t x_zp,
                                                             int64_t sum, int64_t root, int32_t i, int32_t shift,
                                                             int32_t y_zp, int32_t lo, int32_t hi, void *y,
                                                             int32_t yb) {
  ig_divisor_t div = ig_divisor((uint64_t)(root > 1 ? root : 1));
  for (; i < channels; i++) {
    int64_t d = (int64_t)channels * ((int64_t)ig_load(x, base + i, xb) - x_zp) - sum;
    int64_t n = ig_round_div_by(d * (1ll << 20), div);
    ig_store(y, base + i, (int32_t)ig_clamp64(ig_rshr64(n * gamma[i] + beta[i], shift) + y_zp, lo, hi), yb);
  }
}

/* layernorm's row: sum = sum of c = x - zp and the sum of squares of d = C c - sum in one pass, as
 * C^2 sum c^2 - C sum^2 (the same value modulo 2^64, where the definition forms it), the root, then y */
static inline void ig_ln_row64(const void *x, int32_t xb, int32_t base, int32_t channels, const int32_t *gamma,
                               const int32_t *beta, int32_t x_zp, int64_t eps, int32_t shift, int32_t y_zp,
                               int32_t lo, int32_t hi, void *y, int32_t yb) {
  uint64_t sum = 0, sq = 0, cn = (uint64_t)channels;
  for (int32_t i = 0; i < channels; i++) {
    uint64_t c = (uint64_t)((int64_t)ig_load(x, base + i, xb) - x_zp);
    sum += c;
    sq += c * c;
  }
  int64_t root = ig_isqrt64((int64_t)((uint64_t)eps + cn * cn * sq - cn * sum * sum));
  ig_divisor_t div = ig_divisor((uint64_t)(root > 1 ? root : 1));
  for (int32_t i = 0; i < channels; i++) {
    int64_t d = (int64_t)channels * ((int64_t)ig_load(x, base + i, xb) - x_zp) - (int64_t)sum;
    int64_t n = ig_round_div_by(d * (1ll << 20), div);
    ig_store(y, base + i, (int32_t)ig_clamp64(ig_rshr64(n * gamma[i] + beta[i], shift) + y_zp, lo, hi), yb);
  }
}
#endif
