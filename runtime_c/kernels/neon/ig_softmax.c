/* softmax for AArch64 NEON: the portable algorithm of kernels/scalar/ig_softmax.c, four int32 lanes at a time.
 *  - the row maximum with SMAX over 8 (16) lanes and one SMAXV;
 *  - y = mul_rshr(x - mx, in_mult, in_shift) as SQRDMULH((x - mx) << a, in_mult << b) where that fits the whole
 *    range of x - mx (in_shift <= 31), else SMULL + SRSHL + SQXTN (exact for any multiplier, saturated);
 *  - exp2: three SQRDMULH + ADD Horner steps and one URSHL by -(10 + z) (ig_neon_exp2_t), t clamped by one SMIN
 *    when it can pass IG_EXP2_T_MAX;
 *  - e kept in a stack buffer for the first IG_SOFTMAX_EBUF elements of a row (recomputed beyond), summed in
 *    four uint32 lanes;
 *  - p: UMULL high words (UZP2), URSHR #5 (#12), UMIN, narrowing stores; r = 2^32 is taken as 2^32 - 1 (sum =
 *    2^20: every e is 0 or 2^20, same p).
 * Row tails (s % 8) use the portable per-element form (ig_sm_e). */
#include "ig_attention.h"
#include "ig_neon_ops.h"
#include "ig_ops.h"

#ifndef IG_SOFTMAX_EBUF
#define IG_SOFTMAX_EBUF 256
#endif

enum { SM_HR = 0, SM_HR_CLAMP = 1, SM_WIDE = 2 };

IG_NI int32_t sm_row_max(const void *x, int32_t xb, int32_t n) {
  int32_t j = 0, mx = INT32_MIN;
  if (xb == 2) {
    const int16_t *p = (const int16_t *)x;
    if (n >= 8) {
      int16x8_t m = vld1q_s16(p);
      for (j = 8; j + 8 <= n; j += 8) m = vmaxq_s16(m, vld1q_s16(p + j));
      mx = vmaxvq_s16(m);
    }
    for (; j < n; j++)
      if (p[j] > mx) mx = p[j];
  } else {
    const int8_t *p = (const int8_t *)x;
    if (n >= 16) {
      int8x16_t m = vld1q_s8(p);
      for (j = 16; j + 16 <= n; j += 16) m = vmaxq_s8(m, vld1q_s8(p + j));
      mx = vmaxvq_s8(m);
    }
    for (; j < n; j++)
      if (p[j] > mx) mx = p[j];
  }
  return mx;
}

/* e of eight elements x[j..j+8) */
IG_NI void sm_e8(const void *x, int32_t xb, int32_t j, int32x4_t mxv, ig_neon_ms31_t ms, int64x2_t neg_s,
                 int32_t m0, int32_t mode, uint32x4_t *e0, uint32x4_t *e1) {
  int32x4_t a, b;
  ig_neon_load8(x, j, xb, &a, &b);
  a = vsubq_s32(a, mxv); /* d = x - mx <= 0 */
  b = vsubq_s32(b, mxv);
  int32x4_t ya, yb;
  if (mode == SM_WIDE) {
    ya = ig_neon_mul_rshr_sat(a, m0, neg_s);
    yb = ig_neon_mul_rshr_sat(b, m0, neg_s);
  } else {
    int32x4_t sa = vdupq_n_s32(ms.a), mv = vdupq_n_s32(ms.m);
    ya = vqrdmulhq_s32(vshlq_s32(a, sa), mv);
    yb = vqrdmulhq_s32(vshlq_s32(b, sa), mv);
  }
  int32x4_t ta = vqnegq_s32(ya), tb = vqnegq_s32(yb);
  if (mode != SM_HR) {
    ta = vminq_s32(ta, vdupq_n_s32(IG_EXP2_T_MAX));
    tb = vminq_s32(tb, vdupq_n_s32(IG_EXP2_T_MAX));
  }
  *e0 = ig_neon_exp2_t(ta);
  *e1 = ig_neon_exp2_t(tb);
}

