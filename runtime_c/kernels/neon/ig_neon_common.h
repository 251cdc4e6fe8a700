/* Shared inline helpers of the AArch64 NEON kernels. With the dot product extension (__ARM_FEATURE_DOTPROD,
 * ARMv8.2 cores such as Cortex-A55) the MACs are SDOT; without it (ARMv8.0, Cortex-A53) widening SMULL/SMLAL
 * products pairwise-accumulated into int32 (SADALP). Requantization is vectorized with SQRDMULH, which computes
 * exactly TFLite's saturating rounding doubling high multiply, and a rounding shift with the sign fix-up that
 * turns its round-half-up into round-half-away-from-zero (ig_fixedpoint.h is the definition). */
#ifndef IG_NEON_COMMON_H
#define IG_NEON_COMMON_H
#include <arm_neon.h>
#include <stdint.h>

#include "ig_fixedpoint.h"

/* acc += 4-way dot products of int8 lanes; products of weights in [-127, 127] (the IR's int8 range). */
static inline int32x4_t ig_dot16(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, x);
#else
  /* |w| <= 127: two products sum to at most 2 * 128 * 127 < 2^15, so one SMLAL2 into int16 is exact */
  int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
  p = vmlal_high_s8(p, w, x);
  return vpadalq_s16(acc, p);
#endif
}

/* The same for operands over the whole int8 range (the packed int4 bytes): no int16 pair sums. */
static inline int32x4_t ig_dot16_full(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, x);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(x)));
  return vpadalq_s16(acc, vmull_high_s8(w, x));
#endif
}

/* [sum0, sum1, sum2, sum3] of four lane accumulators. */
static inline int32x4_t ig_reduce4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

/* Dot products of x[k0..k1) with four int8 rows. */
static inline int32x4_t ig_dot4rows_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                       const int8_t *w3, int32_t k0, int32_t k1) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  int32_t k = k0;
  if (k + 64 <= k1) {
    /* walking pointers, so the 64-byte loads post-increment (no address arithmetic in the loop) */
    const int8_t *xp = x + k, *q0 = w0 + k, *q1 = w1 + k, *q2 = w2 + k, *q3 = w3 + k;
    int32_t iters = (k1 - k) >> 6;
    k += iters << 6;
    do {
      int8x16x4_t xv = vld1q_s8_x4(xp); xp += 64;
      int8x16x4_t v0 = vld1q_s8_x4(q0); q0 += 64;
      int8x16x4_t v1 = vld1q_s8_x4(q1); q1 += 64;
      int8x16x4_t v2 = vld1q_s8_x4(q2); q2 += 64;
      int8x16x4_t v3 = vld1q_s8_x4(q3); q3 += 64;
      a0 = ig_dot16(a0, v0.val[0], xv.val[0]); a1 = ig_dot16(a1, v1.val[0], xv.val[0]);
      a2 = ig_dot16(a2, v2.val[0], xv.val[0]); a3 = ig_dot16(a3, v3.val[0], xv.val[0]);
      a0 = ig_dot16(a0, v0.val[1], xv.val[1]); a1 = ig_dot16(a1, v1.val[1], xv.val[1]);
      a2 = ig_dot16(a2, v2.val[1], xv.val[1]); a3 = ig_dot16(a3, v3.val[1], xv.val[1]);
      a0 = ig_dot16(a0, v0.val[2], xv.val[2]); a1 = ig_dot16(a1, v1.val[2], xv.val[2]);
      a2 = ig_dot16(a2, v2.val[2], xv.val[2]); a3 = ig_dot16(a3, v3.val[2], xv.val[2]);
      a0 = ig_dot16(a0, v0.val[3], xv.val[3]); a1 = ig_dot16(a1, v1.val[3], xv.val[3]);
      a2 = ig_dot16(a2, v2.val[3], xv.val[3]); a3 = ig_dot16(a3, v3.val[3], xv.val[3]);
    } while (--iters);
  }
  for (; k + 16 <= k1; k += 16) {
    int8x16_t xv = vld1q_s8(x + k);
    a0 = ig_dot16(a0, vld1q_s8(w0 + k), xv); a1 = ig_dot16(a1, vld1q_s8(w1 + k), xv);
    a2 = ig_dot16(a2, vld1q_s8(w2 + k), xv); a3 = ig_dot16(a3, vld1q_s8(w3 + k), xv);
  }
  int32x4_t s = ig_reduce4(a0, a1, a2, a3);
  if (k < k1) {
    int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; k < k1; k++) {
      int32_t xk = x[k];
      t0 += xk * w0[k]; t1 += xk * w1[k]; t2 += xk * w2[k]; t3 += xk * w3[k];
    }
    int32_t t[4] = {t0, t1, t2, t3};
    s = vaddq_s32(s, vld1q_s32(t));
  }
  return s;
}

/* sum of x[k0..k1) */
static inline int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  int32_t s = 0, k = k0;
  for (; k + 16 <= k1; k += 16) s += vaddlvq_s8(vld1q_s8(x + k));
  for (; k < k1; k++) s += x[k];
  return s;
}

/* Two int4 row pairs p0, p1 (ig_kernels.h layout) against x[k0..k1): returns the four rows' dot products
 * [row 2p0, row 2p0+1, row 2p1, row 2p1+1], decoded from the raw and the masked-high-nibble sums. */
