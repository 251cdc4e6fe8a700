/* The blocked layout of the AArch64 NEON grouped fully connected kernels (ig_fc_grouped_s8.c, _s8w4.c). */
#ifndef IG_NEON_GROUPED_H
#define IG_NEON_GROUPED_H
#include "ig_neon_common.h"

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

/* fully_connected_dynamic's int64 requantization of four rows (ig_fc_grouped_s8w4.c IG_G4_DYNRQ*, ig_fc_s8_dyn.c
 * IG_D8_W*), on v<a> (the sums) and v<m> (m = rshr(mult mr, 15)), the SRSHL amounts e - shift of rows 0, 1 and 2, 3
 * in the low bytes of v14's and v15's 64-bit lanes: rshr(acc m, shift - e) into v12 / v13 (SMULL pairs, SRSHL);
 * + the bias (v<b>) in int64; + y_zp (v<zp>, int64) and back to int32 saturating (SQXTN: the clamp bounds lie inside
 * int32), clamped to [v<lo>, v<hi>] */
#define IG_DYN64_MUL(a, m)                                                                                          \
  "smull v12.2d, v" a ".2s, v" m ".2s\n\t" "smull2 v13.2d, v" a ".4s, v" m ".4s\n\t"                                \
  "srshl v12.2d, v12.2d, v14.2d\n\t" "srshl v13.2d, v13.2d, v15.2d\n\t"
#define IG_DYN64_BIAS(b) "saddw v12.2d, v12.2d, v" b ".2s\n\t" "saddw2 v13.2d, v13.2d, v" b ".4s\n\t"
#define IG_DYN64_OUT(a, zp, lo, hi)                                                                                 \
  "add v12.2d, v12.2d, v" zp ".2d\n\t" "add v13.2d, v13.2d, v" zp ".2d\n\t"                                         \
  "sqxtn v" a ".2s, v12.2d\n\t" "sqxtn2 v" a ".4s, v13.2d\n\t"                                                      \
  "smax v" a ".4s, v" a ".4s, v" lo ".4s\n\t" "smin v" a ".4s, v" a ".4s, v" hi ".4s\n\t"

/* Four SDOTs by element: v<a_i> += the four-row quads of v<w_i> times x's quad in lane `lane` of v<xr> (the
 * blocked kernels' step, ig_fc_grouped_s8.c and ig_fc_s8.c). */
#define IG_SDOT4(a0, a1, a2, a3, w0, w1, w2, w3, xr, lane)                                                         \
  "sdot v" a0 ".4s, v" w0 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v" a1 ".4s, v" w1 ".16b, v" xr ".4b[" lane "]\n\t"   \
  "sdot v" a2 ".4s, v" w2 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v" a3 ".4s, v" w3 ".16b, v" xr ".4b[" lane "]\n\t"
/* The output of a 32-row block held in v18-v25 (rows 4j..4j+3 in v<18 + j>) in the assembly of ig_fc_grouped_s8.c and
 * of ig_fc_s8.c's blocked path: requantize it (multipliers into v0-v7, shifts into v8-v15, temporaries v26, v27),
 * narrow it, store it. */
#define IG_G8_RQ_ALL(rq)                                                                                            \
  "ld1 {v0.4s - v3.4s}, [%[mult]], #64\n\t" "ld1 {v4.4s - v7.4s}, [%[mult]], #64\n\t"                              \
  "ld1 {v8.4s - v11.4s}, [%[shift]], #64\n\t" "ld1 {v12.4s - v15.4s}, [%[shift]], #64\n\t"                         \
  rq("18", "0", "8", "26", "19", "1", "9", "27") rq("20", "2", "10", "26", "21", "3", "11", "27")                   \
  rq("22", "4", "12", "26", "23", "5", "13", "27") rq("24", "6", "14", "26", "25", "7", "15", "27")
#define IG_G8_STORE_RAW "st1 {v18.4s - v21.4s}, [%[y]], #64\n\t" "st1 {v22.4s - v25.4s}, [%[y]], #64\n\t"
#define IG_G8_NARROW16(xtn, xtn2)                                                                                   \
  xtn " v0.4h, v18.4s\n\t" xtn2 " v0.8h, v19.4s\n\t" xtn " v1.4h, v20.4s\n\t" xtn2 " v1.8h, v21.4s\n\t"             \
  xtn " v2.4h, v22.4s\n\t" xtn2 " v2.8h, v23.4s\n\t" xtn " v3.4h, v24.4s\n\t" xtn2 " v3.8h, v25.4s\n\t"
#define IG_G8_NARROW8                                                                                               \
  "xtn v0.8b, v0.8h\n\t" "xtn2 v0.16b, v1.8h\n\t" "xtn v1.8b, v2.8h\n\t" "xtn2 v1.16b, v3.8h\n\t"                  \
  "st1 {v0.16b, v1.16b}, [%[y]], #32\n\t"
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
