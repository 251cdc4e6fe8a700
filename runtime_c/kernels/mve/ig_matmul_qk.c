/* matmul_qk (quant/ops/attention.py) for Armv8.1-M Helium: attention scores per head, grouped KV heads, requantized.
 * Both zero points are folded out of the vector loop, in wrapping int32 (the exact sum fits int32):
 *     sum (q - zq)(k - zk) = sum q k - zk sum q - zq sum k + d zq zk,
 * sum q once per query vector, sum q k (VMLADAVA) and sum k (VADDVA) in one pass over each key row, 16 elements per
 * instruction, the head_dim % 16 tail in one tail-predicated step. Requantization as the portable kernel
 * (ig_rq_prepare / ig_rq_apply, ig_fixed64.h), so the bytes are the same. */
#include "ig_fixed64.h"
#include "ig_mve_common.h"
#include "ig_ops.h"

IG_INLINE int32_t qk_sum(const int8_t *a, int32_t n) {
  int32_t s = 0, c = 0;
  for (; c + 16 <= n; c += 16) s = vaddvaq_s8(s, vld1q_s8(a + c));
  if (c < n) s = vaddvaq_s8(s, vldrbq_z_s8(a + c, vctp8q((uint32_t)(n - c))));
  return s;
}

/* sum q k and sum k over n elements (zeroed tail lanes add nothing to either) */
IG_INLINE int32_t qk_dot(const int8_t *q, const int8_t *k, int32_t n, int32_t *ksum) {
  int32_t d = 0, s = 0, c = 0;
  for (; c + 16 <= n; c += 16) {
    int8x16_t kv = vld1q_s8(k + c);
    d = vmladavaq_s8(d, vld1q_s8(q + c), kv);
    s = vaddvaq_s8(s, kv);
  }
  if (c < n) {
    mve_pred16_t p = vctp8q((uint32_t)(n - c));
    int8x16_t kv = vldrbq_z_s8(k + c, p);
    d = vmladavaq_s8(d, vldrbq_z_s8(q + c, p), kv);
    s = vaddvaq_s8(s, kv);
  }
  *ksum = s;
  return d;
}

IG_INLINE void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                       int32_t hd, int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift, int32_t y_zp,
                       int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * hd, kw = kv_heads * hd;
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, (uint64_t)hd * 255u * 255u);
  int32_t zz = ig_wmul(ig_wmul(hd, q_zp), k_zp);
  for (int32_t h = 0; h < heads; h++) {
    const int8_t *kh = k + (size_t)(h / group) * (size_t)hd;
    for (int32_t i = 0; i < t; i++) {
      const int8_t *qi = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)hd;
      int32_t cq = ig_wadd(zz, -ig_wmul(k_zp, qk_sum(qi, hd))), o = (h * t + i) * s;
      for (int32_t j = 0; j < s; j++) {
        int32_t ks, d = qk_dot(qi, kh + (size_t)j * (size_t)kw, hd, &ks);
        ig_store(y, o + j, ig_rq_apply(rq, ig_wadd(ig_wadd(d, cq), -ig_wmul(q_zp, ks))), yb);
      }
    }
  }
}

#define IG_ENTRIES_MATMUL_QK
#include "ig_entry_points.h"
