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
/* floor((2^35 + den / 2) / den) per lane for 2^20 <= den <= 2^21 (the sigmoid's division; NEON has no integer
 * divide), 12 instructions for four lanes against four scalar UDIVs and their lane moves: URECPE of den 2^11
 * (UQSHL: 2^21 saturates to 2^32 - 1, which gives the same estimate) is 2^52 / den to about 8 bits; y = that / 2;
 * one Newton step y (2 - d y) / 2 = y - SQRDMULH(y, SQRDMULH(den 2^10, y)) ~ 2^50 / den; q = rshr(., 15) is the
 * quotient or one less (checked for every den of the range: tests/codegen/test_neon_silu.py), and the remainder
 * 2^35 + den / 2 - q den, exact modulo 2^32 (in [0, 2 den)), adds the one. */
IG_NI int32x4_t ig_neon_div35(uint32x4_t den) {
  uint32x4_t d11 = vqshlq_n_u32(den, 11);
  int32x4_t y = vreinterpretq_s32_u32(vshrq_n_u32(vrecpeq_u32(d11), 1));
  int32x4_t p = vqrdmulhq_s32(vreinterpretq_s32_u32(vshrq_n_u32(d11, 1)), y); /* ~ 2^30 */
  uint32x4_t q = vreinterpretq_u32_s32(vrshrq_n_s32(vsubq_s32(y, vqrdmulhq_s32(y, p)), 15));
  uint32x4_t rem = vmlsq_u32(vshrq_n_u32(den, 1), q, den);
  return vreinterpretq_s32_u32(vsubq_u32(q, vcgeq_u32(rem, den))); /* the compare is all ones: q + 1 */
}

