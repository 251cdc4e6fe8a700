/* The int64 fixed-point helpers of the transformer ops. The definition is quant/ops/fixed.py; these must give the
 * same bits. Integer arithmetic only. Right shifts of negative values are arithmetic (gcc and clang on every
 * target here), which is the floor shift the definition uses. */
#ifndef IG_FIXED64_H
#define IG_FIXED64_H
#include <stdint.h>

#include "ig_fixedpoint.h"

/* rshr(x, s): s == 0 -> x, else (x + 2^(s-1)) >> s (floor shift: ties toward +inf). 0 <= s <= 62. */
static inline int64_t ig_rshr64(int64_t x, int32_t s) {
  return s > 0 ? (int64_t)((uint64_t)x + (1ull << (s - 1))) >> s : x;
}

static inline int64_t ig_mul_rshr64(int64_t x, int64_t m, int32_t s) { return ig_rshr64(x * m, s); }

/* a / b rounded half away from zero, b > 0. */
static inline int64_t ig_round_div64(int64_t a, int64_t b) {
  uint64_t ua = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
  int64_t q = (int64_t)((ua + (uint64_t)(b >> 1)) / (uint64_t)b);
  return a < 0 ? -q : q;
}

/* floor(sqrt(n)) of n >= 0, exact, bit by bit (no division: 32-bit cores would call a 64-bit division helper). */
static inline int64_t ig_isqrt64(int64_t n) {
  uint64_t x = (uint64_t)n, r = 0, bit = 1ull << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return (int64_t)r;
}

