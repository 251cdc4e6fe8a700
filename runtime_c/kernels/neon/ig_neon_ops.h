/* Inline helpers of the transformer-op kernels for AArch64 NEON (ARMv8.0: Cortex-A53; the A55 build adds SDOT).
 * Exact vector forms of the fixed-point steps of ig_fixed64.h:
 *   SQRDMULH(a, b) = rshr(a b, 31), saturating only for a = b = INT32_MIN (never here): rshr(p f, 16) of the exp2
 *   Horner steps is SQRDMULH(p, f 2^15) (f 2^15 in (-2^31, 0]); mul_rshr(v, m, s) for s <= 31 is
 *   SQRDMULH(v << a, m << b) with a + b = 31 - s (ig_neon_ms31_t) where both fit;
 *   SMULL + SRSHL by -s (a rounding shift computed without overflow) + SQXTN is mul_rshr(v, m, s) for any m, s,
 *   saturated to int32;
 *   URSHL by -(10 + z) is rshr(p, 10 + z), per lane. */
#ifndef IG_NEON_OPS_H
#define IG_NEON_OPS_H
#include <arm_neon.h>
#include <stdint.h>

#include "ig_activations.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_NI static inline __attribute__((always_inline))

/* mul_rshr(v, m, s) = SQRDMULH(v << a, m << b), a + b = 31 - s, for |v| <= vmax (ok = 0 when it does not fit) */
typedef struct {
  int32_t ok, a, m;
} ig_neon_ms31_t;

IG_NI ig_neon_ms31_t ig_neon_ms31(int32_t m, int32_t s, uint32_t vmax) {
  ig_neon_ms31_t r = {0, 0, m};
  if (s > 31 || m < 0) return r;
  int32_t need = 31 - s, b = 0;
  while (b < need && b < 30 && (uint32_t)m < (1u << (30 - b))) b++;
  int32_t a = need - b;
  if (a <= 30 && (uint64_t)vmax < (1ull << (31 - a))) {
    r.ok = 1;
    r.a = a;
    r.m = (int32_t)((uint32_t)m << b);
  }
  return r;
}

/* mul_rshr(v, m, s) for any m >= 0, 0 <= s <= 62, per lane, saturated to int32 */
IG_NI int32x4_t ig_neon_mul_rshr_sat(int32x4_t v, int32_t m, int64x2_t neg_s) {
  int64x2_t lo = vrshlq_s64(vmull_n_s32(vget_low_s32(v), m), neg_s);
  int64x2_t hi = vrshlq_s64(vmull_high_n_s32(v, m), neg_s);
  return vqmovn_high_s64(vqmovn_s64(lo), hi);
}

/* mul_rshr(v, m, s) + zp per lane in int64, then saturated to int32 (the definition's sum before its clamp) */
IG_NI int32x4_t ig_neon_mul_rshr_zp_sat(int32x4_t v, int32_t m, int64x2_t neg_s, int64x2_t zp) {
  int64x2_t lo = vaddq_s64(vrshlq_s64(vmull_n_s32(vget_low_s32(v), m), neg_s), zp);
  int64x2_t hi = vaddq_s64(vrshlq_s64(vmull_high_n_s32(v, m), neg_s), zp);
  return vqmovn_high_s64(vqmovn_s64(lo), hi);
}

/* exp2_q20(-t) for 0 <= t <= IG_EXP2_T_MAX per lane (ig_exp2_q20_t) */
IG_NI uint32x4_t ig_neon_exp2_t(int32x4_t t) {
  int32x4_t f15 = vnegq_s32(vshlq_n_s32(vandq_s32(t, vdupq_n_s32(0xffff)), 15)); /* f 2^15 */
  int32x4_t p = vaddq_s32(vdupq_n_s32((int32_t)IG_EXP2_C2), vqrdmulhq_s32(vdupq_n_s32((int32_t)IG_EXP2_C3), f15));
  p = vaddq_s32(vdupq_n_s32((int32_t)IG_EXP2_C1), vqrdmulhq_s32(p, f15));
  p = vaddq_s32(vdupq_n_s32((int32_t)IG_EXP2_C0), vqrdmulhq_s32(p, f15));
  int32x4_t sh = vsubq_s32(vdupq_n_s32(-10), vshrq_n_s32(t, 16)); /* -(10 + z) */
  return vrshlq_u32(vreinterpretq_u32_s32(p), sh);
}

