/* matmul_pv for Cortex-M4/M7 (ARMv7E-M DSP): SMLAD over pairs of value rows.
 * acc[r, c] = sum_j (p[r, j] - zp)(v[j, c] - zv) = sum_j p'[r, j] v[j, c] - zv sum_j p'[r, j]  (int32, wrapping).
 * p' = p - zp is copied per chunk of IG_PV_JCHUNK positions as int16 (a stack buffer, zero-padded to an even
 * count), so that one LDR gives the pair (p'[j], p'[j+1]). The two value rows j, j+1 at columns c, c+1 are two
 * LDRH merged by one ORR into [v[j,c], v[j,c+1], v[j+1,c], v[j+1,c+1]]; SXTB16 (and SXTB16 ROR 8) give the pairs
 * (v[j,c], v[j+1,c]) and (v[j,c+1], v[j+1,c+1]); SMLAD then does two MACs. The probability rows of one KV head run
 * two at a time (each value pair feeds both), two columns at a time; partial sums of a chunk live in a stack
 * array. Requantization: ig_dsp_rq_fast where |acc| <= 255 (2^15 + s) allows it. head_dim above IG_PV_HD_MAX
 * takes the definition's loop. */
#include "ig_armdsp_ops.h"
#include "ig_attention.h"
#include "ig_ops.h"

#define IG_PV_JCHUNK 256
#define IG_PV_HD_MAX 256

IG_DSP_INLINE uint32_t ld16u(const int8_t *p) {
  uint16_t v;
  __builtin_memcpy(&v, p, 2);
  return v;
}

/* sums over rows [j0, j0 + nj) into acc (nr probability rows: 1 or 2) */
IG_DSP_INLINE void pv_chunk(const int16_t *pp0, const int16_t *pp1, const int8_t *vr, int32_t vw, int32_t nj,
                            int32_t hd, int32_t nr, int32_t *acc0, int32_t *acc1) {
  int32_t npair = nj >> 1;
  int32_t c = 0;
  for (; c + 2 <= hd; c += 2) {
    int32_t a00 = acc0[c], a01 = acc0[c + 1], a10 = 0, a11 = 0;
    if (nr > 1) {
      a10 = acc1[c];
      a11 = acc1[c + 1];
    }
    const int8_t *vp = vr + c;
    const uint32_t *q0 = (const uint32_t *)pp0, *q1 = (const uint32_t *)pp1;
    for (int32_t jp = 0; jp < npair; jp++, vp += 2 * vw) {
      uint32_t wd = ld16u(vp) | (ld16u(vp + vw) << 16);
      uint32_t e0 = __sxtb16(wd), e1 = ig_dsp_sxtb16_ror8(wd);
      uint32_t x0 = q0[jp];
      a00 = __smlad(x0, e0, a00);
      a01 = __smlad(x0, e1, a01);
      if (nr > 1) {
        uint32_t x1 = q1[jp];
        a10 = __smlad(x1, e0, a10);
        a11 = __smlad(x1, e1, a11);
      }
    }
    if (nj & 1) { /* the last row alone */
      int32_t j = nj - 1, v0 = vp[0], v1 = vp[1];
      a00 += pp0[j] * v0;
      a01 += pp0[j] * v1;
      if (nr > 1) {
        a10 += pp1[j] * v0;
        a11 += pp1[j] * v1;
      }
    }
    acc0[c] = a00;
    acc0[c + 1] = a01;
    if (nr > 1) {
      acc1[c] = a10;
      acc1[c + 1] = a11;
    }
  }
  if (c < hd) { /* an odd head_dim: the last column */
    int32_t a0 = acc0[c], a1 = nr > 1 ? acc1[c] : 0;
    const int8_t *vp = vr + c;
    for (int32_t j = 0; j < nj; j++, vp += vw) {
      a0 += pp0[j] * vp[0];
      if (nr > 1) a1 += pp1[j] * vp[0];
    }
    acc0[c] = a0;
    if (nr > 1) acc1[c] = a1;
  }
}

