/* Fixed-point requantization with TFLite / CMSIS-NN rounding. The definition is quant/fixedpoint.py;
 * this header must give the same bits. Integer arithmetic only: no float, no 64-bit division helper. */
#ifndef IG_FIXEDPOINT_H
#define IG_FIXEDPOINT_H
#include <stdint.h>

/* round(a * b / 2^31) with TFLite's nudge (ties round upward), saturating the single overflow case. */
static inline int32_t ig_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  /* nudge 2^30, or 1 - 2^30 for negative products, without a branch: 2^30 - (2^31 - 1) */
  int64_t x = ab + ((1ll << 30) - ((ab >> 63) & 0x7fffffffll));
  /* x / 2^31 truncating toward zero, with shifts (a 64-bit division would call a helper on 32-bit cores) */
  x += (x >> 63) & 0x7fffffffll;
  return (int32_t)(x >> 31);
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t ig_rdbpot(int32_t x, int32_t exponent) {
  int32_t mask = (int32_t)((1u << exponent) - 1u);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0);
  return (x >> exponent) + (remainder > threshold);
}

static inline int32_t ig_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  int32_t left = shift > 0 ? shift : 0;
  int32_t right = shift > 0 ? 0 : -shift;
  int32_t shifted = (int32_t)((uint32_t)acc << left); /* wraps modulo 2^32, as the reference defines */
  return ig_rdbpot(ig_srdhm(shifted, multiplier), right);
}

static inline int32_t ig_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* The output stage every integer fully connected kernel shares. */
static inline int8_t ig_output_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t y_zp, int32_t act_min,
                                  int32_t act_max) {
  return (int8_t)ig_clamp(ig_requantize(acc, multiplier, shift) + y_zp, act_min, act_max);
}

/* Wrapping int32 arithmetic (modulo 2^32, as the reference's accumulator), without signed-overflow UB. */
static inline int32_t ig_wadd(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t ig_wmul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
#endif
