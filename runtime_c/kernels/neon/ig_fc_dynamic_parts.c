/* The run-time steps of fully_connected_dynamic around the grouped kernels (kernels/scalar/ig_fc_dynamic_parts.c)
 * for AArch64 NEON, eight lanes at a time, exact:
 *   quantize (int16 x): the row's largest and smallest x in int16 lanes (SMAX / SMIN, then SMAXV / SMINV), so
 *   max |x - x_zp| = max(max x - x_zp, x_zp - min x); q = rshr((x - x_zp) inv, 24 + e) in int32 lanes as
 *   SQRDMULH((x - x_zp) 2^L, inv 2^M) = rshr((x - x_zp) inv 2^(L + M), 31) with L + M = 7 - e (exact: the
 *   product's low bits are zeros, SQRDMULH rounds ties up like rshr; both operands fit int32: inv < 2^17, M <= 14,
 *   |x - x_zp| 2^L < 2^8 when L > 0), SSUBL for x - x_zp (x_zp an int16), SQXTN to int16, int8, SMAX -127 (the
 *   clamp); the extremes 32 columns a step (one load, two vectors of each), q 16 a step (one load, one store), then
 *   8 (the loop instructions once per 32 / 16); rows with e > 7 or another x_zp: SMULL + SRSHL by -(24 + e) in int64
 *   lanes;
 *   requantize: m = rshr(mult mr, 15) as SMULL + RSHRN #15 (m < 2^31), rshr(acc m, shift - e) as SMULL + SRSHL by
 *   e - shift, + bias + y_zp in int64, SQXTN (the clamp bounds lie inside int32), clamp, narrowing store.
 * Tails and int32 x: the portable loops. */
#include "ig_neon_ops.h"
#include "ig_q128.h"
#include "ig_ops_quant.h"

/* r -> (e, mr) as in the portable file */
static inline int32_t dyn_exponent(int64_t r, int32_t *mr) {
  int32_t b = 0;
  while (r >> b) b++;
  int32_t e = b - 15;
  *mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  return e;
}

/* q for eight x in int32 lanes (the head comment): SQRDMULH((x - x_zp) << l, inv_m), narrowed to int16 saturating
 * (l is 0 or a constant of the call site: the shift drops out of the common loop) */
static inline __attribute__((always_inline)) int16x8_t q31_8(int16x8_t v, int16x8_t zp, int32x4_t iv, int32_t l,
                                                              int32x4_t sh) {
  int32x4_t a = vsubl_s16(vget_low_s16(v), vget_low_s16(zp)), b = vsubl_high_s16(v, zp);
  if (l != 0) {
    a = vshlq_s32(a, sh);
    b = vshlq_s32(b, sh);
  }
  return vqmovn_high_s32(vqmovn_s32(vqrdmulhq_s32(a, iv)), vqrdmulhq_s32(b, iv));
}

/* q for the row, eight or sixteen at a time; returns the elements done */
static inline __attribute__((always_inline)) int32_t quantize_q31(const int16_t *x, int16_t x_zp, int32_t k_dim,
                                                                  int32_t inv_m, int32_t l, int8_t *q,
                                                                  int8x8_t lo127) {
  const int16x8_t zp = vdupq_n_s16(x_zp);
  const int32x4_t iv = vdupq_n_s32(inv_m), sh = vdupq_n_s32(l);
  const int8x16_t lo127q = vcombine_s8(lo127, lo127);
  int32_t k = 0;
  /* sixteen at a time (one load, one store, one loop step per 16), then eight */
  for (; k + 16 <= k_dim; k += 16) {
    int16x8x2_t v = vld1q_s16_x2(x + k);
    int16x8_t h0 = q31_8(v.val[0], zp, iv, l, sh), h1 = q31_8(v.val[1], zp, iv, l, sh);
    vst1q_s8(q + k, vmaxq_s8(vqmovn_high_s16(vqmovn_s16(h0), h1), lo127q));
  }
  for (; k + 8 <= k_dim; k += 8) {
    vst1_s8(q + k, vmax_s8(vqmovn_s16(q31_8(vld1q_s16(x + k), zp, iv, l, sh)), lo127));
  }
  return k;
}

