/* layernorm, FP32: Armv8.1-M Helium float. Per row the mean and the sum of squares of x - mean
 * (ig_mve_rowsum_f32: VADD.F32 / VFMA.F32 four lanes at a time, the last channels % 4 tail-predicated), one
 * 1 / sqrt (VSQRT.F32, VDIV.F32: ig_mathf.h), then beta + (x - mean) * inv * gamma four lanes at a time. */
#include "ig_mathf.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, const float *beta,
                      float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    const float mean = ig_mve_rowsum_f32(xr, channels, 0.0f, IG_SUM_X) * inv_c;
    const float inv = ig_rsqrtf(ig_mve_rowsum_f32(xr, channels, mean, IG_SUM_D2) * inv_c + eps);
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      float32x4_t d = vmulq_n_f32(vsubq_n_f32(vld1q_f32(xr + c), mean), inv);
      vst1q_f32(yr + c, vfmaq_f32(vld1q_f32(beta + c), d, vld1q_f32(gamma + c)));
    }
    if (c < channels) {
      mve_pred16_t p = vctp32q((uint32_t)(channels - c));
      float32x4_t d = vmulq_n_f32(vsubq_n_f32(vldrwq_z_f32(xr + c, p), mean), inv);
      vstrwq_p_f32(yr + c, vfmaq_f32(vldrwq_z_f32(beta + c, p), d, vldrwq_z_f32(gamma + c, p)), p);
    }
  }
}
