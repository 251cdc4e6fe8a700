/* matmul_qk, FP32: AArch64 NEON. For each query row four keys at a time: four FMLA.4S accumulators share each
 * load of q (four channels), reduced pairwise (FADDP) into one vector of four scores, scaled and stored at once;
 * a head_dim tail and the last keys one by one. */
#include <arm_neon.h>

#include "ig_attention_f32.h"
#include "ig_ops_f32.h"

static inline float ig_dot_f32(const float *a, const float *b, int32_t n) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  int32_t c = 0;
  for (; c + 4 <= n; c += 4) acc = vfmaq_f32(acc, vld1q_f32(a + c), vld1q_f32(b + c));
  float s = vaddvq_f32(acc);
  for (; c < n; c++) s += a[c] * b[c];
  return s;
}

static inline __attribute__((always_inline)) void qk_row(const float *qi, const float *kh, int32_t kw, int32_t s,
                                                         int32_t head_dim, float scale, float *yr) {
  const int32_t hd4 = head_dim & ~3;
  int32_t j = 0;
  for (; j + 4 <= s; j += 4) {
    const float *k0 = kh + (size_t)j * (size_t)kw, *k1 = k0 + kw, *k2 = k1 + kw, *k3 = k2 + kw;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int32_t c = 0; c < hd4; c += 4) {
      float32x4_t qv = vld1q_f32(qi + c);
      a0 = vfmaq_f32(a0, qv, vld1q_f32(k0 + c));
      a1 = vfmaq_f32(a1, qv, vld1q_f32(k1 + c));
      a2 = vfmaq_f32(a2, qv, vld1q_f32(k2 + c));
      a3 = vfmaq_f32(a3, qv, vld1q_f32(k3 + c));
    }
    float32x4_t sc = vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3));
    if (hd4 < head_dim) {
      float tl[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int32_t c = hd4; c < head_dim; c++) {
        float qc = qi[c];
        tl[0] += qc * k0[c]; tl[1] += qc * k1[c]; tl[2] += qc * k2[c]; tl[3] += qc * k3[c];
      }
      sc = vaddq_f32(sc, vld1q_f32(tl));
    }
    vst1q_f32(yr + j, vmulq_n_f32(sc, scale));
  }
  for (; j < s; j++) yr[j] = ig_dot_f32(qi, kh + (size_t)j * (size_t)kw, head_dim) * scale;
}

void ig_matmul_qk_f32(const float *q, const float *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float scale, float *y) {
  ig_qk_rows_f32(q, k, t, s, heads, kv_heads, head_dim, scale, y, qk_row);
}
