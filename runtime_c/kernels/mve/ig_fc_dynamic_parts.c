/* The run-time steps of fully_connected_dynamic around the grouped kernels (kernels/scalar/ig_fc_dynamic_parts.c)
 * for Helium (MVE), exact, tails tail-predicated:
 *   quantize (int16 x): the row's largest and smallest x in int16 lanes (VMAX / VMIN, then VMAXV / VMINV), so
 *   max |x - x_zp| = max(max x - x_zp, x_zp - min x); q = rshr((x - x_zp) inv, 24 + e) in int32 lanes (VLDRH.S32
 *   widening) as VQRDMULH((x - x_zp) 2^L, inv 2^M) = rshr((x - x_zp) inv 2^(L + M), 31) with L + M = 7 - e (the
 *   product's low bits are zeros and VQRDMULH rounds ties up like rshr; both operands fit int32 for e <= 7: inv
 *   < 2^17, M <= 14, |x - x_zp| 2^L < 2^8 when L > 0), clamped to +-127, VSTRB.32 narrowing; e > 7: portable;
 *   requantize: m = rshr(mult mr, 15) as one VQRDMLAH (m = mult + rshr(mult X, 31), X = (mr - 2^15) 2^16, exact for
 *   mr in [2^14, 2^15]); rshr(acc m, s) with s = shift - e >= 32 as VRSHL(VQDMULH(acc, m), 31 - s): VQDMULH is
 *   floor(acc m / 2^31) (m >= 0: never saturates) and the rounding constant 2^(s - 1) is a multiple of 2^31, so
 *   the floor loses nothing; + bias, + y_zp by VQADD (exact after the clamp where y_zp is 0 or small against the
 *   clamp bounds' distance to the int32 limits), clamp, narrowing store. Four rows with some s < 32, and calls
 *   with another y_zp: the portable int64 loop (ig_mve_dyn_requant.h, shared with the grouped kernels). */
#include "ig_fixed64.h"
#include "ig_mve_common.h"
#include "ig_q128.h"
#include "ig_mve_dyn_requant.h"
#include "ig_ops_quant.h"

/* r in [1, 2^32] -> e = bitlen(r) - 15 and its mantissa mr in [2^14, 2^15] */
IG_INLINE int32_t mve_dyn_exponent(int64_t r, int32_t *mr) {
  int32_t e = 64 - __builtin_clzll((uint64_t)r) - 15;
  *mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  return e;
}

/* q[k] for k in [k0, k_dim) in the portable way (int64 products) */
IG_INLINE void quantize_tail(const int16_t *x, int32_t x_zp, int32_t k0, int32_t k_dim, int32_t inv, int32_t s,
                             int8_t *q) {
  for (int32_t k = k0; k < k_dim; k++) {
    int64_t v = ig_rshr64((int64_t)(x[k] - x_zp) * inv, s);
    q[k] = (int8_t)(v < -127 ? -127 : (v > 127 ? 127 : v));
  }
}

/* four q in int32 lanes: clamp(VQRDMULH((x - x_zp) << l, iv), -127, 127) */
IG_INLINE int32x4_t quantize4(int32x4_t v, int32_t x_zp, int32_t l, int32_t iv) {
  v = vsubq_n_s32(v, x_zp);
  if (l != 0) v = vshlq_r_s32(v, l);
  v = vqrdmulhq_n_s32(v, iv);
  return vmaxq_s32(vminq_s32(v, vdupq_n_s32(127)), vdupq_n_s32(-127));
}

/* l is 0 or a constant of the call site: the shift drops out of the common loop */
IG_INLINE void quantize_q31(const int16_t *x, int32_t x_zp, int32_t k_dim, int32_t iv, int32_t l, int8_t *q) {
  int32_t k = 0;
  for (; k + 8 <= k_dim; k += 8) {
    int32x4_t a = vldrhq_s32(x + k), b = vldrhq_s32(x + k + 4);
    vstrbq_s32(q + k, quantize4(a, x_zp, l, iv));
    vstrbq_s32(q + k + 4, quantize4(b, x_zp, l, iv));
  }
  for (; k < k_dim; k += 4) {
    mve_pred16_t p = vctp32q((uint32_t)(k_dim - k));
    vstrbq_p_s32(q + k, quantize4(vldrhq_z_s32(x + k, p), x_zp, l, iv), p);
  }
}

int32_t ig_dyn_quantize_s16(const int16_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr) {
  int16x8_t mx = vdupq_n_s16(INT16_MIN), mn = vdupq_n_s16(INT16_MAX);
  int32_t k = ig_q128_extremes_s16(x, k_dim, &mx, &mn);
  if (k < k_dim) { /* the tail's inactive lanes keep the running extremes */
    mve_pred16_t p = vctp16q((uint32_t)(k_dim - k));
    int16x8_t v = vldrhq_z_s16(x + k, p);
    mx = vmaxq_m_s16(mx, mx, v, p);
    mn = vminq_m_s16(mn, mn, v, p);
  }
  int64_t r = 1, hi = (int64_t)vmaxvq_s16(INT16_MIN, mx) - x_zp, lo = (int64_t)x_zp - vminvq_s16(INT16_MAX, mn);
  r = hi > r ? hi : r;
  r = lo > r ? lo : r;
  int32_t e = mve_dyn_exponent(r, mr);
  int32_t inv = (int32_t)((127u << 24) / (uint32_t)*mr);
  if (e > 7) {
    quantize_tail(x, x_zp, 0, k_dim, inv, 24 + e, q);
    return e;
  }
  int32_t m = 7 - e < 14 ? 7 - e : 14, l = 7 - e - m;
  if (l == 0) quantize_q31(x, x_zp, k_dim, inv << m, 0, q);
  else quantize_q31(x, x_zp, k_dim, inv << m, l, q);
  return e;
}

IG_INLINE void requant_body(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                            const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max,
                            void *y, int32_t yb) {
  const ig_mve_dynrq_t q = ig_mve_dynrq(mr, e, y_zp, act_min, act_max);
  int32_t i = 0;
  for (; i + 4 <= rows; i += 4) ig_mve_dynrq4(vld1q_s32(acc + i), &q, mult, shift, bias, i, rows, y, yb, 0xFFFF, 0);
  if (i < rows) {
    mve_pred16_t m = vctp32q((uint32_t)(rows - i));
    ig_mve_dynrq4(vldrwq_z_s32(acc + i, m), &q, mult, shift, bias, i, rows, y, yb, m, 1);
  }
}

IG_DYN_REQUANT_ENTRIES(requant_body)
