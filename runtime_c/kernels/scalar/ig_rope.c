/* rope (quant/ops/rope.py): rotate-half rotary embedding with Q14 cos / sin tables, requantized per element.
 *
 * Portable form: the products are int32 (|a c - b s| <= 2 255 2^14 < 2^23), and the TFLite requantization takes
 * the 32-bit form ig_rq_fast (ig_fixed64.h) for accumulators that small (a left shift below 7), else
 * ig_output_i32. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) int32_t rope_rows(const int8_t *x, int32_t rows,
                                                                const int32_t *positions, const int16_t *cos_t,
                                                                const int16_t *sin_t, int32_t n_positions,
                                                                int32_t heads, int32_t head_dim, int32_t x_zp,
                                                                ig_rq_t rq, int32_t fast, void *y, int32_t yb) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base, *xb = xa + half;
      for (int32_t i = 0; i < half; i++) {
        int32_t a = xa[i] - x_zp, b = xb[i] - x_zp, ci = c[i], si = s[i];
        int32_t lo = a * ci - b * si, hi = b * ci + a * si; /* |.| < 2^23 */
        ig_store(y, base + i, fast ? ig_rq_fast(rq, lo) : ig_rq_apply(rq, lo), yb);
        ig_store(y, base + i + half, fast ? ig_rq_fast(rq, hi) : ig_rq_apply(rq, hi), yb);
      }
    }
  }
  return 0;
}

static inline __attribute__((always_inline)) int32_t rope_body(
    const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t, const int16_t *sin_t,
    int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp,
    int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, 2ull * 255u * 32768u);
  if (rq.fast)
    return rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, rq, 1, y, yb);
  return rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, rq, 0, y, yb);
}

#define IG_PORTABLE 1
#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
