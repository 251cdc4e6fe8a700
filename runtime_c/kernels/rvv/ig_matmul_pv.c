/* matmul_pv for RVV 1.0, vector-length agnostic: value columns in lanes.
 * acc[r, c] = sum_j p'[r, j] v[j, c] - zv sum_j p'[r, j], p' = p - zp (a scalar per position). Two probability
 * rows of one KV head at a time: per position one value-row chunk load and VSEXT to int16 feed both rows' VWMACC
 * (int16 x scalar p' -> int32 lanes, exact: |p'| <= 2^15, |v| <= 128); the accumulators stay in registers over all
 * positions of a column chunk. Requantization in lanes (ig_rvv_rq_apply). */
#include "ig_attention.h"
#include "ig_rvv_ops.h"
#include "ig_ops.h"

IG_RI int32_t pv_p(const void *p, int32_t pb, size_t k, int32_t zp) {
  return (pb == 2 ? ((const int16_t *)p)[k] : ((const int8_t *)p)[k]) - zp;
}

IG_RI void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                   int32_t kv_heads, int32_t hd, int32_t p_zp, int32_t v_zp, int32_t mult, int32_t shift,
                   int32_t y_zp, int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * hd, vw = kv_heads * hd, nv = group * t;
  ig_rvv_rq_t rq = ig_rvv_rq(mult, shift, y_zp, act_min, act_max);
  ig_rvv_set_vxrm_rnu();
  if (pb == 2 && p_zp != 0) { /* p - zp could leave int16 (never from a softmax: int16 probabilities have zp 0) */
    ig_pv_definition(p, pb, v, t, s, heads, group, yw, vw, hd, p_zp, v_zp, 0, mult, shift, y_zp, act_min,
                     act_max, y, yb);
    return;
  }
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *vg = v + (size_t)g * (size_t)hd;
    for (int32_t r = 0; r < nv; r += 2) {
      int32_t two = r + 1 < nv;
      size_t ra = (size_t)(g * nv + r) * (size_t)s, rb = two ? ra + (size_t)s : ra;
      int32_t ha = g * group + r / t, ia = r % t, hb = g * group + (r + 1) / t, ib = (r + 1) % t;
      int32_t sa = 0, sb = 0;
      for (int32_t j = 0; j < s; j++) {
        sa += pv_p(p, pb, ra + j, p_zp);
        sb += pv_p(p, pb, rb + j, p_zp);
      }
      int32_t ca = -ig_wmul(sa, v_zp), cb = -ig_wmul(sb, v_zp);
      size_t oa = (size_t)(ia * yw + ha * hd), ob = (size_t)(ib * yw + hb * hd);
      for (size_t c = 0, vl; c < (size_t)hd; c += vl) {
        vl = __riscv_vsetvl_e32m4((size_t)hd - c);
        vint32m4_t aa = __riscv_vmv_v_x_i32m4(ca, vl), ab = __riscv_vmv_v_x_i32m4(cb, vl);
        const int8_t *vr = vg + c;
        if (two) {
          for (int32_t j = 0; j < s; j++, vr += vw) {
            vint16m2_t v16 = __riscv_vsext_vf2_i16m2(__riscv_vle8_v_i8m1(vr, vl), vl);
            aa = __riscv_vwmacc_vx_i32m4(aa, (int16_t)pv_p(p, pb, ra + j, p_zp), v16, vl);
            ab = __riscv_vwmacc_vx_i32m4(ab, (int16_t)pv_p(p, pb, rb + j, p_zp), v16, vl);
          }
        } else {
          for (int32_t j = 0; j < s; j++, vr += vw) {
            vint16m2_t v16 = __riscv_vsext_vf2_i16m2(__riscv_vle8_v_i8m1(vr, vl), vl);
            aa = __riscv_vwmacc_vx_i32m4(aa, (int16_t)pv_p(p, pb, ra + j, p_zp), v16, vl);
          }
        }
        /* requantize at LMUL 2, in two halves of the chunk */
        for (size_t c2 = 0, vl2; c2 < vl; c2 += vl2) {
          vl2 = __riscv_vsetvl_e32m2(vl - c2);
          vint32m2_t xa = c2 ? __riscv_vget_v_i32m4_i32m2(aa, 1) : __riscv_vget_v_i32m4_i32m2(aa, 0);
          ig_rvv_st(y, oa + c + c2, ig_rvv_rq_apply(xa, &rq, vl2), yb, vl2);
          if (two) {
            vint32m2_t xb = c2 ? __riscv_vget_v_i32m4_i32m2(ab, 1) : __riscv_vget_v_i32m4_i32m2(ab, 0);
            ig_rvv_st(y, ob + c + c2, ig_rvv_rq_apply(xb, &rq, vl2), yb, vl2);
          }
        }
      }
    }
  }
}

#define IG_ENTRIES_MATMUL_PV
#include "ig_entry_points.h"
