/* Fully connected, int16 activations, int8 per-channel weights, each weight loaded once: AArch64 NEON. One body
 * for the int8 / int16 / int32 outputs. The layouts are codegen/packing.py pack_fc_s16's.
 * SDOT (dotprod): x = 256 hi + lo + 128 with hi = x >> 8 (x's high byte) and lo = (x & 255) - 128 (its low byte,
 * top bit flipped), both int8 for every int16 (no carry), so x . w = 256 (hi . w) + (lo . w) + 128 sum_k w; the
 * lowering adds 128 sum_k w[n, k] to the bias. Weights in the blocked layout of the grouped kernels
 * (ig_neon_grouped.h: 32-row blocks, each column quad's 4 bytes of the 32 rows side by side), N padded to 32 rows
 * and K to 32 columns with zero weights; each 16-byte weight register takes two SDOTs by element, one with hi's
 * quad and one with lo's, into two sets of eight accumulators.
 * ARMv8.0: row-major weights, x as int16 (no split): the weights widened (SXTL), SMLAL into int32, four rows at a
 * time; the bias is the folded one.
 * Exact in int32: the lowering admits only rows with |bias| + 32768 sum |w| < 2^31 (quant/ops/checks.py), so the
 * wrapping sums give the true one. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"
#include "ig_neon_grouped.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* hi[k], lo[k] of x[0..k_dim), zero up to kp (the padded columns, whose weights are 0): UZP2 / UZP1 take the high /
 * low bytes of sixteen int16, EOR flips the low bytes' top bit. */
IG_INLINE void ig_split_hi_lo(const int16_t *x, int32_t k_dim, int32_t kp, int8_t *hi, int8_t *lo) {
  const int8x16_t top = vdupq_n_s8(-128);
  int32_t k = 0;
  for (; k + 16 <= k_dim; k += 16) {
    int8x16_t a = vreinterpretq_s8_s16(vld1q_s16(x + k)), b = vreinterpretq_s8_s16(vld1q_s16(x + k + 8));
    vst1q_s8(hi + k, vuzp2q_s8(a, b));
    vst1q_s8(lo + k, veorq_s8(vuzp1q_s8(a, b), top));
  }
  for (; k < k_dim; k++) {
    hi[k] = (int8_t)(x[k] >> 8);
    lo[k] = (int8_t)((x[k] & 255) - 128);
  }
  for (; k < kp; k++) hi[k] = lo[k] = 0;
}

/* One column quad of the block's 32 rows (rows 0-15 in v2-v5, rows 16-31 in v6-v9) against hi's quad (lane `lane`
 * of v<h>) into v10-v17 and lo's (lane `lane` of v<l>) into v18-v25 (rows 4j..4j+3 in v<10 + j> / v<18 + j>).
 * Software-pipelined as the grouped kernel's IG_G8_QUAD: the first half is loaded before, the second half here,
 * then the next quad's first half (not after a chunk's last quad). */
#define IG_S16_LDA "ld1 {v2.16b - v5.16b}, [%[wp]], #64\n\t"
#define IG_S16_LDB "ld1 {v6.16b - v9.16b}, [%[wp]], #64\n\t"
#define IG_S16_SD(a, b, c, d, wa, wb, h, l, lane)                                                           \
  "sdot v" a ".4s, v" wa ".16b, v" h ".4b[" lane "]\n\t" "sdot v" c ".4s, v" wa ".16b, v" l ".4b[" lane "]\n\t"     \
  "sdot v" b ".4s, v" wb ".16b, v" h ".4b[" lane "]\n\t" "sdot v" d ".4s, v" wb ".16b, v" l ".4b[" lane "]\n\t"
#define IG_S16_SDA(h, l, lane)                                                                                      \
  IG_S16_SD("10", "11", "18", "19", "2", "3", h, l, lane)                                                   \
  IG_S16_SD("12", "13", "20", "21", "4", "5", h, l, lane)
#define IG_S16_SDB(h, l, lane)                                                                                      \
  IG_S16_SD("14", "15", "22", "23", "6", "7", h, l, lane)                                                   \
  IG_S16_SD("16", "17", "24", "25", "8", "9", h, l, lane)
#define IG_S16_QUAD(h, l, lane) IG_S16_LDB IG_S16_SDA(h, l, lane) IG_S16_LDA IG_S16_SDB(h, l, lane)
#define IG_S16_QLAST(h, l, lane) IG_S16_LDB IG_S16_SDA(h, l, lane) IG_S16_SDB(h, l, lane)

/* acc[0..32) = 256 (hi . w) + (lo . w) of one 32-row block (w: its first byte) over `chunks` chunks of 32 columns.
 * Per chunk (1024 MACs): 18 loads, 128 SDOT, 2 loop instructions. */
