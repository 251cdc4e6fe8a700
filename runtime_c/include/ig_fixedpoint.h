/* Fixed-point requantization with TFLite / CMSIS-NN rounding. The definition is quant/fixedpoint.py;
 * this header must give the same bits. Integer arithmetic only: no float, no 64-bit division helper. */
#ifndef IG_FIXEDPOINT_H
#define IG_FIXEDPOINT_H
#include <stdint.h>

/* Portable kernels (kernels/scalar/) define their entry points weakly: a SIMD family's definition of the same
 * function overrides them at link time, the other variants of the op stay portable. */
#define IG_WEAK __attribute__((weak))

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

/* requantize(acc) + y_zp, clamped to [act_min, act_max]: the definition forms the sum in int64; a saturating int32
 * add gives the same clamped result because act_min/act_max lie inside int32. */
static inline int32_t ig_output_i32(int32_t acc, int32_t multiplier, int32_t shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  int32_t v;
  if (__builtin_add_overflow(ig_requantize(acc, multiplier, shift), y_zp, &v)) v = y_zp > 0 ? INT32_MAX : INT32_MIN;
  return ig_clamp(v, act_min, act_max);
}

/* The output stage every integer fully connected kernel shares, per output type. */
static inline int8_t ig_output_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t y_zp, int32_t act_min,
                                  int32_t act_max) {
  return (int8_t)ig_output_i32(acc, multiplier, shift, y_zp, act_min, act_max);
}
static inline int16_t ig_output_s16(int32_t acc, int32_t multiplier, int32_t shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  return (int16_t)ig_output_i32(acc, multiplier, shift, y_zp, act_min, act_max);
}
static inline int32_t ig_output_s32(int32_t acc, int32_t multiplier, int32_t shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  return ig_output_i32(acc, multiplier, shift, y_zp, act_min, act_max);
}

/* Stores v as element i of an int8 / int16 / int32 array (bytes 1, 2 or 4, a constant after inlining): lets one
 * kernel body serve every output type. */
static inline __attribute__((always_inline)) void ig_store(void *y, int32_t i, int32_t v, int32_t bytes) {
  if (bytes == 1) ((int8_t *)y)[i] = (int8_t)v;
  else if (bytes == 2) ((int16_t *)y)[i] = (int16_t)v;
  else ((int32_t *)y)[i] = v;
}

/* Element i of an int8 / int16 / int32 array (bytes 1, 2 or 4, a constant after inlining). */
static inline __attribute__((always_inline)) int32_t ig_load(const void *x, int32_t i, int32_t bytes) {
  if (bytes == 1) return ((const int8_t *)x)[i];
  if (bytes == 2) return ((const int16_t *)x)[i];
  return ((const int32_t *)x)[i];
}

/* Wrapping int32 arithmetic (modulo 2^32, as the reference's accumulator), without signed-overflow UB. */
static inline int32_t ig_wadd(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t ig_wmul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
#endif
