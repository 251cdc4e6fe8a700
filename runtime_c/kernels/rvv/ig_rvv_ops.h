/* Inline helpers of the transformer-op kernels for RVV 1.0 (the ratified intrinsics API, ig_rvv_api.h), vector-length
 * agnostic: every loop takes vl from vsetvl (int32 data at LMUL 2, int64 at LMUL 4), so the same code is exact for
 * VLEN 128, 256 and 512. The fixed-point rounding mode is round-to-nearest-up (IG_RNU):
 *   VSMUL(a, b) = rshr(a b, 31), saturating only for a = b = INT32_MIN (never here);
 *   VWMUL + VNCLIP by s = mul_rshr(v, m, s) saturated to int32, for any m and 0 <= s <= 63;
 *   VSSRL by a per-element count = rshr of an unsigned value (the exp2's final shift, count <= 31);
 *   VSSRA(x, s) on int64 lanes = rshr(x, s).
 * Integer division (the sigmoid's) is VDIVU on 64-bit lanes. */
#ifndef IG_RVV_OPS_H
#define IG_RVV_OPS_H
#include <stdint.h>

#include "ig_rvv_api.h"

#include "ig_activations.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_RI static inline __attribute__((always_inline))

/* x[i..i+vl) as int32 lanes (int8 / int16 / int32) */
IG_RI vint32m2_t ig_rvv_ld(const void *x, size_t i, int32_t xb, size_t vl) {
  if (xb == 1) return __riscv_vsext_vf4_i32m2(__riscv_vle8_v_i8mf2((const int8_t *)x + i, vl), vl);
  if (xb == 2) return __riscv_vsext_vf2_i32m2(__riscv_vle16_v_i16m1((const int16_t *)x + i, vl), vl);
  return __riscv_vle32_v_i32m2((const int32_t *)x + i, vl);
}

/* int32 lanes (inside the output type's range) to y[i..i+vl) as int8 / int16 / int32 */
IG_RI void ig_rvv_st(void *y, size_t i, vint32m2_t v, int32_t yb, size_t vl) {
  if (yb == 4) {
    __riscv_vse32_v_i32m2((int32_t *)y + i, v, vl);
  } else {
    vint16m1_t h = __riscv_vncvt_x_x_w_i16m1(v, vl);
    if (yb == 2) __riscv_vse16_v_i16m1((int16_t *)y + i, h, vl);
    else __riscv_vse8_v_i8mf2((int8_t *)y + i, __riscv_vncvt_x_x_w_i8mf2(h, vl), vl);
  }
}

IG_RI vint32m2_t ig_rvv_clamp(vint32m2_t v, int32_t lo, int32_t hi, size_t vl) {
  return __riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(v, lo, vl), hi, vl);
}

/* mul_rshr(v, m, s) saturated to int32 */
IG_RI vint32m2_t ig_rvv_mul_rshr_sat(vint32m2_t v, int32_t m, int32_t s, size_t vl) {
  return __riscv_vnclip_wx_i32m2(__riscv_vwmul_vx_i64m4(v, m, vl), (size_t)s, IG_RNU, vl);
}

/* mul_rshr(v, m, s) + zp in int64, saturated to int32 (the definition's sum before its clamp) */
IG_RI vint32m2_t ig_rvv_mul_rshr_zp_sat(vint32m2_t v, int32_t m, int32_t s, int32_t zp, size_t vl) {
  vint64m4_t w = __riscv_vssra_vx_i64m4(__riscv_vwmul_vx_i64m4(v, m, vl), (size_t)s, IG_RNU, vl);
  return __riscv_vnclip_wx_i32m2(__riscv_vadd_vx_i64m4(w, zp, vl), 0, IG_RNU, vl);
}