/* High 64 bits of a 64 x 64 product. */
static inline uint64_t ig_mulhi_u64(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
  return (uint64_t)(((unsigned __int128)a * b) >> 64);
#else
  uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* Division by one divisor r >= 1 many times (a norm's row): inv = floor((2^64 - 1) / r) once, then per element
 * q = mulhi(u, inv) is floor(u / r) or one less (for u < 2^63), fixed by one compare. Exact, and no division per
 * element (a 64-bit division is a library call on 32-bit cores). */
typedef struct { uint64_t r, inv; } ig_divisor_t;

static inline ig_divisor_t ig_divisor(uint64_t r) {
  ig_divisor_t d = {r, ~0ull / r};
  return d;
}

/* round_div(a, r) of quant/ops/fixed.py: a / r rounded half away from zero, |a| + r / 2 < 2^63. */
static inline int64_t ig_round_div_by(int64_t a, ig_divisor_t d) {
  uint64_t u = (a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a) + (d.r >> 1);
  uint64_t q = ig_mulhi_u64(u, d.inv);
  if (u - q * d.r >= d.r) q++;
  return a < 0 ? -(int64_t)q : (int64_t)q;
}

#define IG_EXP2_C0 (1ll << 30)
#define IG_EXP2_C1 742854496ll
#define IG_EXP2_C2 249232800ll
#define IG_EXP2_C3 43377414ll
#define IG_EXP_Y_MIN (-(32ll << 16))
#define IG_LOG2E_Q14 23637
#define IG_SIGMOID_Z_MAX (16ll << 12)

/* floor(num / den) for num < 2^36 and 2^20 <= den <= 2^21 (the sigmoid's division; the quotient is below 2^16):
 * two 32-bit divisions of 8 quotient bits each where the core has no 64-bit divide. */
static inline uint32_t ig_udiv36_by21(uint64_t num, uint32_t den) {
#if UINTPTR_MAX == 0xffffffffu
  uint32_t a = (uint32_t)(num >> 16); /* < 2^20 <= den: the quotient's bits above 2^16 are zero */
  uint32_t b = (uint32_t)num & 0xffffu;
  uint32_t t = (a << 8) | (b >> 8); /* < 2^29 */
  uint32_t q1 = t / den, r = t - q1 * den;
  uint32_t t2 = (r << 8) | (b & 0xffu); /* r < 2^21: < 2^29 */
  return (q1 << 8) | (t2 / den);
#else
  return (uint32_t)(num / den);
#endif
}

/* 2^(y / 2^16) for y <= 0 (Q16 in), Q20 out: the cubic of quant/ops/fixed.py on the fraction, then a shift. */
static inline int64_t ig_exp2_q20(int64_t y) {
  if (y < IG_EXP_Y_MIN) y = IG_EXP_Y_MIN;
  int32_t z = (int32_t)((-y) >> 16);
  int32_t f = (int32_t)(y + ((int64_t)z << 16)); /* in (-2^16, 0] */
  /* every partial p fits int32 (|p| <= 2^30), so each product is one 32x32 -> 64 multiply */
  int32_t p = (int32_t)IG_EXP2_C3;
  p = (int32_t)(ig_rshr64((int64_t)p * f, 16) + IG_EXP2_C2);
  p = (int32_t)(ig_rshr64((int64_t)p * f, 16) + IG_EXP2_C1);
  p = (int32_t)(ig_rshr64((int64_t)p * f, 16) + IG_EXP2_C0);
  return ig_rshr64(p, 10 + z);
}

/* sigmoid(z / 2^12) in Q15 for z in Q12. */
static inline int64_t ig_sigmoid_q15(int64_t z) {
  int64_t a = z < 0 ? z : -z;
  if (a < -IG_SIGMOID_Z_MAX) a = -IG_SIGMOID_Z_MAX;
  int64_t e = ig_exp2_q20(ig_mul_rshr64(a, IG_LOG2E_Q14, 10));
  uint32_t den = (1u << 20) + (uint32_t)e; /* e in [0, 2^20] */
  int64_t s = ig_udiv36_by21((1ull << 35) + (den >> 1), den);
  return z >= 0 ? s : (1ll << 15) - s;
}

static inline int64_t ig_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* 32-bit cores (no 64-bit multiply or shift) take the 32-bit forms below; 64-bit cores the int64 forms, which give
 * the same values in fewer instructions there. */
#if UINTPTR_MAX == 0xffffffffu
#define IG_CORE32 1
#else
#define IG_CORE32 0
#endif

/* ---- 32-bit forms for the kernels' inner loops. Each is exact (equal to the int64 form of the definition) in the
 * range its comment states; the kernels check those ranges once per call and fall back to the int64 forms. ---- */

/* rshr(a * b, 32) = floor((a * b + 2^31) / 2^32): the rounded high word of a 32 x 32 product (ties up). */
static inline int32_t ig_mulhr32(int32_t a, int32_t b) {
  int64_t p = (int64_t)a * b;
#if UINTPTR_MAX == 0xffffffffu
  return (int32_t)((uint32_t)(p >> 32) + ((uint32_t)p >> 31)); /* high word + the rounding carry: no 64-bit add */
#else
  return (int32_t)((p + 0x80000000ll) >> 32);
#endif
}

/* floor(a * b / 2^32) */
static inline int32_t ig_mulh32(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b) >> 32); }

/* floor(a * b / 2^32), unsigned */
static inline uint32_t ig_umulh32(uint32_t a, uint32_t b) { return (uint32_t)(((uint64_t)a * b) >> 32); }

static inline int32_t ig_shl32(int32_t v, int32_t a) { return (int32_t)((uint32_t)v << a); }

/* mul_rshr(v, m, s) = rshr(v * m, s) (m >= 0, 0 <= s <= 62) in 32-bit arithmetic for |v| <= vmax:
 *   IG_MS_HR     s <= 32: mulhr32(v << a, m << b) with a + b = 32 - s, when both fit int32
 *                (= floor((v m 2^(32-s) + 2^31) / 2^32) = floor((v m + 2^(s-1)) / 2^s));
 *   IG_MS_FLOOR  s >= 33: (mulh32(v, m) + 2^(s-33)) >> (s - 32): floor((floor(v m / 2^32) + 2^(s-33)) / 2^(s-32))
 *                is floor((v m + 2^(s-1)) / 2^s) (a floor of a floor); any int32 v;
 *   IG_MS_WIDE   otherwise: the int64 form (ig_ms_wide).
 * The result of HR and FLOOR is below 2^30 in magnitude. */
