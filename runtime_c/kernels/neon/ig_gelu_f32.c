/* gelu, FP32: AArch64 NEON, four elements per step through ig_mathf.h's vector erfc / exp (the same algorithms as
 * the portable kernel, with fused multiply-adds and FDIV.4S); a short tail is padded to a full vector. */
#include <arm_neon.h>

#include "ig_mathf.h"
#include "ig_ops_f32.h"

#define IG_ELEMENTWISE_NEON(NAME, FN)                                                                           \
  void NAME(const float *x, int32_t len, float *y) {                                                            \
    int32_t i = 0;                                                                                              \
    for (; i + 8 <= len; i += 8) { /* two independent vectors per step (latency of the in-order cores) */       \
      float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);                                               \
      vst1q_f32(y + i, FN(a));                                                                                  \
      vst1q_f32(y + i + 4, FN(b));                                                                              \
    }                                                                                                           \
    for (; i + 4 <= len; i += 4) vst1q_f32(y + i, FN(vld1q_f32(x + i)));                                        \
    if (i < len) {                                                                                              \
      float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                                                    \
      for (int32_t j = 0; j < len - i; j++) t[j] = x[i + j];                                                    \
      vst1q_f32(t, FN(vld1q_f32(t)));                                                                           \
      for (int32_t j = 0; j < len - i; j++) y[i + j] = t[j];                                                    \
    }                                                                                                           \
  }

IG_ELEMENTWISE_NEON(ig_gelu_f32, ig_gelu_erfq)
IG_ELEMENTWISE_NEON(ig_gelu_tanh_f32, ig_gelu_tanhq)
