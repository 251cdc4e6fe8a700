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

/* Every helper is inlined into each entry point (the bodies are shared by the int8 / int16 / int32 variants): the
 * code stays that of one caller, and instruction counts are attributed to the kernel's own function. */
#define IG_INLINE static inline __attribute__((always_inline))

/* acc += 4-way dot products of int8 lanes; products of weights in [-127, 127] (the IR's int8 range). */
IG_INLINE int32x4_t ig_dot16(int32x4_t acc, int8x16_t w, int8x16_t x) {
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
IG_INLINE int32x4_t ig_dot16_full(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, x);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(x)));
  return vpadalq_s16(acc, vmull_high_s8(w, x));
#endif
}

/* [sum0, sum1, sum2, sum3] of four lane accumulators. */
IG_INLINE int32x4_t ig_reduce4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

/* The part of ig_dot4rows_s8 below 64 bytes: adds the dot products of x[k..k1) with four int8 rows to the lane
 * accumulators a0-a3 (16 bytes at a time, then one at a time) and returns [sum0, sum1, sum2, sum3]. Called alone
 * for the K mod 64 tails, where the 64-byte loop never runs (less code in each entry point). */
IG_INLINE int32x4_t ig_dot4rows_rest(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                     const int8_t *w3, int32_t k, int32_t k1, int32x4_t a0, int32x4_t a1,
                                     int32x4_t a2, int32x4_t a3) {
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

/* Dot products of x[k0..k1) with four int8 rows. */
IG_INLINE int32x4_t ig_dot4rows_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
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
  return ig_dot4rows_rest(x, w0, w1, w2, w3, k, k1, a0, a1, a2, a3);
}

/* Dot products of x[0..k_dim) with eight consecutive int8 rows (row r at w + r * k_dim; weights in [-127, 127]
 * as ig_dot16): lo = rows 0-3, hi = rows 4-7. Eight rows share each 64-byte load of x and halve the per-row
 * reduction and requantization overhead of the four-row version. The 64-byte steps are written in assembly
 * because the compiler turns the nine walking pointers into one index plus an address add per load (LD1 of four
 * registers has no register-offset form); here each load post-increments. Per 512 MACs: 9 loads, 2 loop
 * instructions and 32 SDOT (dotprod) or 32 x SMULL + SMLAL2 + SADALP (ARMv8.0). */
/* acc += the dot products of one row's 64 bytes (v<w>..v<w+3>) with x (v24-v27). ARMv8.0: the four SMULL, then
 * the four SMLAL2, then the four SADALP (int16 products in v28-v31), so that no instruction waits on the one
 * before it on an in-order core. */
#if defined(__ARM_FEATURE_DOTPROD)
#define IG_ROW64(acc, w0, w1, w2, w3)                                                                       \
  "sdot v" acc ".4s, v" w0 ".16b, v24.16b\n\t" "sdot v" acc ".4s, v" w1 ".16b, v25.16b\n\t"                 \
  "sdot v" acc ".4s, v" w2 ".16b, v26.16b\n\t" "sdot v" acc ".4s, v" w3 ".16b, v27.16b\n\t"
#else
#define IG_ROW64(acc, w0, w1, w2, w3)                                                                       \
  "smull v28.8h, v" w0 ".8b, v24.8b\n\t" "smull v29.8h, v" w1 ".8b, v25.8b\n\t"                             \
  "smull v30.8h, v" w2 ".8b, v26.8b\n\t" "smull v31.8h, v" w3 ".8b, v27.8b\n\t"                             \
  "smlal2 v28.8h, v" w0 ".16b, v24.16b\n\t" "smlal2 v29.8h, v" w1 ".16b, v25.16b\n\t"                       \
  "smlal2 v30.8h, v" w2 ".16b, v26.16b\n\t" "smlal2 v31.8h, v" w3 ".16b, v27.16b\n\t"                       \
  "sadalp v" acc ".4s, v28.8h\n\t" "sadalp v" acc ".4s, v29.8h\n\t"                                          \
  "sadalp v" acc ".4s, v30.8h\n\t" "sadalp v" acc ".4s, v31.8h\n\t"
