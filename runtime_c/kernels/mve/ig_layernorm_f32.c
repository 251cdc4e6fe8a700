/* layernorm, FP32: Armv8.1-M Helium float. Per row the sum (VADD.F32), the sum of squares of x - mean (VFMA.F32;
 * its tail step predicated, as a zeroed lane's x - mean is not 0), one 1 / sqrt (VSQRT.F32, VDIV.F32:
 * ig_mathf.h), then beta + (x - mean) * inv * gamma four lanes at a time; the last channels % 4 tail-predicated. */
#include "ig_mathf.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, const float *beta,
                      float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  const int32_t whole = channels & ~3;
  const mve_pred16_t p = vctp32q((uint32_t)(channels - whole));
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    float32x4_t acc = vdupq_n_f32(0.0f);
    int32_t c = 0;
    for (; c < whole; c += 4) acc = vaddq_f32(acc, vld1q_f32(xr + c));
    if (c < channels) acc = vaddq_f32(acc, vldrwq_z_f32(xr + c, p));
    const float mean = ig_mve_hsum_f32(acc) * inv_c;
    acc = vdupq_n_f32(0.0f);
    for (c = 0; c < whole; c += 4) {
      float32x4_t d = vsubq_n_f32(vld1q_f32(xr + c), mean);
      acc = vfmaq_f32(acc, d, d);
    }
    if (c < channels) {
      float32x4_t d = vsubq_n_f32(vldrwq_z_f32(xr + c, p), mean);
      acc = vfmaq_m_f32(acc, d, d, p);
    }
    const float inv = ig_rsqrtf(ig_mve_hsum_f32(acc) * inv_c + eps);
    for (c = 0; c < whole; c += 4) {
      float32x4_t d = vmulq_n_f32(vsubq_n_f32(vld1q_f32(xr + c), mean), inv);
      vst1q_f32(yr + c, vfmaq_f32(vld1q_f32(beta + c), d, vld1q_f32(gamma + c)));
    }
    if (c < channels) {
      float32x4_t d = vmulq_n_f32(vsubq_n_f32(vldrwq_z_f32(xr + c, p), mean), inv);
      vstrwq_p_f32(yr + c, vfmaq_f32(vldrwq_z_f32(beta + c, p), d, vldrwq_z_f32(gamma + c, p)), p);
    }
  }
}
