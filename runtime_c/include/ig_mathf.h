/* Single-precision math of the FP32 baseline kernels (kernels/<family>/ig_*_f32.c): exp, erfc, sqrt, 1/sqrt and
 * the activations built on them. The programs link with -nostdlib, so there is no libm: everything is here, as
 * static inline functions (scalar, and NEON / RVV vector forms where the includer is compiled for them).
 *
 * Accuracy, measured over dense sweeps of every float input range (tests/codegen/test_float_transformer_ops.py,
 * test_mathf_accuracy_on_host, which holds these bounds):
 *   ig_expf         <= 1 ulp   Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2 (ln2 split in a 15-bit head and a
 *                              tail, so n * head is exact); exp(r) = 1 + r + r^2 q(r), q a degree-4 minimax fit
 *                              (relative error 4.9e-9 with its float coefficients); 2^n is added to the exponent
 *                              bits (two exact multiplies where the result is subnormal or overflows).
 *   ig_erfc_tail    <= 8 ulp   erfc(a / sqrt 2), a >= 0: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), P the
 *                              degree-9 Chebyshev fit of Numerical Recipes' erfcc (relative error 1.05e-7), Horner
 *                              in 1 - t; -z^2 = -a^2 / 2 is formed exactly as a head and a tail (a split in two
 *                              12-bit halves), so exp's argument carries no rounding of z^2 (which alone would
 *                              cost 2 z^2 ulp: 100 ulp at z = 7). The rest is float rounding of P (|P| ~ 1.3).
 *   ig_erfcf_pos    <= 8 ulp   erfc(z), z >= 0, the same.
 *   ig_rsqrtf       <= 2 ulp   hardware sqrt and a division where the target has them, else the bit-trick
 *                              estimate and three Newton steps (multiplies and adds only: no soft division).
 *   ig_sqrtf        <= 1 ulp   hardware (correctly rounded), else x / sqrt(x) and a Newton step on the root.
 *   silu <= 3 ulp, gelu (erf) <= 8 ulp; gelu (tanh) <= 8 + 3 |2u| ulp: 2u = 2 sqrt(2/pi) (x + 0.044715 x^3)
 *   rounds in float (relative ~5 u), and the result's sensitivity to it is |2u| where x << 0.
 * The activations: silu x / (1 + exp(-x)); gelu (erf) x (1 - erfc(x / sqrt2) / 2) for x >= 0 and
 * x erfc(-x / sqrt2) / 2 below (no cancellation anywhere); gelu (tanh) 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u));
 * x / (1 + exp(m)) is formed from exp(-|m|) (no overflow where the result is still a normal float).
 *
 * Hardware square root: `__builtin_sqrtf` would keep libm's errno path (a call to sqrtf, which a -nostdlib link
 * does not have) unless -fno-math-errno, so the instruction is written directly: FSQRT (AArch64), VSQRT.F32
 * (ARMv7E-M with FPv4/FPv5, hard float), FSQRT.S (RISC-V F). Targets without an FPU (Cortex-M4, RV32IMC) run
 * all of this in soft-float (libgcc helpers), which is the point of the baseline there.
 *
 * Rounding mode: round to nearest (the default of every target); the conversions to an integer rely on it. */
#ifndef IG_MATHF_H
#define IG_MATHF_H
#include <stdint.h>

#if defined(__aarch64__) || (defined(__ARM_FP) && (__ARM_FP & 4) && !defined(__SOFTFP__)) || \
    (defined(__riscv) && defined(__riscv_flen) && __riscv_flen >= 32)
#define IG_HW_SQRTF 1
#else
#define IG_HW_SQRTF 0
#endif

#define IG_MATHF_INLINE static inline __attribute__((always_inline))

IG_MATHF_INLINE uint32_t ig_f32_bits(float f) {
  union { float f; uint32_t u; } c;
  c.f = f;
  return c.u;
}

IG_MATHF_INLINE float ig_bits_f32(uint32_t u) {
  union { uint32_t u; float f; } c;
  c.u = u;
  return c.f;
}

