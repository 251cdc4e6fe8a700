/* matmul_pv for AArch64 NEON: value columns in lanes, SMLAL by lane of the probabilities.
 * acc[r, c] = sum_j p'[r, j] v[j, c] - zv sum_j p'[r, j] with p' = p - zp (int16: int16 probabilities as stored
 * when zp = 0, int8 ones copied as p - zp in [0, 255] per chunk of IG_PV_JCHUNK positions). Two probability rows
 * of one KV head at a time, 32 value columns at a time (16 int32x4 accumulators): each value row chunk is loaded
 * and widened once (SXTL) for both rows, and every SMLAL takes its p' from a lane (four positions per load).
 * Requantization with SQRDMULH (ig_neon_requant4), eight outputs per store. int16 probabilities with a non-zero
 * zero point (never from a softmax) take the definition's loop. */
#include "ig_attention.h"
#include "ig_neon_ops.h"
#include "ig_ops.h"

#define IG_PV_JCHUNK 256
#define IG_PV_HD_MAX 512 /* the two rows' int32 sums live on the stack (4 KiB); wider heads take the definition's loop */

/* one value row (8 columns at vj + 8 K) times p' lane L of both rows, into accumulators aK0 aK1 / bK0 bK1 */
#define PV_MAC(K, L)                                                                                              \
  {                                                                                                               \
    int16x8_t v16 = vmovl_s8(vld1_s8(vj + 8 * K));                                                                \
    a##K##0 = vmlal_lane_s16(a##K##0, vget_low_s16(v16), p4a, L);                                                 \
    a##K##1 = vmlal_high_lane_s16(a##K##1, v16, p4a, L);                                                          \
    if (nr > 1) {                                                                                                 \
      b##K##0 = vmlal_lane_s16(b##K##0, vget_low_s16(v16), p4b, L);                                               \
      b##K##1 = vmlal_high_lane_s16(b##K##1, v16, p4b, L);                                                        \
    }                                                                                                             \
  }
#define PV_LD(K)                                                                                                  \
  int32x4_t a##K##0 = vld1q_s32(aa + 8 * K), a##K##1 = vld1q_s32(aa + 8 * K + 4);                               \
  int32x4_t b##K##0 = vld1q_s32(ab + 8 * K), b##K##1 = vld1q_s32(ab + 8 * K + 4);
