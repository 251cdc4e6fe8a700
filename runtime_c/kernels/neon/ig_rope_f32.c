/* rope, FP32: AArch64 NEON, four rotation pairs per step: a cos - b sin (FMUL, FMLS) and b cos + a sin (FMUL,
 * FMLA); a position outside the table returns 1. */
#include "ig_ops_f32.h"
#include "ig_rope_f32.h"

static inline __attribute__((always_inline)) void rope_head(const float *xa, const float *xb, const float *c,
                                                             const float *sn, float *ya, float *yb, int32_t half) {
  ig_rope_pairs_f32(xa, xb, c, sn, ya, yb, ig_rope_quads_f32(xa, xb, c, sn, ya, yb, half), half);
}

int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  return ig_rope_rows_f32(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, rope_head);
}