/* Constants (hex float literals: the bits do not depend on the compiler's decimal conversion). */
#define IG_LOG2E_F 0x1.715476p+0f
#define IG_LN2_HI_F 0x1.62e4p-1f    /* 15 significant bits: n * IG_LN2_HI_F is exact for |n| < 512 */
#define IG_LN2_LO_F 0x1.7f7d1cp-20f /* ln2 - IG_LN2_HI_F */
#define IG_ROUND_MAGIC_F 0x1.8p+23f /* adding it rounds a float of |v| < 2^22 to an integer (ties to even) */
/* exp(r) = 1 + r + r^2 (E0 + r (E1 + r (E2 + r (E3 + r E4)))), |r| <= ln2 / 2 */
#define IG_EXP_E0 0x1.fffffcp-2f
#define IG_EXP_E1 0x1.55545ap-3f
#define IG_EXP_E2 0x1.55577cp-5f
#define IG_EXP_E3 0x1.125c62p-7f
#define IG_EXP_E4 0x1.6bb9e6p-10f
/* Inputs beyond these give +inf / 0 through the scaling itself; clamping keeps n small. */
#define IG_EXP_MAX_F 89.0f
#define IG_EXP_MIN_F (-104.0f)
/* Numerical Recipes' erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), P its degree-9 Chebyshev fit, here
 * re-expanded in s = 1 - t (exact for z <= 2), P = sum_i IG_ERFC_Qi s^i: near z = 0 (t = 1) the terms no longer
 * cancel in Horner's rule (half the rounding error there). */
#define IG_ERFC_Q0 0x1.01b2b2p-25f
#define IG_ERFC_Q1 (-0x1.41bbd8p+0f)
#define IG_ERFC_Q2 (-0x1.35efbap-2f)
#define IG_ERFC_Q3 0x1.393010p-3f
#define IG_ERFC_Q4 0x1.0789a2p-2f
#define IG_ERFC_Q5 (-0x1.ba351ap-3f)
#define IG_ERFC_Q6 0x1.3c235ep-1f
#define IG_ERFC_Q7 (-0x1.100e46p+0f)
#define IG_ERFC_Q8 0x1.6e7096p-1f
#define IG_ERFC_Q9 (-0x1.5df28ap-3f)
#define IG_HALF_RSQRT2_F 0x1.6a09e6p-2f /* 1 / (2 sqrt 2): t = 1 / (1 + a / (2 sqrt 2)) for z = a / sqrt 2 */
/* gelu (tanh): 2u = x (GELU_T1 + GELU_T3 x^2), 2u = 2 sqrt(2 / pi) (x + 0.044715 x^3) */
#define IG_GELU_T1 0x1.988454p+0f
#define IG_GELU_T3 0x1.2444f2p-4f
/* the low 12 mantissa bits: a float of 12 significant bits squares exactly */
#define IG_SPLIT_MASK 0xfffff000u

/* exp(hi + lo), lo a correction of the argument (|lo| < 2) that hi's rounding would lose. with_lo = 0 skips it (a constant:
 * the compiler drops the add, which in soft-float is a helper call). */
IG_MATHF_INLINE float ig_expf_core(float hi, float lo, int with_lo) {
  if ((ig_f32_bits(hi) & 0x7fffffffu) > 0x42b20000u) { /* |hi| > 89: clamp (rare; a float compare each) */
    if (hi > IG_EXP_MAX_F) hi = IG_EXP_MAX_F;
    if (hi < IG_EXP_MIN_F) hi = IG_EXP_MIN_F;
  }
  float kf = (with_lo ? hi + lo : hi) * IG_LOG2E_F + IG_ROUND_MAGIC_F;
  int32_t n = (int32_t)(ig_f32_bits(kf) - ig_f32_bits(IG_ROUND_MAGIC_F));
  kf -= IG_ROUND_MAGIC_F;
  float r = hi - kf * IG_LN2_HI_F; /* exact where |hi| > 2 |lo| + 1 (Sterbenz), else within half an ulp of 2 */
  r = r - kf * IG_LN2_LO_F;
  if (with_lo) r = r + lo;
  float q = IG_EXP_E3 + r * IG_EXP_E4;
  q = IG_EXP_E2 + r * q;
  q = IG_EXP_E1 + r * q;
  q = IG_EXP_E0 + r * q;
  float p = 1.0f + (r + (r * r) * q); /* in [0.70, 1.42]: its exponent field is 126 or 127 */
  if (n >= -125 && n <= 127) return ig_bits_f32(ig_f32_bits(p) + ((uint32_t)n << 23));
  /* subnormal or infinite results: two factors 2^(n/2) 2^(n - n/2), each a normal float */
  int32_t n1 = n >> 1, n2 = n - n1;
  return p * ig_bits_f32((uint32_t)(n1 + 127) << 23) * ig_bits_f32((uint32_t)(n2 + 127) << 23);
}

IG_MATHF_INLINE float ig_expf(float x) { return ig_expf_core(x, 0.0f, 0); }

