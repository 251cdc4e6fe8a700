/* rmsnorm, FP32: Armv8.1-M Helium float. Per row the sum of squares (ig_mve_rowsum_f32: VFMA.F32 four lanes at a
 * time, the last channels % 4 tail-predicated), one 1 / sqrt (VSQRT.F32, VDIV.F32: ig_mathf.h), then
 * x * inv * gamma four lanes at a time. */
#include "ig_mathf.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    const float inv = ig_rsqrtf(ig_mve_rowsum_f32(xr, channels, 0.0f, IG_SUM_X2) * inv_c + eps);
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4)
      vst1q_f32(yr + c, vmulq_f32(vmulq_n_f32(vld1q_f32(xr + c), inv), vld1q_f32(gamma + c)));
    if (c < channels) {
      mve_pred16_t p = vctp32q((uint32_t)(channels - c));
      vstrwq_p_f32(yr + c, vmulq_f32(vmulq_n_f32(vldrwq_z_f32(xr + c, p), inv), vldrwq_z_f32(gamma + c, p)), p);
    }
  }
}
