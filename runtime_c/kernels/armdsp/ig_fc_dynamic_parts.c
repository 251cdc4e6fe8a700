/* The run-time steps of fully_connected_dynamic around the grouped kernels (kernels/scalar/ig_fc_dynamic_parts.c)
 * for Cortex-M4/M7 DSP, exact:
 *   quantize (int16 x): the row's largest and smallest x two at a time (SSUB16 sets the lanes' GE flags, SEL keeps
 *   the larger / smaller halfword), so max |x - x_zp| = max(max x - x_zp, x_zp - min x); q = rshr((x - x_zp) inv,
 *   24 + e) as SMMULR((x - x_zp) 2^L, inv 2^M) = rshr((x - x_zp) inv 2^(L + M), 32) with L + M = 8 - e (the
 *   product's low bits are zeros and SMMULR rounds ties up like rshr; both operands fit int32 for e <= 8: inv <
 *   2^17, M <= 14, |x - x_zp| 2^L < 2^9 when L > 0), SSAT to int8, then the bound -127; e > 8: int64 products;
 *   requantize: m = rshr(mult mr, 15) as one SMMLAR (below), then with s = shift - e >= 33 rshr(acc m, s) =
 *   (hi + 2^(s - 33)) >> (s - 32) = ((hi >> (s - 33)) + 1) >> 1, hi = floor(acc m / 2^32) (SMMUL): the rounding
 *   constant is a multiple of 2^32, so the low word drops out; + bias, + y_zp by QADD (exact after the clamp where
 *   y_zp is 0 or small against the clamp bounds' distance to the int32 limits), clamp; rows with s < 33 and calls
 *   with another y_zp: int64. */
#include "ig_armdsp_common.h"
#include "ig_armdsp_ops.h"
#include "ig_fixed64.h"
#include "ig_ops_quant.h"

/* *mx / *mn: the larger / smaller of each int16 lane of v and theirs */
IG_INLINE void max_min16(uint32_t v, uint32_t *mx, uint32_t *mn) {
  uint32_t t;
  __asm__("ssub16 %[t], %[v], %[mx]\n\tsel %[mx], %[v], %[mx]\n\tssub16 %[t], %[mn], %[v]\n\tsel %[mn], %[v], %[mn]"
          : [t] "=&r"(t), [mx] "+r"(*mx), [mn] "+r"(*mn)
          : [v] "r"(v)
          : "cc");
}

IG_INLINE int8_t q_int64(int32_t c, int32_t inv, int32_t s) {
  int64_t v = ig_rshr64((int64_t)c * inv, s);
  return (int8_t)(v < -127 ? -127 : (v > 127 ? 127 : v));
}

/* l is 0 or a constant of the call site: the shift drops out of the common loop */
IG_INLINE void quantize_smmulr(const int16_t *x, int32_t x_zp, int32_t k_dim, int32_t iv, int32_t l, int8_t *q) {
  for (int32_t k = 0; k < k_dim; k++) {
    int32_t v = ig_smmulr((int32_t)((uint32_t)(x[k] - x_zp) << l), iv);
    v = __ssat(v, 8);
    q[k] = (int8_t)(v < -127 ? -127 : v);
  }
}

int32_t ig_dyn_quantize_s16(const int16_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr) {
  uint32_t mx = 0x80008000u, mn = 0x7FFF7FFFu;
  int32_t k = 0;
  for (; k + 4 <= k_dim; k += 4) {
    uint32_t a, b;
    __builtin_memcpy(&a, x + k, 4);
    __builtin_memcpy(&b, x + k + 2, 4);
    max_min16(a, &mx, &mn);
    max_min16(b, &mx, &mn);
  }
  int32_t hi = (int16_t)mx > (int16_t)(mx >> 16) ? (int16_t)mx : (int16_t)(mx >> 16);
  int32_t lo = (int16_t)mn < (int16_t)(mn >> 16) ? (int16_t)mn : (int16_t)(mn >> 16);
  for (; k < k_dim; k++) {
    hi = x[k] > hi ? x[k] : hi;
    lo = x[k] < lo ? x[k] : lo;
  }
  int64_t r = 1, rh = (int64_t)hi - x_zp, rl = (int64_t)x_zp - lo;
  r = rh > r ? rh : r;
  r = rl > r ? rl : r;
  int32_t e = 64 - __builtin_clzll((uint64_t)r) - 15;
  *mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  int32_t inv = (int32_t)((127u << 24) / (uint32_t)*mr);
  if (e > 8) {
    for (k = 0; k < k_dim; k++) q[k] = q_int64(x[k] - x_zp, inv, 24 + e);
    return e;
  }
  int32_t m = 8 - e < 14 ? 8 - e : 14, l = 8 - e - m;
  if (l == 0) quantize_smmulr(x, x_zp, k_dim, inv << m, 0, q);
  else quantize_smmulr(x, x_zp, k_dim, inv << m, l, q);
  return e;
}

/* one row in int64 (the portable way) */
static __attribute__((noinline)) int32_t requant_int64(int32_t acc, int32_t m, int32_t s, int32_t bias, int32_t y_zp,
                                                      int32_t act_min, int32_t act_max) {
  int64_t w = ig_rshr64((int64_t)acc * m, s) + bias + y_zp;
  return (int32_t)(w < act_min ? act_min : (w > act_max ? act_max : w));
}

IG_INLINE void requant_body(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                            const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max,
                            void *y, int32_t yb) {
  const int32_t z = 1 << 16; /* QADD's saturation cannot move a clamped value: |y_zp| <= z, bounds z inside */
  /* m = mult + rshr(mult X, 31) = rshr(mult mr, 15) with X = (mr - 2^15) 2^16 in [-2^30, 0]: one SMMLAR */
  const int32_t x2 = (int32_t)((uint32_t)(mr - 32768) << 17);
  /* t = s - 33 < 0 sends a row to int64; a call with another y_zp sends all */
  const int32_t e33 = y_zp == 0 || (y_zp >= -z && y_zp <= z && act_min >= INT32_MIN + z && act_max <= INT32_MAX - z)
                          ? e + 33 : 64;
  for (int32_t i = 0; i < rows; i++) {
    int32_t m = ig_smmlar(mult[i], x2, mult[i]), t = shift[i] - e33, v;
    if (t >= 0) {
      v = ((ig_smmul(acc[i], m) >> t) + 1) >> 1; /* (hi + 2^(s - 33)) >> (s - 32), hi = floor(acc m / 2^32) */
      v = __qadd(__qadd(v, bias[i]), y_zp);
      v = v < act_min ? act_min : (v > act_max ? act_max : v);
    } else {
      v = requant_int64(acc[i], m, shift[i] - e, bias[i], y_zp, act_min, act_max);
    }
    ig_store(y, i, v, yb);
  }
}

IG_DYN_REQUANT_ENTRIES(requant_body)