IG_INLINE void ig_s16_block(const int8_t *hi, const int8_t *lo, const int8_t *w, int64_t chunks, int32_t *acc) {
  const int8_t *hp = hi, *lp = lo, *wp = w;
  int32_t *ap = acc;
  __asm__ volatile(
      "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t" "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t"
      "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t" "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t"
      "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t" "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t"
      "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t" "movi v24.4s, #0\n\t" "movi v25.4s, #0\n\t"
      "1:\n\t"
      "ld1 {v0.16b, v1.16b}, [%[hp]], #32\n\t"
      "ld1 {v26.16b, v27.16b}, [%[lp]], #32\n\t"
      IG_S16_LDA
      IG_S16_QUAD("0", "26", "0") IG_S16_QUAD("0", "26", "1") IG_S16_QUAD("0", "26", "2")
      IG_S16_QUAD("0", "26", "3") IG_S16_QUAD("1", "27", "0") IG_S16_QUAD("1", "27", "1")
      IG_S16_QUAD("1", "27", "2")
      "subs %[c], %[c], #1\n\t"
      IG_S16_QLAST("1", "27", "3")
      "b.ne 1b\n\t"
      "shl v10.4s, v10.4s, #8\n\t" "shl v11.4s, v11.4s, #8\n\t" "shl v12.4s, v12.4s, #8\n\t"
      "shl v13.4s, v13.4s, #8\n\t" "shl v14.4s, v14.4s, #8\n\t" "shl v15.4s, v15.4s, #8\n\t"
      "shl v16.4s, v16.4s, #8\n\t" "shl v17.4s, v17.4s, #8\n\t"
      "add v18.4s, v18.4s, v10.4s\n\t" "add v19.4s, v19.4s, v11.4s\n\t" "add v20.4s, v20.4s, v12.4s\n\t"
      "add v21.4s, v21.4s, v13.4s\n\t" "add v22.4s, v22.4s, v14.4s\n\t" "add v23.4s, v23.4s, v15.4s\n\t"
      "add v24.4s, v24.4s, v16.4s\n\t" "add v25.4s, v25.4s, v17.4s\n\t"
      "st1 {v18.4s - v21.4s}, [%[ap]], #64\n\t"
      "st1 {v22.4s - v25.4s}, [%[ap]]\n\t"
      : [hp] "+r"(hp), [lp] "+r"(lp), [wp] "+r"(wp), [ap] "+r"(ap), [c] "+r"(chunks)
      :
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
        "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "cc", "memory");
}
#undef IG_S16_LDA
#undef IG_S16_LDB
#undef IG_S16_SD
#undef IG_S16_SDA
#undef IG_S16_SDB
#undef IG_S16_QUAD
#undef IG_S16_QLAST

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  const int32_t kp = (k_dim + 31) & ~31;
  int8_t hi[kp] __attribute__((aligned(16))), lo[kp] __attribute__((aligned(16)));
  ig_split_hi_lo(x, k_dim, kp, hi, lo);
  const size_t wblock = (size_t)kp * IG_GROUPED_ROWS;
  for (int32_t n = 0; n < n_dim; n += IG_GROUPED_ROWS, w += wblock) {
    int32_t acc[IG_GROUPED_ROWS] __attribute__((aligned(16)));
    ig_s16_block(hi, lo, w, kp / 32, acc);
    int32x4_t v[8];
    IG_UNROLL for (int32_t j = 0; j < 8; j++) v[j] = vaddq_s32(vld1q_s32(acc + 4 * j), vld1q_s32(bias + n + 4 * j));
    int32_t count = n_dim - n < IG_GROUPED_ROWS ? n_dim - n : IG_GROUPED_ROWS;
    ig_grouped_output32(v, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count,
                        out_bytes);
  }
}
#else
/* Dot products of x[0..k_dim) (int16) with four int8 rows: sixteen columns at a time (the weights widened, four
 * SMLAL per row), then one at a time. */
IG_INLINE int32x4_t ig_dot4rows_s16(const int16_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                    const int8_t *w3, int32_t k_dim) {
  int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  const int8_t *r[4] = {w0, w1, w2, w3};
  int32_t k = 0;
  for (; k + 16 <= k_dim; k += 16) {
    int16x8_t x0 = vld1q_s16(x + k), x1 = vld1q_s16(x + k + 8);
    IG_UNROLL for (int32_t i = 0; i < 4; i++) {
      int8x16_t wv = vld1q_s8(r[i] + k);
      int16x8_t wl = vmovl_s8(vget_low_s8(wv)), wh = vmovl_high_s8(wv);
      a[i] = vmlal_s16(a[i], vget_low_s16(wl), vget_low_s16(x0));
      a[i] = vmlal_high_s16(a[i], wl, x0);
      a[i] = vmlal_s16(a[i], vget_low_s16(wh), vget_low_s16(x1));
      a[i] = vmlal_high_s16(a[i], wh, x1);
    }
  }
  int32x4_t s = ig_reduce4(a[0], a[1], a[2], a[3]);
  if (k < k_dim) {
    int32_t t[4] = {0, 0, 0, 0};
    for (; k < k_dim; k++)
      IG_UNROLL for (int32_t i = 0; i < 4; i++) t[i] = ig_wadd(t[i], (int32_t)x[k] * (int32_t)r[i][k]);
    s = vaddq_s32(s, vld1q_s32(t));
  }
  return s;
}

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    /* fewer than 4 rows left: repeat the last row (its extra lanes are not stored) */
    const int8_t *w1 = count > 1 ? w0 + k_dim : w0, *w2 = count > 2 ? w1 + k_dim : w1, *w3 = count > 3 ? w2 + k_dim : w2;
    int32x4_t acc = vaddq_s32(ig_dot4rows_s16(x, w0, w1, w2, w3, k_dim), ig_load4_s32(bias + n, count));
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}
#endif

void ig_fc_s16_s8(IG_FC_S16_ARGS, int8_t *y) { fc_s16(IG_FC_S16_PASS, y, 1); }
void ig_fc_s16_s16(IG_FC_S16_ARGS, int16_t *y) { fc_s16(IG_FC_S16_PASS, y, 2); }
void ig_fc_s16_s32(IG_FC_S16_ARGS, int32_t *y) { fc_s16(IG_FC_S16_PASS, y, 4); }
