/* rope, FP32 (quant/ops/float_ops.py rope_f32): the row and head loop every family's kernel shares, and the
 * rotation of one element pair, the portable kernel and the tail of the vector ones. */
#ifndef IG_ROPE_F32_H
#define IG_ROPE_F32_H
#include <stddef.h>
#include <stdint.h>

/* One head: ya = xa cos - xb sin, yb = xb cos + xa sin over its half = head_dim / 2 pairs. */
typedef void ig_rope_head_f32_fn(const float *xa, const float *xb, const float *c, const float *sn, float *ya,
                                 float *yb, int32_t half);

/* Pairs i .. half - 1 of one head. */
static inline __attribute__((always_inline)) void ig_rope_pairs_f32(const float *xa, const float *xb, const float *c,
                                                                     const float *sn, float *ya, float *yb, int32_t i,
                                                                     int32_t half) {
  for (; i < half; i++) {
    float a = xa[i], b = xb[i];
    ya[i] = a * c[i] - b * sn[i];
    yb[i] = b * c[i] + a * sn[i];
  }
}

/* Every head of every row with the cos / sin row of its position (tables [n_positions, head_dim / 2]); 1 for a
 * position outside the table, else 0. */
static inline __attribute__((always_inline)) int32_t ig_rope_rows_f32(const float *x, int32_t rows,
                                                                       const int32_t *positions, const float *cos_t,
                                                                       const float *sin_t, int32_t n_positions,
                                                                       int32_t heads, int32_t head_dim, float *y,
                                                                       ig_rope_head_f32_fn *head) {
  const int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const float *c = cos_t + (size_t)p * (size_t)half, *sn = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      const float *xa = x + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *xb = xa + half;
      float *ya = y + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *yb = ya + half;
      head(xa, xb, c, sn, ya, yb, half);
    }
  }
  return 0;
}
#endif
