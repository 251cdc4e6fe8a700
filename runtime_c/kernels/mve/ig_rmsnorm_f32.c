/* rmsnorm, FP32: Armv8.1-M Helium float. Per row the sum of squares in a VFMA.F32 accumulator (the last
 * channels % 4 tail-predicated: zeroed lanes add nothing), one 1 / sqrt per row (VSQRT.F32, VDIV.F32:
 * ig_mathf.h), then x * inv * gamma four lanes at a time. */
#include "ig_mathf.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps, float *y) {
  const float inv_c = 1.0f / (float)channels;
  const int32_t whole = channels & ~3;
  const mve_pred16_t p = vctp32q((uint32_t)(channels - whole));
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * (size_t)channels;
    float *yr = y + (size_t)r * (size_t)channels;
    float32x4_t acc = vdupq_n_f32(0.0f);
    int32_t c = 0;
    for (; c < whole; c += 4) {
      float32x4_t v = vld1q_f32(xr + c);
      acc = vfmaq_f32(acc, v, v);
    }
    if (c < channels) {
      float32x4_t v = vldrwq_z_f32(xr + c, p);
      acc = vfmaq_f32(acc, v, v);
    }
    const float inv = ig_rsqrtf(ig_mve_hsum_f32(acc) * inv_c + eps);
    for (c = 0; c < whole; c += 4)
      vst1q_f32(yr + c, vmulq_f32(vmulq_n_f32(vld1q_f32(xr + c), inv), vld1q_f32(gamma + c)));
    if (c < channels)
      vstrwq_p_f32(yr + c, vmulq_f32(vmulq_n_f32(vldrwq_z_f32(xr + c, p), inv), vldrwq_z_f32(gamma + c, p)), p);
  }
}
