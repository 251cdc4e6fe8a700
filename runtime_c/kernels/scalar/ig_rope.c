/* rope (quant/ops/rope.py): rotate-half rotary embedding with Q14 cos / sin tables, requantized per element. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) int32_t rope_body(
    const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t, const int16_t *sin_t,
    int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp,
    int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      for (int32_t i = 0; i < half; i++) {
        int32_t a = x[base + i] - x_zp, b = x[base + i + half] - x_zp;
        int32_t lo = a * c[i] - b * s[i], hi = b * c[i] + a * s[i]; /* |.| < 2^23 */
        ig_store(y, base + i, ig_output_i32(lo, mult, shift, y_zp, act_min, act_max), yb);
        ig_store(y, base + i + half, ig_output_i32(hi, mult, shift, y_zp, act_min, act_max), yb);
      }
    }
  }
  return 0;
}

#define IG_ROPE_DEF(D_, Y, YT)                                                                                    \
  IG_WEAK int32_t ig_rope_s8_##Y(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,          \
                         const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp, \
                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {    \
    return rope_body(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, mult, shift, y_zp,     \
                     act_min, act_max, y, sizeof(YT));                                                          \
  }
IG_FOR_A(IG_ROPE_DEF, _)
