/* softmax for Cortex-M4/M7 (ARMv7E-M DSP): the portable algorithm of kernels/scalar/ig_softmax.c with
 *  - the row maximum two int16 (four int8) lanes at a time: SSUB16 (SSUB8) sets the GE flags, SEL keeps the larger;
 *  - y = mul_rshr(x - mx, in_mult, in_shift) as one SMMULR (HR plan: (x << a - mx << a) times m << b) or SMMUL
 *    plus a rounding add and shift (FLOOR plan, in_shift >= 33);
 *  - exp2 with three SMMLSR (ig_dsp_exp2_t9, t carried as t + 9 * 2^16 so that its high half is the final shift
 *    count); t is clamped by one USAT (where e is already 0) only when the plan says it can pass IG_EXP2_T_MAX;
 *  - e is kept in a stack buffer for the first IG_SOFTMAX_EBUF elements of a row (recomputed beyond);
 *  - p = min(rshr(e r, 37), 32767) is UMULL's high word + 16 saturated by USAT #15 with ASR #5 (int8: + 2^11,
 *    USAT #8 with ASR #12, then - 128); r = 2^32 (sum = 2^20: every e is 0 or 2^20) is taken as 2^32 - 1, which
 *    gives the same p.
 * Plans with a clamped distance (a huge multiplier) take the portable per-element form (ig_sm_e). */
#include "ig_armdsp_ops.h"
#include "ig_attention.h"
#include "ig_ops.h"

#ifndef IG_SOFTMAX_EBUF
#define IG_SOFTMAX_EBUF 256
#endif

enum { SM_HR = 0, SM_HR_CLAMP = 1, SM_FLOOR = 2, SM_GENERIC = 3 };

/* per lane max(a, b) of two int16 (four int8) lanes: SSUB16 (SSUB8) sets GE where a - b >= 0, SEL picks */
IG_DSP_INLINE uint32_t sm_max16x2(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub16 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}
IG_DSP_INLINE uint32_t sm_max8x4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}

IG_DSP_INLINE int32_t sm_row_max(const void *x, int32_t xb, int32_t n) {
  int32_t j = 0, mx = INT32_MIN;
  if (xb == 2) {
    const int16_t *p = (const int16_t *)x;
    uint32_t m2 = 0x80008000u, m2b = 0x80008000u;
    for (; j + 4 <= n; j += 4) {
      m2 = sm_max16x2(ig_ld32u(p + j), m2);
      m2b = sm_max16x2(ig_ld32u(p + j + 2), m2b);
    }
    m2 = sm_max16x2(m2b, m2);
    int32_t lo = (int16_t)m2, hi = (int16_t)(m2 >> 16);
    mx = lo > hi ? lo : hi;
    for (; j < n; j++)
      if (p[j] > mx) mx = p[j];
  } else {
    const int8_t *p = (const int8_t *)x;
    uint32_t m4 = 0x80808080u;
    for (; j + 4 <= n; j += 4) m4 = sm_max8x4(ig_ld32u(p + j), m4);
    for (int32_t k = 0; k < 4; k++) {
      int32_t v = (int8_t)(m4 >> (8 * k));
      if (v > mx) mx = v;
    }
    for (; j < n; j++)
      if (p[j] > mx) mx = p[j];
  }
  return mx;
}

/* e of x by the plan, for the loops below (mode a constant after inlining) */
/* e of x by the plan, for the loops below (mode a constant after inlining). t9 = t + 9 * 2^16 (ig_dsp_exp2_t9);
 * the clamped form saturates t9 at 2^23 - 1, where e is 0 as it is for every larger t. */
IG_DSP_INLINE uint32_t sm_e(int32_t x, int32_t mxa, int32_t mx, const ig_sm_plan_t *p, int32_t mode) {
  if (mode == SM_HR) return ig_dsp_exp2_t9((uint32_t)(IG_DSP_T9 - ig_smmulr(ig_shl32(x, p->ms.a) - mxa, p->ms.m)));
  if (mode == SM_HR_CLAMP)
    return ig_dsp_exp2_t9(ig_usat23(IG_DSP_T9 - ig_smmulr(ig_shl32(x, p->ms.a) - mxa, p->ms.m)));
  if (mode == SM_FLOOR)
    return ig_dsp_exp2_t9((uint32_t)(IG_DSP_T9 - ((ig_smmul(x - mx, p->ms.m) + p->ms.c) >> p->ms.k)));
  return ig_sm_e(x - mx, p);
}

