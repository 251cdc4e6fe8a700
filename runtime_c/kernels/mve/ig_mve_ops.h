/* Inline helpers of the Helium (MVE) element-wise and activation kernels (Cortex-M55). Exact lane forms of the
 * 32-bit helpers of ig_fixed64.h; Helium has no 64-bit lanes, so every step is one of these 32-bit forms:
 *   VRMULH.S32  (a b + 2^31) >> 32          = ig_mulhr32(a, b)
 *   VMULH.S32   (a b) >> 32                 = ig_mulh32(a, b)      (.U32: ig_umulh32)
 *   VSHL by a negative lane count            a right shift per lane (0 for a logical shift by 32 or more)
 * Four int32 lanes per step; the last len % 4 elements in the same step under a VCTP predicate (zeroing loads,
 * predicated stores): no scalar tail. */
#ifndef IG_MVE_OPS_H
#define IG_MVE_OPS_H
#include <arm_mve.h>
#include <stdint.h>

#include "ig_activations.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_MI static inline __attribute__((always_inline))

/* elements i.. of an int8 / int16 / int32 array as int32 lanes, inactive lanes zero */
IG_MI int32x4_t ig_mve_load4(const void *x, int32_t i, int32_t xb, mve_pred16_t p) {
  if (xb == 1) return vldrbq_z_s32((const int8_t *)x + i, p);
  if (xb == 2) return vldrhq_z_s32((const int16_t *)x + i, p);
  return vldrwq_z_s32((const int32_t *)x + i, p);
}

/* elements i..i+3, no predicate (the loops' whole vectors: a live predicate is saved and restored around every
 * compare of the element's own, so only the last step of a loop is predicated) */
IG_MI int32x4_t ig_mve_load4u(const void *x, int32_t i, int32_t xb) {
  if (xb == 1) return vldrbq_s32((const int8_t *)x + i);
  if (xb == 2) return vldrhq_s32((const int16_t *)x + i);
  return vldrwq_s32((const int32_t *)x + i);
}

IG_MI void ig_mve_store4u(void *y, int32_t i, int32x4_t v, int32_t yb) {
  if (yb == 1) vstrbq_s32((int8_t *)y + i, v);
  else if (yb == 2) vstrhq_s32((int16_t *)y + i, v);
  else vstrwq_s32((int32_t *)y + i, v);
}

/* the active lanes of v as elements i.. of an int8 / int16 / int32 array (v inside the type's range) */
IG_MI void ig_mve_store4p(void *y, int32_t i, int32x4_t v, int32_t yb, mve_pred16_t p) {
  if (yb == 1) vstrbq_p_s32((int8_t *)y + i, v, p);
  else if (yb == 2) vstrhq_p_s32((int16_t *)y + i, v, p);
  else vstrwq_p_s32((int32_t *)y + i, v, p);
}

/* ig_ms_apply (ig_fixed64.h) per lane for the HR and FLOOR plans (mode a constant after inlining) */
IG_MI int32x4_t ig_mve_ms(int32x4_t v, ig_ms_t p, int32_t mode) {
  if (mode == IG_MS_HR) return vrmulhq_s32(vshlq_r_s32(v, p.a), vdupq_n_s32(p.m));
  return vshlq_r_s32(vaddq_n_s32(vmulhq_s32(v, vdupq_n_s32(p.m)), p.c), -p.k);
}

/* exp2_q20(-t) for 0 <= t <= IG_EXP2_T_MAX per lane (ig_exp2_q20_t): three VRMULH Horner steps, the final
 * rshr(p, 10 + z) = ((p >> (9 + z)) + 1) >> 1 with a per-lane VSHL */
IG_MI uint32x4_t ig_mve_exp2_t(int32x4_t t) {
  int32x4_t g = vnegq_s32(vshlq_n_s32(vandq_s32(t, vdupq_n_s32(0xffff)), 15));
  int32x4_t p = vaddq_n_s32(vrmulhq_s32(g, vdupq_n_s32((int32_t)(2 * IG_EXP2_C3))), (int32_t)IG_EXP2_C2);
  p = vaddq_n_s32(vrmulhq_s32(g, vshlq_n_s32(p, 1)), (int32_t)IG_EXP2_C1);
  p = vaddq_n_s32(vrmulhq_s32(g, vshlq_n_s32(p, 1)), (int32_t)IG_EXP2_C0);
  int32x4_t sh = vsubq_s32(vdupq_n_s32(-9), vshrq_n_s32(t, 16)); /* -(9 + z) */
  return vrshrq_n_u32(vshlq_u32(vreinterpretq_u32_s32(p), sh), 1);
}