#endif
IG_INLINE void ig_dot8rows_s8(const int8_t *x, const int8_t *w, int32_t k_dim, const int32_t *bias, int32x4_t *lo,
                              int32x4_t *hi) {
  const size_t kd = (size_t)k_dim;
  int32x4_t s0, s1;
  int32_t k = 0;
  if (k_dim >= 64) {
    const int8_t *xp = x, *q0 = w, *q1, *q2, *q3, *q4, *q5, *q6, *q7;
    int64_t iters = k_dim >> 6;
    k = (int32_t)(iters << 6);
    /* accumulators v0-v7 (row r in v<r>, started at [bias[r], 0, 0, 0]: LDR S zeroes the other lanes), x in
     * v24-v27, rows alternately in v16-v19 and v20-v23, int16 products (ARMv8.0) in v28-v31; the row pointers
     * are formed here, so the caller keeps only w */
    __asm__ volatile(
        "ldr s0, [%[b]]\n\t" "ldr s1, [%[b], #4]\n\t" "ldr s2, [%[b], #8]\n\t" "ldr s3, [%[b], #12]\n\t"
        "ldr s4, [%[b], #16]\n\t" "ldr s5, [%[b], #20]\n\t" "ldr s6, [%[b], #24]\n\t" "ldr s7, [%[b], #28]\n\t"
        "add %[q1], %[q0], %[kd]\n\t" "add %[q2], %[q1], %[kd]\n\t" "add %[q3], %[q2], %[kd]\n\t"
        "add %[q4], %[q3], %[kd]\n\t" "add %[q5], %[q4], %[kd]\n\t" "add %[q6], %[q5], %[kd]\n\t"
        "add %[q7], %[q6], %[kd]\n\t"
        "1:\n\t"
        "ld1 {v24.16b - v27.16b}, [%[xp]], #64\n\t"
        "ld1 {v16.16b - v19.16b}, [%[q0]], #64\n\t"
        "ld1 {v20.16b - v23.16b}, [%[q1]], #64\n\t"
        IG_ROW64("0", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q2]], #64\n\t"
        IG_ROW64("1", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q3]], #64\n\t"
        IG_ROW64("2", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q4]], #64\n\t"
        IG_ROW64("3", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q5]], #64\n\t"
        IG_ROW64("4", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q6]], #64\n\t"
        IG_ROW64("5", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q7]], #64\n\t"
        IG_ROW64("6", "16", "17", "18", "19")
        "subs %[n], %[n], #1\n\t"
        IG_ROW64("7", "20", "21", "22", "23")
        "b.ne 1b\n\t"
        /* [row 0, row 1, row 2, row 3] and [row 4, ..., row 7] */
        "addp v0.4s, v0.4s, v1.4s\n\t" "addp v2.4s, v2.4s, v3.4s\n\t" "addp %[s0].4s, v0.4s, v2.4s\n\t"
        "addp v4.4s, v4.4s, v5.4s\n\t" "addp v6.4s, v6.4s, v7.4s\n\t" "addp %[s1].4s, v4.4s, v6.4s\n\t"
        : [xp] "+r"(xp), [q0] "+r"(q0), [q1] "=&r"(q1), [q2] "=&r"(q2), [q3] "=&r"(q3), [q4] "=&r"(q4),
          [q5] "=&r"(q5), [q6] "=&r"(q6), [q7] "=&r"(q7), [n] "+r"(iters), [s0] "=w"(s0), [s1] "=w"(s1)
        : [b] "r"(bias), [kd] "r"(kd)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
          "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  } else {
    s0 = vld1q_s32(bias);
    s1 = vld1q_s32(bias + 4);
  }
  if (k < k_dim) { /* the last K mod 64: 16 at a time, then one at a time */
    const int32x4_t z = vdupq_n_s32(0);
    s0 = vaddq_s32(s0, ig_dot4rows_rest(x, w, w + kd, w + 2 * kd, w + 3 * kd, k, k_dim, z, z, z, z));
    s1 = vaddq_s32(s1, ig_dot4rows_rest(x, w + 4 * kd, w + 5 * kd, w + 6 * kd, w + 7 * kd, k, k_dim, z, z, z, z));
  }
  *lo = s0;
  *hi = s1;
}
#undef IG_ROW64

/* One row's 64 bytes (v<w0>..v<w3>) against x in v0-v3 into v<acc>, for ig_dot16rows_s8: as IG_ROW64, the
 * ARMv8.0 int16 products in the registers of the results s0-s3 (written only after the loop). */
