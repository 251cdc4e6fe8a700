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
 *   with another y_zp: the portable int64 loop. */
#include "ig_fixed64.h"
#include "ig_mve_common.h"
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
  int32_t k = 0;
  for (; k + 8 <= k_dim; k += 8) {
    int16x8_t v = vld1q_s16(x + k);
    mx = vmaxq_s16(mx, v);
    mn = vminq_s16(mn, v);
  }
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

/* y[i] for one row in the portable way */
IG_INLINE void requant_one(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                           const int32_t *bias, int32_t i, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                           int32_t yb) {
  int64_t m = ig_rshr64((int64_t)mult[i] * mr, 15);
  int64_t v = ig_rshr64((int64_t)acc[i] * m, shift[i] - e) + bias[i] + y_zp;
  ig_store(y, i, (int32_t)(v < act_min ? act_min : (v > act_max ? act_max : v)), yb);
}

/* a vector of four int32 from p: all lanes, or the active lanes of m (tail: the others zero) */
IG_INLINE int32x4_t ld4(const int32_t *p, mve_pred16_t m, int tail) { return tail ? vldrwq_z_s32(p, m) : vld1q_s32(p); }

/* four rows from i (the active lanes of m where tail); false, nothing written, where a lane's shift - e is below 32 */
IG_INLINE int rq4(const int32_t *acc, int32x4_t e31, int32_t x_mr, const int32_t *mult, const int32_t *shift,
                  const int32_t *bias, int32_t i, int32_t y_zp, int32x4_t lo, int32x4_t hi, void *y, int32_t yb,
                  mve_pred16_t m, int tail) {
  int32x4_t ns = vsubq_s32(e31, ld4(shift + i, m, tail)); /* 31 - (shift - e) */
  if ((tail ? vmaxvq_p_s32(INT32_MIN, ns, m) : vmaxvq_s32(INT32_MIN, ns)) > -1) return 0;
  int32x4_t mu = ld4(mult + i, m, tail);
  int32x4_t v = vrshlq_s32(vqdmulhq_s32(ld4(acc + i, m, tail), vqrdmlahq_n_s32(mu, mu, x_mr)), ns);
  v = vqaddq_s32(v, ld4(bias + i, m, tail));
  if (y_zp != 0) v = vqaddq_n_s32(v, y_zp);
  ig_mve_store4(y, i, vminq_s32(vmaxq_s32(v, lo), hi), yb, tail ? m : 0xFFFF);
  return 1;
}

/* the rows [i, i + 4) in int64 */
IG_INLINE void requant_four(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                            const int32_t *bias, int32_t i, int32_t rows, int32_t y_zp, int32_t act_min,
                            int32_t act_max, void *y, int32_t yb) {
  for (int32_t j = i; j < i + 4 && j < rows; j++)
    requant_one(acc, mr, e, mult, shift, bias, j, y_zp, act_min, act_max, y, yb);
}

IG_INLINE void requant_body(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                            const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max,
                            void *y, int32_t yb) {
  const int32_t z = 1 << 16; /* VQADD's saturation cannot move a clamped value: |y_zp| <= z, bounds z inside */
  int32_t i = 0;
  if (y_zp == 0 || (y_zp >= -z && y_zp <= z && act_min >= INT32_MIN + z && act_max <= INT32_MAX - z)) {
    const int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max), e31 = vdupq_n_s32(31 + e);
    const int32_t x_mr = (int32_t)((uint32_t)(mr - 32768) << 16);
    for (; i + 4 <= rows; i += 4)
      if (!rq4(acc, e31, x_mr, mult, shift, bias, i, y_zp, lo, hi, y, yb, 0xFFFF, 0))
        requant_four(acc, mr, e, mult, shift, bias, i, rows, y_zp, act_min, act_max, y, yb);
    if (i < rows && !rq4(acc, e31, x_mr, mult, shift, bias, i, y_zp, lo, hi, y, yb, vctp32q((uint32_t)(rows - i)), 1))
      requant_four(acc, mr, e, mult, shift, bias, i, rows, y_zp, act_min, act_max, y, yb);
    return;
  }
  for (; i < rows; i++) requant_one(acc, mr, e, mult, shift, bias, i, y_zp, act_min, act_max, y, yb);
}

IG_DYN_REQUANT_ENTRIES(requant_body)
