/* matmul_qk for Cortex-M4/M7 (ARMv7E-M DSP): SMLAD dot products, two MACs per instruction.
 * The query zero point is subtracted once per query vector: q' = q - zq as int16 pairs in the lane order SXTB16
 * gives a key word (per four elements: (q'0, q'2) and (q'1, q'3)), in a stack buffer; the key zero point is folded,
 *     sum (q - zq)(k - zk) = sum q' k - zk sum q'     (int32, wrapping as the exact sum cannot).
 * The query vectors of one KV head (group heads times t rows; output rows g * group * t + v) run up to four at a
 * time against each key row: one LDR and two SXTB16 per four key bytes feed 2 SMLAD per vector (decode, t = 1,
 * runs the group's heads together). A head_dim % 4 tail is scalar; heads wider than IG_QK_HD_MAX take the
 * definition's loop. Requantization: ig_rq_fast (ig_fixed64.h) where |acc| <= d 255^2 allows it. */
#include "ig_armdsp_ops.h"
#include "ig_attention.h"
#include "ig_ops.h"

#ifndef IG_QK_HD_MAX
#define IG_QK_HD_MAX 256
#endif
#define IG_QK_JCHUNK 32

/* q' of one vector into slot `slot` of the interleaved buffer (nv vectors), its tail into tail[]; returns sum q' */
IG_DSP_INLINE int32_t qk_prep(const int8_t *q, int32_t hd, int32_t zp, uint32_t *buf, int32_t nv, int32_t slot,
                              int16_t *tail) {
  int32_t s = 0, c = 0;
  uint32_t *o = buf + 2 * slot;
  for (; c + 4 <= hd; c += 4, o += 2 * nv) {
    int32_t a0 = q[c] - zp, a1 = q[c + 1] - zp, a2 = q[c + 2] - zp, a3 = q[c + 3] - zp;
    o[0] = (uint32_t)(uint16_t)a0 | ((uint32_t)a2 << 16);
    o[1] = (uint32_t)(uint16_t)a1 | ((uint32_t)a3 << 16);
    s += a0 + a1 + a2 + a3;
  }
  for (int32_t k = 0; c < hd; c++, k++) {
    tail[k] = (int16_t)(q[c] - zp);
    s += q[c] - zp;
  }
  return s;
}