IG_DSP_INLINE int32_t pv_prep(const void *p, int32_t pb, int32_t row, int32_t n, int32_t zp, int16_t *out) {
  int32_t s = 0;
  for (int32_t j = 0; j < n; j++) {
    int32_t x = (pb == 2 ? ((const int16_t *)p)[row + j] : ((const int8_t *)p)[row + j]) - zp;
    out[j] = (int16_t)x;
    s += x;
  }
  out[n] = 0;
  return s;
}

IG_DSP_INLINE void pv_rows(const void *p, int32_t pb, const int8_t *vg, int32_t s, int32_t vw, int32_t hd,
                           int32_t p_zp, int32_t v_zp, int32_t ra, int32_t rb, int32_t nr, int32_t *outa,
                           int32_t *outb) {
  int16_t pp0[IG_PV_JCHUNK + 2] __attribute__((aligned(4))), pp1[IG_PV_JCHUNK + 2] __attribute__((aligned(4)));
  int32_t sa = 0, sb = 0;
  for (int32_t c = 0; c < hd; c++) outa[c] = outb[c] = 0;
  for (int32_t j0 = 0; j0 < s; j0 += IG_PV_JCHUNK) {
    int32_t nj = s - j0 < IG_PV_JCHUNK ? s - j0 : IG_PV_JCHUNK;
    sa += pv_prep(p, pb, ra + j0, nj, p_zp, pp0);
    if (nr > 1) sb += pv_prep(p, pb, rb + j0, nj, p_zp, pp1);
    pv_chunk(pp0, pp1, vg + (size_t)j0 * (size_t)vw, vw, nj, hd, nr, outa, outb);
  }
  int32_t ca = -ig_wmul(sa, v_zp), cb = -ig_wmul(sb, v_zp);
  for (int32_t c = 0; c < hd; c++) {
    outa[c] = ig_wadd(outa[c], ca);
    outb[c] = ig_wadd(outb[c], cb);
  }
}

IG_DSP_INLINE void pv_store(const int32_t *acc, int32_t hd, ig_rq_t rq, void *y, int32_t off, int32_t yb) {
  ig_dsp_rqs_t rqs = ig_dsp_rqs(rq, yb);
  if (yb < 4 && rqs.ok && rqs.right)
    for (int32_t c = 0; c < hd; c++) ig_store(y, off + c, ig_dsp_rqs_apply(rqs, acc[c], yb), yb);
  else if (yb < 4 && rqs.ok)
    for (int32_t c = 0; c < hd; c++) ig_store(y, off + c, ig_dsp_rqs_apply0(rqs, acc[c], yb), yb);
  else if (rq.fast)
    for (int32_t c = 0; c < hd; c++) ig_store(y, off + c, ig_dsp_rq_fast(rq, acc[c]), yb);
  else
    for (int32_t c = 0; c < hd; c++) ig_store(y, off + c, ig_rq_apply(rq, acc[c]), yb);
}

IG_DSP_INLINE void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                           int32_t kv_heads, int32_t hd, int32_t p_zp, int32_t v_zp, int32_t mult, int32_t shift,
                           int32_t y_zp, int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * hd, vw = kv_heads * hd, nv = group * t;
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, 255ull * ((pb == 2 ? 32768u : 256u) + (uint32_t)s));
  if (hd > IG_PV_HD_MAX) {
    ig_pv_definition(p, pb, v, t, s, heads, group, yw, vw, hd, p_zp, v_zp, &rq, mult, shift, y_zp, act_min,
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
      pv_store(acca, hd, rq, y, ia * yw + ha * hd, yb);
      if (two) pv_store(accb, hd, rq, y, ib * yw + hb * hd, yb);
    }
  }
}

#define IG_ENTRIES_MATMUL_PV
#include "ig_entry_points.h"