#define PV_ST(K)                                                                                                  \
  vst1q_s32(aa + 8 * K, a##K##0);                                                                                 \
  vst1q_s32(aa + 8 * K + 4, a##K##1);                                                                             \
  vst1q_s32(ab + 8 * K, b##K##0);                                                                                 \
  vst1q_s32(ab + 8 * K + 4, b##K##1);

/* aa / ab (32 int32 sums, columns [c, c + 32) of rows a and b) += p'[0..nj) times the value rows */
IG_NI void pv_cols32(const int16_t *pa, const int16_t *pb, int32_t nr, const int8_t *vr, int32_t vw, int32_t nj,
                     int32_t *aa, int32_t *ab) {
  PV_LD(0) PV_LD(1) PV_LD(2) PV_LD(3)
  int32_t j = 0;
  for (; j + 4 <= nj; j += 4) {
    int16x4_t p4a = vld1_s16(pa + j), p4b = nr > 1 ? vld1_s16(pb + j) : p4a;
    const int8_t *vj = vr + (size_t)j * (size_t)vw;
    PV_MAC(0, 0) PV_MAC(1, 0) PV_MAC(2, 0) PV_MAC(3, 0)
    vj += vw;
    PV_MAC(0, 1) PV_MAC(1, 1) PV_MAC(2, 1) PV_MAC(3, 1)
    vj += vw;
    PV_MAC(0, 2) PV_MAC(1, 2) PV_MAC(2, 2) PV_MAC(3, 2)
    vj += vw;
    PV_MAC(0, 3) PV_MAC(1, 3) PV_MAC(2, 3) PV_MAC(3, 3)
  }
  for (; j < nj; j++) {
    int16x4_t p4a = vdup_n_s16(pa[j]), p4b = vdup_n_s16(nr > 1 ? pb[j] : 0);
    const int8_t *vj = vr + (size_t)j * (size_t)vw;
    PV_MAC(0, 0) PV_MAC(1, 0) PV_MAC(2, 0) PV_MAC(3, 0)
  }
  PV_ST(0) PV_ST(1) PV_ST(2) PV_ST(3)
}

/* the same for 8 columns */
IG_NI void pv_cols8(const int16_t *pa, const int16_t *pb, int32_t nr, const int8_t *vr, int32_t vw, int32_t nj,
                    int32_t *aa, int32_t *ab) {
  PV_LD(0)
  int32_t j = 0;
  for (; j + 4 <= nj; j += 4) {
    int16x4_t p4a = vld1_s16(pa + j), p4b = nr > 1 ? vld1_s16(pb + j) : p4a;
    const int8_t *vj = vr + (size_t)j * (size_t)vw;
    PV_MAC(0, 0)
    vj += vw;
    PV_MAC(0, 1)
    vj += vw;
    PV_MAC(0, 2)
    vj += vw;
    PV_MAC(0, 3)
  }
  for (; j < nj; j++) {
    int16x4_t p4a = vdup_n_s16(pa[j]), p4b = vdup_n_s16(nr > 1 ? pb[j] : 0);
    const int8_t *vj = vr + (size_t)j * (size_t)vw;
    PV_MAC(0, 0)
  }
  PV_ST(0)
}
#undef PV_MAC
#undef PV_LD
#undef PV_ST

IG_NI int32_t pv_prep(const void *p, int32_t pb, int32_t row, int32_t n, int32_t zp, int16_t *out) {
  int32_t s = 0;
  for (int32_t j = 0; j < n; j++) {
    int32_t x = (pb == 2 ? ((const int16_t *)p)[row + j] : ((const int8_t *)p)[row + j]) - zp;
    out[j] = (int16_t)x;
    s += x;
  }
  return s;
}

IG_NI int32_t pv_sum16(const int16_t *a, int32_t n) {
  int32x4_t acc = vdupq_n_s32(0);
  int32_t j = 0;
  for (; j + 8 <= n; j += 8) acc = vpadalq_s16(acc, vld1q_s16(a + j));
  int32_t s = vaddvq_s32(acc);
  for (; j < n; j++) s += a[j];
  return s;
}

/* rows ra (and rb when nr = 2) of p against the KV head's values: int32 sums into acca / accb (hd values) */
IG_NI void pv_rows(const void *p, int32_t pb, const int8_t *vg, int32_t s, int32_t vw, int32_t hd, int32_t p_zp,
                   int32_t v_zp, int32_t ra, int32_t rb, int32_t nr, int32_t *acca, int32_t *accb) {
  int16_t bufa[IG_PV_JCHUNK], bufb[IG_PV_JCHUNK];
  int32_t sa = 0, sb = 0;
  for (int32_t c = 0; c < hd; c++) acca[c] = accb[c] = 0;
  for (int32_t j0 = 0; j0 < s; j0 += IG_PV_JCHUNK) {
    int32_t nj = s - j0 < IG_PV_JCHUNK ? s - j0 : IG_PV_JCHUNK;
    const int16_t *pa, *pbp;
    if (pb == 2) { /* zp 0: the probabilities as stored */
      pa = (const int16_t *)p + ra + j0;
      pbp = (const int16_t *)p + rb + j0;
      sa += pv_sum16(pa, nj);
      if (nr > 1) sb += pv_sum16(pbp, nj);
    } else {
      sa += pv_prep(p, pb, ra + j0, nj, p_zp, bufa);
      if (nr > 1) sb += pv_prep(p, pb, rb + j0, nj, p_zp, bufb);
      pa = bufa;
      pbp = bufb;
    }
    const int8_t *vr = vg + (size_t)j0 * (size_t)vw;
    int32_t c = 0;
    for (; c + 32 <= hd; c += 32) pv_cols32(pa, pbp, nr, vr + c, vw, nj, acca + c, accb + c);
    for (; c + 8 <= hd; c += 8) pv_cols8(pa, pbp, nr, vr + c, vw, nj, acca + c, accb + c);
    for (; c < hd; c++) { /* head_dim % 8 */
      int32_t x0 = 0, x1 = 0;
      for (int32_t j = 0; j < nj; j++) {
        int32_t v = vr[(size_t)j * (size_t)vw + c];
        x0 += pa[j] * v;
        if (nr > 1) x1 += pbp[j] * v;
      }
      acca[c] += x0;
      accb[c] += x1;
    }
  }
  int32_t ca = -ig_wmul(sa, v_zp), cb = -ig_wmul(sb, v_zp);
  for (int32_t c = 0; c < hd; c++) {
    acca[c] = ig_wadd(acca[c], ca);
    accb[c] = ig_wadd(accb[c], cb);
  }
}

IG_NI void pv_store(const int32_t *acc, int32_t hd, const ig_neon_rq_t *rq, void *y, int32_t off, int32_t yb) {
  int32_t c = 0;
  for (; c + 8 <= hd; c += 8)
    ig_neon_store8(y, off + c, ig_neon_rq4(vld1q_s32(acc + c), rq), ig_neon_rq4(vld1q_s32(acc + c + 4), rq), yb);
  for (; c + 4 <= hd; c += 4) ig_neon_store4(y, off + c, ig_neon_rq4(vld1q_s32(acc + c), rq), yb);
  if (c < hd) {
    int32_t t[4] = {0, 0, 0, 0};
    for (int32_t k = 0; c + k < hd; k++) t[k] = acc[c + k];
    ig_neon_store_n(y, off + c, ig_neon_rq4(vld1q_s32(t), rq), hd - c, yb);
  }
}

IG_NI void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                   int32_t kv_heads, int32_t hd, int32_t p_zp, int32_t v_zp, int32_t mult, int32_t shift,
                   int32_t y_zp, int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * hd, vw = kv_heads * hd, nv = group * t;
  ig_neon_rq_t rq = ig_neon_rq(mult, shift, y_zp, act_min, act_max);
  if ((pb == 2 && p_zp != 0) || hd > IG_PV_HD_MAX) {
    ig_pv_definition(p, pb, v, t, s, heads, group, yw, vw, hd, p_zp, v_zp, 0, mult, shift, y_zp, act_min,
                     act_max, y, yb);
    return;
  }
  int32_t acca[IG_PV_HD_MAX], accb[IG_PV_HD_MAX];
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *vg = v + (size_t)g * (size_t)hd;
    for (int32_t r = 0; r < nv; r += 2) {
      int32_t two = r + 1 < nv;
      int32_t ra = (g * nv + r) * s, rb = ra + s;
      int32_t ha = g * group + r / t, ia = r % t, hb = g * group + (r + 1) / t, ib = (r + 1) % t;
      if (two) pv_rows(p, pb, vg, s, vw, hd, p_zp, v_zp, ra, rb, 2, acca, accb);
      else pv_rows(p, pb, vg, s, vw, hd, p_zp, v_zp, ra, ra, 1, acca, accb);
      pv_store(acca, hd, &rq, y, ia * yw + ha * hd, yb);
      if (two) pv_store(accb, hd, &rq, y, ib * yw + hb * hd, yb);
    }
  }
}

#define IG_ENTRIES_MATMUL_PV
#include "ig_entry_points.h"