/* exp2_q20(-t) for 0 <= t <= IG_EXP2_T_MAX per lane (ig_exp2_q20_t): rshr(p f, 16) = VSMUL(p, f 2^15) */
IG_RI vuint32m2_t ig_rvv_exp2_t(vint32m2_t t, size_t vl) {
  vint32m2_t f15 = __riscv_vneg_v_i32m2(__riscv_vsll_vx_i32m2(__riscv_vand_vx_i32m2(t, 0xffff, vl), 15, vl), vl);
  vint32m2_t p = __riscv_vadd_vx_i32m2(__riscv_vsmul_vx_i32m2(f15, (int32_t)IG_EXP2_C3, IG_RNU, vl), (int32_t)IG_EXP2_C2, vl);
  p = __riscv_vadd_vx_i32m2(__riscv_vsmul_vv_i32m2(p, f15, IG_RNU, vl), (int32_t)IG_EXP2_C1, vl);
  p = __riscv_vadd_vx_i32m2(__riscv_vsmul_vv_i32m2(p, f15, IG_RNU, vl), (int32_t)IG_EXP2_C0, vl);
  vuint32m2_t sh = __riscv_vreinterpret_v_i32m2_u32m2(__riscv_vadd_vx_i32m2(__riscv_vsra_vx_i32m2(t, 16, vl), 10, vl));
  return __riscv_vssrl_vv_u32m2(__riscv_vreinterpret_v_i32m2_u32m2(p), sh, IG_RNU, vl);
}

/* ig_output_i32 (TFLite requantization, saturating y_zp add, clamp) per lane */
typedef struct {
  int32_t m, left, right, zp, lo, hi;
} ig_rvv_rq_t;

IG_RI ig_rvv_rq_t ig_rvv_rq(int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  ig_rvv_rq_t r = {mult, shift > 0 ? shift : 0, shift > 0 ? 0 : -shift, zp, lo, hi};
  return r;
}

IG_RI vint32m2_t ig_rvv_rq_apply(vint32m2_t a, const ig_rvv_rq_t *q, size_t vl) {
  a = __riscv_vsll_vx_i32m2(a, (size_t)q->left, vl); /* wraps, as the reference */
  a = __riscv_vsmul_vx_i32m2(a, q->m, IG_RNU, vl);
  if (q->right) { /* -1 for negative values: round-half-up becomes round-half-away-from-zero */
    a = __riscv_vadd_vv_i32m2(a, __riscv_vsra_vx_i32m2(a, 31, vl), vl);
    a = __riscv_vssra_vx_i32m2(a, (size_t)q->right, IG_RNU, vl);
  }
  a = __riscv_vsadd_vx_i32m2(a, q->zp, vl);
  return ig_rvv_clamp(a, q->lo, q->hi, vl);
}

/* ig_rdiv20 per lane: round_div(a 2^20, r) for |a| <= r < 2^30 */
IG_RI vint32m2_t ig_rvv_rdiv20(vint32m2_t a, ig_rdiv20_t d, size_t vl) {
  vbool16_t neg = __riscv_vmslt_vx_i32m2_b16(a, 0, vl);
  vuint32m2_t u = __riscv_vreinterpret_v_i32m2_u32m2(__riscv_vmerge_vvm_i32m2(a, __riscv_vneg_v_i32m2(a, vl), neg, vl));
  vuint32m2_t q = __riscv_vmulhu_vx_u32m2(__riscv_vsll_vx_u32m2(u, (size_t)d.sa, vl), d.m, vl);
  vuint32m2_t rem = __riscv_vnmsac_vx_u32m2(__riscv_vadd_vx_u32m2(__riscv_vsll_vx_u32m2(u, 20, vl), d.h, vl), d.r, q, vl);
  q = __riscv_vadd_vx_u32m2_mu(__riscv_vmsgeu_vx_u32m2_b16(rem, d.r, vl), q, q, 1, vl);
  vint32m2_t n = __riscv_vreinterpret_v_u32m2_i32m2(q);
  return __riscv_vmerge_vvm_i32m2(n, __riscv_vneg_v_i32m2(n, vl), neg, vl);
}

/* sigmoid_q15(z) per lane (ig_sigmoid_q15_32), the division by VDIVU on 64-bit lanes */
IG_RI vint32m2_t ig_rvv_sigmoid_q15(vint32m2_t z, size_t vl) {
  vbool16_t neg = __riscv_vmslt_vx_i32m2_b16(z, 0, vl);
  vuint32m2_t u = __riscv_vreinterpret_v_i32m2_u32m2(__riscv_vmerge_vvm_i32m2(z, __riscv_vneg_v_i32m2(z, vl), neg, vl));
  vint32m2_t a = __riscv_vreinterpret_v_u32m2_i32m2(__riscv_vminu_vx_u32m2(u, 65536u, vl));
  /* t = -((512 - 23637 a) >> 10), at most IG_EXP2_T_MAX */
  vint32m2_t t = __riscv_vneg_v_i32m2(
      __riscv_vsra_vx_i32m2(__riscv_vnmsub_vx_i32m2(a, IG_LOG2E_Q14, __riscv_vmv_v_x_i32m2(512, vl), vl), 10, vl), vl);
  t = __riscv_vmin_vx_i32m2(t, IG_EXP2_T_MAX, vl);
  vuint32m2_t den = __riscv_vadd_vx_u32m2(ig_rvv_exp2_t(t, vl), 1u << 20, vl);
  vuint64m4_t d64 = __riscv_vzext_vf2_u64m4(den, vl);
  vuint64m4_t num = __riscv_vadd_vx_u64m4(__riscv_vsrl_vx_u64m4(d64, 1, vl), 1ull << 35, vl);
  vint32m2_t s = __riscv_vreinterpret_v_u32m2_i32m2(__riscv_vncvt_x_x_w_u32m2(__riscv_vdivu_vv_u64m4(num, d64, vl), vl));
  return __riscv_vmerge_vvm_i32m2(s, __riscv_vrsub_vx_i32m2(s, 1 << 15, vl), neg, vl);
}

