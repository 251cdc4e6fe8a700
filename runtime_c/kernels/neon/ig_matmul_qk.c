/* matmul_qk for AArch64 NEON: SDOT (A55) or SMULL + SADALP (A53) dot products, vectorized requantization.
 * Zero points folded:  sum (q - zq)(k - zk) = sum q k - zq sum k - zk sum q + d zq zk  (int32, wrapping), sum k by
 * the same dot instruction against ones (only when zq != 0), sum q once per query vector. Blocks of up to four query
 * vectors (the query heads of one KV head times t rows: decode, t = 1, runs the group's heads together) by four key
 * rows: each 16-byte key load feeds every vector, the 4 x 4 lane sums reduce by pairwise adds to one vector of four
 * scores per query vector, requantized with SQRDMULH (ig_neon_requant4) and stored together. head_dim % 16 is a
 * scalar tail. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI int32_t qk_sum(const int8_t *a, int32_t n) {
  int32_t s = 0, c = 0;
  int32x4_t acc = vdupq_n_s32(0);
  for (; c + 16 <= n; c += 16) acc = vpadalq_s16(acc, vpaddlq_s8(vld1q_s8(a + c)));
  s = vaddvq_s32(acc);
  for (; c < n; c++) s += a[c];
  return s;
}

/* nv query vectors (pointers qv[]) against key rows kr[0..3]: d[v] = [dot(q_v, k_0) .. dot(q_v, k_3)] and
 * sk = [sum k_0 .. sum k_3] (if want_sk) */
IG_NI void qk_block(const int8_t *const *qv, int32_t nv, const int8_t *k0, const int8_t *k1, const int8_t *k2,
                    const int8_t *k3, int32_t hd, int32_t want_sk, int32x4_t *d, int32x4_t *sk) {
  int32x4_t z = vdupq_n_s32(0);
  int32x4_t a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
  int32x4_t a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
  int32x4_t s0 = z, s1 = z, s2 = z, s3 = z;
  int8x16_t ones = vdupq_n_s8(1);
  int32_t c = 0;
  for (; c + 16 <= hd; c += 16) {
    int8x16_t b0 = vld1q_s8(k0 + c), b1 = vld1q_s8(k1 + c), b2 = vld1q_s8(k2 + c), b3 = vld1q_s8(k3 + c);
    if (want_sk) {
      s0 = ig_neon_dot16(s0, b0, ones);
      s1 = ig_neon_dot16(s1, b1, ones);
      s2 = ig_neon_dot16(s2, b2, ones);
      s3 = ig_neon_dot16(s3, b3, ones);
    }
    int8x16_t q = vld1q_s8(qv[0] + c);
    a00 = ig_neon_dot16(a00, q, b0);
    a01 = ig_neon_dot16(a01, q, b1);
    a02 = ig_neon_dot16(a02, q, b2);
    a03 = ig_neon_dot16(a03, q, b3);
    if (nv > 1) {
      q = vld1q_s8(qv[1] + c);
      a10 = ig_neon_dot16(a10, q, b0);
      a11 = ig_neon_dot16(a11, q, b1);
      a12 = ig_neon_dot16(a12, q, b2);
      a13 = ig_neon_dot16(a13, q, b3);
    }
    if (nv > 2) {
      q = vld1q_s8(qv[2] + c);
      a20 = ig_neon_dot16(a20, q, b0);
      a21 = ig_neon_dot16(a21, q, b1);
      a22 = ig_neon_dot16(a22, q, b2);
      a23 = ig_neon_dot16(a23, q, b3);
    }
    if (nv > 3) {
      q = vld1q_s8(qv[3] + c);
      a30 = ig_neon_dot16(a30, q, b0);
      a31 = ig_neon_dot16(a31, q, b1);
      a32 = ig_neon_dot16(a32, q, b2);
      a33 = ig_neon_dot16(a33, q, b3);
    }
  }
  d[0] = ig_neon_reduce4(a00, a01, a02, a03);
  if (nv > 1) d[1] = ig_neon_reduce4(a10, a11, a12, a13);
  if (nv > 2) d[2] = ig_neon_reduce4(a20, a21, a22, a23);
  if (nv > 3) d[3] = ig_neon_reduce4(a30, a31, a32, a33);
  *sk = ig_neon_reduce4(s0, s1, s2, s3);
  if (c < hd) { /* the head_dim % 16 tail */
    int32_t t[4][4] = {{0}}, ts[4] = {0, 0, 0, 0};
    const int8_t *kr[4] = {k0, k1, k2, k3};
    for (; c < hd; c++) {
      for (int32_t r = 0; r < 4; r++) {
        ts[r] += kr[r][c];
        for (int32_t v = 0; v < nv; v++) t[v][r] += qv[v][c] * kr[r][c];
      }
    }
    for (int32_t v = 0; v < nv; v++) d[v] = vaddq_s32(d[v], vld1q_s32(t[v]));
    *sk = vaddq_s32(*sk, vld1q_s32(ts));
  }
}

