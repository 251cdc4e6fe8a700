/* rmsnorm, FP32: AArch64 NEON. Sum of squares in four FMLA.4S accumulators (16 per step), one 1 / sqrt per row
 * (FSQRT, FDIV), then x * inv * gamma four at a time. */
#include <arm_neon.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int32_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      float32x4x4_t v = vld1q_f32_x4(xr + c);
      a0 = vfmaq_f32(a0, v.val[0], v.val[0]);
      a1 = vfmaq_f32(a1, v.val[1], v.val[1]);
      a2 = vfmaq_f32(a2, v.val[2], v.val[2]);
      a3 = vfmaq_f32(a3, v.val[3], v.val[3]);
    }
    for (; c + 4 <= channels; c += 4) {
      float32x4_t v = vld1q_f32(xr + c);
      a0 = vfmaq_f32(a0, v, v);
    }
    float ss = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; c < channels; c++) ss += xr[c] * xr[c];
    const float inv = ig_rsqrtf(ss * inv_c + eps);
    for (c = 0; c + 4 <= channels; c += 4)
      vst1q_f32(yr + c, vmulq_f32(vmulq_n_f32(vld1q_f32(xr + c), inv), vld1q_f32(gamma + c)));
    for (; c < channels; c++) yr[c] = xr[c] * inv * gamma[c];
  }
}
