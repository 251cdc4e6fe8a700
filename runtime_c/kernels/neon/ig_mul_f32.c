/* mul, FP32: AArch64 NEON, 16 elements per step (four FMUL.4S), then 4, then scalar. One rounding per element:
 * the same bits as the portable kernel. */
#include <arm_neon.h>

#include "ig_ops_f32.h"

void ig_mul_f32(const float *a, const float *b, int32_t len, float *y) {
  int32_t i = 0;
  for (; i + 16 <= len; i += 16) {
    float32x4x4_t va = vld1q_f32_x4(a + i), vb = vld1q_f32_x4(b + i), vy;
    vy.val[0] = vmulq_f32(va.val[0], vb.val[0]);
    vy.val[1] = vmulq_f32(va.val[1], vb.val[1]);
    vy.val[2] = vmulq_f32(va.val[2], vb.val[2]);
    vy.val[3] = vmulq_f32(va.val[3], vb.val[3]);
    vst1q_f32_x4(y + i, vy);
  }
  for (; i + 4 <= len; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
  for (; i < len; i++) y[i] = a[i] * b[i];
}
