/* Fully connected, int8 activations and weights: AArch64 NEON (SDOT with dotprod, SMLAL otherwise), sixteen
 * output rows at a time (ig_dot16rows_s8), then eight, then four, then the last N mod 4. The weights are those row
 * blocks one after another, each interleaved per 64 columns (codegen/packing.py pack_fc_weights: one stream). One
 * body for the int8 / int16 / int32 outputs. With SDOT the lowering calls ig_fc_s8_blocked* (below) instead
 * wherever the grouped kernels' blocked layout takes the shape (codegen/packing.py per_channel_as_grouped: it needs
 * no horizontal reduction per row); ig_fc_s8* serve the other shapes and ARMv8.0. */
#include "ig_kernels.h"
#include "ig_neon_grouped.h"
#include "ig_neon_rows_s8.h"
#include "ig_neon_blocked_s8.h"

IG_INLINE void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t n = 0;
  for (; n + 16 <= n_dim; n += 16, w += (size_t)16 * (size_t)k_dim) {
    int32x4_t s0, s1, s2, s3;
    ig_dot16rows_s8(x, w, k_dim, bias + n, &s0, &s1, &s2, &s3);
    ig_output8(s0, s1, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), out_bytes);
    ig_output8(s2, s3, mult + n + 8, shift + n + 8, y_zp, act_min, act_max, ig_out_at(y, n + 8, out_bytes),
               out_bytes);
  }
  for (; n + 8 <= n_dim; n += 8, w += (size_t)8 * (size_t)k_dim) {
    int32x4_t lo, hi;
    ig_dot8rows_s8(x, w, k_dim, bias + n, &lo, &hi);
    ig_output8(lo, hi, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), out_bytes);
  }
  for (; n < n_dim; n += 4, w += (size_t)4 * (size_t)k_dim) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4; /* the last block: count rows, the rest of its lanes not stored */
    int32x4_t acc = vaddq_s32(ig_dot4rows_blk(x, w, k_dim, count), ig_load4_s32(bias + n, count));
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }

#if defined(__ARM_FEATURE_DOTPROD)
/* ---------------------------------------------------------------- the blocked per-channel path (dot product)
 * Where codegen/packing.py per_channel_as_grouped takes the shape, the lowering calls ig_fc_s8_blocked*: the
 * weights in the grouped kernels' blocked layout (ig_neon_grouped.h: 32-row blocks, per column quad the 32 rows'
 * 4 bytes side by side; N padded with zero rows), bias, multipliers, shifts padded to the blocks, the shifts
 * right shifts only; a row's left shift is a factor 2^shift in lsc (none: lsc == 0), applied to the finished sum
 * (bias included, modulo 2^32 as the reference's shift of the wrapped accumulator). SDOT by element into eight
 * vectors of four rows: no horizontal reduction; the bias starts the sums (no zeroing, no group multiply as the
 * grouped kernel with one group of K needs). The loop and its schedule: ig_neon_blocked_s8.h. */
/* The stores (their constants are set once per call, before the blocks): as the grouped kernel's, and with y_zp 0
 * the int16 / int32 outputs skip the zero point: int16 narrowed saturating, then clamped in int16 (exact:
 * [act_min, act_max] lies inside int16), neither clamp where [act_min, act_max] is the whole output type. */
#define IG_CLAMP16(a, b)                                                                                            \
  "smax v" a ".8h, v" a ".8h, v29.8h\n\t" "smax v" b ".8h, v" b ".8h, v29.8h\n\t"                                   \
  "smin v" a ".8h, v" a ".8h, v30.8h\n\t" "smin v" b ".8h, v" b ".8h, v30.8h\n\t"
#define IG_PC_S8 IG_G8_RQ_ALL(IG_RQR2_CORE) IG_G8_NARROW16("sqxtn", "sqxtn2") IG_ZPCLAMP16("0", "1")                \
  IG_ZPCLAMP16("2", "3") IG_G8_NARROW8
