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

/* Pairs in steps of four while four are left, in 128-bit float vectors, which arm_neon.h (AArch64 NEON) and
 * arm_mve.h (Helium float) spell alike: a cos - b sin by FMUL + FMLS, b cos + a sin by FMUL + FMLA (VMUL.F32 +
 * VFMS.F32 / VFMA.F32); returns the first pair not done, for the family's tail. */
#if (defined(__aarch64__) && defined(__ARM_NEON)) || (defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2))
#if defined(__aarch64__)
#include <arm_neon.h>
#else
#include <arm_mve.h>
#endif
static inline __attribute__((always_inline)) int32_t ig_rope_quads_f32(const float *xa, const float *xb,
                                                                        const float *c, const float *sn, float *ya,
                                                                        float *yb, int32_t half) {
  int32_t i = 0;
  for (; i + 4 <= half; i += 4) {
    float32x4_t a = vld1q_f32(xa + i), b = vld1q_f32(xb + i), cv = vld1q_f32(c + i), sv = vld1q_f32(sn + i);
    vst1q_f32(ya + i, vfmsq_f32(vmulq_f32(a, cv), b, sv));
    vst1q_f32(yb + i, vfmaq_f32(vmulq_f32(b, cv), a, sv));
  }
  return i;
}
#endif

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