/* The polynomial P(1 - t) of the erfc approximations below, in Horner form. */
IG_MATHF_INLINE float ig_erfc_poly(float sv) {
  float p = IG_ERFC_Q8 + sv * IG_ERFC_Q9;
  p = IG_ERFC_Q7 + sv * p;
  p = IG_ERFC_Q6 + sv * p;
  p = IG_ERFC_Q5 + sv * p;
  p = IG_ERFC_Q4 + sv * p;
  p = IG_ERFC_Q3 + sv * p;
  p = IG_ERFC_Q2 + sv * p;
  p = IG_ERFC_Q1 + sv * p;
  p = IG_ERFC_Q0 + sv * p;
  return p;
}

/* erfc(a / sqrt 2) for a >= 0 (the two-sided normal tail): -a^2 / 2 = head + tail exactly (a = ah + al, ah
 * of 12 bits: ah^2, ah * al and al^2 are exact floats), the tail and P(t) corrections to exp's argument. */
IG_MATHF_INLINE float ig_erfc_tail(float a) {
  float t = 1.0f / (1.0f + a * IG_HALF_RSQRT2_F);
  float sv = 1.0f - t;
  float p = ig_erfc_poly(sv);
  float ah = ig_bits_f32(ig_f32_bits(a) & IG_SPLIT_MASK), al = a - ah;
  float hi = -0.5f * (ah * ah);
  float lo = p - (ah * al + 0.5f * (al * al));
  return t * ig_expf_core(hi, lo, 1);
}

/* erfc(z), z >= 0 (the same with z^2 split from z). */
IG_MATHF_INLINE float ig_erfcf_pos(float z) {
  float t = 1.0f / (1.0f + 0.5f * z);
  float sv = 1.0f - t;
  float p = ig_erfc_poly(sv);
  float zh = ig_bits_f32(ig_f32_bits(z) & IG_SPLIT_MASK), zl = z - zh;
  float hi = -(zh * zh);
  float lo = p - (2.0f * (zh * zl) + zl * zl);
  return t * ig_expf_core(hi, lo, 1);
}

#if IG_HW_SQRTF
IG_MATHF_INLINE float ig_sqrtf(float x) {
  float r;
#if defined(__aarch64__)
  __asm__("fsqrt %s0, %s1" : "=w"(r) : "w"(x));
#elif defined(__arm__)
  __asm__("vsqrt.f32 %0, %1" : "=t"(r) : "t"(x));
#else
  __asm__("fsqrt.s %0, %1" : "=f"(r) : "f"(x));
#endif
  return r;
}

IG_MATHF_INLINE float ig_rsqrtf(float x) { return 1.0f / ig_sqrtf(x); }
#else
/* 1 / sqrt(x) for normal x > 0: the bit-trick estimate (relative error < 3.5e-2) and three Newton steps
 * y <- y (1.5 - (x / 2) y^2) (error 1.8e-3, 4.7e-6, then float rounding). */
IG_MATHF_INLINE float ig_rsqrtf(float x) {
  float y = ig_bits_f32(0x5f3759dfu - (ig_f32_bits(x) >> 1));
  float xh = 0.5f * x;
  y = y * (1.5f - xh * (y * y));
  y = y * (1.5f - xh * (y * y));
  y = y * (1.5f - xh * (y * y));
  return y;
}

IG_MATHF_INLINE float ig_sqrtf(float x) {
  if (ig_f32_bits(x) == 0u) return x;
  float y = ig_rsqrtf(x), s = x * y;
  return s + (0.5f * y) * (x - s * s); /* one Newton step on the root itself */
}
#endif

/* x / (1 + exp(m)) without overflow: E = exp(-|m|), then x / (1 + E) for m <= 0 and x E / (1 + E) for m > 0
 * (exp(m) itself would overflow past m = 88.7 while the result is still a normal float). */
IG_MATHF_INLINE float ig_div_1p_exp(float x, float m) {
  uint32_t b = ig_f32_bits(m);
  float e = ig_expf(ig_bits_f32(b | 0x80000000u));
  float num = (b >> 31) ? x : x * e;
  return num / (1.0f + e);
}

/* The activations, one element. */
IG_MATHF_INLINE float ig_silu1(float x) { return ig_div_1p_exp(x, -x); }

IG_MATHF_INLINE float ig_gelu_tanh1(float x) {
  float m2u = -x * (IG_GELU_T1 + IG_GELU_T3 * (x * x)); /* -2u */
  return ig_div_1p_exp(x, m2u);
}

