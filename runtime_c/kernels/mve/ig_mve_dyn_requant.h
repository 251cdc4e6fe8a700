/* fully_connected_dynamic's per-token requantization in Helium lanes (the derivation: ig_fc_dynamic_parts.c),
 * shared by its separate pass (ig_dyn_requant_*) and the grouped kernels that requantize in their registers
 * (ig_fc_grouped_dyn[_asym]_s8w4, ig_fc_grouped_s8w4.c): y = clamp(rshr(acc rshr(mult mr, 15), shift - e) + bias
 * + y_zp), exact; bias may be 0 (none). */
#ifndef IG_MVE_DYN_REQUANT_H
#define IG_MVE_DYN_REQUANT_H
#include "ig_fixed64.h"
#include "ig_mve_common.h"

/* a call's constants: e31 = 31 + e in every lane, x_mr = (mr - 2^15) 2^16, fast: the saturating adds are exact */
typedef struct {
  int32x4_t e31, lo, hi;
  int32_t x_mr, mr, e, y_zp, act_min, act_max, fast;
} ig_mve_dynrq_t;

IG_INLINE ig_mve_dynrq_t ig_mve_dynrq(int32_t mr, int32_t e, int32_t y_zp, int32_t act_min, int32_t act_max) {
  const int32_t z = 1 << 16; /* VQADD's saturation cannot move a clamped value: |y_zp| <= z, bounds z inside */
  ig_mve_dynrq_t q = {vdupq_n_s32(31 + e), vdupq_n_s32(act_min), vdupq_n_s32(act_max),
                      (int32_t)((uint32_t)(mr - 32768) << 16), mr, e, y_zp, act_min, act_max,
                      y_zp == 0 || (y_zp >= -z && y_zp <= z && act_min >= INT32_MIN + z && act_max <= INT32_MAX - z)};
  return q;
}

/* row i in int64 (the portable way), its accumulator a */
IG_INLINE void ig_mve_dynrq_one(int32_t a, const ig_mve_dynrq_t *q, const int32_t *mult, const int32_t *shift,
                                const int32_t *bias, int32_t i, void *y, int32_t yb) {
  int64_t m = ig_rshr64((int64_t)mult[i] * q->mr, 15);
  int64_t v = ig_rshr64((int64_t)a * m, shift[i] - q->e) + (bias ? bias[i] : 0) + q->y_zp;
  ig_store(y, i, (int32_t)(v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v)), yb);
}

/* a vector of four int32 from p: all lanes, or the active lanes of m (tail: the others zero) */
IG_INLINE int32x4_t ig_mve_ld4(const int32_t *p, mve_pred16_t m, int tail) {
  return tail ? vldrwq_z_s32(p, m) : vld1q_s32(p);
}

/* rows i.. (the active lanes of m where tail) from their accumulators a: rshr(a m, s) as VRSHL(VQDMULH(a, m),
 * 31 - s) where every s = shift - e >= 32 and the call is fast, else int64 */
IG_INLINE void ig_mve_dynrq4(int32x4_t a, const ig_mve_dynrq_t *q, const int32_t *mult, const int32_t *shift,
                             const int32_t *bias, int32_t i, int32_t rows, void *y, int32_t yb, mve_pred16_t m,
                             int tail) {
  int32x4_t ns = vsubq_s32(q->e31, ig_mve_ld4(shift + i, m, tail)); /* 31 - (shift - e) */
  if (q->fast && (tail ? vmaxvq_p_s32(INT32_MIN, ns, m) : vmaxvq_s32(INT32_MIN, ns)) <= -1) {
    int32x4_t mu = ig_mve_ld4(mult + i, m, tail);
    int32x4_t v = vrshlq_s32(vqdmulhq_s32(a, vqrdmlahq_n_s32(mu, mu, q->x_mr)), ns);
    if (bias) v = vqaddq_s32(v, ig_mve_ld4(bias + i, m, tail));
    if (q->y_zp != 0) v = vqaddq_n_s32(v, q->y_zp);
    ig_mve_store4(y, i, vminq_s32(vmaxq_s32(v, q->lo), q->hi), yb, tail ? m : 0xFFFF);
    return;
  }
  int32_t s[4];
  vst1q_s32(s, a);
  for (int32_t j = 0; j < 4 && i + j < rows; j++) ig_mve_dynrq_one(s[j], q, mult, shift, bias, i + j, y, yb);
}
#endif
