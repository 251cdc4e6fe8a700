/* Shared inline helpers of the Cortex-M4/M7 DSP kernels (ARMv7E-M SIMD32 through ACLE, arm_acle.h).
 * A word of four int8 values is split by SXTB16 into two pairs of int16 (bytes 0,2 and, rotated by 8, bytes 1,3);
 * SMLAD multiplies two int16 pairs and adds both products to an int32 accumulator: two MACs per instruction.
 * x is split once per word and shared by four output channels.
 *
 * Weight layouts of this family (packed by codegen/packing.py), by blocks of four output rows:
 *   int8:  per block of 4 rows, for each k4 < K/4 the four rows' words [r0 k4..k4+3][r1 ..][r2 ..][r3 ..]
 *          (16 bytes), then the K % 4 tail of the 4 rows row-major; the last N % 4 rows row-major.
 *   int4:  the row pairs of ig_kernels.h, per block of 2 pairs (4 rows): for each k4 the two pairs' words
 *          (8 bytes), then the K % 4 tail of both pairs pair-major; a last odd pair pair-major (K bytes). */
#ifndef IG_ARMDSP_COMMON_H
#define IG_ARMDSP_COMMON_H
#include <arm_acle.h>
#include <stdint.h>

#include "ig_fc_rows.h"
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

/* Every helper is inlined into each entry point (the bodies are shared by the int8 / int16 / int32 variants): the
 * code stays that of one caller, and instruction counts are attributed to the kernel's own function. */
#define IG_INLINE static inline __attribute__((always_inline))

IG_INLINE uint32_t ig_ld32(const int8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4); /* one LDR */
  return v;
}

/* bytes 1 and 3 of v, sign-extended to int16 (SXTB16 with ROR #8) */
IG_INLINE uint32_t ig_sxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* v & 0xFFF0FFF0: each int16 lane 16 * hi + lo (lo in [0, 15]) becomes 16 * hi */
IG_INLINE uint32_t ig_hi16(uint32_t v) {
  uint32_t r;
  __asm__("bic %0, %1, #0x000F000F" : "=r"(r) : "r"(v));
  return r;
}

/* int8 layout: the weight of row r (< 4) of a full block at column k */
IG_INLINE int32_t ig_blk_s8(const int8_t *blk, int32_t k_dim, int32_t r, int32_t k) {
  int32_t kmain = k_dim & ~3;
  return k < kmain ? blk[(k >> 2) * 16 + r * 4 + (k & 3)] : blk[kmain * 4 + r * (k_dim - kmain) + (k - kmain)];
}

/* The multiply-accumulates of one step of 4 columns x 4 rows: x's pairs in xe (columns 0, 2) and xo (1, 3), the
 * first two rows' weight words in v0, v1 (LDRD), the last two loaded here; 16 MACs in 8 SXTB16, 8 SMLAD and an
 * LDRD. */
#define IG_DSP_MACS4                                                                                            \
  "sxtb16 %[t], %[v0]\n\t"                                                                                       \
  "sxtb16 %[v0], %[v0], ror #8\n\t"                                                                              \
  "smlad %[a0], %[t], %[xe], %[a0]\n\t"                                                                          \
  "smlad %[a0], %[v0], %[xo], %[a0]\n\t"                                                                         \
  "sxtb16 %[t], %[v1]\n\t"                                                                                       \
  "sxtb16 %[v1], %[v1], ror #8\n\t"                                                                              \
  "smlad %[a1], %[t], %[xe], %[a1]\n\t"                                                                          \
  "smlad %[a1], %[v1], %[xo], %[a1]\n\t"                                                                         \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "sxtb16 %[t], %[v0]\n\t"                                                                                       \
  "sxtb16 %[v0], %[v0], ror #8\n\t"                                                                              \
  "smlad %[a2], %[t], %[xe], %[a2]\n\t"                                                                          \
  "smlad %[a2], %[v0], %[xo], %[a2]\n\t"                                                                         \
  "sxtb16 %[t], %[v1]\n\t"                                                                                       \
  "sxtb16 %[v1], %[v1], ror #8\n\t"                                                                              \
  "smlad %[a3], %[t], %[xe], %[a3]\n\t"                                                                          \
  "smlad %[a3], %[v1], %[xo], %[a3]\n\t"

/* One step of the int8 kernels (per-channel and grouped): 4 columns x 4 rows = 16 MACs in 20 instructions (LDR x,
 * 2 SXTB16 x, 2 LDRD w, 8 SXTB16, 8 SMLAD). */