#if defined(__ARM_FEATURE_DOTPROD)
#define IG_ROW64_16(acc, w0, w1, w2, w3)                                                                    \
  "sdot v" acc ".4s, v" w0 ".16b, v0.16b\n\t" "sdot v" acc ".4s, v" w1 ".16b, v1.16b\n\t"                   \
  "sdot v" acc ".4s, v" w2 ".16b, v2.16b\n\t" "sdot v" acc ".4s, v" w3 ".16b, v3.16b\n\t"
#else
#define IG_ROW64_16(acc, w0, w1, w2, w3)                                                                    \
  "smull %[s0].8h, v" w0 ".8b, v0.8b\n\t" "smull %[s1].8h, v" w1 ".8b, v1.8b\n\t"                           \
  "smull %[s2].8h, v" w2 ".8b, v2.8b\n\t" "smull %[s3].8h, v" w3 ".8b, v3.8b\n\t"                           \
  "smlal2 %[s0].8h, v" w0 ".16b, v0.16b\n\t" "smlal2 %[s1].8h, v" w1 ".16b, v1.16b\n\t"                     \
  "smlal2 %[s2].8h, v" w2 ".16b, v2.16b\n\t" "smlal2 %[s3].8h, v" w3 ".16b, v3.16b\n\t"                     \
  "sadalp v" acc ".4s, %[s0].8h\n\t" "sadalp v" acc ".4s, %[s1].8h\n\t"                                      \
  "sadalp v" acc ".4s, %[s2].8h\n\t" "sadalp v" acc ".4s, %[s3].8h\n\t"
#endif
/* Row r's 64 bytes into v4-v7 (even r) or v8-v11 (odd r), then the pointer moves down one row. */
#define IG_LD_A "ld1 {v4.16b - v7.16b}, [%[q]], %[kd]\n\t"
#define IG_LD_B "ld1 {v8.16b - v11.16b}, [%[q]], %[kd]\n\t"
#define IG_ROW_A(acc) IG_ROW64_16(acc, "4", "5", "6", "7")
#define IG_ROW_B(acc) IG_ROW64_16(acc, "8", "9", "10", "11")

/* bias[0..16) plus the dot products of x[0..k_dim) with sixteen consecutive int8 rows (row r at w + r * k_dim):
 * r<i> = rows 4i..4i+3. Sixteen rows share each 64-byte load of x; one pointer walks down the rows (LD1 with a
 * register post-increment) and steps back up and right once per 64 bytes. Per 1024 MACs: 17 loads, 3 loop
 * instructions and 64 SDOT (dotprod) or 64 x SMULL + SMLAL2 + SADALP (ARMv8.0); per row, about half the
 * reduction, bias and pointer overhead of ig_dot8rows_s8. */
