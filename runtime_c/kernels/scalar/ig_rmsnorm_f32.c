/* rmsnorm, FP32 (quant/ops/float_ops.py rmsnorm_f32): per row one 1 / sqrt(mean(x^2) + eps) (ig_mathf.h), then
 * x * inv * gamma. Four partial sums of squares (four independent dependency chains on FPU cores). Portable C. */
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps,
                            float *y) {
  const float inv_c = 1.0f / (float)channels;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    const float inv = ig_rsqrtf(ig_sum4_f32(xr, channels, 0.0f, IG_SUM_X2) * inv_c + eps);
    for (int32_t c = 0; c < channels; c++) yr[c] = xr[c] * inv * gamma[c];
  }
}