IG_MATHF_INLINE float ig_gelu_erf1(float x) {
  uint32_t b = ig_f32_bits(x);
  float h = 0.5f * ig_erfc_tail(ig_bits_f32(b & 0x7fffffffu)); /* erfc(|x| / sqrt 2) / 2 */
  return x * ((b >> 31) ? h : 1.0f - h);
}

/* ------------------------------------------------------------------ NEON (AArch64) */
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

IG_MATHF_INLINE float32x4_t ig_expq_core(float32x4_t hi, float32x4_t lo, int with_lo) {
  hi = vminq_f32(vmaxq_f32(hi, vdupq_n_f32(IG_EXP_MIN_F)), vdupq_n_f32(IG_EXP_MAX_F));
  float32x4_t kf = vrndnq_f32(vmulq_n_f32(with_lo ? vaddq_f32(hi, lo) : hi, IG_LOG2E_F));
  int32x4_t n = vcvtq_s32_f32(kf);
  float32x4_t r = vfmsq_n_f32(hi, kf, IG_LN2_HI_F);
  r = vfmsq_n_f32(r, kf, IG_LN2_LO_F);
  if (with_lo) r = vaddq_f32(r, lo);
  float32x4_t q = vfmaq_n_f32(vdupq_n_f32(IG_EXP_E3), r, IG_EXP_E4);
  q = vfmaq_f32(vdupq_n_f32(IG_EXP_E2), r, q);
  q = vfmaq_f32(vdupq_n_f32(IG_EXP_E1), r, q);
  q = vfmaq_f32(vdupq_n_f32(IG_EXP_E0), r, q);
  float32x4_t p = vaddq_f32(vdupq_n_f32(1.0f), vfmaq_f32(r, vmulq_f32(r, r), q));
  /* 2^n as two normal factors (n in [-150, 129]): exact scaling, gradual underflow, overflow to inf */
  int32x4_t n1 = vshrq_n_s32(n, 1), n2 = vsubq_s32(n, n1);
  float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23));
  float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23));
  return vmulq_f32(vmulq_f32(p, s1), s2);
}

IG_MATHF_INLINE float32x4_t ig_expq(float32x4_t x) { return ig_expq_core(x, x, 0); }

IG_MATHF_INLINE float32x4_t ig_div_1p_expq(float32x4_t x, float32x4_t m) {
  float32x4_t e = ig_expq(vnegq_f32(vabsq_f32(m)));
  float32x4_t num = vbslq_f32(vcgtzq_f32(m), vmulq_f32(x, e), x);
  return vdivq_f32(num, vaddq_f32(vdupq_n_f32(1.0f), e));
}

IG_MATHF_INLINE float32x4_t ig_siluq(float32x4_t x) { return ig_div_1p_expq(x, vnegq_f32(x)); }

IG_MATHF_INLINE float32x4_t ig_gelu_tanhq(float32x4_t x) {
  float32x4_t m2u = vmulq_f32(vnegq_f32(x), vfmaq_n_f32(vdupq_n_f32(IG_GELU_T1), vmulq_f32(x, x), IG_GELU_T3));
  return ig_div_1p_expq(x, m2u);
}

IG_MATHF_INLINE float32x4_t ig_erfc_tailq(float32x4_t a) {
  float32x4_t one = vdupq_n_f32(1.0f);
  float32x4_t t = vdivq_f32(one, vfmaq_n_f32(one, a, IG_HALF_RSQRT2_F));
  float32x4_t sv = vsubq_f32(one, t);
  float32x4_t p = vfmaq_n_f32(vdupq_n_f32(IG_ERFC_Q8), sv, IG_ERFC_Q9);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q7), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q6), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q5), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q4), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q3), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q2), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q1), sv, p);
  p = vfmaq_f32(vdupq_n_f32(IG_ERFC_Q0), sv, p);
  float32x4_t ah = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(IG_SPLIT_MASK)));
  float32x4_t al = vsubq_f32(a, ah);
  float32x4_t hi = vmulq_n_f32(vmulq_f32(ah, ah), -0.5f);
  float32x4_t lo = vsubq_f32(p, vfmaq_f32(vmulq_f32(ah, al), vmulq_n_f32(al, 0.5f), al));
  return vmulq_f32(t, ig_expq_core(hi, lo, 1));
}

