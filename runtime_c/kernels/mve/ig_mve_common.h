/* Shared pieces of the Helium (MVE) kernels for Armv8.1-M (Cortex-M55): requantization in lanes, dot products of
 * an int8 activation vector with int8 rows or int4 row pairs (VLDRB + VMLADAV(A), 16 MACs per instruction; whole
 * vectors in the loop and the last K % 16 columns in one tail-predicated step: no scalar tail loop), and the grouped
 * kernels' register-resident group steps (inline assembly where gcc 12 spills or reorders). */
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
/* inline-assembly operands of a reduction's scalar result (even registers only): a new sum, or one accumulated */
#define IG_MVE_SUM_NEW(v) "=&Te"(v)
#define IG_MVE_SUM_ACC(v) "+Te"(v)

/* ig_output_i32 (ig_fixedpoint.h) in four lanes: the wrapping left shift (VSHL), TFLite's doubling high multiply
 * (VQRDMULH: the same rounding and the same one saturating case), its round-half-away-from-zero divide by 2^right
 * (VRSHL rounds halves upward, so negative dividends take 1 off first where right > 0, saturating: INT32_MIN
 * divides exactly), the saturating zero-point add and the clamp. About 12 vector instructions against some 40
 * scalar ones per element. */
IG_INLINE int32x4_t ig_mve_requant4(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  int32x4_t zero = vdupq_n_s32(0), right = vminq_s32(shift, zero); /* -right: the VRSHL shift */
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), mult);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)); /* -1 where v < 0 and right > 0 */
  v = vqaddq_s32(vrshlq_s32(v, right), vdupq_n_s32(y_zp));
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* the active lanes of v (in range) as elements n.. of an int8 / int16 / int32 array */
IG_INLINE void ig_mve_store4(void *y, int32_t n, int32x4_t v, int32_t out_bytes, mve_pred16_t p) {
  if (out_bytes == 1) vstrbq_p_s32((int8_t *)y + n, v, p);
  else if (out_bytes == 2) vstrhq_p_s32((int16_t *)y + n, v, p);
  else vstrwq_p_s32((int32_t *)y + n, v, p);
}

/* four fully connected rows n..n+3: their requantization parameters per row */
IG_INLINE void ig_mve_output4(int32x4_t acc, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                              int32_t act_min, int32_t act_max, void *y, int32_t n, int32_t out_bytes) {
  int32x4_t v = ig_mve_requant4(acc, vld1q_s32(mult + n), vld1q_s32(shift + n), y_zp, act_min, act_max);
  ig_mve_store4(y, n, v, out_bytes, 0xFFFF);
}

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
 * biased by 8. Read as int8 the byte is 16 hi + (l + 8), so x . (l + 8) = x . b - 16 x . hi: per pair and 16
 * columns a VSHR #4 and two VMLADAVA (of the high nibbles and of the bytes as they are), the -16 x . hi once at the
 * end; the kernels take out 8 sum x once per call (sum x (l - 8) = sum x (l + 8) - 8 sum x), exact in wrapping
 * int32. acc[2j] += x . hi(pair j), acc[2j + 1] += x . (lo(pair j) + 8) for `pairs` pairs at p + j * stride;
 * zeroed tail lanes add nothing. */
IG_INLINE void ig_mve_pairs_step(int8x16_t xv, int8x16_t b, int32_t *hi, int32_t *bytes) {
  *bytes = vmladavaq_s8(*bytes, xv, b);
  *hi = vmladavaq_s8(*hi, xv, vshrq_n_s8(b, 4));
}