IG_INLINE void ig_dot16rows_s8(const int8_t *x, const int8_t *w, int32_t k_dim, const int32_t *bias,
                               int32x4_t *r0, int32x4_t *r1, int32x4_t *r2, int32x4_t *r3) {
  const size_t kd = (size_t)k_dim;
  int32x4_t s0, s1, s2, s3;
  int32_t k = 0;
  if (k_dim >= 64) {
    const int8_t *xp = x, *q = w;
    const size_t back = 16 * kd - 64; /* from row 16 of one 64-byte column to row 0 of the next */
    int64_t iters = k_dim >> 6;
    k = (int32_t)(iters << 6);
    /* accumulators v16-v31 (row r in v<16 + r>, started at [bias[r], 0, 0, 0]), x in v0-v3, rows alternately
     * in v4-v7 and v8-v11, int16 products (ARMv8.0) in the result registers */
    __asm__ volatile(
        "ldr s16, [%[b]]\n\t" "ldr s17, [%[b], #4]\n\t" "ldr s18, [%[b], #8]\n\t" "ldr s19, [%[b], #12]\n\t"
        "ldr s20, [%[b], #16]\n\t" "ldr s21, [%[b], #20]\n\t" "ldr s22, [%[b], #24]\n\t" "ldr s23, [%[b], #28]\n\t"
        "ldr s24, [%[b], #32]\n\t" "ldr s25, [%[b], #36]\n\t" "ldr s26, [%[b], #40]\n\t" "ldr s27, [%[b], #44]\n\t"
        "ldr s28, [%[b], #48]\n\t" "ldr s29, [%[b], #52]\n\t" "ldr s30, [%[b], #56]\n\t" "ldr s31, [%[b], #60]\n\t"
        "1:\n\t"
        "ld1 {v0.16b - v3.16b}, [%[xp]], #64\n\t"
        IG_LD_A IG_LD_B
        IG_ROW_A("16") IG_LD_A IG_ROW_B("17") IG_LD_B
        IG_ROW_A("18") IG_LD_A IG_ROW_B("19") IG_LD_B
        IG_ROW_A("20") IG_LD_A IG_ROW_B("21") IG_LD_B
        IG_ROW_A("22") IG_LD_A IG_ROW_B("23") IG_LD_B
        IG_ROW_A("24") IG_LD_A IG_ROW_B("25") IG_LD_B
        IG_ROW_A("26") IG_LD_A IG_ROW_B("27") IG_LD_B
        IG_ROW_A("28") IG_LD_A IG_ROW_B("29") IG_LD_B
        "sub %[q], %[q], %[back]\n\t"
        IG_ROW_A("30")
        "subs %[n], %[n], #1\n\t"
        IG_ROW_B("31")
        "b.ne 1b\n\t"
        "addp v16.4s, v16.4s, v17.4s\n\t" "addp v18.4s, v18.4s, v19.4s\n\t" "addp %[s0].4s, v16.4s, v18.4s\n\t"
        "addp v20.4s, v20.4s, v21.4s\n\t" "addp v22.4s, v22.4s, v23.4s\n\t" "addp %[s1].4s, v20.4s, v22.4s\n\t"
        "addp v24.4s, v24.4s, v25.4s\n\t" "addp v26.4s, v26.4s, v27.4s\n\t" "addp %[s2].4s, v24.4s, v26.4s\n\t"
        "addp v28.4s, v28.4s, v29.4s\n\t" "addp v30.4s, v30.4s, v31.4s\n\t" "addp %[s3].4s, v28.4s, v30.4s\n\t"
        : [xp] "+r"(xp), [q] "+r"(q), [n] "+r"(iters), [s0] "=&w"(s0), [s1] "=&w"(s1), [s2] "=&w"(s2),
          [s3] "=&w"(s3)
        : [b] "r"(bias), [kd] "r"(kd), [back] "r"(back)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16", "v17", "v18", "v19",
          "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  } else {
    s0 = vld1q_s32(bias);
    s1 = vld1q_s32(bias + 4);
    s2 = vld1q_s32(bias + 8);
    s3 = vld1q_s32(bias + 12);
  }
  if (k < k_dim) { /* the last K mod 64: 16 at a time, then one at a time */
    const int32x4_t z = vdupq_n_s32(0);
    const int8_t *r = w;
    s0 = vaddq_s32(s0, ig_dot4rows_rest(x, r, r + kd, r + 2 * kd, r + 3 * kd, k, k_dim, z, z, z, z));
    r += 4 * kd;
    s1 = vaddq_s32(s1, ig_dot4rows_rest(x, r, r + kd, r + 2 * kd, r + 3 * kd, k, k_dim, z, z, z, z));
    r += 4 * kd;
    s2 = vaddq_s32(s2, ig_dot4rows_rest(x, r, r + kd, r + 2 * kd, r + 3 * kd, k, k_dim, z, z, z, z));
    r += 4 * kd;
    s3 = vaddq_s32(s3, ig_dot4rows_rest(x, r, r + kd, r + 2 * kd, r + 3 * kd, k, k_dim, z, z, z, z));
  }
  *r0 = s0; *r1 = s1; *r2 = s2; *r3 = s3;
}
#undef IG_ROW_A
#undef IG_ROW_B
#undef IG_LD_A
#undef IG_LD_B
#undef IG_ROW64_16

/* sum of x[k0..k1) */
IG_INLINE int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  int32_t s = 0, k = k0;
  for (; k + 16 <= k1; k += 16) s += vaddlvq_s8(vld1q_s8(x + k));
  for (; k < k1; k++) s += x[k];
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

/* The output stage of four accumulators (ig_output_i32, vectorized): requantize, add y_zp saturating (as the
 * definition's int64 sum then the clamp: act_min / act_max lie inside int32), clamp to [act_min, act_max]. */
IG_INLINE int32x4_t ig_requant4(int32x4_t acc, int32x4_t m, int32x4_t sh, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  int32x4_t zero = vdupq_n_s32(0);
  int32x4_t right = vminq_s32(sh, zero); /* -(right shift) */
  int32x4_t v = vshlq_s32(acc, vmaxq_s32(sh, zero)); /* wrapping left shift, as the reference */
  v = vqrdmulhq_s32(v, m);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)); /* -1 for negative values when shifting right */
  v = vrshlq_s32(v, right);
  v = vqaddq_s32(v, vdupq_n_s32(y_zp));
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* Element n of an int8 / int16 / int32 output array (out_bytes 1, 2 or 4, a constant after inlining). */
IG_INLINE void *ig_out_at(void *y, int32_t n, int32_t out_bytes) {
  return (char *)y + (size_t)n * (size_t)out_bytes;
}