/* sigmoid_q15(z) per lane (ig_sigmoid_q15_32): the exponent and the division (ig_neon_div35) in lanes */
IG_NI int32x4_t ig_neon_sigmoid_q15(int32x4_t z) {
  uint32x4_t u = vreinterpretq_u32_s32(vabsq_s32(z)); /* |INT32_MIN| reads as 2^31 */
  int32x4_t a = vreinterpretq_s32_u32(vminq_u32(u, vdupq_n_u32(65536)));
  int32x4_t t = vnegq_s32(vshrq_n_s32(vmlsq_n_s32(vdupq_n_s32(512), a, IG_LOG2E_Q14), 10));
  uint32x4_t den = vaddq_u32(ig_neon_exp2_t(vminq_s32(t, vdupq_n_s32(IG_EXP2_T_MAX))), vdupq_n_u32(1u << 20));
  int32x4_t sg = ig_neon_div35(den);
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

/* mul_rshr(v, m, s) (m >= 0, s <= 62) per lane in two instructions for |v| <= vmax (ok = 0 when it does not fit):
 * s <= 31: SQRDMULH(v << a, m << b) with a + b = 31 - s (ig_neon_ms31); s >= 32 (floor = 1): SRSHL(SQDMULH(v, m),
 * 31 - s), since floor((floor(v m / 2^31) + 2^(s-32)) / 2^(s-31)) = floor((v m + 2^(s-1)) / 2^s). */
typedef struct {
  int32_t ok, floor, a; /* a: the left shift of the SQRDMULH form */
  int32x4_t sh, m;
} ig_neon_ms_t;

IG_NI ig_neon_ms_t ig_neon_ms_plan(int32_t m, int32_t s, uint32_t vmax) {
  ig_neon_ms_t r;
  r.floor = s >= 32;
  ig_neon_ms31_t p = ig_neon_ms31(m, r.floor ? 31 : s, vmax);
  r.ok = m >= 0 && s >= 0 && s <= 62 && (r.floor || p.ok);
  r.a = r.floor ? 0 : p.a;
  r.sh = vdupq_n_s32(r.floor ? 31 - s : p.a);
  r.m = vdupq_n_s32(r.floor ? m : p.m);
  return r;
}

/* floor: the plan's mode as a constant of the caller (each mode its own loop) */
IG_NI int32x4_t ig_neon_ms_apply(int32x4_t v, const ig_neon_ms_t *p, int floor) {
  if (floor) return vrshlq_s32(vqdmulhq_s32(v, p->m), p->sh);
  return vqrdmulhq_s32(vshlq_s32(v, p->sh), p->m);
}

/* eight int32 values as int8 / int16 / int32 saturated to the type (SQXTN: the clamp when it is the type's range) */
IG_NI void ig_neon_store8_sat(void *y, int32_t i, int32x4_t a, int32x4_t b, int32_t yb) {
  int16x8_t h = vqmovn_high_s32(vqmovn_s32(a), b);
  if (yb == 1) {
    vst1_s8((int8_t *)y + i, vqmovn_s16(h));
  } else if (yb == 2) {
    vst1q_s16((int16_t *)y + i, h);
  } else {
    vst1q_s32((int32_t *)y + i, a);
    vst1q_s32((int32_t *)y + i + 4, b);
  }
}

/* exp2_q20(-t) per lane for t = T >> 10 <= IG_EXP2_T_MAX given X = ~T - 9 2^26 (one MLS from a): bits 10..25 of X
 * are those of ~T, so g = f 2^15 = ((T >> 10) & 0xffff) << 15 is BIC(0x7fff8000, X << 5), and X >> 26 is
 * -(10 + z) (z = T >> 26), the count of the final rounding shift. ig_neon_exp2_t without its negation: the Horner
 * steps carry -p, as SQRDMULH(p, -g) = SQRDMULH(-p, g) exactly (the same product). */
IG_NI uint32x4_t ig_neon_exp2_x(int32x4_t xx) {
  int32x4_t g = vbicq_s32(vdupq_n_s32(0x7fff8000), vshlq_n_s32(xx, 5));
  int32x4_t np = vsubq_s32(vdupq_n_s32(-(int32_t)IG_EXP2_C2), vqrdmulhq_s32(vdupq_n_s32(-(int32_t)IG_EXP2_C3), g));
  np = vsubq_s32(vdupq_n_s32(-(int32_t)IG_EXP2_C1), vqrdmulhq_s32(np, g));
  int32x4_t p = vaddq_s32(vdupq_n_s32((int32_t)IG_EXP2_C0), vqrdmulhq_s32(np, g));
  return vrshlq_u32(vreinterpretq_u32_s32(p), vshrq_n_s32(xx, 26));
}

/* sigmoid_q15(a) per lane for 0 <= a <= IG_NEON_SIG_CAP: t(a) = T >> 10, T = 23637 a + 511, stays below
 * IG_EXP2_T_MAX up to a = 62461, so t needs no clamp; X = ~T - 9 2^26 = -23637 a - (9 2^26 + 512) (ig_neon_exp2_x).
 * Any a >= 45300 gives 2^15 (e <= 16), so a capped anywhere in [45300, 62461] reads as the definition's. */
#define IG_NEON_SIG_CAP 60000
IG_NI int32x4_t ig_neon_sigmoid_abs(int32x4_t a) {
  int32x4_t xx = vmlsq_n_s32(vdupq_n_s32(-(9 << 26) - 512), a, IG_LOG2E_Q14);
  return ig_neon_div35(vaddq_u32(ig_neon_exp2_x(xx), vdupq_n_u32(1u << 20)));
}

/* f = rshr(x12 sigmoid_q15(z), 15) per lane for |x12| < 2^30 and z of x12's sign or 0 (silu: z = x12; gelu: z = u,
 * ig_neon_gelu_u), given a = min(|x12|, IG_NEON_SIG_CAP) and s = sigmoid_q15(min(|z|, IG_NEON_SIG_CAP)) (the
 * sigmoid of |z|): sigmoid_q15(-z) = 2^15 - s makes rshr(x s', 15) = min(x, 0) + rshr(|x| s, 15) for x < 0 (x 2^15
 * is a multiple of 2^15), and s = 2^15 wherever |x12| > a (|z| >= 45300 there: silu's z is x12, gelu's |u| passes
 * 45,300 beyond |x12| = 16,473), so f = max(x12, 0) - a + rshr(a s, 15) (a s < 2^31): no sign select, no large-|x|
 * select. */
IG_NI int32x4_t ig_neon_x_sig(int32x4_t x12, int32x4_t a, int32x4_t s) {
  return vrsraq_n_s32(vsubq_s32(vmaxq_s32(x12, vdupq_n_s32(0)), a), vmulq_s32(a, s), 15);
}

/* silu's or gelu's f of x12 (|x12| < 2^30) */
IG_NI int32x4_t ig_neon_gated_f(int32x4_t x12, int gelu) {
  int32x4_t cap = vdupq_n_s32(IG_NEON_SIG_CAP);
  int32x4_t a = vminq_s32(vabsq_s32(x12), cap);
  int32x4_t az = gelu ? vminq_s32(vabsq_s32(ig_neon_gelu_u(x12)), cap) : a;
  return ig_neon_x_sig(x12, a, ig_neon_sigmoid_abs(az));
}

/* The plans of both rescales of gelu / silu (ig_neon_ms_plan): 1 when they fit, with |x12|, |f| and the output
 * below 2^30 and |y_zp| < 2^30 (|f| <= max(|x12|, 1141): silu >= -0.2785, |gelu(x)| <= |x|) */
IG_NI int ig_neon_gated_plan(int32_t xb, int32_t x_zp, int32_t in_mult, int32_t in_shift, int32_t out_mult,
                             int32_t out_shift, int32_t y_zp, ig_neon_ms_t *mi, ig_neon_ms_t *mo) {
  if (!(xb < 4 && in_mult >= 0 && out_mult >= 0 && y_zp > -(1 << 30) && y_zp < (1 << 30))) return 0;
  if (in_shift < 0 || in_shift > 62 || out_shift < 0 || out_shift > 62) return 0;
  uint64_t dmax = (1ull << (8 * xb - 1)) + (uint64_t)(x_zp < 0 ? -(int64_t)x_zp : x_zp);
  uint64_t fmax = ((dmax * (uint32_t)in_mult) >> in_shift) + 1; /* |x12| <= this */
  if (fmax < 1141) fmax = 1141;
  if (fmax >= (1u << 30) || ((fmax * (uint32_t)out_mult) >> out_shift) + 1 >= (1u << 30)) return 0;
  *mi = ig_neon_ms_plan(in_mult, in_shift, (uint32_t)dmax);
  *mo = ig_neon_ms_plan(out_mult, out_shift, (uint32_t)fmax);
  return mi->ok && mo->ok;
}

/* four outputs of x before the clamp (fin, fout: the plans' modes as constants; lean: int16 x_zp = 0, y_zp = 0, the
 * input plan SQRDMULH(x << a, m) with x << a already made by the widening load) */
IG_NI int32x4_t ig_neon_gated4(int32x4_t x, int32x4_t zx, const ig_neon_ms_t *mi, int fin, const ig_neon_ms_t *mo,
                               int fout, int32x4_t zy, int lean, int gelu) {
  int32x4_t x12 = lean ? vqrdmulhq_s32(x, mi->m) : ig_neon_ms_apply(vsubq_s32(x, zx), mi, fin);
  int32x4_t v = ig_neon_ms_apply(ig_neon_gated_f(x12, gelu), mo, fout);
  return lean ? v : vaddq_s32(v, zy);
}

/* the elements [0, len - len % 4), eight lanes per step (full: the clamp is the output type's range, a saturating
 * narrowing); returns len - len % 4 */
IG_NI int32_t ig_neon_gated_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, const ig_neon_ms_t *mi,
                                 int fin, const ig_neon_ms_t *mo, int fout, int full, int lean, int32_t y_zp,
                                 int32_t act_min, int32_t act_max, void *y, int32_t yb, int gelu) {
  int32x4_t zx = vdupq_n_s32(x_zp), zy = vdupq_n_s32(y_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int16x8_t pa = vdupq_n_s16((int16_t)(1 << mi->a)); /* lean: x << a by SMULL from the int16 lanes */
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    int32x4_t x0, x1;
    if (lean) {
      int16x8_t w = vld1q_s16((const int16_t *)x + i);
      x0 = vmull_s16(vget_low_s16(w), vget_low_s16(pa));
      x1 = vmull_high_s16(w, pa);
    } else {
      ig_neon_load8(x, i, xb, &x0, &x1);
    }
    int32x4_t v0 = ig_neon_gated4(x0, zx, mi, fin, mo, fout, zy, lean, gelu);
    int32x4_t v1 = ig_neon_gated4(x1, zx, mi, fin, mo, fout, zy, lean, gelu);
    if (full) ig_neon_store8_sat(y, i, v0, v1, yb);
    else ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
  }
  if (i + 4 <= len) {
    int32x4_t x4 = lean ? vmull_s16(vld1_s16((const int16_t *)x + i), vget_low_s16(pa)) : ig_neon_load4(x, i, xb);
    int32x4_t v = ig_neon_gated4(x4, zx, mi, fin, mo, fout, zy, lean, gelu);
    ig_neon_store4(y, i, ig_neon_clamp(v, lo, hi), yb);
    i += 4;
  }
  return i;
}

