/* Fully connected with group-wise integer scale factors, int8 weights: AArch64 NEON. One body for the int8 / int16 /
 * int32 outputs.
 * Groups of a multiple of 32 (the blocked layout of ig_neon_common.h): 32 output rows at a time, their cumulative
 * group sums in eight vectors of four rows (SDOT by element; ARMv8.0: SMULL/SMLAL against x's quad broadcast, 16
 * rows at a time), multiplied by the rows' scale differences once per group (MLA): no horizontal reduction; with
 * SDOT the whole block (bias, groups, requantization, store) is one piece of assembly.
 * Other group sizes: row-major weights, four rows at a time, a reduction per group (ig_dot4rows_s8). */
#include "ig_kernels.h"
#include "ig_neon_grouped.h"
#include "ig_neon_rows_s8.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* One column quad of the 32 rows (128 bytes: rows 0-15 in v2-v5, rows 16-31 in v6-v9) against x's quad in lane
 * `lane` of v<xr>, into the cumulative sums v10-v17 (rows 4j..4j+3 in v<10 + j>). Software-pipelined: each half is
 * loaded four SDOTs before its first use (the load-to-use latency of [A55SOG] is 3): the quad's first half is
 * already loaded (IG_G8_LDA), its second half is loaded here, then the next quad's first half (not after the
 * chunk's last quad, which would read past the weights). */
#define IG_G8_LDA "ld1 {v2.16b - v5.16b}, [%[wp]], #64\n\t"
#define IG_G8_LDB "ld1 {v6.16b - v9.16b}, [%[wp]], #64\n\t"
#define IG_G8_SDA(xr, lane) IG_SDOT4("10", "11", "12", "13", "2", "3", "4", "5", xr, lane)
#define IG_G8_SDB(xr, lane) IG_SDOT4("14", "15", "16", "17", "6", "7", "8", "9", xr, lane)
#define IG_G8_QUAD(xr, lane) IG_G8_LDB IG_G8_SDA(xr, lane) IG_G8_LDA IG_G8_SDB(xr, lane)
#define IG_G8_QLAST(xr, lane) IG_G8_LDB IG_G8_SDA(xr, lane) IG_G8_SDB(xr, lane)
/* 32 columns (x in v0, v1) */
#define IG_G8_CHUNK                                                                                                 \
  "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t" IG_G8_LDA                                                                \
  IG_G8_QUAD("0", "0") IG_G8_QUAD("0", "1") IG_G8_QUAD("0", "2") IG_G8_QUAD("0", "3")                               \
  IG_G8_QUAD("1", "0") IG_G8_QUAD("1", "1") IG_G8_QUAD("1", "2") IG_G8_QLAST("1", "3")
/* end of a group: acc (v18-v25, rows 4j..4j+3 in v<18 + j>) += d * C */
#define IG_G8_GROUP                                                                                                 \
  "ld1 {v2.4s - v5.4s}, [%[sp]], #64\n\t"                                                                           \
  "ld1 {v6.4s - v9.4s}, [%[sp]], #64\n\t"                                                                           \
  "mla v18.4s, v10.4s, v2.4s\n\t" "mla v19.4s, v11.4s, v3.4s\n\t"                                                  \
  "mla v20.4s, v12.4s, v4.4s\n\t" "mla v21.4s, v13.4s, v5.4s\n\t"                                                  \
  "mla v22.4s, v14.4s, v6.4s\n\t" "mla v23.4s, v15.4s, v7.4s\n\t"                                                  \
  "mla v24.4s, v16.4s, v8.4s\n\t" "mla v25.4s, v17.4s, v9.4s\n\t"
#define IG_G8_INIT                                                                                                  \
  "ld1 {v18.4s - v21.4s}, [%[bias]], #64\n\t" "ld1 {v22.4s - v25.4s}, [%[bias]], #64\n\t"                          \
  "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t" "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t"                          \
  "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t" "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t"
#define IG_G8_LOOP1 "1:\n\t" IG_G8_CHUNK IG_G8_GROUP "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
#define IG_G8_LOOP                                                                                                  \
  "1:\n\t" "mov %[c], %[chunks]\n\t" "2:\n\t" IG_G8_CHUNK "subs %[c], %[c], #1\n\t" "b.ne 2b\n\t" IG_G8_GROUP      \
  "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
