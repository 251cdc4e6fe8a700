/* rope, FP32 (quant/ops/float_ops.py rope_f32): rotate-half rotary embedding with float cos / sin tables of
 * [n_positions, head_dim / 2]; a position outside the table returns 1. Portable C. */
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"
#include "ig_rope_f32.h"

static inline __attribute__((always_inline)) void rope_head(const float *xa, const float *xb, const float *c,
                                                             const float *sn, float *ya, float *yb, int32_t half) {
  ig_rope_pairs_f32(xa, xb, c, sn, ya, yb, 0, half);
}

IG_WEAK int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t,
                            const float *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  return ig_rope_rows_f32(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, rope_head);
}