IG_NI void qk_vectors(const int8_t *q, const int8_t *kg, int32_t s, int32_t qw, int32_t kw, int32_t hd,
                      int32_t q_zp, int32_t k_zp, int32_t g, int32_t group, int32_t t, int32_t v0, int32_t nv,
                      const ig_neon_rq_t *rq, void *y, int32_t yb) {
  const int8_t *qv[4];
  int32x4_t corr[4];
  int32_t orow[4];
  int32_t c0 = ig_wmul(ig_wmul(hd, q_zp), k_zp);
  for (int32_t k = 0; k < nv; k++) {
    int32_t v = v0 + k, h = g * group + v / t, i = v % t;
    qv[k] = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)hd;
    corr[k] = vdupq_n_s32(ig_wadd(c0, -ig_wmul(qk_sum(qv[k], hd), k_zp)));
    orow[k] = (g * group * t + v) * s;
  }
  int32x4_t zq = vdupq_n_s32(q_zp);
  for (int32_t j = 0; j < s; j += 4) {
    int32_t nr = s - j < 4 ? s - j : 4;
    const int8_t *k0 = kg + (size_t)j * (size_t)kw;
    const int8_t *k1 = nr > 1 ? k0 + kw : k0, *k2 = nr > 2 ? k1 + kw : k1, *k3 = nr > 3 ? k2 + kw : k2;
    int32x4_t d[4], sk;
    qk_block(qv, nv, k0, k1, k2, k3, hd, q_zp != 0, d, &sk);
    int32x4_t zsk = vmulq_s32(sk, zq);
    for (int32_t k = 0; k < nv; k++) {
      int32x4_t out = ig_neon_rq4(vsubq_s32(vaddq_s32(d[k], corr[k]), zsk), rq);
      if (nr == 4) ig_neon_store4(y, orow[k] + j, out, yb);
      else ig_neon_store_n(y, orow[k] + j, out, nr, yb);
    }
  }
}

IG_NI void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                   int32_t hd, int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift, int32_t y_zp,
                   int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * hd, kw = kv_heads * hd, nvt = group * t;
  ig_neon_rq_t rq = ig_neon_rq(mult, shift, y_zp, act_min, act_max);
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *kg = k + (size_t)g * (size_t)hd;
    for (int32_t v0 = 0; v0 < nvt; v0 += 4) {
      int32_t nv = nvt - v0 < 4 ? nvt - v0 : 4;
      if (nv == 4) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 4, &rq, y, yb);
      else if (nv == 3) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 3, &rq, y, yb);
      else if (nv == 2) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 2, &rq, y, yb);
      else qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 1, &rq, y, yb);
    }
  }
}

#define IG_ENTRIES_MATMUL_QK
#include "ig_entry_points.h"
