/* softmax for Armv8.1-M Helium: the portable algorithm of kernels/scalar/ig_softmax.c in four int32 lanes, every
 * row's last s % 4 elements tail-predicated.
 *  - the row maximum by VMAXV (predicated);
 *  - y = mul_rshr(x - mx, in_mult, in_shift) by the call's plan (ig_sm_plan: VRMULH, or VMULH + add + shift; the
 *    distance clamped first where the multiplier is too large), t = -y clamped by one VMIN where it can pass
 *    IG_EXP2_T_MAX; a plan with no 32-bit form takes ig_sm_e per element;
 *  - exp2 in lanes (ig_mve_exp2_t); e kept in a stack buffer for the first IG_SOFTMAX_EBUF elements of a row
 *    (recomputed beyond), summed into 64 bits by VADDLVA;
 *  - p: VMULH.U32 by r = 2^52 // sum (one 64-bit division per row; r = 2^32 is taken as 2^32 - 1: sum = 2^20,
 *    every e is 0 or 2^20, same p), VRSHR #5 (#12), VMIN, predicated narrowing stores. */
#include "ig_attention.h"
#include "ig_mve_ops.h"
#include "ig_ops.h"

#ifndef IG_SOFTMAX_EBUF
#define IG_SOFTMAX_EBUF 256
#endif

/* e of elements j.. (inactive lanes: any value, never stored or summed) */
IG_MI uint32x4_t sm_e4(const void *x, int32_t xb, int32_t j, int32_t mx, const ig_sm_plan_t *plan, int32_t mode,
                       int32_t clamp_d, int32_t clamp_t, mve_pred16_t p) {
  if (mode == IG_MS_WIDE) {
    uint32_t e[4] = {0, 0, 0, 0};
    for (int32_t k = 0; k < 4; k++)
      if (p & (1u << (4 * k))) e[k] = ig_sm_e(ig_load(x, j + k, xb) - mx, plan);
    return vld1q_u32(e);
  }
  int32x4_t d = vsubq_n_s32(ig_mve_load4(x, j, xb, p), mx);
  if (clamp_d) d = vmaxq_s32(d, vdupq_n_s32(-plan->dcut));
  int32x4_t t = vnegq_s32(ig_mve_ms(d, plan->ms, mode));
  if (clamp_t) t = vminq_s32(t, vdupq_n_s32(IG_EXP2_T_MAX));
  return ig_mve_exp2_t(t);
}

/* p of four e: Q15 (int16) or 2^-8 with zero point -128 (int8) */
IG_MI int32x4_t sm_prob4(uint32x4_t e, uint32_t r32, int32_t yb) {
  uint32x4_t hi = vmulhq_u32(e, vdupq_n_u32(r32));
  if (yb == 2) return vreinterpretq_s32_u32(vminq_u32(vrshrq_n_u32(hi, 5), vdupq_n_u32(32767)));
  return vsubq_n_s32(vreinterpretq_s32_u32(vminq_u32(vrshrq_n_u32(hi, 12), vdupq_n_u32(255))), 128);
}

IG_MI void sm_rows(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal,
                   const ig_sm_plan_t *plan, int32_t mode, int32_t clamp_d, int32_t clamp_t, void *y, int32_t yb) {
  uint32_t ebuf[IG_SOFTMAX_EBUF];
  int32x4_t zero = vdupq_n_s32(yb == 2 ? 0 : -128); /* e = 0 outside the causal window */
  for (int32_t row = 0; row < groups * t; row++) {
    int32_t base = row * s, valid = ig_valid_keys(causal, s, t, row % t), mx = INT32_MIN;
    for (int32_t j = 0; j < valid; j += 4) {
      mve_pred16_t p = vctp32q((uint32_t)(valid - j));
      mx = vmaxvq_p_s32(mx, ig_mve_load4(x, base + j, xb, p), p);
    }
    uint64_t sum = 0;
    for (int32_t j = 0; j < valid; j += 4) {
      mve_pred16_t p = vctp32q((uint32_t)(valid - j));
      uint32x4_t e = sm_e4(x, xb, base + j, mx, plan, mode, clamp_d, clamp_t, p);
      if (j < IG_SOFTMAX_EBUF) vst1q_u32(ebuf + j, e);
      sum = vaddlvaq_p_u32(sum, e, p);
    }
    uint64_t r = sum ? (1ull << 52) / sum : 0; /* sum >= 2^20 when a row has a valid element */
    uint32_t r32 = r >> 32 ? 0xffffffffu : (uint32_t)r;
    for (int32_t j = 0; j < valid; j += 4) {
      mve_pred16_t p = vctp32q((uint32_t)(valid - j));
      uint32x4_t e = j < IG_SOFTMAX_EBUF ? vld1q_u32(ebuf + j) : sm_e4(x, xb, base + j, mx, plan, mode, clamp_d,
                                                                      clamp_t, p);
      ig_mve_store4p(y, base + j, sm_prob4(e, r32, yb), yb, p);
    }
    for (int32_t j = valid; j < s; j += 4) ig_mve_store4p(y, base + j, zero, yb, vctp32q((uint32_t)(s - j)));
  }
}

IG_MI void sm_body(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal,
                   int32_t in_mult, int32_t in_shift, void *y, int32_t yb) {
  ig_sm_plan_t p = ig_sm_plan(in_mult, in_shift, xb == 1 ? 255 : 65535);
  if (p.ms.mode == IG_MS_WIDE)
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_WIDE, 1, 1, y, yb);
  else if (p.clamp_d && p.ms.mode == IG_MS_FLOOR)
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_FLOOR, 1, 1, y, yb);
  else if (p.clamp_d)
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_HR, 1, 1, y, yb);
  else if (p.ms.mode == IG_MS_FLOOR)
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_FLOOR, 0, 0, y, yb); /* |y| < 2^15: no clamp */
  else if (p.clamp_t)
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_HR, 0, 1, y, yb);
  else
    sm_rows(x, xb, groups, t, s, causal, &p, IG_MS_HR, 0, 0, y, yb);
}

#define IG_ENTRIES_SOFTMAX
#include "ig_entry_points.h"
