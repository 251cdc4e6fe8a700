/* rope (quant/ops/rope.py): rotate-half rotary embedding with Q14 cos / sin tables, requantized per element.
 *
 * Portable form: the products are int32 (|a c - b s| <= 2 255 2^14 < 2^23), and the TFLite requantization takes
 * the 32-bit form ig_rq_fast (ig_fixed64.h) for accumulators that small (a left shift below 7), else
 * ig_output_i32. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

typedef struct {
  ig_rq_t rq;
  int32_t x_zp;
} rope_ctx_t;

/* mode 1: ig_rq_fast */
static inline __attribute__((always_inline)) void rope_head(const rope_ctx_t *ctx, const int8_t *xa, const int8_t *xb,
                                                             const int16_t *c, const int16_t *s, int32_t base,
                                                             int32_t half, void *y, int32_t yb, int32_t mode) {
  for (int32_t i = 0; i < half; i++) {
    int32_t a = xa[i] - ctx->x_zp, b = xb[i] - ctx->x_zp, ci = c[i], si = s[i];
    int32_t lo = a * ci - b * si, hi = b * ci + a * si; /* |.| < 2^23 */
    ig_store(y, base + i, mode ? ig_rq_fast(ctx->rq, lo) : ig_rq_apply(ctx->rq, lo), yb);
    ig_store(y, base + i + half, mode ? ig_rq_fast(ctx->rq, hi) : ig_rq_apply(ctx->rq, hi), yb);
  }
}
#include "ig_rope_rows.h"

static inline __attribute__((always_inline)) int32_t rope_body(
    const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t, const int16_t *sin_t,
    int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp,
    int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  const rope_ctx_t k = {ig_rq_prepare(mult, shift, y_zp, act_min, act_max, 2ull * 255u * 32768u), x_zp};
  if (k.rq.fast) return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, yb, &k, 1);
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, yb, &k, 0);
}

#define IG_PORTABLE 1
#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