#define IG_PC_S8W IG_G8_RQ_ALL(IG_RQR2) IG_G8_NARROW16("xtn", "xtn2") IG_G8_NARROW8
#define IG_PC_S16 IG_G8_RQ_ALL(IG_RQR2) IG_G8_NARROW16("xtn", "xtn2") "st1 {v0.8h - v3.8h}, [%[y]], #64\n\t"
#define IG_PC_S16Z IG_G8_RQ_ALL(IG_RQR2_CORE) IG_G8_NARROW16("sqxtn", "sqxtn2") IG_CLAMP16("0", "1")               \
  IG_CLAMP16("2", "3") "st1 {v0.8h - v3.8h}, [%[y]], #64\n\t"
#define IG_PC_S16F IG_G8_RQ_ALL(IG_RQR2_CORE) IG_G8_NARROW16("sqxtn", "sqxtn2") "st1 {v0.8h - v3.8h}, [%[y]], #64\n\t"
#define IG_PC_S32 IG_G8_RQ_ALL(IG_RQR2) IG_G8_STORE_RAW
#define IG_PC_S32F IG_G8_RQ_ALL(IG_RQR2_CORE) IG_G8_STORE_RAW
/* nb blocks one after the other (x restarts, everything else walks on) */
#define IG_PC_ASM(consts, lsh, store)                                                                               \
  __asm__ volatile(consts "0:\n\t" "mov %[xp], %[x]\n\t"                                                           \
                   "ld1 {v18.4s - v21.4s}, [%[bias]], #64\n\t" "ld1 {v22.4s - v25.4s}, [%[bias]], #64\n\t"        \
                   IG_PC_SUMS lsh                                                                                  \
                   store "subs %[nb], %[nb], #1\n\t" "b.ne 0b\n\t"                                                  \
                   : [xp] "=&r"(xp), [wp] "+r"(wp), [c] "=&r"(c), [bias] "+r"(bias), [lsc] "+r"(lsc),              \
                     [mult] "+r"(mult), [shift] "+r"(shift), [y] "+r"(y), [nb] "+r"(nb)                             \
                   : IG_PC_SUMS_INPUTS, [zp] "r"(y_zp), [lo] "r"(act_min), [hi] "r"(act_max)                       \
                   : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", \
                     "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",     \
                     "v28", "v29", "v30", "v31", "cc", "memory")
#define IG_PC_ASM2(consts, store)                                                                                   \
  if (lsc) IG_PC_ASM(consts, IG_PC_LSHIFT, store);                                                                 \
  else IG_PC_ASM(consts, "", store)

/* nb blocks of 32 rows from the block at w, requantized and stored to y as int8 / int16 / int32 (out_bytes 1, 2,
 * 4), or their raw int32 sums (out_bytes 0). */
IG_INLINE void ig_pc_blocks_s8(const int8_t *x, const int8_t *w, const int32_t *lsc, int64_t chunks, int64_t nb,
                               const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                               int32_t act_min, int32_t act_max, void *y, int32_t out_bytes) {
  const int8_t *xp, *wp = w;
  int64_t c;
  if (out_bytes == 1 && IG_ZP16_OK(y_zp)) IG_PC_ASM2(IG_RQ_CONSTANTS16, IG_PC_S8);
  else if (out_bytes == 1) IG_PC_ASM2(IG_RQ_CONSTANTS, IG_PC_S8W);
  else if (out_bytes == 2 && !y_zp && act_min == INT16_MIN && act_max == INT16_MAX) IG_PC_ASM2("", IG_PC_S16F);
  else if (out_bytes == 2 && !y_zp) IG_PC_ASM2(IG_RQ_CONSTANTS16, IG_PC_S16Z);
  else if (out_bytes == 2) IG_PC_ASM2(IG_RQ_CONSTANTS, IG_PC_S16);
  else if (out_bytes == 4 && !y_zp && act_min == INT32_MIN && act_max == INT32_MAX) IG_PC_ASM2("", IG_PC_S32F);
  else if (out_bytes == 4) IG_PC_ASM2(IG_RQ_CONSTANTS, IG_PC_S32);
  else IG_PC_ASM2("", IG_G8_STORE_RAW);
}
#undef IG_CLAMP16
#undef IG_PC_S8
#undef IG_PC_S8W
#undef IG_PC_S16
#undef IG_PC_S16Z
#undef IG_PC_S16F
#undef IG_PC_S32
#undef IG_PC_S32F
#undef IG_PC_ASM
#undef IG_PC_ASM2

IG_INLINE void fc_s8_blocked(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *lsc,
                             const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp,
                             int32_t act_min, int32_t act_max, void *y, int32_t out_bytes) {
  const int32_t full = n_dim / IG_GROUPED_ROWS, n = full * IG_GROUPED_ROWS;
  const int64_t chunks = k_dim / 32;
  if (full > 0) ig_pc_blocks_s8(x, w, lsc, chunks, full, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  if (n < n_dim) { /* the last rows: the raw sums of the (padded) block, then requantized */
    int32_t acc[IG_GROUPED_ROWS];
    ig_pc_blocks_s8(x, w + (size_t)n * (size_t)k_dim, lsc ? lsc + n : 0, chunks, 1, bias + n, 0, 0, 0, 0, 0, acc, 0);
    int32x4_t v[8];
    for (int32_t j = 0; j < 8; j++) v[j] = vld1q_s32(acc + 4 * j);
    ig_grouped_output32(v, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), n_dim - n,
                        out_bytes);
  }
}

#else
/* Without SDOT the lowering never picks this layout (cortex-a53 reads the row blocks above); a build for a
 * dot-product target compiled for ARMv8.0 still links: the blocked layout's sums in plain C. */
IG_INLINE void fc_s8_blocked(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *lsc,
                             const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp,
                             int32_t act_min, int32_t act_max, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n += IG_GROUPED_ROWS, w += (size_t)k_dim * IG_GROUPED_ROWS) {
    int32_t acc[IG_GROUPED_ROWS];
    for (int32_t r = 0; r < IG_GROUPED_ROWS; r++) {
      uint32_t a = (uint32_t)bias[n + r];
      for (int32_t k = 0; k < k_dim; k++) a += (uint32_t)(x[k] * w[(size_t)(k / 4) * 128 + 4 * r + k % 4]);
      acc[r] = (int32_t)(lsc ? a * (uint32_t)lsc[n + r] : a);
    }
    int32x4_t v[8];
    for (int32_t j = 0; j < 8; j++) v[j] = vld1q_s32(acc + 4 * j);
    int32_t count = n_dim - n < IG_GROUPED_ROWS ? n_dim - n : IG_GROUPED_ROWS;
    ig_grouped_output32(v, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count,
                        out_bytes);
  }
}
#endif

#define IG_FC_S8_BLOCKED_ARGS                                                                                       \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *lsc, const int32_t *mult,                   \
      const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min, int32_t act_max
#define IG_FC_S8_BLOCKED_PASS x, w, bias, lsc, mult, shift, k_dim, n_dim, y_zp, act_min, act_max
void ig_fc_s8_blocked(IG_FC_S8_BLOCKED_ARGS, int8_t *y) { fc_s8_blocked(IG_FC_S8_BLOCKED_PASS, y, 1); }
void ig_fc_s8_blocked_to_s16(IG_FC_S8_BLOCKED_ARGS, int16_t *y) { fc_s8_blocked(IG_FC_S8_BLOCKED_PASS, y, 2); }
void ig_fc_s8_blocked_to_s32(IG_FC_S8_BLOCKED_ARGS, int32_t *y) { fc_s8_blocked(IG_FC_S8_BLOCKED_PASS, y, 4); }
