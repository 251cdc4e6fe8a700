/* Fully connected, FP32: AArch64 NEON baseline. Four output rows at a time share each 64-byte load of x; every
 * row has two vector accumulators (eight independent FMLA chains, enough to cover the FMA latency of in-order
 * cores), reduced pairwise at the end. The sum order differs from a k-ordered loop by a few ulps. */
#include <arm_neon.h>

#include "ig_kernels.h"

/* The vector part of x . row (8 elements per step); *k_out is the k reached (the caller adds the tail). */
static inline float32x4_t ig_dot1row_f32(const float *x, const float *row, int32_t k_dim, int32_t *k_out) {
  float32x4_t a = vdupq_n_f32(0.0f), c = a;
  int32_t k = 0;
  for (; k + 8 <= k_dim; k += 8) {
    a = vfmaq_f32(a, vld1q_f32(row + k), vld1q_f32(x + k));
    c = vfmaq_f32(c, vld1q_f32(row + k + 4), vld1q_f32(x + k + 4));
  }
  *k_out = k;
  return vaddq_f32(a, c);
}

void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const float *r0 = w + (size_t)n * (size_t)k_dim, *r1 = r0 + k_dim, *r2 = r1 + k_dim, *r3 = r2 + k_dim;
    float32x4_t a0 = zero, a1 = zero, a2 = zero, a3 = zero, c0 = zero, c1 = zero, c2 = zero, c3 = zero;
    int32_t k = 0;
    if (k_dim >= 16) {
      const float *xp = x, *q0 = r0, *q1 = r1, *q2 = r2, *q3 = r3;
      int32_t iters = k_dim >> 4;
      k = iters << 4;
      do {
        float32x4x4_t xv = vld1q_f32_x4(xp); xp += 16;
        float32x4x4_t v0 = vld1q_f32_x4(q0); q0 += 16;
        float32x4x4_t v1 = vld1q_f32_x4(q1); q1 += 16;
        float32x4x4_t v2 = vld1q_f32_x4(q2); q2 += 16;
        float32x4x4_t v3 = vld1q_f32_x4(q3); q3 += 16;
        a0 = vfmaq_f32(a0, v0.val[0], xv.val[0]); a1 = vfmaq_f32(a1, v1.val[0], xv.val[0]);
        a2 = vfmaq_f32(a2, v2.val[0], xv.val[0]); a3 = vfmaq_f32(a3, v3.val[0], xv.val[0]);
        c0 = vfmaq_f32(c0, v0.val[1], xv.val[1]); c1 = vfmaq_f32(c1, v1.val[1], xv.val[1]);
        c2 = vfmaq_f32(c2, v2.val[1], xv.val[1]); c3 = vfmaq_f32(c3, v3.val[1], xv.val[1]);
        a0 = vfmaq_f32(a0, v0.val[2], xv.val[2]); a1 = vfmaq_f32(a1, v1.val[2], xv.val[2]);
        a2 = vfmaq_f32(a2, v2.val[2], xv.val[2]); a3 = vfmaq_f32(a3, v3.val[2], xv.val[2]);
        c0 = vfmaq_f32(c0, v0.val[3], xv.val[3]); c1 = vfmaq_f32(c1, v1.val[3], xv.val[3]);
        c2 = vfmaq_f32(c2, v2.val[3], xv.val[3]); c3 = vfmaq_f32(c3, v3.val[3], xv.val[3]);
      } while (--iters);
    }
    for (; k + 4 <= k_dim; k += 4) {
      float32x4_t xv = vld1q_f32(x + k);
      a0 = vfmaq_f32(a0, vld1q_f32(r0 + k), xv); a1 = vfmaq_f32(a1, vld1q_f32(r1 + k), xv);
      a2 = vfmaq_f32(a2, vld1q_f32(r2 + k), xv); a3 = vfmaq_f32(a3, vld1q_f32(r3 + k), xv);
    }
    a0 = vaddq_f32(a0, c0); a1 = vaddq_f32(a1, c1); a2 = vaddq_f32(a2, c2); a3 = vaddq_f32(a3, c3);
    /* [sum row 0, sum row 1, sum row 2, sum row 3] + bias */
    float32x4_t s = vaddq_f32(vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3)), vld1q_f32(b + n));
    if (k < k_dim) {
      float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (; k < k_dim; k++) {
        float xk = x[k];
        t[0] += xk * r0[k]; t[1] += xk * r1[k]; t[2] += xk * r2[k]; t[3] += xk * r3[k];
      }
      s = vaddq_f32(s, vld1q_f32(t));
    }
    if (relu) s = vmaxq_f32(s, zero);
    vst1q_f32(y + n, s);
  }
  for (; n < n_dim; n++) {
    const float *row = w + (size_t)n * (size_t)k_dim;
    int32_t k;
    float acc = vaddvq_f32(ig_dot1row_f32(x, row, k_dim, &k)) + b[n];
    for (; k < k_dim; k++) acc += x[k] * row[k];
    y[n] = (relu && acc < 0.0f) ? 0.0f : acc;
  }
}
