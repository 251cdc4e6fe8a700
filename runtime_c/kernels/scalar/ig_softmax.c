/* softmax (quant/ops/attention.py): max-subtracted base-2 exponent in Q16, exp2 in Q20, one division per row,
 * then Q15 (int16) or 2^-8 with zero point -128 (int8) probabilities.
 *
 * The portable form, lean on 32-bit cores:
 *  - y = mul_rshr(x - mx, in_mult, in_shift) is one 32 x 32 multiply (ig_ms_t: HR or FLOOR mode) for the whole
 *    range of x - mx; where the multiplier is so large that it does not fit, x - mx is first clamped at the
 *    distance beyond which every e is 0 (found once per call), which makes it fit;
 *  - exp2 has 32-bit products only (ig_exp2_q20_t), and t = -y is clamped only when it can pass IG_EXP2_T_MAX;
 *  - e is computed once per element: kept in a stack buffer for the first IG_SOFTMAX_EBUF elements of a row
 *    (recomputed beyond); the row sum is 32-bit when s < 2^12;
 *  - p = rshr(e r, 37) is (umulh(e, r) + 16) >> 5 (and rshr(e r, 44) = (umulh(e, r) + 2^11) >> 12) on 32-bit
 *    cores: the low word of e r cannot carry into the rounding. r = 2^52 // sum is one 64-bit division per row. */
#include "ig_attention.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#ifndef IG_SOFTMAX_EBUF
#define IG_SOFTMAX_EBUF 256
#endif
static inline __attribute__((always_inline)) uint32_t sm_e(int32_t d, ig_sm_plan_t p, int32_t mode, int32_t clamp_d,
                                                            int32_t clamp_t) {
  if (clamp_d && d < -p.dcut) d = -p.dcut;
  int32_t t;
  if (mode == IG_MS_WIDE) {
    int64_t t64 = ig_sm_t64(d, p.ms.m0, p.ms.s0);
    t = t64 > IG_EXP2_T_MAX ? IG_EXP2_T_MAX : (int32_t)t64;
  } else {
    t = -ig_ms_apply(p.ms, d, mode);
    if (clamp_t && t > IG_EXP2_T_MAX) t = IG_EXP2_T_MAX;
  }
  return ig_exp2_q20_t(t);
}

/* p from e and the row's r = 2^52 // sum, r <= 2^32. r = 2^32 only when sum = 2^20: then every e is 0 or 2^20, and
 * r = 2^32 - 1 gives the same p for both, so the 32-bit form takes r32 = min(r, 2^32 - 1). */
static inline __attribute__((always_inline)) int32_t sm_prob(uint32_t e, uint64_t r, uint32_t r32, int32_t yb) {
#if UINTPTR_MAX == 0xffffffffu
  uint32_t hi = ig_umulh32(e, r32);
  (void)r;
  if (yb == 2) {
    uint32_t q = (hi + 16) >> 5;
    return (int32_t)(q > 32767 ? 32767 : q);
  }
  uint32_t q = (hi + 2048) >> 12;
  return (int32_t)(q > 255 ? 255 : q) - 128;
#else
  uint64_t er = (uint64_t)e * r;
  (void)r32;
  if (yb == 2) {
    uint64_t q = (er + (1ull << 36)) >> 37;
    return (int32_t)(q > 32767 ? 32767 : q);
  }
  uint64_t q = (er + (1ull << 43)) >> 44;
  return (int32_t)(q > 255 ? 255 : q) - 128;
#endif
}

static inline __attribute__((always_inline)) void softmax_rows(const void *x, int32_t xb, int32_t groups, int32_t t,
                                                                int32_t s, int32_t causal, ig_sm_plan_t plan,
                                                                int32_t mode, int32_t clamp_d, int32_t clamp_t,
                                                                void *y, int32_t yb) {
  uint32_t ebuf[IG_SOFTMAX_EBUF];
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      int32_t base = (g * t + i) * s;
      int32_t valid = ig_valid_keys(causal, s, t, i);
      int32_t mx = INT32_MIN;
      for (int32_t j = 0; j < valid; j++) {
        int32_t v = ig_load(x, base + j, xb);
        if (v > mx) mx = v;
      }
      int32_t nbuf = valid < IG_SOFTMAX_EBUF ? valid : IG_SOFTMAX_EBUF;
      uint64_t sum;
      if (s < 4096) { /* valid * 2^20 < 2^32 */
        uint32_t s32 = 0;
        for (int32_t j = 0; j < nbuf; j++) {
          uint32_t e = sm_e(ig_load(x, base + j, xb) - mx, plan, mode, clamp_d, clamp_t);
          ebuf[j] = e;
          s32 += e;
        }
        for (int32_t j = nbuf; j < valid; j++) s32 += sm_e(ig_load(x, base + j, xb) - mx, plan, mode, clamp_d, clamp_t);
        sum = s32;
      } else {
        sum = 0;
        for (int32_t j = 0; j < nbuf; j++) {
          uint32_t e = sm_e(ig_load(x, base + j, xb) - mx, plan, mode, clamp_d, clamp_t);
          ebuf[j] = e;
          sum += e;
        }
        for (int32_t j = nbuf; j < valid; j++) sum += sm_e(ig_load(x, base + j, xb) - mx, plan, mode, clamp_d, clamp_t);
      }
      uint64_t r = sum ? (1ull << 52) / sum : 0; /* sum >= 2^20 when a row has a valid element */
      uint32_t r32 = r >> 32 ? 0xffffffffu : (uint32_t)r;
      for (int32_t j = 0; j < nbuf; j++) ig_store(y, base + j, sm_prob(ebuf[j], r, r32, yb), yb);
      for (int32_t j = nbuf; j < valid; j++)
        ig_store(y, base + j,
                 sm_prob(sm_e(ig_load(x, base + j, xb) - mx, plan, mode, clamp_d, clamp_t), r, r32, yb), yb);
      int32_t zero = yb == 2 ? 0 : -128; /* e = 0 outside the causal window */
      for (int32_t j = valid; j < s; j++) ig_store(y, base + j, zero, yb);
    }
  }
}

static inline __attribute__((always_inline)) void sm_body(const void *x, int32_t xb, int32_t groups, int32_t t,
                                                                int32_t s, int32_t causal, int32_t in_mult,
                                                                int32_t in_shift, void *y, int32_t yb) {
  ig_sm_plan_t p = ig_sm_plan(in_mult, in_shift, xb == 1 ? 255 : 65535);
  if (p.clamp_d)
    softmax_rows(x, xb, groups, t, s, causal, p, p.ms.mode, 1, 1, y, yb);
  else if (p.ms.mode == IG_MS_FLOOR)
    softmax_rows(x, xb, groups, t, s, causal, p, IG_MS_FLOOR, 0, 0, y, yb); /* |y| < 2^15: no clamp */
  else if (p.clamp_t)
    softmax_rows(x, xb, groups, t, s, causal, p, IG_MS_HR, 0, 1, y, yb);
  else
    softmax_rows(x, xb, groups, t, s, causal, p, IG_MS_HR, 0, 0, y, yb);
}

#define IG_PORTABLE 1
#define IG_ENTRIES_SOFTMAX
#include "ig_entry_points.h"