/* gelu (gelu = 1) or silu of int8 / int16 x when both rescales fit the two-instruction forms (ig_neon_gated_plan;
 * else ig_neon_gated_act): one loop per pair of rescale modes (and the lean one), the last len % 4 elements in the
 * int64 form */
IG_NI void ig_neon_gated_fast(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult,
                              int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                              int32_t act_max, void *y, int32_t yb, int gelu) {
  ig_neon_ms_t mi, mo;
  if (!ig_neon_gated_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, &mi, &mo)) {
    ig_neon_gated_act(x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, gelu);
    return;
  }
  int32_t i, full = ig_full_range(act_min, act_max, yb);
#define IG_GATED_LOOP(fin, fout)                                                                                  \
  (full ? ig_neon_gated_loop(x, xb, len, x_zp, &mi, fin, &mo, fout, 1, 0, y_zp, act_min, act_max, y, yb, gelu)     \
        : ig_neon_gated_loop(x, xb, len, x_zp, &mi, fin, &mo, fout, 0, 0, y_zp, act_min, act_max, y, yb, gelu))
#define IG_GATED_LEAN(fout) ig_neon_gated_loop(x, xb, len, 0, &mi, 0, &mo, fout, 1, 1, 0, act_min, act_max, y, yb, gelu)
  if (xb == 2 && full && x_zp == 0 && y_zp == 0 && !mi.floor && mi.a <= 14) /* symmetric int16 (Llama's MLP) */
    i = mo.floor ? IG_GATED_LEAN(1) : IG_GATED_LEAN(0);
  else if (!mi.floor)
    i = mo.floor ? IG_GATED_LOOP(0, 1) : IG_GATED_LOOP(0, 0);
  else
    i = mo.floor ? IG_GATED_LOOP(1, 1) : IG_GATED_LOOP(1, 0);
#undef IG_GATED_LOOP
#undef IG_GATED_LEAN
  ig_gated_act64(x, xb, i, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, gelu);
}
#endif