/* Requantizes four accumulators and stores the first `count` outputs as int8, int16 or int32 (out_bytes 1, 2, 4:
 * a constant after inlining, so each entry point has only its own store). The clamped values lie inside the
 * output type: the narrowing is exact (int16: SQXTN, int8: two XTN). */
IG_INLINE void ig_output4(int32x4_t acc, const int32_t *mult, const int32_t *shift,
                                                             int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                                                             int32_t count, int32_t out_bytes) {
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
  int32x4_t v = ig_requant4(acc, m, sh, y_zp, act_min, act_max);
  if (out_bytes == 1) {
    int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
    if (count == 4) {
      vst1_lane_s32((int32_t *)y, vreinterpret_s32_s8(b), 0);
    } else {
      int8_t t[8];
      vst1_s8(t, b);
      for (int32_t i = 0; i < count; i++) ((int8_t *)y)[i] = t[i];
    }
  } else if (out_bytes == 2) {
    int16x4_t h = vqmovn_s32(v);
    if (count == 4) {
      vst1_s16((int16_t *)y, h);
    } else {
      int16_t t[4];
      vst1_s16(t, h);
      for (int32_t i = 0; i < count; i++) ((int16_t *)y)[i] = t[i];
    }
  } else {
    if (count == 4) {
      vst1q_s32((int32_t *)y, v);
    } else {
      int32_t t[4];
      vst1q_s32(t, v);
      for (int32_t i = 0; i < count; i++) ((int32_t *)y)[i] = t[i];
    }
  }
}

/* Requantizes eight accumulators (lo: outputs 0-3, hi: 4-7) and stores them as int8, int16 or int32 (out_bytes
 * 1, 2 or 4): as two ig_output4 with the parameters loaded in pairs and one narrowing chain. */
IG_INLINE void ig_output8(int32x4_t lo, int32x4_t hi, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t out_bytes) {
  int32x4x2_t m = vld1q_s32_x2(mult), sh = vld1q_s32_x2(shift);
  int32x4_t v0 = ig_requant4(lo, m.val[0], sh.val[0], y_zp, act_min, act_max);
  int32x4_t v1 = ig_requant4(hi, m.val[1], sh.val[1], y_zp, act_min, act_max);
  if (out_bytes == 1) {
    vst1_s8((int8_t *)y, vmovn_s16(vcombine_s16(vmovn_s32(v0), vmovn_s32(v1))));
  } else if (out_bytes == 2) {
    vst1q_s16((int16_t *)y, vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)));
  } else {
    int32x4x2_t v = {{v0, v1}};
    vst1q_s32_x2((int32_t *)y, v);
  }
}

/* The int8 output stage (the int8 entry points). */
IG_INLINE void ig_output4_s8(int32x4_t acc, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                                 int32_t act_min, int32_t act_max, int8_t *y, int32_t count) {
  ig_output4(acc, mult, shift, y_zp, act_min, act_max, y, count, 1);
}

/* The arguments every fully connected entry point shares, and their names passed on to a kernel body. */
#define IG_FC_ARGS                                                                                                 \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t k_dim, \
      int32_t n_dim, int32_t y_zp, int32_t act_min, int32_t act_max
#define IG_FC_PASS x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max
#define IG_FC_GROUPED_ARGS                                                                                        \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t, const int32_t *mult,       \
      const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,      \
      int32_t act_max
#define IG_FC_GROUPED_PASS x, w, bias, group_scale_t, mult, shift, k_dim, n_dim, group_size, y_zp, act_min, act_max