IG_DSP_INLINE void sm_rows(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal,
                           const ig_sm_plan_t *plan, int32_t mode, void *y, int32_t yb) {
  uint32_t ebuf[IG_SOFTMAX_EBUF];
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      int32_t base = (g * t + i) * s;
      int32_t valid = ig_valid_keys(causal, s, t, i);
      const int16_t *x16 = (const int16_t *)x + base;
      const int8_t *x8 = (const int8_t *)x + base;
      int32_t mx = valid ? sm_row_max(xb == 2 ? (const void *)x16 : (const void *)x8, xb, valid) : 0;
      int32_t mxa = mode == SM_HR || mode == SM_HR_CLAMP ? (int32_t)((uint32_t)mx << plan->ms.a) : 0;
      int32_t nbuf = valid < IG_SOFTMAX_EBUF ? valid : IG_SOFTMAX_EBUF;
      uint32_t sum32 = 0;
      uint64_t sum = 0;
      int32_t j = 0;
#define SM_X(k) (xb == 2 ? (int32_t)x16[k] : (int32_t)x8[k])
      if (xb == 2) {
        uint32_t *eb = ebuf, *ee = ebuf + nbuf;
        for (const int16_t *xp = x16; eb < ee; xp++) {
          uint32_t e = sm_e(*xp, mxa, mx, plan, mode);
          *eb++ = e;
          sum32 += e;
        }
      } else {
        uint32_t *eb = ebuf, *ee = ebuf + nbuf;
        for (const int8_t *xp = x8; eb < ee; xp++) {
          uint32_t e = sm_e(*xp, mxa, mx, plan, mode);
          *eb++ = e;
          sum32 += e;
        }
      }
      sum = sum32;
      for (j = nbuf; j < valid; j++) sum += sm_e(SM_X(j), mxa, mx, plan, mode);
      uint64_t r = sum ? (1ull << 52) / sum : 0;
      /* r = 2^32 only when sum = 2^20: then every e is 0 or 2^20, and 2^32 - 1 gives the same p for both */
      uint32_t r32 = r >> 32 ? 0xffffffffu : (uint32_t)r;
      if (yb == 2) {
        int16_t *yr = (int16_t *)y + base;
        for (j = 0; j + 2 <= nbuf; j += 2) {
          uint32_t p0 = ig_usat15_asr5(ig_umulh(ebuf[j], r32) + 16);
          uint32_t p1 = ig_usat15_asr5(ig_umulh(ebuf[j + 1], r32) + 16);
          yr[j] = (int16_t)p0;
          yr[j + 1] = (int16_t)p1;
        }
        for (; j < valid; j++)
          yr[j] = (int16_t)ig_usat15_asr5(ig_umulh(j < nbuf ? ebuf[j] : sm_e(SM_X(j), mxa, mx, plan, mode), r32) + 16);
        for (j = valid; j < s; j++) yr[j] = 0;
      } else {
        int8_t *yr = (int8_t *)y + base;
        for (j = 0; j < valid; j++)
          yr[j] = (int8_t)((int32_t)ig_usat8_asr12(
                               ig_umulh(j < nbuf ? ebuf[j] : sm_e(SM_X(j), mxa, mx, plan, mode), r32) + 2048) - 128);
        for (j = valid; j < s; j++) yr[j] = -128;
      }
#undef SM_X
    }
  }
}

IG_DSP_INLINE void sm_body(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal,
                           int32_t in_mult, int32_t in_shift, void *y, int32_t yb) {
  ig_sm_plan_t p = ig_sm_plan(in_mult, in_shift, xb == 1 ? 255 : 65535);
  if (p.clamp_d || p.ms.mode == IG_MS_WIDE)
    sm_rows(x, xb, groups, t, s, causal, &p, SM_GENERIC, y, yb);
  else if (p.ms.mode == IG_MS_FLOOR)
    sm_rows(x, xb, groups, t, s, causal, &p, SM_FLOOR, y, yb);
  else if (p.clamp_t)
    sm_rows(x, xb, groups, t, s, causal, &p, SM_HR_CLAMP, y, yb);
  else
    sm_rows(x, xb, groups, t, s, causal, &p, SM_HR, y, yb);
}

#define IG_ENTRIES_SOFTMAX
#include "ig_entry_points.h"
