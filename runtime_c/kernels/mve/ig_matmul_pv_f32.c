/* matmul_pv, FP32: Armv8.1-M Helium float. For each query row 16 output channels at a time in four accumulators:
 * per key one load of p and four loads of that key's value row (contiguous channels), VFMA.F32 by the scalar p;
 * then four channels at a time, the last head_dim % 4 tail-predicated. */
#include "ig_attention_f32.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void pv_row(const float *pr, const float *vh, int32_t vw, int32_t s,
                                                         int32_t head_dim, float *yr) {
  int32_t c = 0;
  for (; c + 16 <= head_dim; c += 16) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw) {
      float pj = pr[j];
      a0 = vfmaq_n_f32(a0, vld1q_f32(vc), pj);
      IG_MVE_F32_ORDER();
      a1 = vfmaq_n_f32(a1, vld1q_f32(vc + 4), pj);
      IG_MVE_F32_ORDER();
      a2 = vfmaq_n_f32(a2, vld1q_f32(vc + 8), pj);
      IG_MVE_F32_ORDER();
      a3 = vfmaq_n_f32(a3, vld1q_f32(vc + 12), pj);
    }
    vst1q_f32(yr + c, a0);
    vst1q_f32(yr + c + 4, a1);
    vst1q_f32(yr + c + 8, a2);
    vst1q_f32(yr + c + 12, a3);
  }
  for (; c < head_dim; c += 4) {
    mve_pred16_t p = vctp32q((uint32_t)(head_dim - c)); /* all four lanes but in the last step */
    float32x4_t a = vdupq_n_f32(0.0f);
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw) a = vfmaq_n_f32(a, vldrwq_z_f32(vc, p), pr[j]);
    vstrwq_p_f32(yr + c, a, p);
  }
}

void ig_matmul_pv_f32(const float *p, const float *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float *y) {
  ig_pv_rows_f32(p, v, t, s, heads, kv_heads, head_dim, y, pv_row);
}
