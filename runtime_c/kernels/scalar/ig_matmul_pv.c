/* matmul_pv (quant/ops/attention.py): probabilities times values per head, grouped KV heads, requantized.
 *
 * Portable form: the zero points are folded out of the inner loop,
 *     sum_j (p - zp)(v - zv) = sum_j p v - zv sum_j p - zp sum_j v + s zp zv      (int32, wrapping)
 * with sum p once per probability row and sum v once per column (only when zp != 0: int8 probabilities). The
 * probability rows of one KV head (its `group` query heads times t rows: rows g * group * t + r of p) run two at a
 * time against four value columns at a time (a 2 x 4 register block: each p feeds four products, each v two).
 * Requantization takes ig_rq_fast when |acc| <= 255 (2^15 + s) (the row-sum bound of a softmax) allows it. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) int32_t pv_rowsum(const void *p, int32_t pb, int32_t row, int32_t s) {
  int32_t sp = 0;
  for (int32_t j = 0; j < s; j++) sp += ig_load(p, row + j, pb);
  return sp;
}

static inline __attribute__((always_inline)) void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t,
                                                           int32_t s, int32_t heads, int32_t kv_heads,
                                                           int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                                           int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                                           int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * head_dim, vw = kv_heads * head_dim, hd = head_dim;
  int32_t nv = group * t;
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, 255ull * ((pb == 2 ? 32768u : 256u) + (uint32_t)s));
  int32_t c0 = ig_wmul(ig_wmul(s, p_zp), v_zp);
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *vg = v + (size_t)g * (size_t)hd;
    for (int32_t r = 0; r < nv; r += 2) {
      int32_t two = r + 1 < nv;
      int32_t ra = (g * nv + r) * s, rb = two ? ra + s : ra; /* the probability rows */
      int32_t ha = g * group + r / t, ia = r % t, hb = g * group + (r + 1) / t, ib = (r + 1) % t;
      int32_t ca = ig_wadd(c0, -ig_wmul(pv_rowsum(p, pb, ra, s), v_zp));
      int32_t cb = ig_wadd(c0, -ig_wmul(pv_rowsum(p, pb, rb, s), v_zp));
      int32_t oa = ia * yw + ha * hd, ob = ib * yw + hb * hd;
      for (int32_t c = 0; c < hd; c += 4) {
        int32_t nc = hd - c < 4 ? hd - c : 4;
        int32_t a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0}, sv[4] = {0, 0, 0, 0};
        const int8_t *vc = vg + c;
        if (nc == 4 && !two) { /* the last row of an odd count: alone */
          for (int32_t j = 0; j < s; j++, vc += vw) {
            int32_t pa = ig_load(p, ra + j, pb);
            a[0] += pa * vc[0];
            a[1] += pa * vc[1];
            a[2] += pa * vc[2];
            a[3] += pa * vc[3];
          }
        } else if (nc == 4) {
          for (int32_t j = 0; j < s; j++, vc += vw) {
            int32_t pa = ig_load(p, ra + j, pb), pbv = ig_load(p, rb + j, pb);
            int32_t v0 = vc[0], v1 = vc[1], v2 = vc[2], v3 = vc[3];
            a[0] += pa * v0;
            a[1] += pa * v1;
            a[2] += pa * v2;
            a[3] += pa * v3;
            b[0] += pbv * v0;
            b[1] += pbv * v1;
            b[2] += pbv * v2;
            b[3] += pbv * v3;
          }
        } else {
          for (int32_t j = 0; j < s; j++, vc += vw) {
            int32_t pa = ig_load(p, ra + j, pb), pbv = ig_load(p, rb + j, pb);
            for (int32_t cc = 0; cc < nc; cc++) {
              a[cc] += pa * vc[cc];
              b[cc] += pbv * vc[cc];
            }
          }
        }
        if (p_zp) {
          vc = vg + c;
          for (int32_t j = 0; j < s; j++, vc += vw)
            for (int32_t cc = 0; cc < nc; cc++) sv[cc] += vc[cc];
        }
        for (int32_t cc = 0; cc < nc; cc++) {
          int32_t zfix = -ig_wmul(sv[cc], p_zp);
          ig_store(y, oa + c + cc, ig_rq_apply(rq, ig_wadd(ig_wadd(a[cc], ca), zfix)), yb);
          if (two) ig_store(y, ob + c + cc, ig_rq_apply(rq, ig_wadd(ig_wadd(b[cc], cb), zfix)), yb);
        }
      }
    }
  }
}

#define IG_PORTABLE 1
#define IG_ENTRIES_MATMUL_PV
#include "ig_entry_points.h"
