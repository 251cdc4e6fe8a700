/* The FP32 elementwise kernels of AArch64 NEON (ig_add_f32.c, ig_mul_f32.c): 16 elements per step (four
 * FADD.4S or FMUL.4S), then 4, then scalar. One rounding per element: the same bits as the portable kernels. */
#ifndef IG_NEON_F32_H
#define IG_NEON_F32_H
#include <arm_neon.h>
#include <stdint.h>

static inline __attribute__((always_inline)) float32x4_t ig_neon_op_f32(float32x4_t a, float32x4_t b, int mul) {
  return mul ? vmulq_f32(a, b) : vaddq_f32(a, b);
}

/* y = a + b (mul = 0) or a * b (mul = 1), len elements */
static inline __attribute__((always_inline)) void ig_neon_binary_f32(const float *a, const float *b, int32_t len,
                                                                      float *y, int mul) {
  int32_t i = 0;
  for (; i + 16 <= len; i += 16) {
    float32x4x4_t va = vld1q_f32_x4(a + i), vb = vld1q_f32_x4(b + i), vy;
    vy.val[0] = ig_neon_op_f32(va.val[0], vb.val[0], mul);
    vy.val[1] = ig_neon_op_f32(va.val[1], vb.val[1], mul);
    vy.val[2] = ig_neon_op_f32(va.val[2], vb.val[2], mul);
    vy.val[3] = ig_neon_op_f32(va.val[3], vb.val[3], mul);
    vst1q_f32_x4(y + i, vy);
  }
  for (; i + 4 <= len; i += 4) vst1q_f32(y + i, ig_neon_op_f32(vld1q_f32(a + i), vld1q_f32(b + i), mul));
  for (; i < len; i++) y[i] = mul ? a[i] * b[i] : a[i] + b[i];
}
#endif
