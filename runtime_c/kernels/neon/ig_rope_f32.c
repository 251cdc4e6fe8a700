/* rope, FP32: AArch64 NEON, four rotation pairs per step: a cos - b sin (FMUL, FMLS) and b cos + a sin (FMUL,
 * FMLA); a position outside the table returns 1. */
#include <arm_neon.h>

#include "ig_ops_f32.h"

int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  const int32_t half = head_dim / 2, width = heads * head_dim;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const float *c = cos_t + (size_t)p * (size_t)half, *sn = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      const float *xa = x + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *xb = xa + half;
      float *ya = y + (size_t)r * (size_t)width + (size_t)h * (size_t)head_dim, *yb = ya + half;
      int32_t i = 0;
      for (; i + 4 <= half; i += 4) {
        float32x4_t a = vld1q_f32(xa + i), b = vld1q_f32(xb + i), cv = vld1q_f32(c + i), sv = vld1q_f32(sn + i);
        vst1q_f32(ya + i, vfmsq_f32(vmulq_f32(a, cv), b, sv));
        vst1q_f32(yb + i, vfmaq_f32(vmulq_f32(b, cv), a, sv));
      }
      for (; i < half; i++) {
        float a = xa[i], b = xb[i];
        ya[i] = a * c[i] - b * sn[i];
        yb[i] = b * c[i] + a * sn[i];
      }
    }
  }
  return 0;
}
