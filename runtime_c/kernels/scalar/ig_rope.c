/* rope (quant/ops/rope.py): rotate-half rotary embedding with Q14 cos / sin tables, requantized per element.
 *
 * Portable form: the products are int32 (|a c - b s| <= 2 255 2^14 < 2^23), and the TFLite requantization takes
 * the 32-bit form ig_rq_fast (ig_fixed64.h) for accumulators that small (a left shift below 7), else
 * ig_output_i32. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"
#include "ig_rope.h"

typedef struct {
  ig_rq_t rq;
  int32_t x_zp, fast, yb;
  void *y;
} rope_state;

static inline __attribute__((always_inline)) void rope_head(IG_ROPE_HEAD_ARGS) {
  const rope_state *k = state;
  for (int32_t i = 0; i < half; i++) {
    ig_rope_pair_t v = ig_rope_pair(xa, xb, c, s, i, k->x_zp);
    ig_store(k->y, base + i, k->fast ? ig_rq_fast(k->rq, v.lo) : ig_rq_apply(k->rq, v.lo), k->yb);
    ig_store(k->y, base + i + half, k->fast ? ig_rq_fast(k->rq, v.hi) : ig_rq_apply(k->rq, v.hi), k->yb);
  }
}

static inline __attribute__((always_inline)) int32_t rope_rows(const int8_t *x, int32_t rows,
                                                                const int32_t *positions, const int16_t *cos_t,
                                                                const int16_t *sin_t, int32_t n_positions,
                                                                int32_t heads, int32_t head_dim, int32_t x_zp,
                                                                ig_rq_t rq, int32_t fast, void *y, int32_t yb) {
  rope_state k = {rq, x_zp, fast, yb, y};
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, &k, rope_head);
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
