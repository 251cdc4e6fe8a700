/* Shared pieces of the Helium float (MVE-F) kernels, the FP32 baseline on Cortex-M55: four float lanes per step,
 * whole vectors unpredicated in the loops and the last len % 4 elements in one VCTP-predicated step (zeroing loads,
 * predicated stores; a live predicate in a loop is saved and restored around every compare, see ig_mve_ops.h).
 * Helium has no float add across lanes (VADDV is integer only): a vector of four partial sums is reduced with scalar
 * VADD.F32 on its S-register lanes, (l0 + l1) + (l2 + l3). Sums therefore run in another order than the portable
 * kernels' (within the tolerances of tests/codegen/test_float_transformer_ops.py); add / mul stay bit-exact. */
#ifndef IG_MVE_F32_H
#define IG_MVE_F32_H
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "ig_mathf.h"

#define IG_MF static inline __attribute__((always_inline))
/* see IG_MVE_ORDER (ig_mve_common.h): keeps each weight load next to its multiply-add (the dual-beat overlap) */
#define IG_MVE_F32_ORDER() __asm__ volatile("" ::: "memory")

/* the sum of the four lanes of v */
IG_MF float ig_mve_hsum_f32(float32x4_t v) {
  return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) + (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
}

/* The four lane sums of a0..a3 as one vector {sum a0, sum a1, sum a2, sum a3}: stored side by side and read back
 * transposed by VLD40..VLD43 (lane j of every accumulator in vector j), then three vector adds; gcc moves each lane
 * through a core register otherwise (about 60 instructions against 11). */
IG_MF float32x4_t ig_mve_hsum4_f32(float32x4_t a0, float32x4_t a1, float32x4_t a2, float32x4_t a3) {
  float t[16];
  vst1q_f32(t, a0);
  vst1q_f32(t + 4, a1);
  vst1q_f32(t + 8, a2);
  vst1q_f32(t + 12, a3);
  float32x4x4_t c = vld4q_f32(t);
  return vaddq_f32(vaddq_f32(c.val[0], c.val[1]), vaddq_f32(c.val[2], c.val[3]));
}

/* {x . w_0, x . w_1, x . w_2, x . w_3} over len elements, row r at w + r * stride; rows < 4 repeats the last row
 * (the caller stores only the first `rows` lanes). One load of x feeds four multiply-adds (one accumulator per row:
 * four independent chains), the loads post-incremented; the last len % 4 columns in one tail-predicated step whose
 * zeroed lanes add nothing. */
IG_MF float32x4_t ig_mve_dot4_f32(const float *x, const float *w, int32_t stride, int32_t len, int32_t rows) {
  const float *w0 = w, *w1 = rows > 1 ? w0 + stride : w0, *w2 = rows > 2 ? w1 + stride : w1;
  const float *w3 = rows > 3 ? w2 + stride : w2;
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  for (int32_t n = len >> 2; n > 0; n--) {
    float32x4_t xv = vld1q_f32(x);
    x += 4;
    a0 = vfmaq_f32(a0, xv, vld1q_f32(w0));
    w0 += 4;
    IG_MVE_F32_ORDER();
    a1 = vfmaq_f32(a1, xv, vld1q_f32(w1));
    w1 += 4;
    IG_MVE_F32_ORDER();
    a2 = vfmaq_f32(a2, xv, vld1q_f32(w2));
    w2 += 4;
    IG_MVE_F32_ORDER();
    a3 = vfmaq_f32(a3, xv, vld1q_f32(w3));
    w3 += 4;
  }
  if (len & 3) {
    mve_pred16_t p = vctp32q((uint32_t)(len & 3));
    float32x4_t xv = vldrwq_z_f32(x, p);
    a0 = vfmaq_f32(a0, xv, vldrwq_z_f32(w0, p));
    a1 = vfmaq_f32(a1, xv, vldrwq_z_f32(w1, p));
    a2 = vfmaq_f32(a2, xv, vldrwq_z_f32(w2, p));
    a3 = vfmaq_f32(a3, xv, vldrwq_z_f32(w3, p));
  }
  return ig_mve_hsum4_f32(a0, a1, a2, a3);
}

/* y = a + b (mul = 0) or a * b (mul = 1), len elements: one rounding each, the portable kernels' bits. */
IG_MF void ig_mve_binary_f32(const float *a, const float *b, int32_t len, float *y, int mul) {
  int32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    float32x4_t va = vld1q_f32(a + i), vb = vld1q_f32(b + i);
    vst1q_f32(y + i, mul ? vmulq_f32(va, vb) : vaddq_f32(va, vb));
  }
  if (i < len) {
    mve_pred16_t p = vctp32q((uint32_t)(len - i));
    float32x4_t va = vldrwq_z_f32(a + i, p), vb = vldrwq_z_f32(b + i, p);
    vstrwq_p_f32(y + i, mul ? vmulq_f32(va, vb) : vaddq_f32(va, vb), p);
  }
}

/* sum_c f(x[c]) over a row of n floats, f as ig_sum4_f32's modes (ig_mathf.h: IG_SUM_X x, IG_SUM_X2 x^2, IG_SUM_D2
 * (x - center)^2; a constant after inlining), four lanes per step: the norms' sums. The tail step's lanes past n
 * load as zero, which adds nothing to x and x^2; for (x - center)^2 its multiply-add is predicated. */
IG_MF float ig_mve_rowsum_f32(const float *x, int32_t n, float center, int mode) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  int32_t c = 0;
  for (; c + 4 <= n; c += 4) {
    float32x4_t v = vld1q_f32(x + c);
    if (mode == IG_SUM_D2) v = vsubq_n_f32(v, center);
    acc = mode == IG_SUM_X ? vaddq_f32(acc, v) : vfmaq_f32(acc, v, v);
  }
  if (c < n) {
    mve_pred16_t p = vctp32q((uint32_t)(n - c));
    float32x4_t v = vldrwq_z_f32(x + c, p);
    if (mode == IG_SUM_D2) acc = vfmaq_m_f32(acc, vsubq_n_f32(v, center), vsubq_n_f32(v, center), p);
    else acc = mode == IG_SUM_X ? vaddq_f32(acc, v) : vfmaq_f32(acc, v, v);
  }
  return ig_mve_hsum_f32(acc);
}

/* y[i] = f(x[i]) for an element-wise vector function f (an activation), len elements; f of a zeroed tail lane is
 * computed and not stored. */
#define IG_MVE_MAP_F32(FN, x, len, y)                                                                           \
  do {                                                                                                          \
    int32_t i_ = 0;                                                                                             \
    for (; i_ + 4 <= (len); i_ += 4) vst1q_f32((y) + i_, FN(vld1q_f32((x) + i_)));                              \
    if (i_ < (len)) {                                                                                           \
      mve_pred16_t p_ = vctp32q((uint32_t)((len) - i_));                                                        \
      vstrwq_p_f32((y) + i_, FN(vldrwq_z_f32((x) + i_, p_)), p_);                                               \
    }                                                                                                           \
  } while (0)
#endif