IG_INLINE void ig_mve_dot_pairs_w4(const int8_t *x, const int8_t *p, int32_t stride, int32_t len, int32_t pairs,
                                   int32_t acc[4]) {
  const int8_t *p1 = p + stride;
  int32_t h0 = 0, b0 = 0, h1 = 0, b1 = 0, k = 0;
  for (; k + 16 <= len; k += 16) {
    int8x16_t xv = vld1q_s8(x + k);
    ig_mve_pairs_step(xv, vld1q_s8(p + k), &h0, &b0);
    IG_MVE_ORDER();
    if (pairs == 2) ig_mve_pairs_step(xv, vld1q_s8(p1 + k), &h1, &b1);
  }
  if (k < len) {
    mve_pred16_t m = vctp8q((uint32_t)(len - k));
    int8x16_t xv = vldrbq_z_s8(x + k, m);
    ig_mve_pairs_step(xv, vldrbq_z_s8(p + k, m), &h0, &b0);
    if (pairs == 2) ig_mve_pairs_step(xv, vldrbq_z_s8(p1 + k, m), &h1, &b1);
  }
  acc[0] = ig_wadd(acc[0], h0);
  acc[1] = ig_wadd(acc[1], ig_wadd(b0, -ig_wmul(h0, 16)));
  acc[2] = ig_wadd(acc[2], h1);
  acc[3] = ig_wadd(acc[3], ig_wadd(b1, -ig_wmul(h1, 16)));
}

/* Grouped int8 (ig_fc_grouped_s8): 16 columns of four int8 rows in inline assembly, each weight load next to a MAC
 * (the core's overlap; gcc 12 hoists the loads and keeps the sums in memory); MLA: VMLADAV starts a group's sums,
 * VMLADAVA accumulates. The reductions write even registers only (constraint Te). */
#define IG_MVE_S8_CHUNK16(MLA)                                                                                  \
  "vldrb.u8 q1, [%[x]], #16\n\tvldrb.u8 q2, [%[w0]], #16\n\t" MLA ".s8 %[s0], q1, q2\n\t"                        \
  "vldrb.u8 q3, [%[w1]], #16\n\t" MLA ".s8 %[s1], q1, q3\n\tvldrb.u8 q2, [%[w2]], #16\n\t" MLA ".s8 %[s2], q1, q2\n\t" \
  "vldrb.u8 q3, [%[w3]], #16\n\t" MLA ".s8 %[s3], q1, q3"
