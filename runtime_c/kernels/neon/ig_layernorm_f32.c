/* layernorm, FP32: AArch64 NEON. Per row the sum (four FADD.4S accumulators, 16 per step), the sum of squares of
 * x - mean (FMLA.4S), one 1 / sqrt (FSQRT, FDIV), then beta + (x - mean) * inv * gamma (FMUL, FMLA) four at a
 * time. */
#include <arm_neon.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, const float *beta,
                      float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  const float32x4_t zero = vdupq_n_f32(0.0f);
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    float32x4_t a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    int32_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      float32x4x4_t v = vld1q_f32_x4(xr + c);
      a0 = vaddq_f32(a0, v.val[0]);
      a1 = vaddq_f32(a1, v.val[1]);
      a2 = vaddq_f32(a2, v.val[2]);
      a3 = vaddq_f32(a3, v.val[3]);
    }
    for (; c + 4 <= channels; c += 4) a0 = vaddq_f32(a0, vld1q_f32(xr + c));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; c < channels; c++) sum += xr[c];
    const float mean = sum * inv_c;
    const float32x4_t m = vdupq_n_f32(mean);
    a0 = a1 = a2 = a3 = zero;
    for (c = 0; c + 16 <= channels; c += 16) {
      float32x4x4_t v = vld1q_f32_x4(xr + c);
      float32x4_t d0 = vsubq_f32(v.val[0], m), d1 = vsubq_f32(v.val[1], m);
      float32x4_t d2 = vsubq_f32(v.val[2], m), d3 = vsubq_f32(v.val[3], m);
      a0 = vfmaq_f32(a0, d0, d0);
      a1 = vfmaq_f32(a1, d1, d1);
      a2 = vfmaq_f32(a2, d2, d2);
      a3 = vfmaq_f32(a3, d3, d3);
    }
    for (; c + 4 <= channels; c += 4) {
      float32x4_t d = vsubq_f32(vld1q_f32(xr + c), m);
      a0 = vfmaq_f32(a0, d, d);
    }
    float ss = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; c < channels; c++) ss += (xr[c] - mean) * (xr[c] - mean);
    const float inv = ig_rsqrtf(ss * inv_c + eps);
    for (c = 0; c + 4 <= channels; c += 4) {
      float32x4_t d = vmulq_n_f32(vsubq_f32(vld1q_f32(xr + c), m), inv);
      vst1q_f32(yr + c, vfmaq_f32(vld1q_f32(beta + c), d, vld1q_f32(gamma + c)));
    }
    for (; c < channels; c++) yr[c] = (xr[c] - mean) * inv * gamma[c] + beta[c];
  }
}