IG_DSP_INLINE void qk_dots(const uint32_t *buf, const int8_t *kr, int32_t hd, const int16_t *tail, int32_t nv,
                           int32_t out[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, c = 0;
  const uint32_t *qp = buf;
  for (; c + 4 <= hd; c += 4, qp += 2 * nv) {
    uint32_t w = ig_ld32u(kr + c);
    uint32_t k02 = __sxtb16(w), k13 = ig_dsp_sxtb16_ror8(w);
    uint64_t p0 = *(const uint64_t *)qp; /* LDRD: both words of a vector */
    a0 = __smlad((uint32_t)p0, k02, a0);
    a0 = __smlad((uint32_t)(p0 >> 32), k13, a0);
    if (nv > 1) {
      uint64_t p1 = *(const uint64_t *)(qp + 2);
      a1 = __smlad((uint32_t)p1, k02, a1);
      a1 = __smlad((uint32_t)(p1 >> 32), k13, a1);
    }
    if (nv > 2) {
      uint64_t p2 = *(const uint64_t *)(qp + 4);
      a2 = __smlad((uint32_t)p2, k02, a2);
      a2 = __smlad((uint32_t)(p2 >> 32), k13, a2);
    }
    if (nv > 3) {
      uint64_t p3 = *(const uint64_t *)(qp + 6);
      a3 = __smlad((uint32_t)p3, k02, a3);
      a3 = __smlad((uint32_t)(p3 >> 32), k13, a3);
    }
  }
  for (int32_t k = 0, r = hd - c; k < r; k++, c++) {
    int32_t kv = kr[c];
    a0 += tail[k] * kv;
    if (nv > 1) a1 += tail[IG_QK_HD_MAX / 4 + k] * kv;
    if (nv > 2) a2 += tail[2 * (IG_QK_HD_MAX / 4) + k] * kv;
    if (nv > 3) a3 += tail[3 * (IG_QK_HD_MAX / 4) + k] * kv;
  }
  out[0] = a0;
  out[1] = a1;
  out[2] = a2;
  out[3] = a3;
}

IG_DSP_INLINE void qk_block(const int8_t *q, const int8_t *kg, int32_t s, int32_t qw, int32_t kw, int32_t hd,
                            int32_t q_zp, int32_t k_zp, int32_t g, int32_t group, int32_t t, int32_t v0, int32_t nv,
                            ig_rq_t rq, void *y, int32_t yb) {
  uint32_t buf[IG_QK_HD_MAX / 2 * 4] __attribute__((aligned(8))); /* 4 vectors x hd/2 words */
  int16_t tail[4 * (IG_QK_HD_MAX / 4)];
  int32_t corr[4], outrow[4];
  int32_t nvs = g * group * t; /* output row of vector 0 of this KV head */
  for (int32_t k = 0; k < nv; k++) {
    int32_t v = v0 + k, h = g * group + v / t, i = v % t;
    int32_t sq = qk_prep(q + (size_t)i * (size_t)qw + (size_t)h * (size_t)hd, hd, q_zp, buf, nv, k,
                         tail + k * (IG_QK_HD_MAX / 4));
    corr[k] = -ig_wmul(sq, k_zp);
    outrow[k] = (nvs + v) * s;
  }
  /* dots of a chunk of key rows first, then their requantization: two light loops instead of one that spills */
  int32_t acc[4][IG_QK_JCHUNK];
  for (int32_t j0 = 0; j0 < s; j0 += IG_QK_JCHUNK) {
    int32_t nj = s - j0 < IG_QK_JCHUNK ? s - j0 : IG_QK_JCHUNK;
    for (int32_t jj = 0; jj < nj; jj++) {
      int32_t d[4];
      qk_dots(buf, kg + (size_t)(j0 + jj) * (size_t)kw, hd, tail, nv, d);
      for (int32_t k = 0; k < nv; k++) acc[k][jj] = ig_wadd(d[k], corr[k]);
    }
    ig_dsp_rqs_t rqs = ig_dsp_rqs(rq, yb);
    for (int32_t k = 0; k < nv; k++) {
      if (yb < 4 && rqs.ok && rqs.right)
        for (int32_t jj = 0; jj < nj; jj++) ig_store(y, outrow[k] + j0 + jj, ig_dsp_rqs_apply(rqs, acc[k][jj], yb), yb);
      else if (yb < 4 && rqs.ok)
        for (int32_t jj = 0; jj < nj; jj++) ig_store(y, outrow[k] + j0 + jj, ig_dsp_rqs_apply0(rqs, acc[k][jj], yb), yb);
      else if (rq.fast)
        for (int32_t jj = 0; jj < nj; jj++) ig_store(y, outrow[k] + j0 + jj, ig_dsp_rq_fast(rq, acc[k][jj]), yb);
      else
        for (int32_t jj = 0; jj < nj; jj++) ig_store(y, outrow[k] + j0 + jj, ig_rq_apply(rq, acc[k][jj]), yb);
    }
  }
}

IG_DSP_INLINE void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                           int32_t hd, int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift, int32_t y_zp,
                           int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * hd, kw = kv_heads * hd, nvt = group * t;
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, (uint64_t)hd * 255u * 255u);
  if (hd > IG_QK_HD_MAX) {
    ig_qk_definition(q, k, t, s, heads, group, qw, kw, hd, q_zp, k_zp, rq, y, yb);
    return;
  }
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *kg = k + (size_t)g * (size_t)hd;
    for (int32_t v0 = 0; v0 < nvt; v0 += 4) {
      int32_t nv = nvt - v0 < 4 ? nvt - v0 : 4;
      if (nv == 4) qk_block(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 4, rq, y, yb);
      else if (nv == 3) qk_block(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 3, rq, y, yb);
      else if (nv == 2) qk_block(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 2, rq, y, yb);
      else qk_block(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 1, rq, y, yb);
    }
  }
}

#define IG_ENTRIES_MATMUL_QK
#include "ig_entry_points.h"
