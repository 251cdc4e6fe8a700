/* The int8-weight microkernels of the AArch64 NEON fully connected kernels: 4, 8 and 16 output rows against one
 * activation row (ig_neon_common.h: SDOT or SMULL / SADALP). ig_dot4rows_s8 reads row-major rows (the grouped
 * kernels' row layout); ig_dot16rows_s8, ig_dot8rows_s8 and ig_dot4rows_blk read the per-channel kernel's blocks
 * (codegen/packing.py interleave_row_chunks): a block of h rows holds per 64 columns the h rows' 64 bytes side by
 * side, then the K mod 64 tail of each row (row r at r * (K mod 64)), so a layer is read in one stream. */
#ifndef IG_NEON_ROWS_S8_H
#define IG_NEON_ROWS_S8_H
#include "ig_neon_common.h"

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

/* The K mod 64 tail of a block of h rows (block at w; rows r > h - 1 repeat row h - 1) added to s: the rows' tails
 * lie side by side after the block's 64-column chunks. */
IG_INLINE int32x4_t ig_block_tail4(const int8_t *x, const int8_t *w, int32_t k_dim, int32_t h, int32_t r0,
                                   int32x4_t s) {
  const int32_t kmain = k_dim & ~63, t = k_dim - kmain;
  if (!t) return s;
  /* row r's tail at w + h * kmain + r * t, indexed from kmain as ig_dot4rows_rest indexes */
  const int8_t *b = w + (size_t)h * (size_t)kmain - kmain;
  const int32_t last = h - 1, r1 = r0 + 1 < last ? r0 + 1 : last, r2 = r0 + 2 < last ? r0 + 2 : last,
                r3 = r0 + 3 < last ? r0 + 3 : last;
  const int32x4_t z = vdupq_n_s32(0);
  return vaddq_s32(s, ig_dot4rows_rest(x, b + r0 * t, b + r1 * t, b + r2 * t, b + r3 * t, kmain, k_dim, z, z, z, z));
}

/* Dot products of x[0..k_dim) with a block of h <= 4 rows (rows h.. repeat row h - 1; their lanes are not
 * stored): per 64 columns the h rows' 64 bytes, one pointer each walking h * 64 bytes a step. */
IG_INLINE int32x4_t ig_dot4rows_blk(const int8_t *x, const int8_t *w, int32_t k_dim, int32_t h) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  const size_t step = (size_t)h * 64;
  const int8_t *xp = x, *q0 = w, *q1 = h > 1 ? q0 + 64 : q0, *q2 = h > 2 ? q1 + 64 : q1, *q3 = h > 3 ? q2 + 64 : q2;
  for (int32_t iters = k_dim >> 6; iters > 0; iters--) {
    int8x16x4_t xv = vld1q_s8_x4(xp); xp += 64;
    int8x16x4_t v0 = vld1q_s8_x4(q0); q0 += step;
    int8x16x4_t v1 = vld1q_s8_x4(q1); q1 += step;
    int8x16x4_t v2 = vld1q_s8_x4(q2); q2 += step;
    int8x16x4_t v3 = vld1q_s8_x4(q3); q3 += step;
    for (int32_t j = 0; j < 4; j++) {
      a0 = ig_dot16(a0, v0.val[j], xv.val[j]); a1 = ig_dot16(a1, v1.val[j], xv.val[j]);
      a2 = ig_dot16(a2, v2.val[j], xv.val[j]); a3 = ig_dot16(a3, v3.val[j], xv.val[j]);
    }
  }
  return ig_block_tail4(x, w, k_dim, h, 0, ig_reduce4(a0, a1, a2, a3));
}