static inline int32x4_t ig_dot2pairs_s8w4(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k0,
                                          int32_t k1, int32_t sx_main) {
  /* sx_main: the sum of x over [k0, k0 + 16 * ((k1 - k0) / 16)) (the vector part), precomputed by the caller */
  const int8x16_t hi_mask = vdupq_n_s8((int8_t)0xF0);
  int32x4_t h0 = vdupq_n_s32(0), r0 = h0, h1 = h0, r1 = h0;
  int32_t k = k0;
  if (k + 32 <= k1) {
    const int8_t *xp = x + k, *q0 = p0 + k, *q1 = p1 + k;
    int32_t iters = (k1 - k) >> 5;
    k += iters << 5;
    do {
      int8x16x2_t xv = vld1q_s8_x2(xp); xp += 32;
      int8x16x2_t b0 = vld1q_s8_x2(q0); q0 += 32;
      int8x16x2_t b1 = vld1q_s8_x2(q1); q1 += 32;
      r0 = ig_dot16_full(r0, b0.val[0], xv.val[0]); h0 = ig_dot16_full(h0, vandq_s8(b0.val[0], hi_mask), xv.val[0]);
      r1 = ig_dot16_full(r1, b1.val[0], xv.val[0]); h1 = ig_dot16_full(h1, vandq_s8(b1.val[0], hi_mask), xv.val[0]);
      r0 = ig_dot16_full(r0, b0.val[1], xv.val[1]); h0 = ig_dot16_full(h0, vandq_s8(b0.val[1], hi_mask), xv.val[1]);
      r1 = ig_dot16_full(r1, b1.val[1], xv.val[1]); h1 = ig_dot16_full(h1, vandq_s8(b1.val[1], hi_mask), xv.val[1]);
    } while (--iters);
  }
  for (; k + 16 <= k1; k += 16) {
    int8x16_t xv = vld1q_s8(x + k), b0 = vld1q_s8(p0 + k), b1 = vld1q_s8(p1 + k);
    r0 = ig_dot16_full(r0, b0, xv); h0 = ig_dot16_full(h0, vandq_s8(b0, hi_mask), xv);
    r1 = ig_dot16_full(r1, b1, xv); h1 = ig_dot16_full(h1, vandq_s8(b1, hi_mask), xv);
  }
  int32x4_t s = ig_reduce4(h0, r0, h1, r1); /* [16 S_even0, S_raw0, 16 S_even1, S_raw1] */
  int32_t sx = sx_main; /* the vector part only: the tail below is decoded as it goes */
  int32x4_t h = vtrn1q_s32(s, s);            /* [16 S_even0, 16 S_even0, 16 S_even1, 16 S_even1] */
  int32x4_t even = vshrq_n_s32(h, 4);
  int32x4_t odd = vsubq_s32(vsubq_s32(s, h), vdupq_n_s32(8 * sx));
  const uint32x4_t even_lanes = {~0u, 0u, ~0u, 0u};
  s = vbslq_s32(even_lanes, even, odd);
  if (k < k1) {
    int32_t t[4] = {0, 0, 0, 0};
    for (; k < k1; k++) {
      int32_t xk = x[k], b0 = p0[k], b1 = p1[k];
      t[0] += xk * (b0 >> 4); t[1] += xk * ((b0 & 15) - 8);
      t[2] += xk * (b1 >> 4); t[3] += xk * ((b1 & 15) - 8);
    }
    s = vaddq_s32(s, vld1q_s32(t));
  }
  return s;
}

/* Requantizes four accumulators and stores the first `count` int8 outputs. */
static inline void ig_output4_s8(int32x4_t acc, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                                 int32_t act_min, int32_t act_max, int8_t *y, int32_t count) {
  int32x4_t m, sh;
  if (count == 4) {
    m = vld1q_s32(mult);
    sh = vld1q_s32(shift);
  } else {
    int32_t mt[4] = {0, 0, 0, 0}, st[4] = {0, 0, 0, 0};
    for (int32_t i = 0; i < count; i++) { mt[i] = mult[i]; st[i] = shift[i]; }
    m = vld1q_s32(mt);
    sh = vld1q_s32(st);
  }
  int32x4_t zero = vdupq_n_s32(0);
  int32x4_t right = vminq_s32(sh, zero); /* -(right shift) */
  int32x4_t v = vshlq_s32(acc, vmaxq_s32(sh, zero)); /* wrapping left shift, as the reference */
  v = vqrdmulhq_s32(v, m);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)); /* -1 for negative values when shifting right */
  v = vrshlq_s32(v, right);
  v = vaddq_s32(v, vdupq_n_s32(y_zp));
  v = vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
  int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
  if (count == 4) {
    vst1_lane_s32((int32_t *)(void *)y, vreinterpret_s32_s8(b), 0);
  } else {
    int8_t t[8];
    vst1_s8(t, b);
    for (int32_t i = 0; i < count; i++) y[i] = t[i];
  }
}

/* Loads 4 (or fewer, zero-filled) int32 values. */
static inline int32x4_t ig_load4_s32(const int32_t *p, int32_t count) {
  if (count == 4) return vld1q_s32(p);
  int32_t t[4] = {0, 0, 0, 0};
  for (int32_t i = 0; i < count; i++) t[i] = p[i];
  return vld1q_s32(t);
}
#endif
