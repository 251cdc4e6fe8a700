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
    const float mean = ig_sum4_f32(xr, channels, 0.0f, IG_SUM_X) * inv_c;
    const float inv = ig_rsqrtf(ig_sum4_f32(xr, channels, mean, IG_SUM_D2) * inv_c + eps);
    for (int32_t c = 0; c < channels; c++) yr[c] = (xr[c] - mean) * inv * gamma[c] + beta[c];
  }
}