/* Dot products of x[0..k_dim) with a block of eight int8 rows (weights in [-127, 127] as ig_dot16): lo = rows 0-3,
 * hi = rows 4-7. Eight rows share each 64-byte load of x and halve the per-row reduction and requantization
 * overhead of the four-row version. The 64-byte steps are written in assembly so that each load post-increments
 * the one pointer (the block's rows lie one after another per step). Per 512 MACs: 9 loads, 2 loop instructions
 * and 32 SDOT (dotprod) or 32 x SMULL + SMLAL2 + SADALP (ARMv8.0). */
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
  int32x4_t s0, s1;
  if (k_dim >= 64) {
    const int8_t *xp = x, *q = w;
    int64_t iters = k_dim >> 6;
    /* accumulators v0-v7 (row r in v<r>, started at [bias[r], 0, 0, 0]: LDR S zeroes the other lanes), x in
     * v24-v27, rows alternately in v16-v19 and v20-v23, int16 products (ARMv8.0) in v28-v31 */
    __asm__ volatile(
        "ldr s0, [%[b]]\n\t" "ldr s1, [%[b], #4]\n\t" "ldr s2, [%[b], #8]\n\t" "ldr s3, [%[b], #12]\n\t"
        "ldr s4, [%[b], #16]\n\t" "ldr s5, [%[b], #20]\n\t" "ldr s6, [%[b], #24]\n\t" "ldr s7, [%[b], #28]\n\t"
        "1:\n\t"
        "ld1 {v24.16b - v27.16b}, [%[xp]], #64\n\t"
        "ld1 {v16.16b - v19.16b}, [%[q]], #64\n\t"
        "ld1 {v20.16b - v23.16b}, [%[q]], #64\n\t"
        IG_ROW64("0", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q]], #64\n\t"
        IG_ROW64("1", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q]], #64\n\t"
        IG_ROW64("2", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q]], #64\n\t"
        IG_ROW64("3", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q]], #64\n\t"
        IG_ROW64("4", "16", "17", "18", "19")
        "ld1 {v16.16b - v19.16b}, [%[q]], #64\n\t"
        IG_ROW64("5", "20", "21", "22", "23")
        "ld1 {v20.16b - v23.16b}, [%[q]], #64\n\t"
        IG_ROW64("6", "16", "17", "18", "19")
        "subs %[n], %[n], #1\n\t"
        IG_ROW64("7", "20", "21", "22", "23")
        "b.ne 1b\n\t"
        /* [row 0, row 1, row 2, row 3] and [row 4, ..., row 7] */
        "addp v0.4s, v0.4s, v1.4s\n\t" "addp v2.4s, v2.4s, v3.4s\n\t" "addp %[s0].4s, v0.4s, v2.4s\n\t"
        "addp v4.4s, v4.4s, v5.4s\n\t" "addp v6.4s, v6.4s, v7.4s\n\t" "addp %[s1].4s, v4.4s, v6.4s\n\t"
        : [xp] "+r"(xp), [q] "+r"(q), [n] "+r"(iters), [s0] "=w"(s0), [s1] "=w"(s1)
        : [b] "r"(bias)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
          "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  } else {
    s0 = vld1q_s32(bias);
    s1 = vld1q_s32(bias + 4);
  }
  *lo = ig_block_tail4(x, w, k_dim, 8, 0, s0);
  *hi = ig_block_tail4(x, w, k_dim, 8, 4, s1);
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
/* Row r's 64 bytes into v4-v7 (even r) or v8-v11 (odd r): the block's rows lie one after another per step. */
#define IG_LD_A "ld1 {v4.16b - v7.16b}, [%[q]], #64\n\t"
#define IG_LD_B "ld1 {v8.16b - v11.16b}, [%[q]], #64\n\t"
#define IG_ROW_A(acc) IG_ROW64_16(acc, "4", "5", "6", "7")
#define IG_ROW_B(acc) IG_ROW64_16(acc, "8", "9", "10", "11")

/* bias[0..16) plus the dot products of x[0..k_dim) with a block of sixteen int8 rows: r<i> = rows 4i..4i+3.
 * Sixteen rows share each 64-byte load of x; one pointer walks the block (LD1 post-incremented by 64). Per 1024
 * MACs: 17 loads, 2 loop instructions and 64 SDOT (dotprod) or 64 x SMULL + SMLAL2 + SADALP (ARMv8.0); per row,
 * about half the reduction, bias and pointer overhead of ig_dot8rows_s8. */
IG_INLINE void ig_dot16rows_s8(const int8_t *x, const int8_t *w, int32_t k_dim, const int32_t *bias,
                               int32x4_t *r0, int32x4_t *r1, int32x4_t *r2, int32x4_t *r3) {
  int32x4_t s0, s1, s2, s3;
  if (k_dim >= 64) {
    const int8_t *xp = x, *q = w;
    int64_t iters = k_dim >> 6;
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
        : [b] "r"(bias)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16", "v17", "v18", "v19",
          "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
  } else {
    s0 = vld1q_s32(bias);
    s1 = vld1q_s32(bias + 4);
    s2 = vld1q_s32(bias + 8);
    s3 = vld1q_s32(bias + 12);
  }
  /* the last K mod 64: 16 at a time, then one at a time */
  s0 = ig_block_tail4(x, w, k_dim, 16, 0, s0);
  s1 = ig_block_tail4(x, w, k_dim, 16, 4, s1);
  s2 = ig_block_tail4(x, w, k_dim, 16, 8, s2);
  s3 = ig_block_tail4(x, w, k_dim, 16, 12, s3);
  *r0 = s0; *r1 = s1; *r2 = s2; *r3 = s3;
}
#undef IG_ROW_A
#undef IG_ROW_B
#undef IG_LD_A
#undef IG_LD_B
#undef IG_ROW64_16

#endif
