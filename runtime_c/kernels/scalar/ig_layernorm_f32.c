/* layernorm, FP32 (quant/ops/float_ops.py layernorm_f32): per row the mean, the biased variance of x - mean (two
 * passes: no cancellation of E[x^2] - mean^2), one 1 / sqrt(var + eps) (ig_mathf.h), then
 * (x - mean) * inv * gamma + beta. Four partial sums per pass (four independent dependency chains on FPU cores).
 * Portable C. */
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma,
                              const float *beta, float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      s0 += xr[c]; s1 += xr[c + 1]; s2 += xr[c + 2]; s3 += xr[c + 3];
    }
    for (; c < channels; c++) s0 += xr[c];
    const float mean = ((s0 + s1) + (s2 + s3)) * inv_c;
    s0 = s1 = s2 = s3 = 0.0f;
    for (c = 0; c + 4 <= channels; c += 4) {
      float d0 = xr[c] - mean, d1 = xr[c + 1] - mean, d2 = xr[c + 2] - mean, d3 = xr[c + 3] - mean;
      s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    for (; c < channels; c++) {
      float d = xr[c] - mean;
      s0 += d * d;
    }
    const float inv = ig_rsqrtf(((s0 + s1) + (s2 + s3)) * inv_c + eps);
    for (c = 0; c < channels; c++) yr[c] = (xr[c] - mean) * inv * gamma[c] + beta[c];
  }
}