enum { IG_MS_HR = 0, IG_MS_FLOOR = 1, IG_MS_WIDE = 2 };
typedef struct {
  int32_t mode, a, m, c, k; /* HR: v << a, m (shifted); FLOOR: m, c = 2^(s-33), k = s - 32 */
  int32_t m0, s0;           /* the definition's m and s */
  int64_t h0;               /* 2^(s-1) (0 for s = 0): the int64 form on 64-bit cores */
} ig_ms_t;

static inline ig_ms_t ig_ms_prepare(int32_t m, int32_t s, uint32_t vmax) {
  ig_ms_t r = {IG_MS_WIDE, 0, m, 0, 0, m, s, s ? 1ll << (s - 1) : 0};
  if (s >= 33) {
    r.mode = IG_MS_FLOOR;
    r.c = 1 << (s - 33);
    r.k = s - 32;
    return r;
  }
  int32_t need = 32 - s, b = 0;
  while (b < need && b < 30 && (uint32_t)m < (1u << (30 - b))) b++; /* m << (b + 1) still below 2^31 */
  int32_t a = need - b;
  if (a <= 30 && (uint64_t)vmax < (1ull << (31 - a))) {
    r.mode = IG_MS_HR;
    r.a = a;
    r.m = (int32_t)((uint32_t)m << b);
  }
  return r;
}

static inline __attribute__((always_inline)) int32_t ig_ms_apply(ig_ms_t p, int32_t v, int32_t mode) {
  if (!IG_CORE32 && mode != IG_MS_WIDE) return (int32_t)(((int64_t)v * p.m0 + p.h0) >> p.s0); /* fits int32 */
  if (mode == IG_MS_HR) return ig_mulhr32(ig_shl32(v, p.a), p.m);
  if (mode == IG_MS_FLOOR) return (ig_mulh32(v, p.m) + p.c) >> p.k;
  return (int32_t)ig_clamp64(ig_rshr64((int64_t)v * p.m0, p.s0), INT32_MIN, INT32_MAX);
}

/* exp2_q20(-t) for 0 <= t <= IG_EXP2_T_MAX, with 32-bit products only. t = -y; larger t (y <= -(22 << 16) + ...)
 * give 0 exactly as the definition does (z >= 22, or z = 21 with a non-zero fraction: p < 2^30 shifted by 31), so
 * callers clamp t to IG_EXP2_T_MAX. Each Horner step rshr(p * f, 16) is rshr((2 p) * (f 2^15), 32) with
 * f 2^15 = -((t & 0xffff) << 15) in (-2^31, 0] and 2 p < 2^31 (p < C1 + 1 before the last step). */
#define IG_EXP2_T_MAX ((22 << 16) - 1)
static inline uint32_t ig_exp2_q20_t(int32_t t) {
#if !IG_CORE32 /* the definition's int64 steps */
  int32_t zz = t >> 16;
  int64_t f = -(int64_t)(t & 0xffff);
  int64_t q = ((IG_EXP2_C3 * f + 32768) >> 16) + IG_EXP2_C2;
  q = ((q * f + 32768) >> 16) + IG_EXP2_C1;
  q = ((q * f + 32768) >> 16) + IG_EXP2_C0;
  return (uint32_t)((((uint64_t)q >> (9 + zz)) + 1) >> 1);
#endif
  int32_t z = t >> 16, g = -((t & 0xffff) << 15);
  int32_t p = (int32_t)IG_EXP2_C2 + ig_mulhr32(g, (int32_t)(2 * IG_EXP2_C3));
  p = (int32_t)IG_EXP2_C1 + ig_mulhr32(g, 2 * p);
  p = (int32_t)IG_EXP2_C0 + ig_mulhr32(g, 2 * p); /* in [0, 2^30] */
  return (((uint32_t)p >> (9 + z)) + 1) >> 1; /* rshr(p, 10 + z) = (floor(p / 2^(9+z)) + 1) >> 1 */
}
/* The softmax exponent of one call (quant/ops/attention.py): t = -mul_rshr(d, in_mult, in_shift) for d = x - mx in
 * [-vmax, 0], then e = exp2_q20(-t). The plan picks the 32-bit form of the product (ig_ms_t) valid for the whole
 * range of d; when the multiplier is too large for that, d is first clamped at dcut, the smallest distance whose e
 * is 0 (every larger distance gives 0 too: t grows with it), which makes the range fit. clamp_t: t can pass
 * IG_EXP2_T_MAX (where e is 0), so the loop clamps it. */