IG_MATHF_INLINE float32x4_t ig_gelu_erfq(float32x4_t x) {
  float32x4_t h = vmulq_n_f32(ig_erfc_tailq(vabsq_f32(x)), 0.5f);
  uint32x4_t neg = vcltzq_f32(x);
  return vmulq_f32(x, vbslq_f32(neg, h, vsubq_f32(vdupq_n_f32(1.0f), h)));
}
#endif

/* ------------------------------------------------------------------ RVV 1.0 (vector-length agnostic, LMUL 4) */
#if defined(__riscv_vector)
#include <riscv_vector.h>

IG_MATHF_INLINE vfloat32m4_t ig_expv_core(vfloat32m4_t hi, vfloat32m4_t lo, int with_lo, size_t vl) {
  hi = __riscv_vfmin_vf_f32m4(__riscv_vfmax_vf_f32m4(hi, IG_EXP_MIN_F, vl), IG_EXP_MAX_F, vl);
  vfloat32m4_t arg = with_lo ? __riscv_vfadd_vv_f32m4(hi, lo, vl) : hi;
  vint32m4_t n = __riscv_vfcvt_x_f_v_i32m4(__riscv_vfmul_vf_f32m4(arg, IG_LOG2E_F, vl), vl); /* rounds (frm: RNE) */
  vfloat32m4_t kf = __riscv_vfcvt_f_x_v_f32m4(n, vl);
  vfloat32m4_t r = __riscv_vfnmsac_vf_f32m4(hi, IG_LN2_HI_F, kf, vl);
  r = __riscv_vfnmsac_vf_f32m4(r, IG_LN2_LO_F, kf, vl);
  if (with_lo) r = __riscv_vfadd_vv_f32m4(r, lo, vl);
  vfloat32m4_t q = __riscv_vfmv_v_f_f32m4(IG_EXP_E3, vl);
  q = __riscv_vfmacc_vf_f32m4(q, IG_EXP_E4, r, vl);
  q = __riscv_vfmadd_vv_f32m4(q, r, __riscv_vfmv_v_f_f32m4(IG_EXP_E2, vl), vl);
  q = __riscv_vfmadd_vv_f32m4(q, r, __riscv_vfmv_v_f_f32m4(IG_EXP_E1, vl), vl);
  q = __riscv_vfmadd_vv_f32m4(q, r, __riscv_vfmv_v_f_f32m4(IG_EXP_E0, vl), vl);
  vfloat32m4_t p = __riscv_vfmacc_vv_f32m4(r, __riscv_vfmul_vv_f32m4(r, r, vl), q, vl);
  p = __riscv_vfadd_vf_f32m4(p, 1.0f, vl);
  vint32m4_t n1 = __riscv_vsra_vx_i32m4(n, 1, vl), n2 = __riscv_vsub_vv_i32m4(n, n1, vl);
  vfloat32m4_t s1 = __riscv_vreinterpret_v_i32m4_f32m4(__riscv_vsll_vx_i32m4(__riscv_vadd_vx_i32m4(n1, 127, vl), 23, vl));
  vfloat32m4_t s2 = __riscv_vreinterpret_v_i32m4_f32m4(__riscv_vsll_vx_i32m4(__riscv_vadd_vx_i32m4(n2, 127, vl), 23, vl));
  return __riscv_vfmul_vv_f32m4(__riscv_vfmul_vv_f32m4(p, s1, vl), s2, vl);
}

IG_MATHF_INLINE vfloat32m4_t ig_expv(vfloat32m4_t x, size_t vl) { return ig_expv_core(x, x, 0, vl); }

IG_MATHF_INLINE vfloat32m4_t ig_div_1p_expv(vfloat32m4_t x, vfloat32m4_t m, size_t vl) {
  vfloat32m4_t e = ig_expv(__riscv_vfneg_v_f32m4(__riscv_vfabs_v_f32m4(m, vl), vl), vl);
  vbool8_t pos = __riscv_vmfgt_vf_f32m4_b8(m, 0.0f, vl);
  vfloat32m4_t num = __riscv_vmerge_vvm_f32m4(x, __riscv_vfmul_vv_f32m4(x, e, vl), pos, vl);
  return __riscv_vfdiv_vv_f32m4(num, __riscv_vfadd_vf_f32m4(e, 1.0f, vl), vl);
}

IG_MATHF_INLINE vfloat32m4_t ig_siluv(vfloat32m4_t x, size_t vl) {
  return ig_div_1p_expv(x, __riscv_vfneg_v_f32m4(x, vl), vl);
}