/* ig_output_i32 of four accumulators (TFLite requantization, saturating y_zp add, clamp) */
IG_NI int32x4_t ig_neon_requant4(int32x4_t acc, int32x4_t m, int32x4_t left, int32x4_t right, int32x4_t zp,
                                 int32x4_t lo, int32x4_t hi) {
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, left), m);          /* wrapping left shift, as the reference */
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)); /* -1 for negative values when shifting right */
  v = vrshlq_s32(v, right);
  v = vqaddq_s32(v, zp);
  return vminq_s32(vmaxq_s32(v, lo), hi);
}

typedef struct {
  int32x4_t m, left, right, zp, lo, hi;
} ig_neon_rq_t;

IG_NI ig_neon_rq_t ig_neon_rq(int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  ig_neon_rq_t r;
  r.m = vdupq_n_s32(mult);
  r.left = vdupq_n_s32(shift > 0 ? shift : 0);
  r.right = vdupq_n_s32(shift > 0 ? 0 : shift);
  r.zp = vdupq_n_s32(zp);
  r.lo = vdupq_n_s32(lo);
  r.hi = vdupq_n_s32(hi);
  return r;
}

IG_NI int32x4_t ig_neon_rq4(int32x4_t acc, const ig_neon_rq_t *q) {
  return ig_neon_requant4(acc, q->m, q->left, q->right, q->zp, q->lo, q->hi);
}

/* store four int32 values as int8 / int16 / int32 (already inside the type's range) */
IG_NI void ig_neon_store4(void *y, int32_t i, int32x4_t v, int32_t yb) {
  if (yb == 1) {
    int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
    vst1_lane_s32((int32_t *)((int8_t *)y + i), vreinterpret_s32_s8(b), 0);
  } else if (yb == 2) {
    vst1_s16((int16_t *)y + i, vmovn_s32(v));
  } else {
    vst1q_s32((int32_t *)y + i, v);
  }
}

/* eight int32 values (two vectors) as int8 / int16 / int32 */
IG_NI void ig_neon_store8(void *y, int32_t i, int32x4_t a, int32x4_t b, int32_t yb) {
  if (yb == 1) {
    vst1_s8((int8_t *)y + i, vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))));
  } else if (yb == 2) {
    vst1q_s16((int16_t *)y + i, vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
  } else {
    vst1q_s32((int32_t *)y + i, a);
    vst1q_s32((int32_t *)y + i + 4, b);
  }
}

/* eight input elements as two int32x4 (int8 / int16 / int32 inputs) */
IG_NI void ig_neon_load8(const void *x, int32_t i, int32_t xb, int32x4_t *lo, int32x4_t *hi) {
  if (xb == 1) {
    int16x8_t w = vmovl_s8(vld1_s8((const int8_t *)x + i));
    *lo = vmovl_s16(vget_low_s16(w));
    *hi = vmovl_high_s16(w);
  } else if (xb == 2) {
    int16x8_t w = vld1q_s16((const int16_t *)x + i);
    *lo = vmovl_s16(vget_low_s16(w));
    *hi = vmovl_high_s16(w);
  } else {
    *lo = vld1q_s32((const int32_t *)x + i);
    *hi = vld1q_s32((const int32_t *)x + i + 4);
  }
}
/* acc += 4-way dot products of int8 lanes over the whole int8 range (SDOT; without dotprod SMULL + SADALP: two
 * products of -128 would not fit an int16 pair sum) */
IG_NI int32x4_t ig_neon_dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, a, b);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* [sum a0, sum a1, sum a2, sum a3] */
IG_NI int32x4_t ig_neon_reduce4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

/* store lanes [0, n) of four int32 values as int8 / int16 / int32 */
IG_NI void ig_neon_store_n(void *y, int32_t i, int32x4_t v, int32_t n, int32_t yb) {
  int32_t t[4];
  vst1q_s32(t, v);
  for (int32_t k = 0; k < n; k++) ig_store(y, i + k, t[k], yb);
}
/* x[i..i+4) as int32 lanes (int8 / int16 / int32) */
IG_NI int32x4_t ig_neon_load4(const void *x, int32_t i, int32_t xb) {
  if (xb == 1) {
    int8x8_t b = vreinterpret_s8_s32(vld1_dup_s32((const int32_t *)((const int8_t *)x + i)));
    return vmovl_s16(vget_low_s16(vmovl_s8(b)));
  }
  if (xb == 2) return vmovl_s16(vld1_s16((const int16_t *)x + i));
  return vld1q_s32((const int32_t *)x + i);
}

/* clamp to [lo, hi] per lane */
IG_NI int32x4_t ig_neon_clamp(int32x4_t v, int32x4_t lo, int32x4_t hi) { return vminq_s32(vmaxq_s32(v, lo), hi); }
/* sigmoid_q15(z) per lane (ig_sigmoid_q15_32): the exponent in lanes; the division floor((2^35 + den/2) / den) by
 * the scalar divider (NEON has no integer division), one UDIV per lane */