#define IG_G8_STORE_S32 IG_RQ_CONSTANTS IG_G8_RQ_ALL(IG_RQR2) IG_G8_STORE_RAW
#define IG_G8_STORE_S16 IG_RQ_CONSTANTS IG_G8_RQ_ALL(IG_RQR2) IG_G8_NARROW16("xtn", "xtn2") "st1 {v0.8h - v3.8h}, [%[y]], #64\n\t"
/* int8: narrowed saturating to int16, y_zp and the clamp in int16 (IG_RQR2_CORE) */
#define IG_G8_STORE_S8                                                                                              \
  IG_RQ_CONSTANTS16 IG_G8_RQ_ALL(IG_RQR2_CORE) IG_G8_NARROW16("sqxtn", "sqxtn2") IG_ZPCLAMP16("0", "1")             \
  IG_ZPCLAMP16("2", "3") IG_G8_NARROW8
#define IG_G8_STORE_S8W IG_RQ_CONSTANTS IG_G8_RQ_ALL(IG_RQR2) IG_G8_NARROW16("xtn", "xtn2") IG_G8_NARROW8
#define IG_G8_OPS                                                                                                   \
  : [xp] "=&r"(xp), [wp] "+r"(wp), [sp] "+r"(sp), [g] "=&r"(g), [c] "=&r"(c), [bias] "+r"(bias), [mult] "+r"(mult), \
    [shift] "+r"(shift), [y] "+r"(y), [nb] "+r"(nb)                                                                 \
  : [x] "r"(x), [groups] "r"(groups), [chunks] "r"(chunks), [zp] "r"(y_zp), [lo] "r"(act_min), [hi] "r"(act_max)   \
  : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",   \
    "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc",  \
    "memory"
/* nb blocks one after the other (x restarts, everything else walks on) */
#define IG_G8_ASM(loop, store)                                                                                      \
  __asm__ volatile("0:\n\t" "mov %[xp], %[x]\n\t" "mov %[g], %[groups]\n\t" IG_G8_INIT loop store                   \
                   "subs %[nb], %[nb], #1\n\t" "b.ne 0b\n\t" IG_G8_OPS)

/* nb blocks of 32 rows from the block at w (scales s, bias / mult / shift of the layout) over all groups,
 * requantized and stored to y as int8 / int16 / int32 (out_bytes 1, 2, 4), or their raw int32 accumulators
 * (out_bytes 0). Per group of 32 columns and 32 rows (1024 MACs): 17 loads, 64 SDOT, 2 scale loads, 8 MLA, 2 loop
 * instructions; per block: 2 bias loads, 8 MOVI, 4 parameter loads and 64 instructions requantizing. */
IG_INLINE void ig_grouped_blocks_s8(const int8_t *x, const int8_t *w, const int32_t *s, int64_t groups,
                                    int64_t chunks, int64_t nb, const int32_t *bias, const int32_t *mult,
                                    const int32_t *shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                                    int32_t out_bytes) {
  const int8_t *xp, *wp = w;
  const int32_t *sp = s;
  int64_t g, c;
  if (chunks == 1) {
    if (out_bytes == 1 && IG_ZP16_OK(y_zp)) IG_G8_ASM(IG_G8_LOOP1, IG_G8_STORE_S8);
    else if (out_bytes == 1) IG_G8_ASM(IG_G8_LOOP1, IG_G8_STORE_S8W);
    else if (out_bytes == 2) IG_G8_ASM(IG_G8_LOOP1, IG_G8_STORE_S16);
    else if (out_bytes == 4) IG_G8_ASM(IG_G8_LOOP1, IG_G8_STORE_S32);
    else IG_G8_ASM(IG_G8_LOOP1, IG_G8_STORE_RAW);
  } else {
    if (out_bytes == 1 && IG_ZP16_OK(y_zp)) IG_G8_ASM(IG_G8_LOOP, IG_G8_STORE_S8);
    else if (out_bytes == 1) IG_G8_ASM(IG_G8_LOOP, IG_G8_STORE_S8W);
    else if (out_bytes == 2) IG_G8_ASM(IG_G8_LOOP, IG_G8_STORE_S16);
    else if (out_bytes == 4) IG_G8_ASM(IG_G8_LOOP, IG_G8_STORE_S32);
    else IG_G8_ASM(IG_G8_LOOP, IG_G8_STORE_RAW);
  }
}
#undef IG_G8_LDA
#undef IG_G8_LDB
#undef IG_G8_SDA
#undef IG_G8_SDB
#undef IG_G8_QUAD
#undef IG_G8_QLAST
#undef IG_G8_CHUNK
#undef IG_G8_GROUP
#undef IG_G8_INIT
#undef IG_G8_LOOP1
#undef IG_G8_LOOP
#undef IG_G8_STORE_S32
#undef IG_G8_STORE_S16
#undef IG_G8_STORE_S8
#undef IG_G8_STORE_S8W
#undef IG_G8_OPS
#undef IG_G8_ASM
#else
/* ARMv8.0: two column quads of 16 rows (the block's half: 64 bytes per quad at a stride of 128) against x's quads
 * broadcast (DUP) in v6 / v7: SMULL then SMLAL into int16 lanes (two products of |w| <= 127 and |x| <= 128 fit),
 * then SADALP into the cumulative int32 sums v16-v23 ([row 4j, 4j, 4j+1, 4j+1] in v<16 + 2j>, rows 4j+2, 4j+3 in
 * v<17 + 2j>). */
