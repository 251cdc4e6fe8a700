/* matmul_pv (quant/ops/attention.py) for Armv8.1-M Helium: probabilities times values per head, grouped KV heads,
 * requantized. The zero points are folded out as in the portable kernel (kernels/scalar/ig_matmul_pv.c):
 *     sum_j (p - zp)(v - zv) = sum_j p v - zv sum_j p - zp sum_j v + s zp zv      (int32, wrapping)
 * Two probability rows against eight value columns at a time: per j two scalar p, two widening loads of four
 * values (VLDRB.S32) and four VMLA by scalar (wrapping int32 lanes); the last head_dim % 8 columns tail-predicated.
 * sum_j v per column (only when zp != 0: int8 probabilities) in its own pass. Requantization in lanes
 * (ig_mve_requant4: the values of ig_rq_apply / ig_output_i32), predicated stores. */
#include "ig_attention.h"
#include "ig_mve_common.h"
#include "ig_ops.h"

IG_INLINE void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                       int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp, int32_t mult, int32_t shift,
                       int32_t y_zp, int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * head_dim, vw = kv_heads * head_dim, hd = head_dim;
  int32_t nv = group * t, c0 = ig_wmul(ig_wmul(s, p_zp), v_zp);
  int32x4_t mv = vdupq_n_s32(mult), sh = vdupq_n_s32(shift);
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *vg = v + (size_t)g * (size_t)hd;
    for (int32_t r = 0; r < nv; r += 2) {
      int32_t two = r + 1 < nv;
      int32_t ra = (g * nv + r) * s, rb = two ? ra + s : ra; /* the probability rows (the last alone: twice) */
      int32_t ha = g * group + r / t, ia = r % t, hb = g * group + (r + 1) / t, ib = (r + 1) % t;
      int32x4_t ca = vdupq_n_s32(ig_wadd(c0, -ig_wmul(ig_prob_rowsum(p, pb, ra, s), v_zp)));
      int32x4_t cb = vdupq_n_s32(ig_wadd(c0, -ig_wmul(ig_prob_rowsum(p, pb, rb, s), v_zp)));
      int32_t oa = ia * yw + ha * hd, ob = ib * yw + hb * hd;
      for (int32_t c = 0; c < hd; c += 8) {
        mve_pred16_t m0 = vctp32q((uint32_t)(hd - c)), m1 = vctp32q((uint32_t)(hd - c > 4 ? hd - c - 4 : 0));
        int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0, z0 = a0, z1 = a0;
        const int8_t *vc = vg + c;
        for (int32_t j = 0; j < s; j++, vc += vw) { /* inactive lanes load as zero */
          int32x4_t v0 = vldrbq_z_s32(vc, m0), v1 = vldrbq_z_s32(vc + 4, m1);
          int32_t pa = ig_load(p, ra + j, pb), pbv = ig_load(p, rb + j, pb);
          a0 = vmlaq_n_s32(a0, v0, pa);
          b0 = vmlaq_n_s32(b0, v0, pbv);
          a1 = vmlaq_n_s32(a1, v1, pa);
          b1 = vmlaq_n_s32(b1, v1, pbv);
        }
        if (p_zp) {
          vc = vg + c;
          for (int32_t j = 0; j < s; j++, vc += vw) {
            z0 = vaddq_s32(z0, vldrbq_z_s32(vc, m0));
            z1 = vaddq_s32(z1, vldrbq_z_s32(vc + 4, m1));
          }
          z0 = vmulq_n_s32(z0, -p_zp);
          z1 = vmulq_n_s32(z1, -p_zp);
        }
        ig_mve_store4(y, oa + c, ig_mve_requant4(vaddq_s32(vaddq_s32(a0, ca), z0), mv, sh, y_zp, act_min, act_max), yb,
                      m0);
        ig_mve_store4(y, oa + c + 4, ig_mve_requant4(vaddq_s32(vaddq_s32(a1, ca), z1), mv, sh, y_zp, act_min, act_max),
                      yb, m1);
        if (two) {
          ig_mve_store4(y, ob + c, ig_mve_requant4(vaddq_s32(vaddq_s32(b0, cb), z0), mv, sh, y_zp, act_min, act_max),
                        yb, m0);
          ig_mve_store4(y, ob + c + 4,
                        ig_mve_requant4(vaddq_s32(vaddq_s32(b1, cb), z1), mv, sh, y_zp, act_min, act_max), yb, m1);
        }
      }
    }
  }
}

#define IG_ENTRIES_MATMUL_PV
#include "ig_entry_points.h"