IG_NI int32x4_t ig_neon_sigmoid_q15(int32x4_t z) {
  uint32x4_t u = vreinterpretq_u32_s32(vabsq_s32(z)); /* |INT32_MIN| reads as 2^31 */
  int32x4_t a = vreinterpretq_s32_u32(vminq_u32(u, vdupq_n_u32(65536)));
  int32x4_t t = vnegq_s32(vshrq_n_s32(vmlsq_n_s32(vdupq_n_s32(512), a, IG_LOG2E_Q14), 10));
  uint32x4_t den = vaddq_u32(ig_neon_exp2_t(vminq_s32(t, vdupq_n_s32(IG_EXP2_T_MAX))), vdupq_n_u32(1u << 20));
#define IG_NEON_SIG_DIV(k)                                                                                        \
  {                                                                                                               \
    uint64_t d = vgetq_lane_u32(den, k);                                                                          \
    qv = vsetq_lane_u32((uint32_t)(((1ull << 35) + (d >> 1)) / d), qv, k);                                        \
  }
  uint32x4_t qv = den;
  IG_NEON_SIG_DIV(0) IG_NEON_SIG_DIV(1) IG_NEON_SIG_DIV(2) IG_NEON_SIG_DIV(3)
#undef IG_NEON_SIG_DIV
  int32x4_t sg = vreinterpretq_s32_u32(qv);
  return vbslq_s32(vcltzq_s32(z), vsubq_s32(vdupq_n_s32(1 << 15), sg), sg);
}

/* rshr(x sg, 15) for the SiLU / GELU forms (ig_mul_sig15): x or 0 where |x| >= 2^16 */
IG_NI int32x4_t ig_neon_mul_sig15(int32x4_t x, int32x4_t sg) {
  uint32x4_t large = vcgeq_u32(vreinterpretq_u32_s32(vabsq_s32(x)), vdupq_n_u32(65536));
  int32x4_t small = vrshrq_n_s32(vmulq_s32(x, sg), 15);
  return vbslq_s32(large, vmaxq_s32(x, vdupq_n_s32(0)), small);
}

/* ig_rdiv20 per lane: round_div(a 2^20, r) for |a| <= r < 2^30 (d from ig_rdiv20_prepare) */
IG_NI int32x4_t ig_neon_rdiv20(int32x4_t a, ig_rdiv20_t d) {
  uint32x4_t u = vreinterpretq_u32_s32(vabsq_s32(a));
  uint32x4_t us = vshlq_u32(u, vdupq_n_s32(d.sa));
  uint32x4_t q = vuzp2q_u32(vreinterpretq_u32_u64(vmull_n_u32(vget_low_u32(us), d.m)),
                            vreinterpretq_u32_u64(vmull_high_n_u32(us, d.m)));
  uint32x4_t rv = vdupq_n_u32(d.r);
  uint32x4_t rem = vmlsq_u32(vaddq_u32(vshlq_n_u32(u, 20), vdupq_n_u32(d.h)), q, rv);
  q = vsubq_u32(q, vcgeq_u32(rem, rv)); /* the compare is all ones: q + 1 */
  int32x4_t sg = vshrq_n_s32(a, 31);
  return vsubq_s32(veorq_s32(vreinterpretq_s32_u32(q), sg), sg);
}

/* floor(sqrt(n)) (ig_isqrt64): Newton's x <- floor((x + floor(n / x)) / 2) from 2^ceil(bits(n) / 2) > sqrt(n) falls
 * to floor(sqrt(n)) and stops there; by UDIV a handful of steps instead of one per result bit */
IG_NI int64_t ig_neon_isqrt64(uint64_t n) {
  if (n < 2) return (int64_t)n;
  uint64_t x = 1ull << ((65 - __builtin_clzll(n)) >> 1);
  for (;;) {
    uint64_t y = (x + n / x) >> 1;
    if (y >= x) return (int64_t)x;
    x = y;
  }
}

/* ig_rdiv20 in fewer lane steps: its quotient estimate umulh(u 2^(31 - l), m) is SQDMULH(u 2^(30 - l), m) =
 * floor(2 (u 2^(30 - l)) m / 2^32), both operands below 2^31 (u <= r <= 2^l, m < 2^22); its remainder test
 * rem = u 2^20 + h - q r >= r (rem in [0, 2r)) is the sign of t = q r - u 2^20 - (h - r + 1) = r - 1 - rem, added
 * by USRA (t is exact in int32 lanes: |t| <= r); the exponent l by CLZ. */
typedef struct {
  int32x4_t sa, m, r, k;
} ig_neon_rdiv_t;

