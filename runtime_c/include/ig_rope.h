/* rope (quant/ops/rope.py), int8 activations and Q14 int16 cos / sin tables: the row and head loop every family's
 * kernel shares, and the rotation of one element pair (the portable kernel and the vector kernels' tails). The FP32
 * twin is ig_rope_f32.h. */
#ifndef IG_ROPE_H
#define IG_ROPE_H
#include <stddef.h>
#include <stdint.h>

/* One head of one row: the pairs (xa[i], xb[i]), i < half, rotated by the cos / sin row (c, s) of the row's
 * position, go to y elements base + i and base + half + i. `state` is the family's (zero point, requantization,
 * y and its width), set up once per call; a family's head is declared `void rope_head(IG_ROPE_HEAD_ARGS)`. */
#define IG_ROPE_HEAD_ARGS                                                                                             \
  const int8_t *xa, const int8_t *xb, const int16_t *c, const int16_t *s, int32_t base, int32_t half,                 \
      const void *state
typedef void ig_rope_head_fn(IG_ROPE_HEAD_ARGS);

/* Pair i: lo = a c - b s, hi = b c + a s of a = xa[i] - zp, b = xb[i] - zp (int32, |.| <= 2 255 2^14 < 2^23: exact) */
typedef struct {
  int32_t lo, hi;
} ig_rope_pair_t;

static inline __attribute__((always_inline)) ig_rope_pair_t ig_rope_pair(const int8_t *xa, const int8_t *xb,
                                                                          const int16_t *c, const int16_t *s,
                                                                          int32_t i, int32_t x_zp) {
  int32_t a = xa[i] - x_zp, b = xb[i] - x_zp, ci = c[i], si = s[i];
  ig_rope_pair_t v = {a * ci - b * si, b * ci + a * si};
  return v;
}

/* Every head of every row (x: [rows, heads * head_dim]; tables [n_positions, head_dim / 2]); 1 for a position
 * outside the tables (the rows before it are written), else 0. */
static inline __attribute__((always_inline)) int32_t ig_rope_rows(const int8_t *x, int32_t rows,
                                                                   const int32_t *positions, const int16_t *cos_t,
                                                                   const int16_t *sin_t, int32_t n_positions,
                                                                   int32_t heads, int32_t head_dim,
                                                                   const void *state, ig_rope_head_fn *head) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base;
      head(xa, xa + half, c, s, base, half, state);
    }
  }
  return 0;
}
#endif
