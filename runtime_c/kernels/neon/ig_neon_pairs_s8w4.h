/* The int4-weight microkernels of the AArch64 NEON fully connected kernels: row pairs of ig_kernels.h against one
 * activation row, decoded from the raw and the masked-high-nibble sums. */
#ifndef IG_NEON_PAIRS_S8W4_H
#define IG_NEON_PAIRS_S8W4_H
#include "ig_neon_common.h"

/* sum of x[k0..k1) */
IG_INLINE int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  int32_t s = 0, k = k0;
  for (; k + 16 <= k1; k += 16) s += vaddlvq_s8(vld1q_s8(x + k));
  for (; k < k1; k++) s += x[k];
  return s;
}

/* s plus the dot products of x[k..k1) with the row pairs p0, p1, one byte at a time (the tail of
 * ig_dot2pairs_s8w4): [row 2p0, row 2p0+1, row 2p1, row 2p1+1]. */
IG_INLINE int32x4_t ig_dot2pairs_tail(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k, int32_t k1,
                                      int32x4_t s) {
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

#if defined(__ARM_FEATURE_DOTPROD)
/* Two int4 row pairs p0, p1 (ig_kernels.h layout) against x[k0..k1): returns the four rows' dot products
 * [row 2p0, row 2p0+1, row 2p1, row 2p1+1], decoded from the raw and the masked-high-nibble sums. */
IG_INLINE int32x4_t ig_dot2pairs_s8w4(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k0,
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
  return ig_dot2pairs_tail(x, p0, p1, k, k1, s);
}
#else
/* Without SDOT (ARMv8.0): the nibbles are split in registers (SSHR #4 gives row 2p signed, AND 0x0F row 2p+1
 * biased by 8) and multiplied with widening SMLAL into int16 lanes, which hold 16 products exactly (|h x| <= 1024,
 * |(l + 8) x| <= 1920), then SADALP into int32 every 8 steps of 16 bytes. Per 64 MACs (two pairs, 16 bytes):
 * 3 loads, 2 SSHR, 2 AND, 8 SMLAL; the raw-and-masked trick of the SDOT path would need 2 widening products and
 * 2 pairwise adds per 16 bytes and pair more. Same contract: returns [row 2p0, row 2p0+1, row 2p1, row 2p1+1]. */
IG_INLINE int32x4_t ig_dot2pairs_s8w4(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k0,
                                          int32_t k1, int32_t sx_main) {
  const int8x16_t lo_mask = vdupq_n_s8(0x0F);
  int32x4_t e0 = vdupq_n_s32(0), o0 = e0, e1 = e0, o1 = e0;
  int32_t k = k0;
  while (k + 16 <= k1) {
    int32_t steps = (k1 - k) >> 4;
    if (steps > 8) steps = 8;
    int16x8_t he0 = vdupq_n_s16(0), lo0 = he0, he1 = he0, lo1 = he0;
    const int8_t *xp = x + k, *q0 = p0 + k, *q1 = p1 + k;
    k += steps << 4;
    do {
      int8x16_t xv = vld1q_s8(xp), b0 = vld1q_s8(q0), b1 = vld1q_s8(q1);
      xp += 16; q0 += 16; q1 += 16;
      int8x16_t h0 = vshrq_n_s8(b0, 4), l0 = vandq_s8(b0, lo_mask);
      int8x16_t h1 = vshrq_n_s8(b1, 4), l1 = vandq_s8(b1, lo_mask);
      he0 = vmlal_s8(he0, vget_low_s8(h0), vget_low_s8(xv)); lo0 = vmlal_s8(lo0, vget_low_s8(l0), vget_low_s8(xv));
      he1 = vmlal_s8(he1, vget_low_s8(h1), vget_low_s8(xv)); lo1 = vmlal_s8(lo1, vget_low_s8(l1), vget_low_s8(xv));
      he0 = vmlal_high_s8(he0, h0, xv); lo0 = vmlal_high_s8(lo0, l0, xv);
      he1 = vmlal_high_s8(he1, h1, xv); lo1 = vmlal_high_s8(lo1, l1, xv);
    } while (--steps);
    e0 = vpadalq_s16(e0, he0); o0 = vpadalq_s16(o0, lo0);
    e1 = vpadalq_s16(e1, he1); o1 = vpadalq_s16(o1, lo1);
  }
  int32x4_t s = ig_reduce4(e0, o0, e1, o1); /* [S_even0, S_odd0 + 8 sx, S_even1, S_odd1 + 8 sx] */
  const int32x4_t bias8 = {0, 8 * sx_main, 0, 8 * sx_main};
  s = vsubq_s32(s, bias8);
  return ig_dot2pairs_tail(x, p0, p1, k, k1, s);
}
#endif

/* [row 2p0, row 2p0+1, row 2p1, row 2p1+1] from [16 S_even0, S_raw0, 16 S_even1, S_raw1] (ig_kernels.h), with
 * sx the sum of the x those sums ran over. */
IG_INLINE int32x4_t ig_decode2pairs(int32x4_t s, int32_t sx) {
  int32x4_t h = vtrn1q_s32(s, s);
  int32x4_t even = vshrq_n_s32(h, 4);
  int32x4_t odd = vsubq_s32(vsubq_s32(s, h), vdupq_n_s32(8 * sx));
  const uint32x4_t even_lanes = {~0u, 0u, ~0u, 0u};
  return vbslq_s32(even_lanes, even, odd);
}

#if defined(__ARM_FEATURE_DOTPROD)
/* Four int4 row pairs (eight rows; pair r at p + r * k_dim) against x[0..k64), k64 = k_dim rounded down to 64,
 * which must be >= 64: lo = the sums [16 S_even, S_raw] of pairs 0 and 1, hi of pairs 2 and 3 (decode with
 * ig_decode2pairs). Assembly for the same reason as ig_dot8rows_s8: per 512 MACs 5 loads, 16 AND, 32 SDOT and
 * 2 loop instructions. */
IG_INLINE void ig_dot4pairs_s8w4(const int8_t *x, const int8_t *p, int32_t k_dim, int32x4_t *lo, int32x4_t *hi) {
  const size_t kd = (size_t)k_dim;
  const int8_t *xp = x, *q0 = p, *q1, *q2, *q3; /* the pair pointers are formed in the assembly */
  int64_t iters = k_dim >> 6;
  int32x4_t s0, s1;
  const int8x16_t mask = vdupq_n_s8((int8_t)0xF0);
  /* v<2r> = masked (16 S_even) and v<2r+1> = raw sums of pair r, x in v24-v27, pairs alternately in v16-v19 and
   * v20-v23, masked bytes in v28-v31 */
  __asm__ volatile(
      "movi v0.4s, #0\n\t" "movi v1.4s, #0\n\t" "movi v2.4s, #0\n\t" "movi v3.4s, #0\n\t"
      "movi v4.4s, #0\n\t" "movi v5.4s, #0\n\t" "movi v6.4s, #0\n\t" "movi v7.4s, #0\n\t"
      "add %[q1], %[q0], %[kd]\n\t" "add %[q2], %[q1], %[kd]\n\t" "add %[q3], %[q2], %[kd]\n\t"
      "1:\n\t"
      "ld1 {v24.16b - v27.16b}, [%[xp]], #64\n\t"
      "ld1 {v16.16b - v19.16b}, [%[q0]], #64\n\t"
      "ld1 {v20.16b - v23.16b}, [%[q1]], #64\n\t"
      "and v28.16b, v16.16b, %[mask].16b\n\t" "and v29.16b, v17.16b, %[mask].16b\n\t"
      "and v30.16b, v18.16b, %[mask].16b\n\t" "and v31.16b, v19.16b, %[mask].16b\n\t"
      "sdot v1.4s, v16.16b, v24.16b\n\t" "sdot v1.4s, v17.16b, v25.16b\n\t"
      "sdot v1.4s, v18.16b, v26.16b\n\t" "sdot v1.4s, v19.16b, v27.16b\n\t"
      "ld1 {v16.16b - v19.16b}, [%[q2]], #64\n\t"
      "sdot v0.4s, v28.16b, v24.16b\n\t" "sdot v0.4s, v29.16b, v25.16b\n\t"
      "sdot v0.4s, v30.16b, v26.16b\n\t" "sdot v0.4s, v31.16b, v27.16b\n\t"
      "and v28.16b, v20.16b, %[mask].16b\n\t" "and v29.16b, v21.16b, %[mask].16b\n\t"
      "and v30.16b, v22.16b, %[mask].16b\n\t" "and v31.16b, v23.16b, %[mask].16b\n\t"
      "sdot v3.4s, v20.16b, v24.16b\n\t" "sdot v3.4s, v21.16b, v25.16b\n\t"
      "sdot v3.4s, v22.16b, v26.16b\n\t" "sdot v3.4s, v23.16b, v27.16b\n\t"
      "ld1 {v20.16b - v23.16b}, [%[q3]], #64\n\t"
      "sdot v2.4s, v28.16b, v24.16b\n\t" "sdot v2.4s, v29.16b, v25.16b\n\t"
      "sdot v2.4s, v30.16b, v26.16b\n\t" "sdot v2.4s, v31.16b, v27.16b\n\t"
      "and v28.16b, v16.16b, %[mask].16b\n\t" "and v29.16b, v17.16b, %[mask].16b\n\t"
      "and v30.16b, v18.16b, %[mask].16b\n\t" "and v31.16b, v19.16b, %[mask].16b\n\t"
      "sdot v5.4s, v16.16b, v24.16b\n\t" "sdot v5.4s, v17.16b, v25.16b\n\t"
      "sdot v5.4s, v18.16b, v26.16b\n\t" "sdot v5.4s, v19.16b, v27.16b\n\t"
      "sdot v4.4s, v28.16b, v24.16b\n\t" "sdot v4.4s, v29.16b, v25.16b\n\t"
      "sdot v4.4s, v30.16b, v26.16b\n\t" "sdot v4.4s, v31.16b, v27.16b\n\t"
      "and v28.16b, v20.16b, %[mask].16b\n\t" "and v29.16b, v21.16b, %[mask].16b\n\t"
      "and v30.16b, v22.16b, %[mask].16b\n\t" "and v31.16b, v23.16b, %[mask].16b\n\t"
      "sdot v7.4s, v20.16b, v24.16b\n\t" "sdot v7.4s, v21.16b, v25.16b\n\t"
      "sdot v7.4s, v22.16b, v26.16b\n\t" "sdot v7.4s, v23.16b, v27.16b\n\t"
      "subs %[n], %[n], #1\n\t"
      "sdot v6.4s, v28.16b, v24.16b\n\t" "sdot v6.4s, v29.16b, v25.16b\n\t"
      "sdot v6.4s, v30.16b, v26.16b\n\t" "sdot v6.4s, v31.16b, v27.16b\n\t"
      "b.ne 1b\n\t"
      "addp v0.4s, v0.4s, v1.4s\n\t" "addp v2.4s, v2.4s, v3.4s\n\t" "addp %[s0].4s, v0.4s, v2.4s\n\t"
      "addp v4.4s, v4.4s, v5.4s\n\t" "addp v6.4s, v6.4s, v7.4s\n\t" "addp %[s1].4s, v4.4s, v6.4s\n\t"
      : [xp] "+r"(xp), [q0] "+r"(q0), [q1] "=&r"(q1), [q2] "=&r"(q2), [q3] "=&r"(q3), [n] "+r"(iters),
        [s0] "=w"(s0), [s1] "=w"(s1)
      : [mask] "w"(mask), [kd] "r"(kd)
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
        "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  *lo = s0;
  *hi = s1;
}
#define IG_NEON_HAVE_DOT4PAIRS 1
#endif

#if defined(__ARM_FEATURE_DOTPROD)
/* One pair's 64 bytes, loaded into v4-v7: the raw sums into v<raw>, the bytes masked to their high nibble (v8-v11)
 * into v<hi>; x in v0-v3. The next pair's load is issued before the masked SDOTs. */
#define IG_PAIR64_RAW(raw)                                                                                  \
  "and v8.16b, v4.16b, v12.16b\n\t" "and v9.16b, v5.16b, v12.16b\n\t"                                        \
  "and v10.16b, v6.16b, v12.16b\n\t" "and v11.16b, v7.16b, v12.16b\n\t"                                      \
  "sdot v" raw ".4s, v4.16b, v0.16b\n\t" "sdot v" raw ".4s, v5.16b, v1.16b\n\t"                              \
  "sdot v" raw ".4s, v6.16b, v2.16b\n\t" "sdot v" raw ".4s, v7.16b, v3.16b\n\t"
#define IG_PAIR64_HI(hi)                                                                                    \
  "sdot v" hi ".4s, v8.16b, v0.16b\n\t" "sdot v" hi ".4s, v9.16b, v1.16b\n\t"                                \
  "sdot v" hi ".4s, v10.16b, v2.16b\n\t" "sdot v" hi ".4s, v11.16b, v3.16b\n\t"
#define IG_LD_PAIR "ld1 {v4.16b - v7.16b}, [%[q]], %[kd]\n\t"
#define IG_PAIR64(hi, raw) IG_PAIR64_RAW(raw) IG_LD_PAIR IG_PAIR64_HI(hi)

/* Eight int4 row pairs (sixteen rows; pair r at p + r * k_dim) against x[0..k64), k64 = k_dim rounded down to 64
 * (>= 64), sx64 = sum of x[0..k64): the sixteen rows' dot products, r<i> = rows 4i..4i+3. As ig_dot16rows_s8,
 * one pointer walks down the pairs. The raw sums start at -8 sx64 (FMOV from a general register zeroes the other
 * lanes), so decoding is S_even = S_hi >> 4, S_odd = S_raw - S_hi, eight rows at a time (UZP / ZIP). Per 1024
 * MACs: 9 loads, 32 AND, 64 SDOT, 3 loop instructions. */
IG_INLINE void ig_dot8pairs_s8w4(const int8_t *x, const int8_t *p, int32_t k_dim, int32_t sx64, int32x4_t *r0,
                                  int32x4_t *r1, int32x4_t *r2, int32x4_t *r3) {
  const size_t kd = (size_t)k_dim;
  const int8_t *xp = x, *q = p;
  const size_t back = 8 * kd - 64;
  const int32_t m8sx = (int32_t)(0u - ((uint32_t)sx64 << 3));
  int64_t iters = k_dim >> 6;
  /* the results are v0-v3, which hold x in the loop */
  register int32x4_t s0 __asm__("v0"), s1 __asm__("v1"), s2 __asm__("v2"), s3 __asm__("v3");
  /* v<16 + 2r> = masked (16 S_even), v<17 + 2r> = raw sums of pair r; the mask 0xF0 in v12 */
  __asm__ volatile(
      "movi v16.4s, #0\n\t" "fmov s17, %w[c]\n\t" "movi v18.4s, #0\n\t" "fmov s19, %w[c]\n\t"
      "movi v20.4s, #0\n\t" "fmov s21, %w[c]\n\t" "movi v22.4s, #0\n\t" "fmov s23, %w[c]\n\t"
      "movi v24.4s, #0\n\t" "fmov s25, %w[c]\n\t" "movi v26.4s, #0\n\t" "fmov s27, %w[c]\n\t"
      "movi v28.4s, #0\n\t" "fmov s29, %w[c]\n\t" "movi v30.4s, #0\n\t" "fmov s31, %w[c]\n\t"
      "movi v12.16b, #0xf0\n\t"
      "1:\n\t"
      "ld1 {v0.16b - v3.16b}, [%[xp]], #64\n\t"
      IG_LD_PAIR
      IG_PAIR64("16", "17") IG_PAIR64("18", "19") IG_PAIR64("20", "21") IG_PAIR64("22", "23")
      IG_PAIR64("24", "25") IG_PAIR64("26", "27") IG_PAIR64("28", "29")
      IG_PAIR64_RAW("31")
      "sub %[q], %[q], %[back]\n\t"
      "subs %[n], %[n], #1\n\t"
      IG_PAIR64_HI("30")
      "b.ne 1b\n\t"
      /* [S_hi, S_raw] of pairs 0-1, 2-3, 4-5, 6-7 */
      "addp v16.4s, v16.4s, v17.4s\n\t" "addp v18.4s, v18.4s, v19.4s\n\t" "addp v16.4s, v16.4s, v18.4s\n\t"
      "addp v20.4s, v20.4s, v21.4s\n\t" "addp v22.4s, v22.4s, v23.4s\n\t" "addp v20.4s, v20.4s, v22.4s\n\t"
      "addp v24.4s, v24.4s, v25.4s\n\t" "addp v26.4s, v26.4s, v27.4s\n\t" "addp v24.4s, v24.4s, v26.4s\n\t"
      "addp v28.4s, v28.4s, v29.4s\n\t" "addp v30.4s, v30.4s, v31.4s\n\t" "addp v28.4s, v28.4s, v30.4s\n\t"
      /* S_hi of pairs 0-3 in v4, S_raw in v5 (pairs 4-7: v6, v7); then even rows v4, odd rows v5 */
      "uzp1 v4.4s, v16.4s, v20.4s\n\t" "uzp2 v5.4s, v16.4s, v20.4s\n\t"
      "uzp1 v6.4s, v24.4s, v28.4s\n\t" "uzp2 v7.4s, v24.4s, v28.4s\n\t"
      "sub v5.4s, v5.4s, v4.4s\n\t" "sshr v4.4s, v4.4s, #4\n\t"
      "sub v7.4s, v7.4s, v6.4s\n\t" "sshr v6.4s, v6.4s, #4\n\t"
      "zip1 %[s0].4s, v4.4s, v5.4s\n\t" "zip2 %[s1].4s, v4.4s, v5.4s\n\t"
      "zip1 %[s2].4s, v6.4s, v7.4s\n\t" "zip2 %[s3].4s, v6.4s, v7.4s\n\t"
      : [xp] "+r"(xp), [q] "+r"(q), [n] "+r"(iters), [s0] "=w"(s0), [s1] "=w"(s1), [s2] "=w"(s2), [s3] "=w"(s3)
      : [kd] "r"(kd), [back] "r"(back), [c] "r"(m8sx)
      : "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
        "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  *r0 = s0; *r1 = s1; *r2 = s2; *r3 = s3;
}
#undef IG_PAIR64
#undef IG_PAIR64_RAW
#undef IG_PAIR64_HI
#undef IG_LD_PAIR
#endif

#if !defined(__ARM_FEATURE_DOTPROD)
/* One int4 row pair's 32 bytes against x in v24/v25 (ARMv8.0): the nibbles split in registers (SSHR #4: row 2p
 * signed; AND 0x0F: row 2p+1 biased by 8, mask in %[mask]), widening SMULL/SMLAL into the int16 lanes v<he> / v<lw>.
 * The pair's bytes are in v<b0>, v<b1> (loaded ahead); FIRST starts the int16 sums (SMULL), else they accumulate. */
#define IG_PAIR32(he, lw, b0, b1, mul)                                                                              \
  "and v28.16b, v" b0 ".16b, %[mask].16b\n\t" "and v29.16b, v" b1 ".16b, %[mask].16b\n\t"                          \
  "sshr v" b0 ".16b, v" b0 ".16b, #4\n\t" "sshr v" b1 ".16b, v" b1 ".16b, #4\n\t"                                   \
  mul " v" he ".8h, v" b0 ".8b, v24.8b\n\t" mul " v" lw ".8h, v28.8b, v24.8b\n\t"                                   \
  "smlal2 v" he ".8h, v" b0 ".16b, v24.16b\n\t" "smlal2 v" lw ".8h, v28.16b, v24.16b\n\t"                           \
  "smlal v" he ".8h, v" b1 ".8b, v25.8b\n\t" "smlal v" lw ".8h, v29.8b, v25.8b\n\t"                                 \
  "smlal2 v" he ".8h, v" b1 ".16b, v25.16b\n\t" "smlal2 v" lw ".8h, v29.16b, v25.16b\n\t"
/* One 32-byte step of four pairs: x, then each pair's bytes loaded one pair ahead of its arithmetic. */
#define IG_STEP32(mul)                                                                                              \
  "ld1 {v24.16b, v25.16b}, [%[xp]], #32\n\t"                                                                        \
  "ld1 {v26.16b, v27.16b}, [%[q0]], #32\n\t"                                                                        \
  "ld1 {v30.16b, v31.16b}, [%[q1]], #32\n\t"                                                                        \
  IG_PAIR32("16", "17", "26", "27", mul)                                                                            \
  "ld1 {v26.16b, v27.16b}, [%[q2]], #32\n\t"                                                                        \
  IG_PAIR32("18", "19", "30", "31", mul)                                                                            \
  "ld1 {v30.16b, v31.16b}, [%[q3]], #32\n\t"                                                                        \
  IG_PAIR32("20", "21", "26", "27", mul)                                                                            \
  IG_PAIR32("22", "23", "30", "31", mul)

/* ARMv8.0: four int4 row pairs (eight rows; pair r at p + r * k_dim) against x[0..k32), k32 = k_dim rounded down
 * to 32, which must be >= 32: lo = the dot products of rows 0-3, hi = rows 4-7 (sx32 = sum of x[0..k32)). Per
 * 256 MACs (32 bytes of four pairs): 5 loads, 8 SSHR, 8 AND, 32 SMULL/SMLAL, 2 loop instructions; the int16 lanes
 * hold 16 products exactly (|h x| <= 1024, |(l + 8) x| <= 1920), so every 4 steps they are added into int32
 * (SADALP) and restarted by SMULL. Assembly for the same reason as ig_dot8rows_s8 (post-incremented loads). */
IG_INLINE void ig_dot4pairs_nibbles(const int8_t *x, const int8_t *p, int32_t k_dim, int32_t sx32, int32x4_t *lo,
                                    int32x4_t *hi) {
  const size_t kd = (size_t)k_dim;
  const int8_t *xp = x, *q0 = p, *q1 = p + kd, *q2 = p + 2 * kd, *q3 = p + 3 * kd;
  int64_t left = k_dim >> 5, blk;
  int32x4_t s0, s1;
  const int8x16_t mask = vdupq_n_s8(0x0F);
  /* int32 sums v0-v7 (v<2r> row 2r, v<2r+1> row 2r+1 + 8 sx), int16 sums v16-v23 in the same order */
  __asm__ volatile(
      "movi v0.4s, #0\n\t" "movi v1.4s, #0\n\t" "movi v2.4s, #0\n\t" "movi v3.4s, #0\n\t"
      "movi v4.4s, #0\n\t" "movi v5.4s, #0\n\t" "movi v6.4s, #0\n\t" "movi v7.4s, #0\n\t"
      "1:\n\t"
      IG_STEP32("smull")
      "sub %[left], %[left], #1\n\t"
      "mov %[blk], #3\n\t"
      "cmp %[left], #3\n\t"
      "csel %[blk], %[left], %[blk], lt\n\t"
      "sub %[left], %[left], %[blk]\n\t"
      "cbz %[blk], 3f\n\t"
      "2:\n\t"
      IG_STEP32("smlal")
      "subs %[blk], %[blk], #1\n\t"
      "b.ne 2b\n\t"
      "3:\n\t"
      "sadalp v0.4s, v16.8h\n\t" "sadalp v1.4s, v17.8h\n\t" "sadalp v2.4s, v18.8h\n\t" "sadalp v3.4s, v19.8h\n\t"
      "sadalp v4.4s, v20.8h\n\t" "sadalp v5.4s, v21.8h\n\t" "sadalp v6.4s, v22.8h\n\t" "sadalp v7.4s, v23.8h\n\t"
      "cbnz %[left], 1b\n\t"
      "addp v0.4s, v0.4s, v1.4s\n\t" "addp v2.4s, v2.4s, v3.4s\n\t" "addp %[s0].4s, v0.4s, v2.4s\n\t"
      "addp v4.4s, v4.4s, v5.4s\n\t" "addp v6.4s, v6.4s, v7.4s\n\t" "addp %[s1].4s, v4.4s, v6.4s\n\t"
      : [xp] "+r"(xp), [q0] "+r"(q0), [q1] "+r"(q1), [q2] "+r"(q2), [q3] "+r"(q3), [left] "+r"(left),
        [blk] "=&r"(blk), [s0] "=w"(s0), [s1] "=w"(s1)
      : [mask] "w"(mask)
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
        "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  const int32x4_t bias8 = {0, 8 * sx32, 0, 8 * sx32};
  *lo = vsubq_s32(s0, bias8);
  *hi = vsubq_s32(s1, bias8);
}
#undef IG_STEP32
#undef IG_PAIR32
#define IG_NEON_HAVE_DOT4PAIRS_NIBBLES 1
#endif

#endif
