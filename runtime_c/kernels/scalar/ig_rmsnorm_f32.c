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
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      s0 += xr[c] * xr[c]; s1 += xr[c + 1] * xr[c + 1]; s2 += xr[c + 2] * xr[c + 2]; s3 += xr[c + 3] * xr[c + 3];
    }
    for (; c < channels; c++) s0 += xr[c] * xr[c];
    const float inv = ig_rsqrtf(((s0 + s1) + (s2 + s3)) * inv_c + eps);
    for (c = 0; c < channels; c++) yr[c] = xr[c] * inv * gamma[c];
  }
}
