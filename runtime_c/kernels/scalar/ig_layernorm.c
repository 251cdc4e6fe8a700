/* layernorm (quant/ops/norm.py): integer mean and variance per row, floor square root, one exact division per
 * element by the row's root.
 *
 * Portable form: the row sum in int32 (|c| < 2^17, C <= 2^13), the sum of squares of d = C c - sum (|d| <= 2^31)
 * one widening multiply-accumulate per element; n = round_div(d 2^20, r) is ig_rdiv20 (a reciprocal per row,
 * exact for |d| <= r < 2^30, which holds when the sum of squares cannot wrap: checked once per call from the
 * input width, else the int64 form); y = rshr(n gamma + beta, shift) from the 64-bit n gamma + beta + 2^(shift-1)
 * (a multiply-accumulate): its high word shifted for shift >= 32, (lo >> shift) | (hi << (32 - shift)) for
 * 21 <= shift < 32 (|n gamma + beta| < 2^52: the result fits int32), else clamped in int64. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

enum { LN_Y_HI = 0, LN_Y_NARROW = 1, LN_Y_WIDE = 2 };

static inline __attribute__((always_inline)) int32_t ln_y(int32_t n, int32_t g, int32_t b, int64_t half,
                                                           int32_t shift, int32_t ymode) {
  int64_t acc = (int64_t)n * g + b + half;
  if (!IG_CORE32 && ymode != LN_Y_WIDE) return (int32_t)(acc >> shift); /* fits int32 */
  if (ymode == LN_Y_HI) return (int32_t)(acc >> 32) >> (shift - 32);
  if (ymode == LN_Y_NARROW) return (int32_t)(((uint32_t)acc >> shift) | ((uint32_t)(acc >> 32) << (32 - shift)));
  return (int32_t)ig_clamp64(acc >> shift, INT32_MIN / 2, INT32_MAX / 2); /* beyond any int8 / int16 output */
}

static inline __attribute__((always_inline)) void ln_rows(const void *x, int32_t xb, int32_t rows, int32_t channels,
                                                           const int32_t *gamma, const int32_t *beta, int32_t x_zp,
                                                           int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                                                           int32_t act_max, void *y, int32_t yb, int32_t ymode) {
  int64_t half = shift ? 1ll << (shift - 1) : 0;
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    int32_t sum = 0;
    for (int32_t i = 0; i < channels; i++) sum += ig_load(x, base + i, xb) - x_zp;
    uint64_t ss = (uint64_t)eps;
    for (int32_t i = 0; i < channels; i++) {
      int32_t d = channels * (ig_load(x, base + i, xb) - x_zp) - sum;
      ss += (uint64_t)((int64_t)d * d);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    if (root < (1 << 30)) {
      ig_rdiv20_t dv = ig_rdiv20_prepare((uint32_t)root);
      for (int32_t i = 0; i < channels; i++) {
        int32_t n = ig_rdiv20(channels * (ig_load(x, base + i, xb) - x_zp) - sum, dv);
        ig_store(y, base + i, ig_clamp(ln_y(n, gamma[i], beta[i], half, shift, ymode) + y_zp, act_min, act_max),
                 yb);
      }
    } else {
      ig_divisor_t dv = ig_divisor((uint64_t)root);
      for (int32_t i = 0; i < channels; i++) {
        int64_t d = (int64_t)channels * (ig_load(x, base + i, xb) - x_zp) - sum;
        int32_t n = (int32_t)ig_round_div_by(d * (1ll << 20), dv);
        ig_store(y, base + i, ig_clamp(ln_y(n, gamma[i], beta[i], half, shift, ymode) + y_zp, act_min, act_max),
                 yb);
      }
    }
  }
}

/* the definition as written (rows whose sum of squares can wrap int64) */
static inline __attribute__((always_inline)) void ln_generic(const void *x, int32_t xb, int32_t rows,
                                                              int32_t channels, const int32_t *gamma,
                                                              const int32_t *beta, int32_t x_zp, int64_t eps,
                                                              int32_t shift, int32_t y_zp, int32_t act_min,
                                                              int32_t act_max, void *y, int32_t yb) {
  for (int32_t r = 0; r < rows; r++) {
    size_t base = (size_t)r * (size_t)channels;
    int64_t sum = 0;
    for (int32_t i = 0; i < channels; i++) sum += (int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp;
    uint64_t ss = (uint64_t)eps;
    for (int32_t i = 0; i < channels; i++) {
      int64_t d = (int64_t)channels * ((int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp) - sum;
      ss += (uint64_t)(d * d);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    ig_divisor_t div = ig_divisor((uint64_t)(root > 1 ? root : 1));
    for (int32_t i = 0; i < channels; i++) {
      int64_t d = (int64_t)channels * ((int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp) - sum;
      int64_t n = ig_round_div_by(d * (1ll << 20), div);
      int64_t v = ig_rshr64(n * gamma[i] + beta[i], shift) + y_zp;
      ig_store(y, (int32_t)(base + i), (int32_t)ig_clamp64(v, act_min, act_max), yb);
    }
  }
}

static inline __attribute__((always_inline)) void layernorm_body(const void *x, int32_t xb, int32_t rows,
                                                                  int32_t channels, const int32_t *gamma,
                                                                  const int32_t *beta, int32_t x_zp, int64_t eps,
                                                                  int32_t shift, int32_t y_zp, int32_t act_min,
                                                                  int32_t act_max, void *y, int32_t yb) {
  /* |c| <= 2^bits - 1, |d| <= 2 C max|c|: the sum of squares C d^2 + eps stays below 2^63 (no wrap, so r >= |d|) */
  uint64_t cmax = (1ull << (8 * xb)) - 1, dmax = 2ull * (uint64_t)channels * cmax;
  if (dmax >= (1ull << 31) || (uint64_t)eps >= (1ull << 62) ||
      dmax * dmax >= ((1ull << 62) - (uint64_t)eps) / (uint64_t)(channels > 0 ? channels : 1)) {
    ln_generic(x, xb, rows, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb);
    return;
  }
  if (shift >= 32)
    ln_rows(x, xb, rows, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb, LN_Y_HI);
  else if (shift >= 21)
    ln_rows(x, xb, rows, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb, LN_Y_NARROW);
  else
    ln_rows(x, xb, rows, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb, LN_Y_WIDE);
}

#define IG_PORTABLE 1
#define IG_ENTRIES_LAYERNORM
#include "ig_entry_points.h"