IG_NI ig_neon_rdiv_t ig_neon_rdiv_prepare(uint32_t r) {
  int32_t l = r > 1 ? 32 - __builtin_clz(r - 1) : 0; /* the least l with 2^l >= r */
  ig_neon_rdiv_t d = {vdupq_n_s32(30 - l), vdupq_n_s32((int32_t)((1ull << (21 + l)) / r)), vdupq_n_s32((int32_t)r),
                      vdupq_n_s32((int32_t)(r - (r >> 1) - 1))};
  return d;
}

/* round_div(a 2^20, r) per lane for |a| <= r < 2^30 */
IG_NI int32x4_t ig_neon_rdiv20_dq(int32x4_t a, const ig_neon_rdiv_t *d) {
  int32x4_t u = vabsq_s32(a);
  int32x4_t q = vqdmulhq_s32(vshlq_s32(u, d->sa), d->m);
  int32x4_t t = vmlaq_s32(vsubq_s32(d->k, vshlq_n_s32(u, 20)), q, d->r); /* wraps in step with the exact value */
  q = vreinterpretq_s32_u32(vsraq_n_u32(vreinterpretq_u32_s32(q), vreinterpretq_u32_s32(t), 31));
  int32x4_t sg = vshrq_n_s32(a, 31);
  return vsubq_s32(veorq_s32(q, sg), sg);
}

/* rshr(n g + b, shift) per lane, any shift, saturated to int32 (b may be a zero vector) */
IG_NI int32x4_t ig_neon_rshr_nbg(int32x4_t n, int32x4_t g, int32x4_t b, int64x2_t neg_s) {
  int64x2_t lo = vmlal_s32(vmovl_s32(vget_low_s32(b)), vget_low_s32(n), vget_low_s32(g));
  int64x2_t hi = vmlal_high_s32(vmovl_high_s32(b), n, g);
  return vqmovn_high_s64(vqmovn_s64(vrshlq_s64(lo, neg_s)), vrshlq_s64(hi, neg_s));
}

/* gelu's u (ig_gelu_u32, ig_activations.h) in lanes: each int64 product of the definition is one SQRDMULH of
 * operands pre-shifted so that rshr(., 31) is the definition's rshr (|xc| <= 2^15: rshr(q xc, 12) =
 * SQRDMULH(q << 12, xc << 7), rshr(x3 2930, 16) = SQRDMULH(x3 << 9, 2930 << 6), rshr(w 26145, 14) =
 * SQRDMULH(w << 13, 26145 << 4)). */
IG_NI int32x4_t ig_neon_gelu_u(int32x4_t x12) {
  int32x4_t xc = vminq_s32(vmaxq_s32(x12, vdupq_n_s32(-32768)), vdupq_n_s32(32768));
  int32x4_t q = vrshrq_n_s32(vmulq_s32(xc, xc), 12);
  int32x4_t x3 = vqrdmulhq_s32(vshlq_n_s32(q, 12), vshlq_n_s32(xc, 7));
  int32x4_t w = vaddq_s32(xc, vqrdmulhq_s32(vshlq_n_s32(x3, 9), vdupq_n_s32(IG_GELU_C3_Q16 << 6)));
  return vqrdmulhq_s32(vshlq_n_s32(w, 13), vdupq_n_s32(IG_GELU_K_Q14 << 4));
}

/* gelu (gelu = 1) or silu of int8 / int16 x: x12 and the output rescale as SMULL + SRSHL + SQXTN (exact for any
 * multiplier; the definition's int32 clamp of x12 is the saturation), the sigmoid in lanes, rshr(x12 s, 15) by
 * SRSHR with the large-|x| select; the last len % 4 elements in the int64 form. */
IG_NI void ig_neon_gated_act(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                             int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                             void *y, int32_t yb, int gelu) {
  int64x2_t zy64 = vdupq_n_s64(y_zp);
  int32x4_t zx = vdupq_n_s32(x_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t nin = vdupq_n_s64(-in_shift), nout = vdupq_n_s64(-out_shift);
  int32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    int32x4_t x12 = ig_neon_mul_rshr_sat(vsubq_s32(ig_neon_load4(x, i, xb), zx), in_mult, nin);
    int32x4_t f = ig_neon_mul_sig15(x12, ig_neon_sigmoid_q15(gelu ? ig_neon_gelu_u(x12) : x12));
    int32x4_t v = ig_neon_mul_rshr_zp_sat(f, out_mult, nout, zy64);
    ig_neon_store4(y, i, ig_neon_clamp(v, lo, hi), yb);
  }
  ig_gated_act64(x, xb, i, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, gelu);
}
#endif
