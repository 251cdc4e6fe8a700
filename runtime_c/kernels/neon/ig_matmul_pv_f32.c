/* matmul_pv, FP32: AArch64 NEON. For each query row 16 output channels at a time in four FMLA.4S (by element)
 * accumulators: per key one load of p and four vector loads of that key's value row (contiguous channels); then
 * four channels at a time, then one by one. */
#include <arm_neon.h>

#include "ig_attention_f32.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void pv_row(const float *pr, const float *vh, int32_t vw, int32_t s,
                                                         int32_t head_dim, float *yr) {
  int32_t c = 0;
  for (; c + 16 <= head_dim; c += 16) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw) {
      float32x4x4_t vv = vld1q_f32_x4(vc);
      float pj = pr[j];
      a0 = vfmaq_n_f32(a0, vv.val[0], pj);
      a1 = vfmaq_n_f32(a1, vv.val[1], pj);
      a2 = vfmaq_n_f32(a2, vv.val[2], pj);
      a3 = vfmaq_n_f32(a3, vv.val[3], pj);
    }
    float32x4x4_t out = {{a0, a1, a2, a3}};
    vst1q_f32_x4(yr + c, out);
  }
  for (; c + 4 <= head_dim; c += 4) {
    float32x4_t a = vdupq_n_f32(0.0f);
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw) a = vfmaq_n_f32(a, vld1q_f32(vc), pr[j]);
    vst1q_f32(yr + c, a);
  }
  for (; c < head_dim; c++) {
    float a = 0.0f;
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw) a += pr[j] * vc[0];
    yr[c] = a;
  }
}

void ig_matmul_pv_f32(const float *p, const float *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float *y) {
  ig_pv_rows_f32(p, v, t, s, heads, kv_heads, head_dim, y, pv_row);
}