/* Loads 4 (or fewer, zero-filled) int32 values. */
IG_INLINE int32x4_t ig_load4_s32(const int32_t *p, int32_t count) {
  if (count == 4) return vld1q_s32(p);
  int32_t t[4] = {0, 0, 0, 0};
  for (int32_t i = 0; i < count; i++) t[i] = p[i];
  return vld1q_s32(t);
}
/* ---------------------------------------------------------------- grouped fully connected, blocked layout
 * The layout codegen/packing.py gives the grouped kernels of this family when group_size is a multiple of 32 and
 * there are at most IG_GROUPED_MAX_GROUPS groups (ig_grouped_blocked; else the row layouts of ig_kernels.h with the
 * scales transposed to [G, N]). Output rows in blocks of 32 (N padded with zero rows to a multiple of 32):
 *   int8 weights: per block, for each column quad q < K/4, the 32 rows' 4 bytes w[r][4q..4q+3] side by side
 *     (128 bytes: 16-byte register j = rows 4j..4j+3, lane i = row 4j+i);
 *   int4 weights: the row pairs of ig_kernels.h (byte 16 w[2p] + w[2p+1] + 8), per block of 16 pairs for each
 *     quad the 16 pairs' 4 bytes side by side (64 bytes: register j = pairs 4j..4j+3).
 * One SDOT by element (x's quad q in lane q % 4 of a 16-byte x register) then adds 16 MACs to four rows' lanes,
 * so a vector holds four rows' partial sums and never needs a horizontal reduction.
 * Scales: the sums are cumulative over the groups (C_g = sum of groups 0..g, never reset), so the accumulator is
 * sum_g d_g C_g with the scale differences d_g = s_g - s_{g+1} (s_G = 0), all modulo 2^32 like the reference:
 *   int8: per block and group, d of the 32 rows (int32);
 *   int4: per block and group, 48 int32: dA (the 16 pairs' even rows), dB (odd rows), 16 dB.
 * The int4 sums, per vector of four pairs: E = x . (b >> 4) (the even rows, exactly) and R = x . b (raw bytes), so
 * the odd rows are R - 16 E - 8 sum(x): A += dA E, B += dB R - 16 dB E - dB (8 C_sx) per group.
 * Bias, multiplier and shift: padded to the 32-row blocks; a row's left shift is already applied to its bias and
 * scales (modulo 2^32, as the reference's shift of the wrapped accumulator), so every shift is <= 0 (a rounding
 * right shift only); int4 blocks keep per 8 rows the even rows first (rows 0, 2, 4, 6, 1, 3, 5, 7: A_j then B_j).
 * Without SDOT (ARMv8.0) the same layout is multiplied by SMULL/SMLAL against x's quad broadcast (DUP), the
 * nibbles split (SSHR / AND), sixteen rows at a time, int16 partial sums added pairwise into int32 (SADALP). */
#define IG_GROUPED_MAX_GROUPS 1024
#define IG_GROUPED_ROWS 32
/* the per-block loops over a block's vectors, fully unrolled so that the vectors stay in registers */
#define IG_UNROLL _Pragma("GCC unroll 8")

/* Whether (k_dim, group_size) has the blocked layout (codegen/packing.py grouped_layout: the same test). */
IG_INLINE int ig_grouped_blocked(int32_t k_dim, int32_t group_size) {
  return group_size % 32 == 0 && k_dim / group_size <= IG_GROUPED_MAX_GROUPS;
}

/* The block output of the grouped kernels' assembly: ig_requant4 for shifts <= 0 (no left shift) on v<v> with the
 * multipliers v<m> and shifts v<s> (temporary v<t>), given y_zp in v28, act_min in v29, act_max in v30; two chains
 * interleaved (an in-order core issues one chain's instruction while the other waits). IG_RQR2_CORE stops before
 * y_zp: the int8 outputs narrow to int16 saturating (SQXTN) and add y_zp / clamp eight at a time in int16, which
 * gives the same bytes while |y_zp| < 2^15 - 128 (a requantized value past int16 stays past the int8 clamp). */
#define IG_RQR2_CORE(v, m, s, t, v2, m2, s2, t2)                                                                    \
  "sqrdmulh v" v ".4s, v" v ".4s, v" m ".4s\n\t" "sqrdmulh v" v2 ".4s, v" v2 ".4s, v" m2 ".4s\n\t"                  \
  "and v" t ".16b, v" v ".16b, v" s ".16b\n\t" "and v" t2 ".16b, v" v2 ".16b, v" s2 ".16b\n\t"                      \
  "sshr v" t ".4s, v" t ".4s, #31\n\t" "sshr v" t2 ".4s, v" t2 ".4s, #31\n\t"                                       \
  "sqadd v" v ".4s, v" v ".4s, v" t ".4s\n\t" "sqadd v" v2 ".4s, v" v2 ".4s, v" t2 ".4s\n\t"                        \
  "srshl v" v ".4s, v" v ".4s, v" s ".4s\n\t" "srshl v" v2 ".4s, v" v2 ".4s, v" s2 ".4s\n\t"
