/* Attention (quant/ops/attention.py) as its definition writes it, one copy for every family: the mask of softmax
 * (integer and FP32), and matmul_qk / matmul_pv element by element, the path of the kernels for shapes or
 * parameters outside their fast paths. Activations are [t, heads * head_dim] (k and v with kv_heads), scores and
 * probabilities [heads, t, s]; query head h reads key / value head h / group. */
#ifndef IG_ATTENTION_H
#define IG_ATTENTION_H
#include <stddef.h>
#include <stdint.h>

#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_ATT_INLINE static inline __attribute__((always_inline))

/* sum_{j < s} p[row + j] of an int8 (pb 1) or int16 (pb 2) probability row: matmul_pv's zero-point fold (the SIMD
 * kernels'; the portable one keeps its own copy, so that its instruction counts stay those measured) */
IG_ATT_INLINE int32_t ig_prob_rowsum(const void *p, int32_t pb, int32_t row, int32_t s) {
  int32_t sp = 0;
  for (int32_t j = 0; j < s; j++) sp += ig_load(p, row + j, pb);
  return sp;
}

/* How many keys row i of a [t, s] softmax sees: all s, or causal j <= s - t + i (within 0 .. s). */
IG_ATT_INLINE int32_t ig_valid_keys(int32_t causal, int32_t s, int32_t t, int32_t i) {
  int32_t valid = causal ? s - t + i + 1 : s;
  if (valid > s) valid = s;
  if (valid < 0) valid = 0;
  return valid;
}

/* matmul_qk: y[h, i, j] = requant(sum_c (q[i, h, c] - q_zp) (k[j, h / group, c] - k_zp)). */
IG_ATT_INLINE void ig_qk_definition(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,
                                    int32_t group, int32_t qw, int32_t kw, int32_t hd, int32_t q_zp, int32_t k_zp,
                                    ig_rq_t rq, void *y, int32_t yb) {
  for (int32_t h = 0; h < heads; h++)
    for (int32_t i = 0; i < t; i++)
      for (int32_t j = 0; j < s; j++) {
        const int8_t *qi = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)hd;
        const int8_t *kj = k + (size_t)j * (size_t)kw + (size_t)(h / group) * (size_t)hd;
        int32_t acc = 0;
        for (int32_t c = 0; c < hd; c++) acc += (qi[c] - q_zp) * (kj[c] - k_zp);
        ig_store(y, (h * t + i) * s + j, ig_rq_apply(rq, acc), yb);
      }
}

/* matmul_pv: y[i, h, c] = requant(sum_j (p[h, i, j] - p_zp) (v[j, h / group, c] - v_zp)), p of pb bytes; the
 * requantization prepared (rq) or, with rq 0, ig_output_i32 of the raw parameters. */
IG_ATT_INLINE void ig_pv_definition(const void *p, int32_t pb, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                    int32_t group, int32_t yw, int32_t vw, int32_t hd, int32_t p_zp, int32_t v_zp,
                                    const ig_rq_t *rq, int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max, void *y, int32_t yb) {
  for (int32_t h = 0; h < heads; h++)
    for (int32_t i = 0; i < t; i++)
      for (int32_t c = 0; c < hd; c++) {
        int32_t acc = 0, prow = (h * t + i) * s;
        const int8_t *vc = v + (h / group) * hd + c;
        for (int32_t j = 0; j < s; j++) acc += (ig_load(p, prow + j, pb) - p_zp) * (vc[(size_t)j * vw] - v_zp);
        ig_store(y, i * yw + h * hd + c,
                 rq ? ig_rq_apply(*rq, acc) : ig_output_i32(acc, mult, shift, y_zp, act_min, act_max), yb);
      }
}
#endif
