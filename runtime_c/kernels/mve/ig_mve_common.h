/* Shared pieces of the Helium (MVE) kernels for Armv8.1-M (Cortex-M55): dot products of an int8 activation vector
 * with int8 rows or int4 row pairs (VLDRB + VMLADAVA, 16 MACs per instruction), whole vectors in the loop and the
 * last K % 16 columns in one tail-predicated step (VCTP + zeroing loads): no scalar tail loop. */
#ifndef IG_MVE_COMMON_H
#define IG_MVE_COMMON_H
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "ig_fixedpoint.h"

#define IG_INLINE static inline __attribute__((always_inline))

/* acc[r] += sum_{k < len} x[k] * rows[r][k] for four int8 rows (row r at w + r * stride): whole vectors first (no
 * predicate to set up in the loop, post-incremented loads interleaved with the MACs), then one tail-predicated step. */
IG_INLINE void ig_mve_dot4_s8(const int8_t *x, const int8_t *w, int32_t stride, int32_t len, int32_t acc[4]) {
  const int8_t *w0 = w, *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t k = 0;
  for (; k + 16 <= len; k += 16) {
    int8x16_t xv = vld1q_s8(x + k);
    a0 = vmladavaq_s8(a0, xv, vld1q_s8(w0 + k));
    a1 = vmladavaq_s8(a1, xv, vld1q_s8(w1 + k));
    a2 = vmladavaq_s8(a2, xv, vld1q_s8(w2 + k));
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

/* Two rows packed as int4 pairs (ig_kernels.h): byte k holds row 2p in its high nibble (signed) and row 2p+1 in
 * its low nibble (biased by 8). hi += x . row(2p), lo += x . row(2p+1) over len columns. In the predicated tail,
 * zeroed lanes unpack to 0 and -8 and meet zeroed activations, so they add nothing. */
IG_INLINE void ig_mve_pair_w4(int8x16_t xv, int8x16_t b, int32_t *a0, int32_t *a1) {
  *a0 = vmladavaq_s8(*a0, xv, vshrq_n_s8(b, 4));
  *a1 = vmladavaq_s8(*a1, xv, vsubq_n_s8(vandq_s8(b, vdupq_n_s8(15)), 8));
}

IG_INLINE void ig_mve_dot_pair_w4(const int8_t *x, const int8_t *pairs, int32_t len, int32_t *hi, int32_t *lo) {
  int32_t a0 = *hi, a1 = *lo, k = 0;
  for (; k + 16 <= len; k += 16) ig_mve_pair_w4(vld1q_s8(x + k), vld1q_s8(pairs + k), &a0, &a1);
  if (k < len) {
    mve_pred16_t p = vctp8q((uint32_t)(len - k));
    ig_mve_pair_w4(vldrbq_z_s8(x + k, p), vldrbq_z_s8(pairs + k, p), &a0, &a1);
  }
  *hi = a0; *lo = a1;
}

/* The arguments every fully connected entry point shares, and their names passed on to a kernel body. */
#define IG_FC_ARGS                                                                                                 \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t k_dim, \
      int32_t n_dim, int32_t y_zp, int32_t act_min, int32_t act_max
#define IG_FC_PASS x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max
#define IG_FC_GROUPED_ARGS                                                                                          \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t, const int32_t *mult,        \
      const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,       \
      int32_t act_max
#define IG_FC_GROUPED_PASS x, w, bias, group_scale_t, mult, shift, k_dim, n_dim, group_size, y_zp, act_min, act_max

#endif