#define IG_MVE_S8_OUTPUTS(S)                                                                                     \
  [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [s0] S(s0), [s1] S(s1), [s2] S(s2),   \
      [s3] S(s3)

/* acc + {s0, s1, s2, s3} * scale[0..3], wrapping int32 (VMOV Qd[2], Qd[0], Rt, Rt2: Rt to lane 0, see below) */
IG_INLINE int32x4_t ig_mve_scale4(int32_t s0, int32_t s1, int32_t s2, int32_t s3, const int32_t *scale,
                                  int32x4_t acc) {
  __asm__ volatile("vldrw.u32 q1, [%[s]]\n\tvmov q3[2], q3[0], %[s0], %[s2]\n\tvmov q3[3], q3[1], %[s1], %[s3]\n\t"
                   "vmul.i32 q3, q3, q1\n\tvadd.i32 %q[acc], %q[acc], q3"
                   : [acc] "+w"(acc)
                   : [s0] "r"(s0), [s1] "r"(s1), [s2] "r"(s2), [s3] "r"(s3), [s] "r"(scale)
                   : "q1", "q3", "memory");
  return acc;
}

/* One group of len columns (a multiple of 16) of four int8 rows, the pointers advanced past it:
 * acc + {x . w0, x . w1, x . w2, x . w3} * scale[0..3]. */
IG_INLINE int32x4_t ig_mve_group16n_s8(const int8_t **xp, const int8_t *w[4], int32_t len, const int32_t *scale,
                                       int32x4_t acc) {
  const int8_t *x = *xp, *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  int32_t s0, s1, s2, s3;
  __asm__ volatile(IG_MVE_S8_CHUNK16("vmladav") : IG_MVE_S8_OUTPUTS(IG_MVE_SUM_NEW) : : "q1", "q2", "q3", "memory");
  for (len -= 16; len > 0; len -= 16)
    __asm__ volatile(IG_MVE_S8_CHUNK16("vmladava") : IG_MVE_S8_OUTPUTS(IG_MVE_SUM_ACC) : : "q1", "q2", "q3", "memory");
  *xp = x;
  w[0] = w0;
  w[1] = w1;
  w[2] = w2;
  w[3] = w3;
  return ig_mve_scale4(s0, s1, s2, s3, scale, acc);
}

/* Grouped int4 (ig_fc_grouped_s8w4): one group of two int4 row pairs (p0: rows 0 and 1, p1: rows 2 and 3) against
 * x. A pair byte b read as int8 is 16 hi + (l + 8), so x . l = x . b - 16 x . hi - 8 sum x: per pair and 16 columns
 * two VMLADAV(A) (the bytes as they are, and their VSHR #4) and one vector ALU operation; exact in wrapping int32.
 * The sums stay in scalar registers, the group's scale step is one vector multiply and add over the four rows.
 *
 * Groups of a multiple of 32 columns: -8 sum x of each group comes from a table made once per call
 * (ig_mve_group_bias8) and starts both x . b sums; 32 columns per inline-assembly chunk, because gcc 12 moves the
 * loads away from the MACs and re-materializes the post-incremented pointers, where here each load sits next to a
 * MAC or ALU operation (the core's overlap). The reductions write even registers only (constraint Te). */
#define IG_MVE_W4_CHUNK32(MLA_H)                                                                                \
  "vldrb.u8 q1, [%[x]], #16\n\tvldrb.u8 q2, [%[p0]], #16\n\tvmladava.s8 %[b0], q1, q2\n\tvshr.s8 q3, q2, #4\n\t"  \
  "vldrb.u8 q4, [%[p1]], #16\n\t" MLA_H ".s8 %[h0], q1, q3\n\tvshr.s8 q5, q4, #4\n\tvmladava.s8 %[b1], q1, q4\n\t" \
  "vldrb.u8 q2, [%[x]], #16\n\t" MLA_H ".s8 %[h1], q1, q5\n\t"                                                   \
  "vldrb.u8 q3, [%[p0]], #16\n\tvmladava.s8 %[b0], q2, q3\n\tvshr.s8 q3, q3, #4\n\t"                           \
  "vldrb.u8 q4, [%[p1]], #16\n\tvmladava.s8 %[h0], q2, q3\n\tvshr.s8 q5, q4, #4\n\t"                           \
  "vmladava.s8 %[b1], q2, q4\n\tvmladava.s8 %[h1], q2, q5"
#define IG_MVE_W4_OUTPUTS(H)                                                                                     \
  [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [h0] H(h0), [b0] "+Te"(b0), [h1] H(h1), [b1] "+Te"(b1)
#define IG_MVE_W4_CLOBBER "q1", "q2", "q3", "q4", "q5", "memory"

typedef struct {
  int32_t h0, b0, h1, b1, sx;
} ig_mve_w4_sums_t;

/* -8 sum x of each group of gs columns (the low nibbles' bias, see above), wrapping int32. */
IG_INLINE void ig_mve_group_bias8(const int8_t *x, int32_t groups, int32_t gs, int32_t *bias8) {
  for (int32_t g = 0; g < groups; g++) {
    int32_t s = 0;
    for (int32_t k = 0; k < gs; k += 16) s = vaddvaq_s8(s, vld1q_s8(x + g * gs + k));
    bias8[g] = -ig_wmul(s, 8);
  }
}

/* acc + {x . hi0, x . lo0, x . hi1, x . lo1} * scale[0..3] (wrapping int32), lo = b - 16 hi (b: its bias in) */
IG_INLINE int32x4_t ig_mve_w4_scale(int32_t h0, int32_t b0, int32_t h1, int32_t b1, const int32_t *scale,
                                    int32x4_t acc) {
  /* VMOV Qd[2], Qd[0], Rt, Rt2: Rt to lane 0, Rt2 to lane 2 (as QEMU runs it; the bit-exact tests check the order) */
  __asm__ volatile("vldrw.u32 q1, [%[s]]\n\tsub %[b0], %[b0], %[h0], lsl #4\n\tsub %[b1], %[b1], %[h1], lsl #4\n\t"
                   "vmov q3[2], q3[0], %[h0], %[h1]\n\tvmov q3[3], q3[1], %[b0], %[b1]\n\t"
                   "vmul.i32 q3, q3, q1\n\tvadd.i32 %q[acc], %q[acc], q3"
                   : [acc] "+w"(acc), [b0] "+r"(b0), [b1] "+r"(b1)
                   : [h0] "r"(h0), [h1] "r"(h1), [s] "r"(scale)
                   : "q1", "q3", "memory");
  return acc;
}

/* One group of len columns (a multiple of 32), bias8: its -8 sum x; the pointers advanced past it. */
IG_INLINE int32x4_t ig_mve_group32n_pairs_w4(const int8_t **xp, const int8_t **p0p, const int8_t **p1p,
                                             int32_t len, int32_t bias8, const int32_t *scale, int32x4_t acc) {
  const int8_t *x = *xp, *p0 = *p0p, *p1 = *p1p;
  int32_t h0, b0 = bias8, h1, b1 = bias8;
  __asm__ volatile(IG_MVE_W4_CHUNK32("vmladav") : IG_MVE_W4_OUTPUTS(IG_MVE_SUM_NEW) : : IG_MVE_W4_CLOBBER);
  for (len -= 32; len > 0; len -= 32)
    __asm__ volatile(IG_MVE_W4_CHUNK32("vmladava") : IG_MVE_W4_OUTPUTS(IG_MVE_SUM_ACC) : : IG_MVE_W4_CLOBBER);
  *xp = x;
  *p0p = p0;
  *p1p = p1;
  return ig_mve_w4_scale(h0, b0, h1, b1, scale, acc);
}

/* One group of 32 columns of two pairs in one piece of assembly, so that the scale load and the table read
 * (post-incremented) fill the gaps between MACs; scale advanced by stride bytes. FIRST reads the group's -8 sum x
 * into b0 from the table; LOAD and MAC are the asymmetric groups' extra load and multiply-accumulate (or nothing). */
#define IG_MVE_W4_G32(FIRST, LOAD, MAC)                                                                         \
  FIRST "vldrb.u8 q1, [%[x]], #16\n\tmov %[b1], %[b0]\n\t"                                                       \
  "vldrb.u8 q2, [%[p0]], #16\n\tvmladava.s8 %[b0], q1, q2\n\tvshr.s8 q3, q2, #4\n\t"                            \
  "vldrb.u8 q4, [%[p1]], #16\n\tvmladav.s8 %[h0], q1, q3\n\tvshr.s8 q5, q4, #4\n\t"                             \
  "vmladava.s8 %[b1], q1, q4\n\tvldrb.u8 q2, [%[x]], #16\n\tvmladav.s8 %[h1], q1, q5\n\t"                        \
  "vldrb.u8 q3, [%[p0]], #16\n\tvmladava.s8 %[b0], q2, q3\n\tvshr.s8 q3, q3, #4\n\t"                            \
  "vldrb.u8 q4, [%[p1]], #16\n\tvmladava.s8 %[h0], q2, q3\n\tvshr.s8 q5, q4, #4\n\t"                            \
  "vmladava.s8 %[b1], q2, q4\n\tvldrw.u32 q1, [%[scale]]\n\tvmladava.s8 %[h1], q2, q5\n\t" LOAD                 \
  "sub %[b0], %[b0], %[h0], lsl #4\n\tadd %[scale], %[scale], %[stride]\n\t"                                     \
  "sub %[b1], %[b1], %[h1], lsl #4\n\t"                                                                          \
  "vmov q3[2], q3[0], %[h0], %[h1]\n\tvmov q3[3], q3[1], %[b0], %[b1]\n\t" MAC                                  \
  "vmul.i32 q3, q3, q1\n\tvadd.i32 %q[acc], %q[acc], q3"
#define IG_MVE_W4_G32_OUTPUTS                                                                                     \
  [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [sums] "+r"(sums), [scale] "+r"(scale), [acc] "+w"(acc),             \
      [h0] "=&Te"(h0), [b0] "=&Te"(b0), [h1] "=&Te"(h1), [b1] "=&Te"(b1)

IG_INLINE int32x4_t ig_mve_group32_pairs_w4(const int8_t **xp, const int8_t **p0p, const int8_t **p1p,
                                            const int32_t **bias8p, const int32_t **scalep, int32_t stride,
                                            int32x4_t acc) {
  const int8_t *x = *xp, *p0 = *p0p, *p1 = *p1p;
  const int32_t *sums = *bias8p, *scale = *scalep;
  int32_t h0, b0, h1, b1;
  __asm__ volatile(IG_MVE_W4_G32("ldr %[b0], [%[sums]], #4\n\t", "", "")
                   : IG_MVE_W4_G32_OUTPUTS
                   : [stride] "r"(stride)
                   : IG_MVE_W4_CLOBBER);
  *xp = x;
  *p0p = p0;
  *p1p = p1;
  *bias8p = sums;
  *scalep = scale;
  return acc;
}

/* The same for asymmetric groups (ig_fc_grouped_asym_s8w4): the table holds (-8 sum x, sum x) per group (one LDRD),
 * the scale stream the four rows' scales then their four group offsets (scale + 16 bytes), and the offset term is
 * one VMLA of the offsets by the group's sum of x. */
IG_INLINE int32x4_t ig_mve_group32_pairs_w4_asym(const int8_t **xp, const int8_t **p0p, const int8_t **p1p,
                                                 const int32_t **sumsp, const int32_t **scalep, int32_t stride,
                                                 int32x4_t acc) {
  const int8_t *x = *xp, *p0 = *p0p, *p1 = *p1p;
  const int32_t *sums = *sumsp, *scale = *scalep;
  int32_t h0, b0, h1, b1, sx;
  __asm__ volatile(IG_MVE_W4_G32("ldrd %[b0], %[sx], [%[sums]], #8\n\t", "vldrw.u32 q6, [%[scale], #16]\n\t",
                                 "vmla.s32 %q[acc], q6, %[sx]\n\t")
                   : IG_MVE_W4_G32_OUTPUTS, [sx] "=&r"(sx)
                   : [stride] "r"(stride)
                   : IG_MVE_W4_CLOBBER, "q6");
  *xp = x;
  *p0p = p0;
  *p1p = p1;
  *sumsp = sums;
  *scalep = scale;
  return acc;
}
#undef IG_MVE_W4_G32
#undef IG_MVE_W4_G32_OUTPUTS

/* The same for any group length, 16 columns per tail-predicated step (inactive lanes load as zero, add nothing). */
IG_INLINE int32x4_t ig_mve_group_pairs_w4(const int8_t **x, const int8_t **p0, const int8_t **p1, int32_t len,
                                          const int32_t *scale, int32x4_t acc) {
  ig_mve_w4_sums_t s = {0, 0, 0, 0, 0};
  for (; len > 0; len -= 16) {
    mve_pred16_t m = vctp8q((uint32_t)len);
    int8x16_t xv = vldrbq_z_s8(*x, m), w0 = vldrbq_z_s8(*p0, m), w1 = vldrbq_z_s8(*p1, m);
    int32_t step = len < 16 ? len : 16;
    *x += step;
    *p0 += step;
    *p1 += step;
    s.b0 = vmladavaq_s8(s.b0, xv, w0);
    s.h0 = vmladavaq_s8(s.h0, xv, vshrq_n_s8(w0, 4));
    s.b1 = vmladavaq_s8(s.b1, xv, w1);
    s.h1 = vmladavaq_s8(s.h1, xv, vshrq_n_s8(w1, 4));
    s.sx = vaddvaq_s8(s.sx, xv);
  }
  int32_t bias8 = -ig_wmul(s.sx, 8);
  return ig_mve_w4_scale(s.h0, ig_wadd(s.b0, bias8), s.h1, ig_wadd(s.b1, bias8), scale, acc);
}

#endif
