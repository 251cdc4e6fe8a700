/* Fully connected, FP32: Armv8.1-M Helium float (MVE-F). Four output rows at a time (ig_mve_dot4_f32: each load of
 * four x values feeds a VFMA.F32 of each row, one accumulator per row; the last K % 4 columns tail-predicated),
 * then bias, ReLU and the store of the four outputs as one vector; the last N % 4 rows the same way with the
 * missing rows' lanes neither loaded nor stored. */
#include "ig_kernels.h"
#include "ig_mve_f32.h"

void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t rows = n_dim - n < 4 ? n_dim - n : 4;
    float32x4_t s = ig_mve_dot4_f32(x, w + (size_t)n * (size_t)k_dim, k_dim, k_dim, rows);
    if (rows == 4) {
      s = vaddq_f32(s, vld1q_f32(b + n));
      if (relu) s = vmaxnmq_f32(s, vdupq_n_f32(0.0f));
      vst1q_f32(y + n, s);
    } else {
      mve_pred16_t p = vctp32q((uint32_t)rows);
      s = vaddq_f32(s, vldrwq_z_f32(b + n, p));
      if (relu) s = vmaxnmq_f32(s, vdupq_n_f32(0.0f));
      vstrwq_p_f32(y + n, s, p);
    }
  }
}
