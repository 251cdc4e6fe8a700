/* matmul_pv, FP32 (quant/ops/float_ops.py matmul_pv_f32): y [t, heads * head_dim] = p_h [t, s] . v_h' [s, head_dim],
 * grouped KV heads. Four channels at a time share each load of p (four independent accumulators); fused
 * multiply-adds where the target has them (__FP_FAST_FMAF). */
#include "ig_attention_f32.h"
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

#if defined(__FP_FAST_FMAF)
#define IG_MAC(acc, a, b) __builtin_fmaf((a), (b), (acc))
#else
#define IG_MAC(acc, a, b) ((acc) + (a) * (b))
#endif

static inline __attribute__((always_inline)) void pv_row(const float *pr, const float *vh, int32_t vw, int32_t s,
                                                         int32_t head_dim, float *yr) {
  int32_t c = 0;
  for (; c + 4 <= head_dim; c += 4) {
    const float *vc = vh + c;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (int32_t j = 0; j < s; j++, vc += vw) {
      float pj = pr[j];
      a0 = IG_MAC(a0, pj, vc[0]);
      a1 = IG_MAC(a1, pj, vc[1]);
      a2 = IG_MAC(a2, pj, vc[2]);
      a3 = IG_MAC(a3, pj, vc[3]);
    }
    yr[c] = a0; yr[c + 1] = a1; yr[c + 2] = a2; yr[c + 3] = a3;
  }
  for (; c < head_dim; c++) {
    const float *vc = vh + c;
    float a = 0.0f;
    for (int32_t j = 0; j < s; j++, vc += vw) a = IG_MAC(a, pr[j], vc[0]);
    yr[c] = a;
  }
}

IG_WEAK void ig_matmul_pv_f32(const float *p, const float *v, int32_t t, int32_t s, int32_t heads,
                              int32_t kv_heads, int32_t head_dim, float *y) {
  ig_pv_rows_f32(p, v, t, s, heads, kv_heads, head_dim, y, pv_row);
}