IG_NI void sm_rows(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal,
                   const ig_sm_plan_t *plan, ig_neon_ms31_t ms, int32_t mode, void *y, int32_t yb) {
  uint32_t ebuf[IG_SOFTMAX_EBUF] __attribute__((aligned(16)));
  int64x2_t neg_s = vdupq_n_s64(-(int64_t)plan->ms.s0);
  int32_t m0 = plan->ms.m0;
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      int32_t base = (g * t + i) * s;
      int32_t valid = ig_valid_keys(causal, s, t, i);
      const void *xr = (const char *)x + (size_t)base * (size_t)xb;
      int32_t mx = valid ? sm_row_max(xr, xb, valid) : 0;
      int32x4_t mxv = vdupq_n_s32(mx);
      int32_t nbuf = valid < IG_SOFTMAX_EBUF ? valid : IG_SOFTMAX_EBUF;
      uint32x4_t acc = vdupq_n_u32(0);
      int32_t j = 0;
      for (; j + 8 <= nbuf; j += 8) {
        uint32x4_t e0, e1;
        sm_e8(xr, xb, j, mxv, ms, neg_s, m0, mode, &e0, &e1);
        vst1q_u32(ebuf + j, e0);
        vst1q_u32(ebuf + j + 4, e1);
        acc = vaddq_u32(acc, vaddq_u32(e0, e1));
      }
      uint64_t sum = vaddlvq_u32(acc);
      for (; j < nbuf; j++) {
        uint32_t e = ig_sm_e(ig_load(xr, j, xb) - mx, plan);
        ebuf[j] = e;
        sum += e;
      }
      uint64x2_t acc64 = vdupq_n_u64(0);
      for (; j + 8 <= valid; j += 8) {
        uint32x4_t e0, e1;
        sm_e8(xr, xb, j, mxv, ms, neg_s, m0, mode, &e0, &e1);
        acc64 = vpadalq_u32(acc64, vaddq_u32(e0, e1));
      }
      sum += vaddvq_u64(acc64);
      for (; j < valid; j++) sum += ig_sm_e(ig_load(xr, j, xb) - mx, plan);
      uint64_t r = sum ? (1ull << 52) / sum : 0;
      uint32_t r32 = r >> 32 ? 0xffffffffu : (uint32_t)r;
      uint32x2_t rv = vdup_n_u32(r32);
      for (j = 0; j + 8 <= valid; j += 8) {
        uint32x4_t e0, e1;
        if (j + 8 <= nbuf) {
          e0 = vld1q_u32(ebuf + j);
          e1 = vld1q_u32(ebuf + j + 4);
        } else {
          sm_e8(xr, xb, j, mxv, ms, neg_s, m0, mode, &e0, &e1);
        }
        /* high words of e r: floor(e r / 2^32) */
        uint32x4_t h0 = vuzp2q_u32(vreinterpretq_u32_u64(vmull_u32(vget_low_u32(e0), rv)),
                                   vreinterpretq_u32_u64(vmull_high_u32(e0, vcombine_u32(rv, rv))));
        uint32x4_t h1 = vuzp2q_u32(vreinterpretq_u32_u64(vmull_u32(vget_low_u32(e1), rv)),
                                   vreinterpretq_u32_u64(vmull_high_u32(e1, vcombine_u32(rv, rv))));
        if (yb == 2) {
          uint32x4_t p0 = vminq_u32(vrshrq_n_u32(h0, 5), vdupq_n_u32(32767));
          uint32x4_t p1 = vminq_u32(vrshrq_n_u32(h1, 5), vdupq_n_u32(32767));
          vst1q_s16((int16_t *)y + base + j, vreinterpretq_s16_u16(vcombine_u16(vmovn_u32(p0), vmovn_u32(p1))));
        } else {
          uint32x4_t p0 = vminq_u32(vrshrq_n_u32(h0, 12), vdupq_n_u32(255));
          uint32x4_t p1 = vminq_u32(vrshrq_n_u32(h1, 12), vdupq_n_u32(255));
          uint8x8_t u = vmovn_u16(vcombine_u16(vmovn_u32(p0), vmovn_u32(p1)));
          vst1_s8((int8_t *)y + base + j, vreinterpret_s8_u8(veor_u8(u, vdup_n_u8(0x80)))); /* - 128 */
        }
      }
      for (; j < valid; j++) {
        uint32_t e = j < nbuf ? ebuf[j] : ig_sm_e(ig_load(xr, j, xb) - mx, plan);
        uint32_t hi = (uint32_t)(((uint64_t)e * r32) >> 32);
        if (yb == 2) {
          uint32_t q = (hi + 16) >> 5;
          ((int16_t *)y)[base + j] = (int16_t)(q > 32767 ? 32767 : q);
        } else {
          uint32_t q = (hi + 2048) >> 12;
          ((int8_t *)y)[base + j] = (int8_t)((int32_t)(q > 255 ? 255 : q) - 128);
        }
      }
      for (j = valid; j < s; j++) ig_store(y, base + j, yb == 2 ? 0 : -128, yb);
    }
  }
}

IG_NI void sm_body(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal, int32_t in_mult,
                   int32_t in_shift, void *y, int32_t yb) {
  int32_t vmax = xb == 1 ? 255 : 65535;
  ig_sm_plan_t p = ig_sm_plan(in_mult, in_shift, vmax);
  ig_neon_ms31_t ms = ig_neon_ms31(in_mult, in_shift, (uint32_t)vmax);
  if (!ms.ok)
    sm_rows(x, xb, groups, t, s, causal, &p, ms, SM_WIDE, y, yb);
  else if (ig_sm_t64(-vmax, in_mult, in_shift) > IG_EXP2_T_MAX)
    sm_rows(x, xb, groups, t, s, causal, &p, ms, SM_HR_CLAMP, y, yb);
  else
    sm_rows(x, xb, groups, t, s, causal, &p, ms, SM_HR, y, yb);
}

#define IG_ENTRIES_SOFTMAX
#include "ig_entry_points.h"