/* floor((2^35 + den / 2) / den) per lane for 2^20 <= den <= 2^21 (the sigmoid's division; Helium has no vector
 * divide): y = den 2^10 is den / 2^21 in Q31, x ~ 1 / y in Q29 from the linear estimate 48/17 - 32/17 y (error
 * <= 1/17) and two Newton steps x += x (1 - y x) (VMULH.U32 / VMULH.S32); q = rshr(x, 15) is within one of the
 * quotient (checked for every den of the range: tests/codegen/test_mve_division.py), and the remainder
 * 2^35 + den / 2 - q den, exact modulo 2^32 (|remainder| < 2^31), corrects it by one either way. */
#define IG_MVE_RCP_C1 1515870810  /* round(48/17 2^29) */
#define IG_MVE_RCP_C2 2021161081u /* round(2^35 / 17) */
IG_MI int32x4_t ig_mve_div35(uint32x4_t den) {
  uint32x4_t d = vshlq_n_u32(den, 10);
  int32x4_t x = vreinterpretq_s32_u32(vsubq_u32(vdupq_n_u32(IG_MVE_RCP_C1), vmulhq_u32(d, vdupq_n_u32(IG_MVE_RCP_C2))));
  for (int it = 0; it < 2; it++) {
    int32x4_t e = vsubq_s32(vdupq_n_s32(1 << 28), vreinterpretq_s32_u32(vmulhq_u32(d, vreinterpretq_u32_s32(x))));
    x = vaddq_s32(x, vmulhq_s32(x, vshlq_n_s32(e, 4)));
  }
  int32x4_t q = vrshrq_n_s32(x, 15), dv = vreinterpretq_s32_u32(den);
  int32x4_t rem = vsubq_s32(vshrq_n_s32(dv, 1), vmulq_s32(q, dv));
  q = vaddq_s32(q, vshrq_n_s32(rem, 31));                     /* rem < 0: one less */
  return vsubq_s32(q, vshrq_n_s32(vsubq_s32(vsubq_n_s32(dv, 1), rem), 31)); /* rem >= den: one more */
}

/* sigmoid_q15(z) per lane (ig_sigmoid_q15_32): a = min(|z|, 2^16) (|INT32_MIN| reads as 2^31 unsigned),
 * t = -((512 - 23637 a) >> 10) = (23637 a + 511) >> 10, clamped at IG_EXP2_T_MAX (e = 0 beyond) */
IG_MI int32x4_t ig_mve_sigmoid_q15(int32x4_t z) {
  uint32x4_t a = vminq_u32(vreinterpretq_u32_s32(vabsq_s32(z)), vdupq_n_u32(65536));
  int32x4_t t = vshrq_n_s32(vaddq_n_s32(vmulq_n_s32(vreinterpretq_s32_u32(a), IG_LOG2E_Q14), 511), 10);
  uint32x4_t e = ig_mve_exp2_t(vminq_s32(t, vdupq_n_s32(IG_EXP2_T_MAX)));
  int32x4_t s = ig_mve_div35(vaddq_n_u32(e, 1u << 20));
  return vpselq_s32(s, vsubq_s32(vdupq_n_s32(1 << 15), s), vcmpgeq_n_s32(z, 0));
}

/* rshr(x sg, 15) (ig_mul_sig15): x or 0 where |x| >= 2^16 (the sigmoid saturated), else x sg < 2^31 */
IG_MI int32x4_t ig_mve_mul_sig15(int32x4_t x, int32x4_t sg) {
  mve_pred16_t large = vcmpcsq_n_u32(vreinterpretq_u32_s32(vabsq_s32(x)), 65536);
  return vpselq_s32(vmaxq_s32(x, vdupq_n_s32(0)), vrshrq_n_s32(vmulq_s32(x, sg), 15), large);
}

