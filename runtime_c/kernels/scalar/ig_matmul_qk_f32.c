/* matmul_qk, FP32 (quant/ops/float_ops.py matmul_qk_f32): scores [heads, t, s] = scale * q_h . k_h', grouped KV
 * heads. Four keys at a time share each load of q (four independent accumulators); fused multiply-adds where the
 * target has them (__FP_FAST_FMAF), else a multiply and an add (soft-float helper calls without an FPU). */
#include "ig_attention_f32.h"
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

#if defined(__FP_FAST_FMAF)
#define IG_MAC(acc, a, b) __builtin_fmaf((a), (b), (acc))
#else
#define IG_MAC(acc, a, b) ((acc) + (a) * (b))
#endif

static inline __attribute__((always_inline)) void qk_row(const float *qi, const float *kh, int32_t kw, int32_t s,
                                                         int32_t head_dim, float scale, float *yr) {
  int32_t j = 0;
  for (; j + 4 <= s; j += 4) {
    const float *k0 = kh + (size_t)j * (size_t)kw, *k1 = k0 + kw, *k2 = k1 + kw, *k3 = k2 + kw;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (int32_t c = 0; c < head_dim; c++) {
      float qc = qi[c];
      a0 = IG_MAC(a0, qc, k0[c]);
      a1 = IG_MAC(a1, qc, k1[c]);
      a2 = IG_MAC(a2, qc, k2[c]);
      a3 = IG_MAC(a3, qc, k3[c]);
    }
    yr[j] = a0 * scale; yr[j + 1] = a1 * scale; yr[j + 2] = a2 * scale; yr[j + 3] = a3 * scale;
  }
  for (; j < s; j++) {
    const float *kj = kh + (size_t)j * (size_t)kw;
    float a = 0.0f;
    for (int32_t c = 0; c < head_dim; c++) a = IG_MAC(a, qi[c], kj[c]);
    yr[j] = a * scale;
  }
}

IG_WEAK void ig_matmul_qk_f32(const float *q, const float *k, int32_t t, int32_t s, int32_t heads,
                              int32_t kv_heads, int32_t head_dim, float scale, float *y) {
  ig_qk_rows_f32(q, k, t, s, heads, kv_heads, head_dim, scale, y, qk_row);
}
