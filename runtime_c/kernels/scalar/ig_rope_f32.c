/* rope, FP32 (quant/ops/float_ops.py rope_f32): rotate-half rotary embedding with float cos / sin tables of
 * [n_positions, head_dim / 2]; a position outside the table returns 1. Portable C. */
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

IG_WEAK int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t,
                            const float *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  const int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const float *c = cos_t + (size_t)p * (size_t)half, *sn = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      const float *xa = x + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *xb = xa + half;
      float *ya = y + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *yb = ya + half;
      for (int32_t i = 0; i < half; i++) {
        float a = xa[i], b = xb[i];
        ya[i] = a * c[i] - b * sn[i];
        yb[i] = b * c[i] + a * sn[i];
      }
    }
  }
  return 0;
}
