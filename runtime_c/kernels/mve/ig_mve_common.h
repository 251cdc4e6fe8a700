/* Shared pieces of the Helium (MVE) kernels for Armv8.1-M (Cortex-M55): dot products of an int8 activation vector
 * with int8 rows or int4 row pairs (VLDRB + VMLADAVA, 16 MACs per instruction), whole vectors in the loop and the
 * last K % 16 columns in one tail-predicated step (VCTP + zeroing loads): no scalar tail loop. */
#ifndef IG_MVE_COMMON_H
#define IG_MVE_COMMON_H
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "ig_fixedpoint.h"
#include "ig_kernels.h"

#define IG_INLINE static inline __attribute__((always_inline))
/* A compiler barrier: gcc 12 otherwise hoists all loads of a step above all its MACs, and a dual-beat core overlaps
 * a load only with an instruction on another unit (Cortex-M55 Software Optimization Guide: interleave them). */
#define IG_MVE_ORDER() __asm__ volatile("" ::: "memory")

/* acc[r] += sum_{k < len} x[k] * rows[r][k] for four int8 rows (row r at w + r * stride): whole vectors first (no
 * predicate to set up in the loop, post-incremented loads interleaved with the MACs), then one tail-predicated step. */
IG_INLINE void ig_mve_dot4_s8(const int8_t *x, const int8_t *w, int32_t stride, int32_t len, int32_t acc[4]) {
  const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t k = 0;
  for (; k + 16 <= len; k += 16) { /* each load next to a MAC, so that the two overlap (IG_MVE_ORDER) */
    int8x16_t xv = vld1q_s8(x + k);
    a0 = vmladavaq_s8(a0, xv, vld1q_s8(w0 + k));
    IG_MVE_ORDER();
    a1 = vmladavaq_s8(a1, xv, vld1q_s8(w1 + k));
    IG_MVE_ORDER();
    a2 = vmladavaq_s8(a2, xv, vld1q_s8(w2 + k));
    IG_MVE_ORDER();
    a3 = vmladavaq_s8(a3, xv, vld1q_s8(w3 + k));
  }
  if (k < len) { /* inactive lanes load as zero and add nothing */
    mve_pred16_t p = vctp8q((uint32_t)(len - k));
    int8x16_t xv = vldrbq_z_s8(x + k, p);
    a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0 + k, p));
    a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1 + k, p));
    a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2 + k, p));
    a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3 + k, p));
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

/* acc + sum_{k < len} x[k] * row[k] for one int8 row. */
IG_INLINE int32_t ig_mve_dot1_s8(const int8_t *x, const int8_t *row, int32_t len, int32_t acc) {
  int32_t k = 0;
  for (; k + 16 <= len; k += 16) acc = vmladavaq_s8(acc, vld1q_s8(x + k), vld1q_s8(row + k));
  if (k < len) {
    mve_pred16_t p = vctp8q((uint32_t)(len - k));
    acc = vmladavaq_s8(acc, vldrbq_z_s8(x + k, p), vldrbq_z_s8(row + k, p));
  }
  return acc;
}

/* sum_{k < len} x[k] (VADDVA), the last len % 16 in one tail-predicated step. */
IG_INLINE int32_t ig_mve_sum_s8(const int8_t *x, int32_t len) {
  int32_t s = 0, k = 0;
  for (; k + 16 <= len; k += 16) s = vaddvaq_s8(s, vld1q_s8(x + k));
  if (k < len) s = vaddvaq_s8(s, vldrbq_z_s8(x + k, vctp8q((uint32_t)(len - k))));
  return s;
}

/* int4 row pairs (ig_kernels.h): byte k holds row 2p in its high nibble (signed) and row 2p+1 in its low nibble,
 * biased by 8. The high row is VSHR #4; for the low one the kernels take the unbiased nibble (VAND #15) and
 * subtract 8 sum x once afterwards (sum x (l - 8) = sum x l - 8 sum x, exact in wrapping int32): two vector ALU
 * operations per 32 weights. acc[2j] += x . hi(pair j), acc[2j + 1] += x . lo_unbiased(pair j) for `pairs` pairs
 * at p + j * stride; zeroed tail lanes add nothing to either. */
IG_INLINE void ig_mve_pairs_step(int8x16_t xv, int8x16_t b, int32_t *hi, int32_t *lo) {
  *hi = vmladavaq_s8(*hi, xv, vshrq_n_s8(b, 4));
  *lo = vmladavaq_s8(*lo, xv, vandq_s8(b, vdupq_n_s8(15)));
}

IG_INLINE void ig_mve_dot_pairs_w4(const int8_t *x, const int8_t *p, int32_t stride, int32_t len, int32_t pairs,
                                   int32_t acc[4]) {
  const int8_t *p1 = p + stride;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], k = 0;
  for (; k + 16 <= len; k += 16) {
    int8x16_t xv = vld1q_s8(x + k);
    ig_mve_pairs_step(xv, vld1q_s8(p + k), &a0, &a1);
    IG_MVE_ORDER();
    if (pairs == 2) ig_mve_pairs_step(xv, vld1q_s8(p1 + k), &a2, &a3);
  }
  if (k < len) {
    mve_pred16_t m = vctp8q((uint32_t)(len - k));
    int8x16_t xv = vldrbq_z_s8(x + k, m);
    ig_mve_pairs_step(xv, vldrbq_z_s8(p + k, m), &a0, &a1);
    if (pairs == 2) ig_mve_pairs_step(xv, vldrbq_z_s8(p1 + k, m), &a2, &a3);
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

#endif