#define IG_G8_QPAIR(xr, l0, l1)                                                                                     \
  "ld1 {v2.16b - v5.16b}, [%[wp]], %[ws]\n\t"                                                                       \
  "dup v6.4s, v" xr ".s[" l0 "]\n\t"                                                                                \
  "smull v8.8h, v2.8b, v6.8b\n\t" "smull2 v9.8h, v2.16b, v6.16b\n\t"                                                \
  "smull v10.8h, v3.8b, v6.8b\n\t" "smull2 v11.8h, v3.16b, v6.16b\n\t"                                              \
  "smull v12.8h, v4.8b, v6.8b\n\t" "smull2 v13.8h, v4.16b, v6.16b\n\t"                                              \
  "smull v14.8h, v5.8b, v6.8b\n\t" "smull2 v15.8h, v5.16b, v6.16b\n\t"                                              \
  "ld1 {v2.16b - v5.16b}, [%[wp]], %[ws]\n\t"                                                                       \
  "dup v7.4s, v" xr ".s[" l1 "]\n\t"                                                                                \
  "smlal v8.8h, v2.8b, v7.8b\n\t" "smlal2 v9.8h, v2.16b, v7.16b\n\t"                                                \
  "smlal v10.8h, v3.8b, v7.8b\n\t" "smlal2 v11.8h, v3.16b, v7.16b\n\t"                                              \
  "smlal v12.8h, v4.8b, v7.8b\n\t" "smlal2 v13.8h, v4.16b, v7.16b\n\t"                                              \
  "smlal v14.8h, v5.8b, v7.8b\n\t" "smlal2 v15.8h, v5.16b, v7.16b\n\t"                                              \
  "sadalp v16.4s, v8.8h\n\t" "sadalp v17.4s, v9.8h\n\t" "sadalp v18.4s, v10.8h\n\t" "sadalp v19.4s, v11.8h\n\t"   \
  "sadalp v20.4s, v12.8h\n\t" "sadalp v21.4s, v13.8h\n\t" "sadalp v22.4s, v14.8h\n\t" "sadalp v23.4s, v15.8h\n\t"
#define IG_G8_CHUNK                                                                                                 \
  "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t"                                                                          \
  IG_G8_QPAIR("0", "0", "1") IG_G8_QPAIR("0", "2", "3") IG_G8_QPAIR("1", "0", "1") IG_G8_QPAIR("1", "2", "3")
/* end of a group: the 16 rows' cumulative sums [r0, r1, r2, r3] (ADDP), acc += d * C */
#define IG_G8_GROUP                                                                                                 \
  "addp v8.4s, v16.4s, v17.4s\n\t" "addp v9.4s, v18.4s, v19.4s\n\t"                                                \
  "addp v10.4s, v20.4s, v21.4s\n\t" "addp v11.4s, v22.4s, v23.4s\n\t"                                              \
  "ld1 {v2.4s - v5.4s}, [%[sp]], %[ss]\n\t"                                                                         \
  "mla %[a0].4s, v8.4s, v2.4s\n\t" "mla %[a1].4s, v9.4s, v3.4s\n\t"                                                \
  "mla %[a2].4s, v10.4s, v4.4s\n\t" "mla %[a3].4s, v11.4s, v5.4s\n\t"
#define IG_G8_ZERO                                                                                                  \
  "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t" "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t"                          \
  "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t" "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t"
#define IG_G8_OUTPUTS                                                                                               \
  [xp] "+r"(xp), [wp] "+r"(wp), [sp] "+r"(sp), [g] "+r"(g), [c] "=&r"(c), [a0] "+w"(a[0]), [a1] "+w"(a[1]),        \
      [a2] "+w"(a[2]), [a3] "+w"(a[3])
#define IG_G8_CLOBBERS                                                                                              \
  "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",     \
      "v17", "v18", "v19", "v20", "v21", "v22", "v23", "cc", "memory"