/* gelu's u (ig_gelu_u32, ig_activations.h): each rounded high product is one VRMULH */
IG_MI int32x4_t ig_mve_gelu_u(int32x4_t x12) {
  int32x4_t xc = vminq_s32(vmaxq_s32(x12, vdupq_n_s32(-32768)), vdupq_n_s32(32768));
  int32x4_t q = vrshrq_n_s32(vmulq_s32(xc, xc), 12);
  int32x4_t x3 = vrmulhq_s32(vshlq_n_s32(q, 12), vshlq_n_s32(xc, 8));
  int32x4_t w = vaddq_s32(xc, vrmulhq_s32(vshlq_n_s32(x3, 9), vdupq_n_s32(IG_GELU_C3_Q16 << 7)));
  return vrmulhq_s32(vshlq_n_s32(w, 13), vdupq_n_s32(IG_GELU_K_Q14 << 5));
}

/* ig_rdiv20 (ig_fixed64.h) per lane, the norms' division: round_div(c 2^20, r) for |c| <= r < 2^30 by the row's
 * reciprocal (VMULH.U32) and one remainder compare (exact modulo 2^32) */
IG_MI int32x4_t ig_mve_rdiv20(int32x4_t c, ig_rdiv20_t d) {
  uint32x4_t u = vreinterpretq_u32_s32(vabsq_s32(c));
  uint32x4_t q = vmulhq_u32(vshlq_r_u32(u, d.sa), vdupq_n_u32(d.m));
  uint32x4_t rem = vsubq_u32(vaddq_n_u32(vshlq_n_u32(u, 20), d.h), vmulq_n_u32(q, d.r));
  q = vaddq_m_n_u32(q, q, 1, vcmpcsq_n_u32(rem, d.r));
  int32x4_t n = vreinterpretq_s32_u32(q);
  return vpselq_s32(vnegq_s32(n), n, vcmpltq_n_s32(c, 0));
}

/* gelu (gelu = 1) or silu of four x - x_zp: ig_gated_loop32's element, clamped to [lo, hi] */
IG_MI int32x4_t ig_mve_gated4(int32x4_t xz, ig_ms_t mi, int32_t in_mode, ig_ms_t mo, int32_t out_mode, int32_t y_zp,
                              int32_t lo, int32_t hi, int gelu) {
  int32x4_t x12 = ig_mve_ms(xz, mi, in_mode);
  int32x4_t f = ig_mve_mul_sig15(x12, ig_mve_sigmoid_q15(gelu ? ig_mve_gelu_u(x12) : x12));
  int32x4_t v = vaddq_n_s32(ig_mve_ms(f, mo, out_mode), y_zp);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/* ig_gated_loop32 (ig_activations.h) in lanes, both rescale modes constants; the last len % 4 elements in one
 * predicated step */
IG_MI void ig_mve_gated_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi, int32_t in_mode,
                             ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo, int32_t hi, void *y, int32_t yb,
                             int gelu) {
  int32_t i = 0;
  for (; i + 4 <= len; i += 4)
    ig_mve_store4u(y, i, ig_mve_gated4(vsubq_n_s32(ig_mve_load4u(x, i, xb), x_zp), mi, in_mode, mo, out_mode, y_zp,
                                       lo, hi, gelu), yb);
  if (i < len) {
    mve_pred16_t p = vctp32q((uint32_t)(len - i));
    int32x4_t v = ig_mve_gated4(vsubq_n_s32(ig_mve_load4(x, i, xb, p), x_zp), mi, in_mode, mo, out_mode, y_zp, lo, hi,
                                gelu);
    ig_mve_store4p(y, i, v, yb, p);
  }
}

/* The kernel: the lane loop when the 32-bit plan fits (ig_gated_plan), else the int64 form */
IG_MI void ig_mve_gated_act(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                            int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                            void *y, int32_t yb, int gelu) {
  IG_GATED_ACT(ig_mve_gated_loop, gelu ? 0 : 1141, x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp,
               act_min, act_max, y, yb, gelu);
}
#endif