#define IG_DSP_STEP_S8                                                                                          \
  "ldr %[xe], [%[xp]], #4\n\t"                                                                                     \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "sxtb16 %[xo], %[xe], ror #8\n\t"                                                                              \
  "sxtb16 %[xe], %[xe]\n\t"                                                                                      \
  IG_DSP_MACS4

/* The operands of the SMLAD block steps (int8 and int16 inputs): four sums, the x and weight pointers, scratch. */
#define IG_DSP_OPERANDS                                                                                         \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp), [wp] "+r"(wp), [xe] "=&r"(xe),     \
      [xo] "=&r"(xo), [v0] "=&r"(v0), [v1] "=&r"(v1), [t] "=&r"(t)

/* Dot products of x[k0..k1) with the four rows of an int8 block: words fully inside the range use SMLAD. */
IG_INLINE void ig_blk_dot_s8(const int8_t *x, const int8_t *blk, int32_t k_dim, int32_t k0, int32_t k1,
                                 int32_t acc[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t kmain = k_dim & ~3;
  int32_t ka = (k0 + 3) & ~3, kb = k1 < kmain ? k1 & ~3 : kmain;
  if (ka > kb) ka = kb = k0;
  for (int32_t k = k0; k < ka; k++) {
    int32_t xk = x[k];
    a0 += xk * ig_blk_s8(blk, k_dim, 0, k); a1 += xk * ig_blk_s8(blk, k_dim, 1, k);
    a2 += xk * ig_blk_s8(blk, k_dim, 2, k); a3 += xk * ig_blk_s8(blk, k_dim, 3, k);
  }
  const int8_t *xp = x + ka, *wp = blk + ka * 4;
  int32_t words = (kb - ka) >> 2;
  uint32_t xe, xo, v0, v1, t;
  if (words & 1) __asm__(IG_DSP_STEP_S8 : IG_DSP_OPERANDS : : "memory");
  words >>= 1;
  if (words > 0) {
    __asm__("1:\n\t" IG_DSP_STEP_S8 IG_DSP_STEP_S8 "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : IG_DSP_OPERANDS, [n] "+r"(words) : : "memory", "cc");
  }
  for (int32_t k = kb > k0 ? kb : k0; k < k1; k++) {
    int32_t xk = x[k];
    a0 += xk * ig_blk_s8(blk, k_dim, 0, k); a1 += xk * ig_blk_s8(blk, k_dim, 1, k);
    a2 += xk * ig_blk_s8(blk, k_dim, 2, k); a3 += xk * ig_blk_s8(blk, k_dim, 3, k);
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

#define IG_SX_IN_LOOP INT64_MIN

/* sum of x[k0..k1) */
IG_INLINE int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  int32_t s = 0;
  for (int32_t k = k0; k < k1; k++) s += x[k];
  return s;
}

/* int4 layout: the packed byte of pair p (< 2) of a full 2-pair block at column k */
IG_INLINE int32_t ig_blk_w4(const int8_t *blk, int32_t k_dim, int32_t p, int32_t k) {
  int32_t kmain = k_dim & ~3;
  return k < kmain ? blk[(k >> 2) * 8 + p * 4 + (k & 3)] : blk[kmain * 2 + p * (k_dim - kmain) + (k - kmain)];
}

/* Dot products of x[k0..k1) with the four rows of an int4 2-pair block, decoded (ig_kernels.h):
 * acc = [row 2p0, row 2p0+1, row 2p1, row 2p1+1] are added to. `sx_main` < INT32_MIN + 1 asks for the sum of x
 * over the word-aligned part to be computed in the loop (2 SMLAD per word); else it is that sum, precomputed. */
IG_INLINE void ig_blk_dot_w4(const int8_t *x, const int8_t *blk, int32_t k_dim, int32_t k0, int32_t k1,
                                 int64_t sx_main, int32_t acc[4]) {
  int32_t r0 = 0, h0 = 0, r1 = 0, h1 = 0, sx = sx_main == IG_SX_IN_LOOP ? 0 : (int32_t)sx_main;
  int32_t kmain = k_dim & ~3;
  int32_t ka = (k0 + 3) & ~3, kb = k1 < kmain ? k1 & ~3 : kmain;
  if (ka > kb) ka = kb = k0;
  const int8_t *xp = x + ka, *wp = blk + ka * 2;
  const uint32_t ones = 0x00010001u;
  for (int32_t i = (kb - ka) >> 2; i > 0; i--) {
    uint32_t xv = ig_ld32(xp);
    xp += 4;
    uint32_t xe = __sxtb16(xv), xo = ig_sxtb16_ror8(xv);
    uint32_t v0 = ig_ld32(wp), v1 = ig_ld32(wp + 4);
    wp += 8;
    uint32_t e0 = __sxtb16(v0), o0 = ig_sxtb16_ror8(v0), e1 = __sxtb16(v1), o1 = ig_sxtb16_ror8(v1);
    r0 = __smlad(e0, xe, r0); r0 = __smlad(o0, xo, r0);
    h0 = __smlad(ig_hi16(e0), xe, h0); h0 = __smlad(ig_hi16(o0), xo, h0);
    r1 = __smlad(e1, xe, r1); r1 = __smlad(o1, xo, r1);
    h1 = __smlad(ig_hi16(e1), xe, h1); h1 = __smlad(ig_hi16(o1), xo, h1);
    if (sx_main == IG_SX_IN_LOOP) { sx = __smlad(xe, ones, sx); sx = __smlad(xo, ones, sx); }
  }
  int32_t a0 = acc[0] + (h0 >> 4), a1 = acc[1] + r0 - h0 - 8 * sx;
  int32_t a2 = acc[2] + (h1 >> 4), a3 = acc[3] + r1 - h1 - 8 * sx;
  for (int32_t k = k0; k < k1; k++) {
    if (k == ka) k = kb > k ? kb : k;
    if (k >= k1) break;
    int32_t xk = x[k], b0 = ig_blk_w4(blk, k_dim, 0, k), b1 = ig_blk_w4(blk, k_dim, 1, k);
    a0 += xk * (b0 >> 4); a1 += xk * ((b0 & 15) - 8);
    a2 += xk * (b1 >> 4); a3 += xk * ((b1 & 15) - 8);
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}
/* ig_output_i32 (ig_fixedpoint.h) in fewer Cortex-M instructions, the same bits for every input: the saturating
 * rounding doubling high multiply is (a * m + 2^30) >> 31 (one SMULL and a 64-bit add; TFLite's nudge-then-truncate
 * gives exactly this floor for every pair but INT32_MIN * INT32_MIN), and y_zp is added with QADD (saturating, as
 * the definition's int64 sum followed by the clamp). */
IG_INLINE int32_t ig_dsp_output(int32_t acc, int32_t m, int32_t sh, int32_t y_zp, int32_t act_min, int32_t act_max) {
  int32_t left = sh > 0 ? sh : 0, right = left - sh;
  int32_t a = (int32_t)((uint32_t)acc << left); /* wraps modulo 2^32, as the reference */
  int32_t s = (int32_t)(((int64_t)a * m + (1ll << 30)) >> 31);
  if (a == INT32_MIN && m == INT32_MIN) s = INT32_MAX;
  /* rounding divide by 2^right, ties away from zero */
  int32_t mask = (int32_t)((1u << right) - 1u);
  int32_t r = (s >> right) + ((s & mask) > (mask >> 1) + (int32_t)((uint32_t)s >> 31));
  r = __qadd(r, y_zp);
  return r < act_min ? act_min : (r > act_max ? act_max : r);
}

/* ---------------------------------------------------------------- grouped fully connected
 * Groups of a multiple of 4 columns with at most IG_GROUPED_MAX_GROUPS groups (ig_grouped_blocked; codegen/packing.py
 * grouped_layout makes the same test), the blocked layout: the blocks of four rows (int8) or two row pairs (int4)
 * above, each group's words followed by the block's scale differences d_g = s_g - s_{g+1} (s_G = 0; four int32,
 * the rows in order); the last N % 4 rows as above, their differences [G][N % 4] in the scale array. The kernels keep
 * the group sums cumulative (never reset) and add d_g times them once per group, all modulo 2^32 like the
 * reference (acc = sum_g d_g C_g). Otherwise the layouts above and the scales transposed to [G, N]. */
#define IG_GROUPED_MAX_GROUPS 1024

/* Whether (k_dim, group_size) has that layout. */
IG_INLINE int ig_grouped_blocked(int32_t k_dim, int32_t group_size) {
  return group_size % 4 == 0 && k_dim / group_size <= IG_GROUPED_MAX_GROUPS;
}
#endif
