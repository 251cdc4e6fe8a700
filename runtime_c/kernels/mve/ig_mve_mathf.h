/* ig_mathf.h's exp, erfc and activations in Helium float lanes (MVE-F), for the FP32 kernels of Cortex-M55: the same
 * algorithms and constants as the portable and NEON forms, with fused multiply-adds. Helium has no vector divide
 * and no reciprocal estimate, so a quotient is a Newton reciprocal (from a linear estimate on [1, 2], or the
 * exponent-bit estimate elsewhere) and one remainder step: q = n r, q += (n - q d) r, whose error is half an ulp
 * plus r's relative error squared (below 2^-32 here), i.e. the correctly rounded quotient within rounding. */
#ifndef IG_MVE_MATHF_H
#define IG_MVE_MATHF_H
#include <arm_mve.h>

#include "ig_mathf.h"

#define IG_MM static inline __attribute__((always_inline))

/* exp(hi + lo) per lane (ig_expf_core): Cody-Waite reduction, the degree-4 polynomial, 2^n as two normal factors
 * (n in [-150, 129]: exact scaling, gradual underflow, overflow to inf). */
IG_MM float32x4_t ig_mve_expq_core(float32x4_t hi, float32x4_t lo, int with_lo) {
  hi = vminnmq_f32(vmaxnmq_f32(hi, vdupq_n_f32(IG_EXP_MIN_F)), vdupq_n_f32(IG_EXP_MAX_F));
  float32x4_t kf = vrndnq_f32(vmulq_n_f32(with_lo ? vaddq_f32(hi, lo) : hi, IG_LOG2E_F));
  int32x4_t n = vcvtq_s32_f32(kf); /* kf is an integer: the truncation is exact */
  float32x4_t r = vfmaq_n_f32(hi, kf, -IG_LN2_HI_F);
  r = vfmaq_n_f32(r, kf, -IG_LN2_LO_F);
  if (with_lo) r = vaddq_f32(r, lo);
  float32x4_t q = vfmasq_n_f32(vdupq_n_f32(IG_EXP_E4), r, IG_EXP_E3); /* VFMAS: q r + c, no constant vector */
  q = vfmasq_n_f32(q, r, IG_EXP_E2);
  q = vfmasq_n_f32(q, r, IG_EXP_E1);
  q = vfmasq_n_f32(q, r, IG_EXP_E0);
  float32x4_t p = vaddq_n_f32(vfmaq_f32(r, vmulq_f32(r, r), q), 1.0f);
  int32x4_t n1 = vshrq_n_s32(n, 1), n2 = vsubq_s32(n, n1);
  float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_n_s32(n1, 127), 23));
  float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_n_s32(n2, 127), 23));
  return vmulq_f32(vmulq_f32(p, s1), s2);
}

IG_MM float32x4_t ig_mve_expq(float32x4_t x) { return ig_mve_expq_core(x, x, 0); }

/* Two Newton steps r += r (1 - d r) and the remainder step of n / d. */
IG_MM float32x4_t ig_mve_div_refine(float32x4_t n, float32x4_t d, float32x4_t r, int steps) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  for (int i = 0; i < steps; i++) r = vfmaq_f32(r, r, vfmsq_f32(one, d, r));
  float32x4_t q = vmulq_f32(n, r);
  return vfmaq_f32(q, vfmsq_f32(n, q, d), r);
}

/* n / d for d in [1, 2]: the linear estimate 24/17 - 8/17 d (relative error <= 1/17), two Newton steps (1.2e-5). */
IG_MM float32x4_t ig_mve_div12q(float32x4_t n, float32x4_t d) {
  float32x4_t r = vfmasq_n_f32(vdupq_n_f32(-0x1.e1e1e2p-2f), d, 0x1.69696ap+0f);
  return ig_mve_div_refine(n, d, r, 2);
}

/* n / d for a normal d > 0: the exponent-bit estimate (relative error <= 0.125), three Newton steps (4e-8). */
IG_MM float32x4_t ig_mve_divq(float32x4_t n, float32x4_t d) {
  float32x4_t r = vreinterpretq_f32_s32(vsubq_s32(vdupq_n_s32(0x7ef311c3), vreinterpretq_s32_f32(d)));
  return ig_mve_div_refine(n, d, r, 3);
}

/* x / (1 + exp(m)) without overflow (ig_div_1p_exp): E = exp(-|m|), then x / (1 + E) for m <= 0, x E / (1 + E)
 * for m > 0. */
IG_MM float32x4_t ig_mve_div_1p_expq(float32x4_t x, float32x4_t m) {
  float32x4_t e = ig_mve_expq(vnegq_f32(vabsq_f32(m)));
  float32x4_t num = vpselq_f32(vmulq_f32(x, e), x, vcmpgtq_n_f32(m, 0.0f));
  return ig_mve_div12q(num, vaddq_n_f32(e, 1.0f));
}

IG_MM float32x4_t ig_mve_siluq(float32x4_t x) { return ig_mve_div_1p_expq(x, vnegq_f32(x)); }

IG_MM float32x4_t ig_mve_gelu_tanhq(float32x4_t x) {
  float32x4_t m2u = vmulq_f32(vnegq_f32(x), vfmasq_n_f32(vmulq_f32(x, x), vdupq_n_f32(IG_GELU_T3), IG_GELU_T1));
  return ig_mve_div_1p_expq(x, m2u);
}

/* erfc(a / sqrt 2), a >= 0 (ig_erfc_tail): -a^2 / 2 as an exact head and tail, P(1 - t) by Horner. */
IG_MM float32x4_t ig_mve_erfc_tailq(float32x4_t a) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  float32x4_t t = ig_mve_divq(one, vfmaq_n_f32(one, a, IG_HALF_RSQRT2_F));
  float32x4_t sv = vsubq_f32(one, t);
  float32x4_t p = vfmasq_n_f32(vdupq_n_f32(IG_ERFC_Q9), sv, IG_ERFC_Q8);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q7);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q6);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q5);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q4);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q3);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q2);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q1);
  p = vfmasq_n_f32(p, sv, IG_ERFC_Q0);
  float32x4_t ah = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(IG_SPLIT_MASK)));
  float32x4_t al = vsubq_f32(a, ah);
  float32x4_t hi = vmulq_n_f32(vmulq_f32(ah, ah), -0.5f);
  float32x4_t lo = vsubq_f32(p, vfmaq_f32(vmulq_f32(ah, al), vmulq_n_f32(al, 0.5f), al));
  return vmulq_f32(t, ig_mve_expq_core(hi, lo, 1));
}

/* gelu (erf): x (1 - h) for x >= 0, x h below, h = erfc(|x| / sqrt 2) / 2 */
IG_MM float32x4_t ig_mve_gelu_erfq(float32x4_t x) {
  float32x4_t h = vmulq_n_f32(ig_mve_erfc_tailq(vabsq_f32(x)), 0.5f);
  return vmulq_f32(x, vpselq_f32(h, vsubq_f32(vdupq_n_f32(1.0f), h), vcmpltq_n_f32(x, 0.0f)));
}
#endif