#define IG_RQR2(v, m, s, t, v2, m2, s2, t2)                                                                         \
  IG_RQR2_CORE(v, m, s, t, v2, m2, s2, t2)                                                                          \
  "sqadd v" v ".4s, v" v ".4s, v28.4s\n\t" "sqadd v" v2 ".4s, v" v2 ".4s, v28.4s\n\t"                               \
  "smax v" v ".4s, v" v ".4s, v29.4s\n\t" "smax v" v2 ".4s, v" v2 ".4s, v29.4s\n\t"                                 \
  "smin v" v ".4s, v" v ".4s, v30.4s\n\t" "smin v" v2 ".4s, v" v2 ".4s, v30.4s\n\t"
#define IG_RQ_CONSTANTS "dup v28.4s, %w[zp]\n\t" "dup v29.4s, %w[lo]\n\t" "dup v30.4s, %w[hi]\n\t"
#define IG_RQ_CONSTANTS16 "dup v28.8h, %w[zp]\n\t" "dup v29.8h, %w[lo]\n\t" "dup v30.8h, %w[hi]\n\t"
/* y_zp and the clamp on two int16 vectors (v28-v30 from IG_RQ_CONSTANTS16) */
#define IG_ZPCLAMP16(a, b)                                                                                          \
  "sqadd v" a ".8h, v" a ".8h, v28.8h\n\t" "sqadd v" b ".8h, v" b ".8h, v28.8h\n\t"                                 \
  "smax v" a ".8h, v" a ".8h, v29.8h\n\t" "smax v" b ".8h, v" b ".8h, v29.8h\n\t"                                   \
  "smin v" a ".8h, v" a ".8h, v30.8h\n\t" "smin v" b ".8h, v" b ".8h, v30.8h\n\t"
/* whether IG_RQR2_CORE + IG_ZPCLAMP16 give an int8 output's bytes */
#define IG_ZP16_OK(y_zp) ((y_zp) > -32640 && (y_zp) < 32640)

/* [s0, s0 + s1, s0 + s1 + s2, s0 + ... + s3] + carry */
IG_INLINE int32x4_t ig_prefix4(int32x4_t s, int32x4_t carry) {
  const int32x4_t zero = vdupq_n_s32(0);
  s = vaddq_s32(s, vextq_s32(zero, s, 3));
  s = vaddq_s32(s, vextq_s32(zero, s, 2));
  return vaddq_s32(s, carry);
}

/* csx[g] = 8 * sum of x[0 .. (g + 1) * group_size) (group_size a multiple of 32; once per call). Four groups at a
 * time for groups of up to 256 (int16 sums, exact: |sum| <= 128 * 256), their prefix sums in one vector. */
IG_INLINE void ig_grouped_csx8(const int8_t *x, int32_t group_size, int32_t groups, int32_t *csx) {
  int32_t g = 0;
  int32x4_t carry = vdupq_n_s32(0);
  if (group_size == 32) {
    for (; g + 4 <= groups; g += 4, x += 128) {
      int8x16x4_t a = vld1q_s8_x4(x), b = vld1q_s8_x4(x + 64);
      int16x8_t h0 = vpadalq_s8(vpaddlq_s8(a.val[0]), a.val[1]), h1 = vpadalq_s8(vpaddlq_s8(a.val[2]), a.val[3]);
      int16x8_t h2 = vpadalq_s8(vpaddlq_s8(b.val[0]), b.val[1]), h3 = vpadalq_s8(vpaddlq_s8(b.val[2]), b.val[3]);
      int32x4_t s = ig_prefix4(vpaddlq_s16(vpaddq_s16(vpaddq_s16(h0, h1), vpaddq_s16(h2, h3))), carry);
      carry = vdupq_laneq_s32(s, 3);
      vst1q_s32(csx + g, vshlq_n_s32(s, 3));
    }
  } else if (group_size <= 256) {
    for (; g + 4 <= groups; g += 4, x += 4 * group_size) {
      int16x8_t h[4];
      IG_UNROLL for (int32_t i = 0; i < 4; i++) {
        const int8_t *p = x + i * group_size;
        int8x16x2_t v = vld1q_s8_x2(p);
        h[i] = vpadalq_s8(vpaddlq_s8(v.val[0]), v.val[1]);
        for (int32_t k = 32; k < group_size; k += 32) {
          v = vld1q_s8_x2(p + k);
          h[i] = vpadalq_s8(vpadalq_s8(h[i], v.val[0]), v.val[1]);
        }
      }
      int32x4_t s = ig_prefix4(vpaddlq_s16(vpaddq_s16(vpaddq_s16(h[0], h[1]), vpaddq_s16(h[2], h[3]))), carry);
      carry = vdupq_laneq_s32(s, 3);
      vst1q_s32(csx + g, vshlq_n_s32(s, 3));
    }
  }
  int32_t c = vgetq_lane_s32(carry, 0);
  for (; g < groups; g++, x += group_size) {
    int32x4_t t = vdupq_n_s32(0);
    for (int32_t k = 0; k < group_size; k += 32) {
      int8x16x2_t v = vld1q_s8_x2(x + k);
      t = vpadalq_s16(t, vpadalq_s8(vpaddlq_s8(v.val[0]), v.val[1]));
    }
    c += vaddvq_s32(t);
    csx[g] = (int32_t)((uint32_t)c << 3);
  }
}