/* rshr(x sg, 15) for the SiLU / GELU forms (ig_mul_sig15): x or 0 where |x| >= 2^16 */
IG_RI vint32m2_t ig_rvv_mul_sig15(vint32m2_t x, vint32m2_t sg, size_t vl) {
  vint32m2_t small = __riscv_vsra_vx_i32m2(__riscv_vadd_vx_i32m2(__riscv_vmul_vv_i32m2(x, sg, vl), 1 << 14, vl), 15, vl);
  vbool16_t big = __riscv_vmor_mm_b16(__riscv_vmsge_vx_i32m2_b16(x, 65536, vl),
                                       __riscv_vmsle_vx_i32m2_b16(x, -65536, vl), vl);
  return __riscv_vmerge_vvm_i32m2(small, __riscv_vmax_vx_i32m2(x, 0, vl), big, vl);
}

/* gelu's u (ig_gelu_u32, ig_activations.h) in lanes: each int64 product of the definition is one VSMUL of operands
 * pre-shifted so that rshr(., 31) is the definition's rshr (|xc| <= 2^15: rshr(q xc, 12) = VSMUL(q << 12, xc << 7),
 * rshr(x3 2930, 16) = VSMUL(x3 << 9, 2930 << 6), rshr(w 26145, 14) = VSMUL(w << 13, 26145 << 4)). */
IG_RI vint32m2_t ig_rvv_gelu_u(vint32m2_t x12, size_t vl) {
  vint32m2_t xc = __riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(x12, -32768, vl), 32768, vl);
  vint32m2_t q = __riscv_vssra_vx_i32m2(__riscv_vmul_vv_i32m2(xc, xc, vl), 12, IG_RNU, vl); /* rshr(xc^2, 12), no overflow */
  vint32m2_t x3 = __riscv_vsmul_vv_i32m2(__riscv_vsll_vx_i32m2(q, 12, vl), __riscv_vsll_vx_i32m2(xc, 7, vl), IG_RNU, vl);
  vint32m2_t w = __riscv_vadd_vv_i32m2(xc, __riscv_vsmul_vx_i32m2(__riscv_vsll_vx_i32m2(x3, 9, vl), IG_GELU_C3_Q16 << 6, IG_RNU, vl), vl);
  return __riscv_vsmul_vx_i32m2(__riscv_vsll_vx_i32m2(w, 13, vl), IG_GELU_K_Q14 << 4, IG_RNU, vl);
}

/* gelu (gelu = 1) or silu of int8 / int16 x: x12 = VWMUL + VNCLIP (the definition's int32 clamp is the saturation),
 * the sigmoid in lanes (ig_rvv_sigmoid_q15: exp2 by VSMUL steps, the division by VDIVU on 64-bit lanes),
 * rshr(x12 s, 15) with the large-|x| select (ig_rvv_mul_sig15), the output rescale plus y_zp in int64 lanes. */
IG_RI void ig_rvv_gated_act(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                            int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                            void *y, int32_t yb, int gelu) {
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint32m2_t x12 = ig_rvv_mul_rshr_sat(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, i, xb, vl), x_zp, vl), in_mult, in_shift, vl);
    vint32m2_t f = ig_rvv_mul_sig15(x12, ig_rvv_sigmoid_q15(gelu ? ig_rvv_gelu_u(x12, vl) : x12, vl), vl);
    vint32m2_t v = ig_rvv_mul_rshr_zp_sat(f, out_mult, out_shift, y_zp, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}
#endif