#define IG_E_ZERO_T ((21 << 16) + 1) /* t >= this: e = 0 */
typedef struct {
  ig_ms_t ms;
  int32_t dcut, clamp_d, clamp_t;
} ig_sm_plan_t;

static inline int64_t ig_sm_t64(int32_t d, int32_t m, int32_t s) { return -ig_rshr64((int64_t)d * m, s); }

static inline ig_sm_plan_t ig_sm_plan(int32_t m, int32_t s, int32_t vmax) {
  ig_sm_plan_t p;
  p.ms = ig_ms_prepare(m, s, (uint32_t)vmax);
  p.dcut = vmax;
  p.clamp_d = 0;
  p.clamp_t = ig_sm_t64(-vmax, m, s) > IG_EXP2_T_MAX;
  if (p.ms.mode == IG_MS_WIDE) {
    int32_t lo = 1, hi = vmax;
    while (lo < hi) {
      int32_t mid = lo + (hi - lo) / 2;
      if (ig_sm_t64(-mid, m, s) >= IG_E_ZERO_T) hi = mid;
      else lo = mid + 1;
    }
    p.dcut = lo;
    p.clamp_d = 1;
    p.clamp_t = 1;
    p.ms = ig_ms_prepare(m, s, (uint32_t)lo);
  }
  return p;
}

/* e of one d by the plan, any mode (the SIMD families' fallback for the rare plans they do not vectorize) */
static inline uint32_t ig_sm_e(int32_t d, const ig_sm_plan_t *p) {
  if (p->clamp_d && d < -p->dcut) d = -p->dcut;
  int64_t t = p->ms.mode == IG_MS_WIDE ? ig_sm_t64(d, p->ms.m0, p->ms.s0) : -(int64_t)ig_ms_apply(p->ms, d, p->ms.mode);
  return ig_exp2_q20_t(t > IG_EXP2_T_MAX ? IG_EXP2_T_MAX : (int32_t)t);
}
/* requantize(acc, m, shift) + zp, clamped to [lo, hi] (ig_output_i32 of ig_fixedpoint.h) in fewer steps, for
 * |acc| <= bound where |acc << (left + 1)| < 2^31 and |zp| < 2^30 (ig_rq_t.fast; else use ig_output_i32):
 * srdhm(a, m) = floor((a m + 2^30) / 2^31) for m >= 0 (the nudge and the truncation toward zero give exactly
 * that; m = INT32_MIN never occurs) = mulhr32(2 a, m); rdbpot(x, right) = (x + 2^(right-1) - (x < 0)) >> right,
 * which cannot overflow for |x| < 2^30. */
typedef struct {
  int32_t m, l1, right, half, nmask, zp, lo, hi, fast, shift;
} ig_rq_t;

static inline ig_rq_t ig_rq_prepare(int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi, uint64_t bound) {
  ig_rq_t r;
  int32_t left = shift > 0 ? shift : 0;
  r.m = m;
  r.shift = shift;
  r.l1 = left + 1;
  r.right = shift > 0 ? 0 : -shift;
  r.half = r.right ? (int32_t)(1u << (r.right - 1)) : 0;
  r.nmask = r.right ? 1 : 0;
  r.zp = zp;
  r.lo = lo;
  r.hi = hi;
  r.fast = left < 30 && bound < (1ull << (30 - left)) && zp > -(1 << 30) && zp < (1 << 30) && m >= 0;
  return r;
}

static inline int32_t ig_rq_fast(ig_rq_t p, int32_t acc) {
  int32_t x = ig_mulhr32(ig_shl32(acc, p.l1), p.m);
  x = (x + p.half - (int32_t)(((uint32_t)x >> 31) & (uint32_t)p.nmask)) >> p.right;
  x += p.zp;
  return x < p.lo ? p.lo : (x > p.hi ? p.hi : x);
}