/* Requantizes and stores the first `count` outputs of a 32-row block held as eight vectors (rows 4j..4j+3). */
IG_INLINE void ig_grouped_output32(const int32x4_t v[8], const int32_t *mult, const int32_t *shift, int32_t y_zp,
                                   int32_t act_min, int32_t act_max, void *y, int32_t count, int32_t out_bytes) {
  if (count == IG_GROUPED_ROWS) {
    IG_UNROLL for (int32_t j = 0; j < 8; j += 2)
      ig_output8(v[j], v[j + 1], mult + 4 * j, shift + 4 * j, y_zp, act_min, act_max,
                 ig_out_at(y, 4 * j, out_bytes), out_bytes);
    return;
  }
  IG_UNROLL for (int32_t j = 0; j < 8; j++) {
    if (4 * j >= count) break;
    int32_t c = count - 4 * j < 4 ? count - 4 * j : 4;
    ig_output4(v[j], mult + 4 * j, shift + 4 * j, y_zp, act_min, act_max, ig_out_at(y, 4 * j, out_bytes), c,
               out_bytes);
  }
}

/* The same for an int4 block: a[j] / b[j] the even / odd rows of pairs 4j..4j+3, requantized with the block's
 * multipliers and shifts in the same order (mult + 8j: a[j]'s, mult + 8j + 4: b[j]'s), stored in row order. */
IG_INLINE void ig_grouped_output32_pairs(const int32x4_t a[4], const int32x4_t b[4], const int32_t *mult,
                                         const int32_t *shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         void *y, int32_t count, int32_t out_bytes) {
  int32x4_t v[8];
  IG_UNROLL for (int32_t j = 0; j < 4; j++) {
    int32x4_t va = ig_requant4(a[j], vld1q_s32(mult + 8 * j), vld1q_s32(shift + 8 * j), y_zp, act_min, act_max);
    int32x4_t vb = ig_requant4(b[j], vld1q_s32(mult + 8 * j + 4), vld1q_s32(shift + 8 * j + 4), y_zp, act_min,
                               act_max);
    v[2 * j] = vzip1q_s32(va, vb);
    v[2 * j + 1] = vzip2q_s32(va, vb);
  }
  IG_UNROLL for (int32_t j = 0; j < 8; j += 2) { /* the clamped values lie inside the output type */
    if (4 * j >= count) break;
    void *yj = ig_out_at(y, 4 * j, out_bytes);
    if (count - 4 * j >= 8) {
      if (out_bytes == 1) vst1_s8((int8_t *)yj, vmovn_s16(vcombine_s16(vmovn_s32(v[j]), vmovn_s32(v[j + 1]))));
      else if (out_bytes == 2) vst1q_s16((int16_t *)yj, vcombine_s16(vmovn_s32(v[j]), vmovn_s32(v[j + 1])));
      else vst1q_s32_x2((int32_t *)yj, (int32x4x2_t){{v[j], v[j + 1]}});
    } else {
      int32_t t[8];
      vst1q_s32(t, v[j]);
      vst1q_s32(t + 4, v[j + 1]);
      for (int32_t i = 0; i < count - 4 * j; i++) ig_store(yj, i, t[i], out_bytes);
    }
  }
}

#endif