IG_MATHF_INLINE vfloat32m4_t ig_gelu_tanhv(vfloat32m4_t x, size_t vl) {
  vfloat32m4_t c = __riscv_vfmv_v_f_f32m4(IG_GELU_T1, vl);
  c = __riscv_vfmacc_vf_f32m4(c, IG_GELU_T3, __riscv_vfmul_vv_f32m4(x, x, vl), vl);
  vfloat32m4_t m2u = __riscv_vfmul_vv_f32m4(__riscv_vfneg_v_f32m4(x, vl), c, vl);
  return ig_div_1p_expv(x, m2u, vl);
}

IG_MATHF_INLINE vfloat32m4_t ig_erfc_tailv(vfloat32m4_t a, size_t vl) {
  vfloat32m4_t den = __riscv_vfmv_v_f_f32m4(1.0f, vl);
  den = __riscv_vfmacc_vf_f32m4(den, IG_HALF_RSQRT2_F, a, vl);
  vfloat32m4_t t = __riscv_vfrdiv_vf_f32m4(den, 1.0f, vl);
  vfloat32m4_t sv = __riscv_vfrsub_vf_f32m4(t, 1.0f, vl);
  vfloat32m4_t p = __riscv_vfmv_v_f_f32m4(IG_ERFC_Q8, vl);
  p = __riscv_vfmacc_vf_f32m4(p, IG_ERFC_Q9, sv, vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q7, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q6, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q5, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q4, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q3, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q2, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q1, vl), vl);
  p = __riscv_vfmadd_vv_f32m4(p, sv, __riscv_vfmv_v_f_f32m4(IG_ERFC_Q0, vl), vl);
  vfloat32m4_t ah = __riscv_vreinterpret_v_u32m4_f32m4(
      __riscv_vand_vx_u32m4(__riscv_vreinterpret_v_f32m4_u32m4(a), IG_SPLIT_MASK, vl));
  vfloat32m4_t al = __riscv_vfsub_vv_f32m4(a, ah, vl);
  vfloat32m4_t hi = __riscv_vfmul_vf_f32m4(__riscv_vfmul_vv_f32m4(ah, ah, vl), -0.5f, vl);
  vfloat32m4_t cross = __riscv_vfmul_vv_f32m4(ah, al, vl);
  cross = __riscv_vfmacc_vv_f32m4(cross, __riscv_vfmul_vf_f32m4(al, 0.5f, vl), al, vl);
  vfloat32m4_t lo = __riscv_vfsub_vv_f32m4(p, cross, vl);
  return __riscv_vfmul_vv_f32m4(t, ig_expv_core(hi, lo, 1, vl), vl);
}

IG_MATHF_INLINE vfloat32m4_t ig_gelu_erfv(vfloat32m4_t x, size_t vl) {
  vfloat32m4_t h = __riscv_vfmul_vf_f32m4(ig_erfc_tailv(__riscv_vfabs_v_f32m4(x, vl), vl), 0.5f, vl);
  vbool8_t neg = __riscv_vmflt_vf_f32m4_b8(x, 0.0f, vl);
  vfloat32m4_t pos = __riscv_vfrsub_vf_f32m4(h, 1.0f, vl); /* 1 - h */
  return __riscv_vfmul_vv_f32m4(x, __riscv_vmerge_vvm_f32m4(pos, h, neg, vl), vl);
}
#endif
/* sum_c f(x[c]) for c < n in four interleaved partial sums added as (s0 + s1) + (s2 + s3), the order of the portable
 * FP32 norms: f(x) = x (IG_SUM_X), x^2 (IG_SUM_X2) or (x - center)^2 (IG_SUM_D2; the mode a constant after inlining,
 * so no operation is added where the norm has none). */
#define IG_SUM_X 0
#define IG_SUM_X2 1
#define IG_SUM_D2 2
IG_MATHF_INLINE float ig_sum4_term(float x, float center, int mode) {
  float d = mode == IG_SUM_D2 ? x - center : x;
  return mode == IG_SUM_X ? d : d * d;
}
IG_MATHF_INLINE float ig_sum4_f32(const float *x, int32_t n, float center, int mode) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t c = 0;
  for (; c + 4 <= n; c += 4) {
    s0 += ig_sum4_term(x[c], center, mode);
    s1 += ig_sum4_term(x[c + 1], center, mode);
    s2 += ig_sum4_term(x[c + 2], center, mode);
    s3 += ig_sum4_term(x[c + 3], center, mode);
  }
  for (; c < n; c++) s0 += ig_sum4_term(x[c], center, mode);
  return (s0 + s1) + (s2 + s3);
}
#endif