int32_t ig_dyn_quantize_s16(const int16_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr) {
  /* max |x - x_zp| = max(max x - x_zp, x_zp - min x): the row's extremes in int16 lanes (SMAX and SMIN per 8) */
  int16x8_t mx = vdupq_n_s16(INT16_MIN), mn = vdupq_n_s16(INT16_MAX);
  int32_t k = 0;
  if (k_dim >= 32) { /* 32 at a time (one load and one loop step per 32), two vectors of each extreme */
    int16x8_t mx1 = mx, mn1 = mn;
    for (; k + 32 <= k_dim; k += 32) {
      int16x8x4_t v = vld1q_s16_x4(x + k);
      mx = vmaxq_s16(mx, v.val[0]); mn = vminq_s16(mn, v.val[0]);
      mx1 = vmaxq_s16(mx1, v.val[1]); mn1 = vminq_s16(mn1, v.val[1]);
      mx = vmaxq_s16(mx, v.val[2]); mn = vminq_s16(mn, v.val[2]);
      mx1 = vmaxq_s16(mx1, v.val[3]); mn1 = vminq_s16(mn1, v.val[3]);
    }
    mx = vmaxq_s16(mx, mx1);
    mn = vminq_s16(mn, mn1);
  }
  k += ig_q128_extremes_s16(x + k, k_dim - k, &mx, &mn);
  int32_t r = 1;
  if (k > 0) {
    int32_t hi = vmaxvq_s16(mx) - x_zp, lo = x_zp - vminvq_s16(mn);
    r = hi > r ? hi : r;
    r = lo > r ? lo : r;
  }
  for (int32_t j = k; j < k_dim; j++) {
    int32_t c = x[j] - x_zp;
    c = c < 0 ? -c : c;
    r = c > r ? c : r;
  }
  int32_t e = dyn_exponent(r, mr);
  int32_t inv = (int32_t)((127u << 24) / (uint32_t)*mr), s = 24 + e;
  const int8x8_t lo127 = vdup_n_s8(-127);
  k = 0;
  if (e <= 7 && x_zp >= INT16_MIN && x_zp <= INT16_MAX) {
    int32_t m = 7 - e < 14 ? 7 - e : 14, l = 7 - e - m;
    if (l == 0)
      k = quantize_q31(x, (int16_t)x_zp, k_dim, inv << m, 0, q, lo127);
    else
      k = quantize_q31(x, (int16_t)x_zp, k_dim, inv << m, l, q, lo127);
  }
  int64x2_t neg_s = vdupq_n_s64(-s);
  int32x4_t zp = vdupq_n_s32(x_zp);
  for (; k + 8 <= k_dim; k += 8) {
    int16x8_t v = vld1q_s16(x + k);
    int32x4_t a = ig_neon_mul_rshr_sat(vsubq_s32(vmovl_s16(vget_low_s16(v)), zp), inv, neg_s);
    int32x4_t b = ig_neon_mul_rshr_sat(vsubq_s32(vmovl_high_s16(v), zp), inv, neg_s);
    /* saturating to int16 then int8 clamps to [-128, 127]; SMAX -127 gives the clamp to +-127 */
    vst1_s8(q + k, vmax_s8(vqmovn_s16(vqmovn_high_s32(vqmovn_s32(a), b)), lo127));
  }
  for (; k < k_dim; k++) {
    int64_t v = ig_rshr64((int64_t)(x[k] - x_zp) * inv, s);
    q[k] = (int8_t)(v < -127 ? -127 : (v > 127 ? 127 : v));
  }
  return e;
}

/* four rows: clamp(rshr(acc rshr(mult mr, 15), shift - e) + bias + y_zp) */
IG_NI int32x4_t rq4(const int32_t *acc, const int32_t *mult, const int32_t *shift, const int32_t *bias, int32_t mr,
                    int32x4_t e, int64x2_t zp, int32x4_t lo, int32x4_t hi) {
  int32x4_t mu = vld1q_s32(mult), a = vld1q_s32(acc), b = vld1q_s32(bias);
  int32x4_t m = vcombine_s32(vrshrn_n_s64(vmull_n_s32(vget_low_s32(mu), mr), 15),
                             vrshrn_n_s64(vmull_high_n_s32(mu, mr), 15));
  int32x4_t ns = vsubq_s32(e, vld1q_s32(shift));  /* -(shift - e), in [-62, 0] */
  int64x2_t p0 = vrshlq_s64(vmull_s32(vget_low_s32(a), vget_low_s32(m)), vmovl_s32(vget_low_s32(ns)));
  int64x2_t p1 = vrshlq_s64(vmull_high_s32(a, m), vmovl_high_s32(ns));
  p0 = vaddq_s64(vaddw_s32(p0, vget_low_s32(b)), zp);
  p1 = vaddq_s64(vaddw_high_s32(p1, b), zp);
  return ig_neon_clamp(vqmovn_high_s64(vqmovn_s64(p0), p1), lo, hi);
}

static inline __attribute__((always_inline)) void requant_body(const int32_t *acc, int32_t mr, int32_t e,
                                                               const int32_t *mult, const int32_t *shift,
                                                               const int32_t *bias, int32_t rows, int32_t y_zp,
                                                               int32_t act_min, int32_t act_max, void *y,
                                                               int32_t yb) {
  int32x4_t ev = vdupq_n_s32(e), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t zp = vdupq_n_s64(y_zp);
  int32_t i = 0;
  for (; i + 8 <= rows; i += 8) {
    int32x4_t a = rq4(acc + i, mult + i, shift + i, bias + i, mr, ev, zp, lo, hi);
    int32x4_t b = rq4(acc + i + 4, mult + i + 4, shift + i + 4, bias + i + 4, mr, ev, zp, lo, hi);
    ig_neon_store8(y, i, a, b, yb);
  }
  for (; i < rows; i++) {
    int64_t m = ig_rshr64((int64_t)mult[i] * mr, 15);
    int64_t v = ig_rshr64((int64_t)acc[i] * m, shift[i] - e) + bias[i] + y_zp;
    ig_store(y, i, (int32_t)(v < act_min ? act_min : (v > act_max ? act_max : v)), yb);
  }
}

#define IG_DYN_REQUANT_NEON(D_, Y, YT)                                                                           \
  void ig_dyn_requant_##Y(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,  \
                          const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max,      \
                          YT *y) {                                                                               \
    requant_body(acc, mr, e, mult, shift, bias, rows, y_zp, act_min, act_max, y, sizeof(YT));                   \
  }
IG_FOR_B(IG_DYN_REQUANT_NEON, _)