static inline int32_t ig_rq_apply(ig_rq_t p, int32_t acc) {
  return p.fast ? ig_rq_fast(p, acc) : ig_output_i32(acc, p.m, p.shift, p.zp, p.lo, p.hi);
}
/* [lo, hi] is the whole range of a `bytes`-byte integer (the clamp is then only the type's saturation) */
static inline int32_t ig_full_range(int32_t lo, int32_t hi, int32_t bytes) {
  return bytes == 1 ? lo == -128 && hi == 127 : bytes == 2 ? lo == -32768 && hi == 32767 : lo == INT32_MIN && hi == INT32_MAX;
}
/* sigmoid_q15(z) (quant/ops/fixed.py) for any int32 z with 32-bit arithmetic: a = min(|z|, 2^16); y = rshr(-a *
 * 23637, 10) = (512 - 23637 a) >> 10 (|23637 a| < 2^31); t = -y, clamped at IG_EXP2_T_MAX (e = 0 beyond). */
static inline int32_t ig_sigmoid_q15_32(int32_t z) {
  uint32_t u = z < 0 ? 0u - (uint32_t)z : (uint32_t)z;
  int32_t a = u > 65536u ? 65536 : (int32_t)u;
  int32_t t = -((512 - a * IG_LOG2E_Q14) >> 10);
  uint32_t e = ig_exp2_q20_t(t > IG_EXP2_T_MAX ? IG_EXP2_T_MAX : t);
  uint32_t den = (1u << 20) + e;
  int32_t s = (int32_t)ig_udiv36_by21((1ull << 35) + (den >> 1), den);
  return z >= 0 ? s : (1 << 15) - s;
}

/* rshr(x * sigmoid_q15(z), 15) given sg = sigmoid_q15(z), for the SiLU / GELU forms: when |x| >= 2^16 the callers'
 * z saturates the sigmoid (sg is 0 or 2^15 with the sign of x), so the product is x or 0; below, x sg < 2^31. */
static inline int32_t ig_mul_sig15(int32_t x, int32_t sg) {
  if (x >= 65536 || x <= -65536) return x > 0 ? x : 0;
  return (x * sg + (1 << 14)) >> 15;
}
/* round_div(a * 2^20, r) of the norms (quant/ops/norm.py) in 32-bit arithmetic, for |a| <= r and 1 <= r < 2^30 (the
 * norms' r = isqrt(sum of squares) >= |a| when the sum did not wrap). Per row: L = ceil(log2 r), M =
 * floor(2^(21+L) / r) < 2^22. Per element, with A = |a|: q = umulh(A << (31 - L), M) falls short of A 2^20 / r by
 * less than A / 2^(L+1) <= 1/2 (the error of M), and r/2 adds at most 1/2 more, so floor((A 2^20 + r/2) / r) is q
 * or q + 1: one compare of the remainder A 2^20 + r/2 - q r (in [0, 2 r) < 2^31, exact modulo 2^32) decides. */
typedef struct {
  uint32_t r, m, h;
  int32_t sa;
  ig_divisor_t div; /* 64-bit cores: ig_round_div_by's reciprocal (a native 64 x 64 high multiply) */
} ig_rdiv20_t;

static inline ig_rdiv20_t ig_rdiv20_prepare(uint32_t r) {
  ig_rdiv20_t d;
  d.div = ig_divisor(r);
  int32_t l = 0;
  while ((1u << l) < r) l++;
  d.r = r;
  d.h = r >> 1;
  d.sa = 31 - l;
  d.m = (uint32_t)((1ull << (21 + l)) / r);
  return d;
}

static inline int32_t ig_rdiv20(int32_t a, ig_rdiv20_t d) {
#if !IG_CORE32
  return (int32_t)ig_round_div_by((int64_t)a * (1ll << 20), d.div);
#endif
  uint32_t u = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
  uint32_t q = ig_umulh32(u << d.sa, d.m);
  uint32_t rem = (u << 20) + d.h - q * d.r;
  if (rem >= d.r) q++;
  return a < 0 ? -(int32_t)q : (int32_t)q;
}
#endif