/* a[0..4) += the grouped sums of the 16 rows of a block's half (w, s: the half's first bytes / scales). Per group
 * of 32 columns (512 MACs): 17 loads, 8 DUP, 64 SMULL/SMLAL, 32 SADALP, 4 ADDP, 1 scale load, 4 MLA, 2 loop. */
IG_INLINE void ig_grouped_half_s8(const int8_t *x, const int8_t *w, const int32_t *s, int64_t groups, int64_t chunks,
                                  int32x4_t a[4]) {
  const int8_t *xp = x, *wp = w;
  const int32_t *sp = s;
  int64_t g = groups, c = chunks;
  const int64_t ws = 128, ss = 128;
  if (chunks == 1) {
    __asm__ volatile(IG_G8_ZERO "1:\n\t" IG_G8_CHUNK IG_G8_GROUP "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
                     : IG_G8_OUTPUTS : [ws] "r"(ws), [ss] "r"(ss) : IG_G8_CLOBBERS);
  } else {
    __asm__ volatile(IG_G8_ZERO "1:\n\t" "mov %[c], %[chunks]\n\t" "2:\n\t" IG_G8_CHUNK "subs %[c], %[c], #1\n\t"
                     "b.ne 2b\n\t" IG_G8_GROUP "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
                     : IG_G8_OUTPUTS : [chunks] "r"(chunks), [ws] "r"(ws), [ss] "r"(ss) : IG_G8_CLOBBERS);
  }
}
#undef IG_G8_QPAIR
#undef IG_G8_CHUNK
#undef IG_G8_GROUP
#undef IG_G8_ZERO
#undef IG_G8_OUTPUTS
#undef IG_G8_CLOBBERS
#endif

/* The blocked layout (ig_neon_common.h). */
IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int32_t groups = k_dim / group_size;
  const int64_t chunks = group_size / 32;
  const size_t wblock = (size_t)k_dim * IG_GROUPED_ROWS, sblock = (size_t)groups * IG_GROUPED_ROWS;
#if defined(__ARM_FEATURE_DOTPROD)
  const int32_t full = n_dim / IG_GROUPED_ROWS, n = full * IG_GROUPED_ROWS;
  if (full > 0)
    ig_grouped_blocks_s8(x, w, group_scale_t, groups, chunks, full, bias, mult, shift, y_zp, act_min, act_max, y,
                         out_bytes);
  if (n < n_dim) { /* the last rows: the raw accumulators of the (padded) block, then requantized */
    int32_t acc[IG_GROUPED_ROWS];
    ig_grouped_blocks_s8(x, w + full * wblock, group_scale_t + full * sblock, groups, chunks, 1, bias + n, 0, 0, 0,
                         0, 0, acc, 0);
    int32x4_t v[8];
    for (int32_t j = 0; j < 8; j++) v[j] = vld1q_s32(acc + 4 * j);
    ig_grouped_output32(v, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), n_dim - n,
                        out_bytes);
  }
#else
  const int8_t *wb = w;
  const int32_t *sb = group_scale_t;
  for (int32_t n = 0; n < n_dim; n += IG_GROUPED_ROWS, wb += wblock, sb += sblock) {
    int32_t count = n_dim - n < IG_GROUPED_ROWS ? n_dim - n : IG_GROUPED_ROWS;
    int32x4_t a[8];
    IG_UNROLL for (int32_t j = 0; j < 8; j++) a[j] = vld1q_s32(bias + n + 4 * j);
    ig_grouped_half_s8(x, wb, sb, groups, chunks, a);
    ig_grouped_half_s8(x, wb + 64, sb + 16, groups, chunks, a + 4);
    ig_grouped_output32(a, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count,
                        out_bytes);
  }
#endif
}

/* Row-major weights, group scales transposed to [G, N]: four output channels at a time, per group four dot
 * products (SDOT / SMLAL) reduced, then one vector multiply-accumulate by the group's scales. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    const int8_t *w1 = count > 1 ? w0 + k_dim : w0, *w2 = count > 2 ? w1 + k_dim : w1, *w3 = count > 3 ? w2 + k_dim : w2;
    int32x4_t acc = ig_load4_s32(bias + n, count);
    for (int32_t g = 0; g < groups; g++) {
      int32x4_t s = ig_dot4rows_s8(x, w0, w1, w2, w3, g * group_size, (g + 1) * group_size);
      acc = vmlaq_s32(acc, s, ig_load4_s32(group_scale_t + (size_t)g * (size_t)n_dim + n, count));
    }
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

#define IG_FC_GROUPED_W4 0
#include "ig_fc_grouped_entries.h"
