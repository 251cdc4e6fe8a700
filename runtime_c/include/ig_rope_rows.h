/* rope, int8 (quant/ops/rope.py): the row and head loop every family's kernel shares (ig_rope_f32.h's for int8 input
 * and Q14 tables), included by kernels/<family>/ig_rope.c after its own head body:
 *   rope_ctx_t: what the family prepares once (zero point, requantization constants);
 *   rope_head(ctx, xa, xb, c, s, base, half, y, yb, mode): one head, x[base + i] (xa) and x[base + half + i] (xb)
 *   against the position's cos / sin row (c, s) into y[base + i] and y[base + half + i] (yb bytes each), mode the
 *   family's requantization variant (a constant after inlining). */
#ifndef IG_ROPE_ROWS_H
#define IG_ROPE_ROWS_H
#include <stddef.h>
#include <stdint.h>

/* Every head of every row with the cos / sin row of its position (tables [n_positions, head_dim / 2]); 1 for a
 * position outside the tables (the rows before it written), else 0. */
static inline __attribute__((always_inline)) int32_t ig_rope_rows(const int8_t *x, int32_t rows,
                                                                   const int32_t *positions, const int16_t *cos_t,
                                                                   const int16_t *sin_t, int32_t n_positions,
                                                                   int32_t heads, int32_t head_dim, void *y,
                                                                   int32_t yb, const rope_ctx_t *ctx, int32_t mode) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base;
      rope_head(ctx, xa, xa + half, c, s, base, half, y, yb, mode);
    }
  }
  return 0;
}
#endif
