/* matmul_qk (quant/ops/attention.py): attention scores per head, grouped KV heads, requantized (the 1/sqrt(d) of
 * attention is in the multiplier).
 *
 * Portable form: the query zero point is subtracted once per query vector (q' = q - zq, int16 in a stack buffer)
 * and the key zero point folded out of the inner loop,
 *     sum (q - zq)(k - zk) = sum q' k - zk sum q'                  (int32, wrapping: the exact sum fits int32),
 * so the inner loop is q' k products only. The query vectors of one KV head (its `group` query heads times t rows,
 * output rows g * group * t + v of y) run two at a time against two key rows at a time (a 2 x 2 register block:
 * each loaded value feeds two products), unrolled by four along the head dimension. Requantization takes
 * ig_rq_fast when |acc| <= d 255^2 allows it. Heads wider than IG_QK_HD_MAX take a plain loop. */
#include "ig_attention.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#ifndef IG_QK_HD_MAX
#define IG_QK_HD_MAX 256
#endif

static inline __attribute__((always_inline)) int32_t qk_prep(const int8_t *a, int32_t n, int32_t zp, int16_t *out) {
  int32_t s = 0;
  for (int32_t c = 0; c < n; c++) {
    int32_t v = a[c] - zp;
    out[c] = (int16_t)v;
    s += v;
  }
  return s;
}

static inline __attribute__((always_inline)) void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s,
                                                           int32_t heads, int32_t kv_heads, int32_t head_dim,
                                                           int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift,
                                                           int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                                                           int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * head_dim, kw = kv_heads * head_dim, nv = group * t;
  int32_t hd = head_dim, hd4 = head_dim & ~3;
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, (uint64_t)hd * 255u * 255u);
  if (hd > IG_QK_HD_MAX) { /* the definition as written */
    ig_qk_definition(q, k, t, s, heads, group, qw, kw, hd, q_zp, k_zp, rq, y, yb);
    return;
  }
  int16_t qa[IG_QK_HD_MAX], qb[IG_QK_HD_MAX];
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *kg = k + (size_t)g * (size_t)hd;
    for (int32_t v = 0; v < nv; v += 2) {
      int32_t two = v + 1 < nv;
      int32_t ha = g * group + v / t, ia = v % t, hb = g * group + (v + 1) / t, ib = (v + 1) % t;
      int32_t ca = -ig_wmul(qk_prep(q + (size_t)ia * (size_t)qw + (size_t)ha * (size_t)hd, hd, q_zp, qa), k_zp);
      int32_t cb = two ? -ig_wmul(qk_prep(q + (size_t)ib * (size_t)qw + (size_t)hb * (size_t)hd, hd, q_zp, qb), k_zp)
                       : 0;
      int32_t oa = (g * nv + v) * s, ob = oa + s;
      if (two) {
        int32_t j = 0;
        for (; j + 2 <= s; j += 2) {
          const int8_t *ka = kg + (size_t)j * (size_t)kw, *kb = ka + kw;
          int32_t d00 = 0, d01 = 0, d10 = 0, d11 = 0, c = 0;
          for (; c < hd4; c += 4) {
#define QK_STEP(o)                                                                                                \
  {                                                                                                               \
    int32_t a0 = qa[c + o], a1 = qb[c + o], b0 = ka[c + o], b1 = kb[c + o];                                       \
    d00 += a0 * b0;                                                                                               \
    d01 += a0 * b1;                                                                                               \
    d10 += a1 * b0;                                                                                               \
    d11 += a1 * b1;                                                                                               \
  }
            QK_STEP(0) QK_STEP(1) QK_STEP(2) QK_STEP(3)
          }
          for (; c < hd; c++) QK_STEP(0)
#undef QK_STEP
          ig_store(y, oa + j, ig_rq_apply(rq, ig_wadd(d00, ca)), yb);
          ig_store(y, oa + j + 1, ig_rq_apply(rq, ig_wadd(d01, ca)), yb);
          ig_store(y, ob + j, ig_rq_apply(rq, ig_wadd(d10, cb)), yb);
          ig_store(y, ob + j + 1, ig_rq_apply(rq, ig_wadd(d11, cb)), yb);
        }
        if (j < s) {
          const int8_t *ka = kg + (size_t)j * (size_t)kw;
          int32_t d0 = 0, d1 = 0;
          for (int32_t c = 0; c < hd; c++) {
            d0 += qa[c] * ka[c];
            d1 += qb[c] * ka[c];
          }
          ig_store(y, oa + j, ig_rq_apply(rq, ig_wadd(d0, ca)), yb);
          ig_store(y, ob + j, ig_rq_apply(rq, ig_wadd(d1, cb)), yb);
        }
      } else {
        int32_t j = 0;
        for (; j + 2 <= s; j += 2) { /* one vector, two key rows */
          const int8_t *ka = kg + (size_t)j * (size_t)kw, *kb = ka + kw;
          int32_t d0 = 0, d1 = 0, c = 0;
          for (; c < hd4; c += 4) {
#define QK_STEP1(o)                                                                                               \
  {                                                                                                               \
    int32_t a0 = qa[c + o];                                                                                       \
    d0 += a0 * ka[c + o];                                                                                         \
    d1 += a0 * kb[c + o];                                                                                         \
  }
            QK_STEP1(0) QK_STEP1(1) QK_STEP1(2) QK_STEP1(3)
          }
          for (; c < hd; c++) QK_STEP1(0)
#undef QK_STEP1
          ig_store(y, oa + j, ig_rq_apply(rq, ig_wadd(d0, ca)), yb);
          ig_store(y, oa + j + 1, ig_rq_apply(rq, ig_wadd(d1, ca)), yb);
        }
        if (j < s) {
          const int8_t *ka = kg + (size_t)j * (size_t)kw;
          int32_t d0 = 0;
          for (int32_t c = 0; c < hd; c++) d0 += qa[c] * ka[c];
          ig_store(y, oa + j, ig_rq_apply(rq, ig_wadd(d0, ca)), yb);
        }
      }
    }
  }
}

#define IG_PORTABLE 1
#define IG_ENTRIES_MATMUL_QK
#include "ig_entry_points.h"
