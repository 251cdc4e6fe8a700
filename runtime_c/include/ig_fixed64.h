/* The int64 fixed-point helpers of the transformer ops. The definition is quant/ops/fixed.py; these must give the
 * same bits. Integer arithmetic only. Right shifts of negative values are arithmetic (gcc and clang on every
 * target here), which is the floor shift the definition uses. */
#ifndef IG_FIXED64_H
#define IG_FIXED64_H
#include <stdint.h>

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
#endif
