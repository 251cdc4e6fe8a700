/* Fully connected, int16 activations, int8 per-channel weights, each weight loaded once: AArch64 NEON. One body
 * for the int8 / int16 / int32 outputs. The layouts are codegen/packing.py pack_fc_s16's.
 * SDOT (dotprod): x = 256 hi + lo + 128 with hi = x >> 8 (x's high byte) and lo = (x & 255) - 128 (its low byte,
 * top bit flipped), both int8 for every int16 (no carry), so x . w = 256 (hi . w) + (lo . w) + 128 sum_k w; the
 * lowering adds 128 sum_k w[n, k] to the bias. Weights in the blocked layout of the grouped kernels
 * (ig_neon_grouped.h: 32-row blocks, each column quad's 4 bytes of the 32 rows side by side), N padded to 32 rows
 * and K to 32 columns with zero weights; each 16-byte weight register takes two SDOTs by element, one with hi's
 * quad and one with lo's, into two sets of eight accumulators.
 * ARMv8.0: row-major weights, the same split and bias; each weight register times hi and times lo (SMULL / SMLAL2
 * into int16 pairs, SADALP into int32), eight rows at a time (the last N % 8 four at a time).
 * Exact in int32: the lowering admits only rows with |bias| + 32768 sum |w| < 2^31 (quant/ops/checks.py), so the
 * wrapping sums give the true one. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"
#include "ig_neon_grouped.h"

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

#if defined(__ARM_FEATURE_DOTPROD)
/* One column quad of the block's 32 rows (rows 0-15 in v0-v3, rows 16-31 in v4-v7) against hi's quad (lane `lane`
 * of v<h>) into v16-v23 and lo's (lane `lane` of v<l>) into v24-v31 (rows 4j..4j+3 in v<16 + j> / v<24 + j>).
 * Software-pipelined as the grouped kernel's IG_G8_QUAD: the first half is loaded before, the second half here,
 * then the next quad's first half (not after the step's last quad). x's bytes: hi in v8-v11, lo in v12-v15. */
#define IG_S16_LDA "ld1 {v0.16b - v3.16b}, [%[wp]], #64\n\t"
#define IG_S16_LDB "ld1 {v4.16b - v7.16b}, [%[wp]], #64\n\t"
#define IG_S16_SD(a, b, c, d, wa, wb, h, l, lane)                                                                   \
  "sdot v" a ".4s, v" wa ".16b, v" h ".4b[" lane "]\n\t" "sdot v" c ".4s, v" wa ".16b, v" l ".4b[" lane "]\n\t"     \
  "sdot v" b ".4s, v" wb ".16b, v" h ".4b[" lane "]\n\t" "sdot v" d ".4s, v" wb ".16b, v" l ".4b[" lane "]\n\t"
#define IG_S16_SDA(h, l, lane)                                                                                      \
  IG_S16_SD("16", "17", "24", "25", "0", "1", h, l, lane)                                                           \
  IG_S16_SD("18", "19", "26", "27", "2", "3", h, l, lane)
#define IG_S16_SDB(h, l, lane)                                                                                      \
  IG_S16_SD("20", "21", "28", "29", "4", "5", h, l, lane)                                                           \
  IG_S16_SD("22", "23", "30", "31", "6", "7", h, l, lane)
#define IG_S16_QUAD(h, l, lane) IG_S16_LDB IG_S16_SDA(h, l, lane) IG_S16_LDA IG_S16_SDB(h, l, lane)
#define IG_S16_QLAST(h, l, lane) IG_S16_LDB IG_S16_SDA(h, l, lane) IG_S16_SDB(h, l, lane)
/* the 16 columns of x register pair (h, l): four quads, the last prefetching the next register's first half */
#define IG_S16_X16(h, l) IG_S16_QUAD(h, l, "0") IG_S16_QUAD(h, l, "1") IG_S16_QUAD(h, l, "2") IG_S16_QUAD(h, l, "3")
/* one chunk of 32 columns (hi in v8, v9, lo in v12, v13), then pairs of chunks (64-byte loads of hi and lo) */
#define IG_S16_CHUNK                                                                                                \
  "ld1 {v8.16b, v9.16b}, [%[hp]], #32\n\t" "ld1 {v12.16b, v13.16b}, [%[lp]], #32\n\t" IG_S16_LDA                  \
  IG_S16_X16("8", "12") IG_S16_QUAD("9", "13", "0") IG_S16_QUAD("9", "13", "1") IG_S16_QUAD("9", "13", "2")         \
  IG_S16_QLAST("9", "13", "3")
#define IG_S16_PAIR                                                                                                 \
  "ld1 {v8.16b - v11.16b}, [%[hp]], #64\n\t" "ld1 {v12.16b - v15.16b}, [%[lp]], #64\n\t" IG_S16_LDA               \
  IG_S16_X16("8", "12") IG_S16_X16("9", "13") IG_S16_X16("10", "14") IG_S16_QUAD("11", "15", "0")                   \
  IG_S16_QUAD("11", "15", "1") IG_S16_QUAD("11", "15", "2")

/* acc[0..32) = bias[0..32) + 256 (hi . w) + (lo . w) of one 32-row block (w: its first byte) over `chunks` chunks
 * of 32 columns: the lo sums start from the bias, the chunks run two per loop step (the odd one first). Per two
 * chunks (2048 MACs): 34 loads, 256 SDOT, 2 loop instructions. */
IG_INLINE void ig_s16_block(const int8_t *hi, const int8_t *lo, const int8_t *w, const int32_t *bias, int64_t chunks,
                            int32_t *acc) {
  const int8_t *hp = hi, *lp = lo, *wp = w;
  const int32_t *bp = bias;
  int32_t *ap = acc;
  int64_t c = chunks >> 1;
  __asm__ volatile(
      "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t" "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t"
      "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t" "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t"
      "ld1 {v24.4s - v27.4s}, [%[bp]], #64\n\t" "ld1 {v28.4s - v31.4s}, [%[bp]]\n\t"
      "tbz %[chunks], #0, 3f\n\t" IG_S16_CHUNK "3:\n\t" "cbz %[c], 4f\n\t"
      "1:\n\t" IG_S16_PAIR "subs %[c], %[c], #1\n\t" IG_S16_QLAST("11", "15", "3") "b.ne 1b\n\t" "4:\n\t"
      "shl v16.4s, v16.4s, #8\n\t" "shl v17.4s, v17.4s, #8\n\t" "shl v18.4s, v18.4s, #8\n\t"
      "shl v19.4s, v19.4s, #8\n\t" "shl v20.4s, v20.4s, #8\n\t" "shl v21.4s, v21.4s, #8\n\t"
      "shl v22.4s, v22.4s, #8\n\t" "shl v23.4s, v23.4s, #8\n\t"
      "add v24.4s, v24.4s, v16.4s\n\t" "add v25.4s, v25.4s, v17.4s\n\t" "add v26.4s, v26.4s, v18.4s\n\t"
      "add v27.4s, v27.4s, v19.4s\n\t" "add v28.4s, v28.4s, v20.4s\n\t" "add v29.4s, v29.4s, v21.4s\n\t"
      "add v30.4s, v30.4s, v22.4s\n\t" "add v31.4s, v31.4s, v23.4s\n\t"
      "st1 {v24.4s - v27.4s}, [%[ap]], #64\n\t"
      "st1 {v28.4s - v31.4s}, [%[ap]]\n\t"
      : [hp] "+r"(hp), [lp] "+r"(lp), [wp] "+r"(wp), [bp] "+r"(bp), [ap] "+r"(ap), [c] "+r"(c)
      : [chunks] "r"(chunks)
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
        "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc",
        "memory");
}
#undef IG_S16_CHUNK
#undef IG_S16_PAIR
#undef IG_S16_X16
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
    ig_s16_block(hi, lo, w, bias + n, kp / 32, acc);
    int32x4_t v[8];
    IG_UNROLL for (int32_t j = 0; j < 8; j++) v[j] = vld1q_s32(acc + 4 * j);
    int32_t count = n_dim - n < IG_GROUPED_ROWS ? n_dim - n : IG_GROUPED_ROWS;
    ig_grouped_output32(v, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count,
                        out_bytes);
  }
}
#else
/* One 16-column step of ig_dot4rows_s16: the row's weights times hi and times lo, two products per int16 lane
 * (SMULL then SMLAL2: |2 * 128 * 127| < 2^15), added pairwise into the row's int32 sums (SADALP). */
IG_INLINE void ig_s16_step(int8x16_t w, int8x16_t xh, int8x16_t xl, int32x4_t *h, int32x4_t *l) {
  *h = vpadalq_s16(*h, vmlal_high_s8(vmull_s8(vget_low_s8(w), vget_low_s8(xh)), w, xh));
  *l = vpadalq_s16(*l, vmlal_high_s8(vmull_s8(vget_low_s8(w), vget_low_s8(xl)), w, xl));
}

/* 256 (hi . w_r) + (lo . w_r) over columns [k0, k_dim) of four rows (modulo 2^32): 16 columns at a time, then
 * one (the parts ig_dot8rows_s16 leaves, and the last N % 8 rows). */
IG_INLINE int32x4_t ig_dot4rows_s16(const int8_t *hi, const int8_t *lo, const int8_t *w0, const int8_t *w1,
                                    const int8_t *w2, const int8_t *w3, int32_t k0, int32_t k_dim) {
  int32x4_t h[4], l[4];
  const int8_t *r[4] = {w0, w1, w2, w3};
  IG_UNROLL for (int32_t i = 0; i < 4; i++) h[i] = l[i] = vdupq_n_s32(0);
  int32_t k = k0;
  for (; k + 16 <= k_dim; k += 16) {
    int8x16_t xh = vld1q_s8(hi + k), xl = vld1q_s8(lo + k);
    IG_UNROLL for (int32_t i = 0; i < 4; i++) ig_s16_step(vld1q_s8(r[i] + k), xh, xl, &h[i], &l[i]);
  }
  int32x4_t s = vaddq_s32(vshlq_n_s32(ig_reduce4(h[0], h[1], h[2], h[3]), 8), ig_reduce4(l[0], l[1], l[2], l[3]));
  if (k < k_dim) {
    int32_t t[4] = {0, 0, 0, 0};
    for (; k < k_dim; k++)
      IG_UNROLL for (int32_t i = 0; i < 4; i++)
        t[i] = ig_wadd(t[i], ((int32_t)hi[k] * 256 + lo[k]) * (int32_t)r[i][k]);
    s = vaddq_s32(s, vld1q_s32(t));
  }
  return s;
}

/* One row's 64 columns (weights in v16-v19) times hi (v24-v27) into v<h> and times lo (v20-v23) into v<l>: the
 * int16 pair sums in v28-v31, four independent chains for an in-order core. */
#define IG_S16_ROW(h, l)                                                                                            \
  "smull v28.8h, v16.8b, v24.8b\n\t" "smull v29.8h, v17.8b, v25.8b\n\t"                                            \
  "smull v30.8h, v18.8b, v26.8b\n\t" "smull v31.8h, v19.8b, v27.8b\n\t"                                            \
  "smlal2 v28.8h, v16.16b, v24.16b\n\t" "smlal2 v29.8h, v17.16b, v25.16b\n\t"                                      \
  "smlal2 v30.8h, v18.16b, v26.16b\n\t" "smlal2 v31.8h, v19.16b, v27.16b\n\t"                                      \
  "sadalp v" h ".4s, v28.8h\n\t" "sadalp v" h ".4s, v29.8h\n\t" "sadalp v" h ".4s, v30.8h\n\t"                      \
  "sadalp v" h ".4s, v31.8h\n\t"                                                                                    \
  "smull v28.8h, v16.8b, v20.8b\n\t" "smull v29.8h, v17.8b, v21.8b\n\t"                                            \
  "smull v30.8h, v18.8b, v22.8b\n\t" "smull v31.8h, v19.8b, v23.8b\n\t"                                            \
  "smlal2 v28.8h, v16.16b, v20.16b\n\t" "smlal2 v29.8h, v17.16b, v21.16b\n\t"                                      \
  "smlal2 v30.8h, v18.16b, v22.16b\n\t" "smlal2 v31.8h, v19.16b, v23.16b\n\t"                                      \
  "sadalp v" l ".4s, v28.8h\n\t" "sadalp v" l ".4s, v29.8h\n\t" "sadalp v" l ".4s, v30.8h\n\t"                      \
  "sadalp v" l ".4s, v31.8h\n\t"
#define IG_S16_LD(q) "ld1 {v16.16b - v19.16b}, [%[" q "]], #64\n\t"

/* out[0..8) = 256 (hi . w_r) + (lo . w_r) of eight consecutive rows (row r at w + r * k_dim), k_dim >= 64: the
 * 64-column steps in assembly (hi sums v0-v7, lo sums v8-v15; per 512 MACs 10 loads, 192 multiply / accumulate
 * and 2 loop instructions), the last K mod 64 by ig_dot4rows_s16. */
IG_INLINE void ig_dot8rows_s16(const int8_t *hi, const int8_t *lo, const int8_t *w, int32_t k_dim, int32_t *out) {
  const size_t kd = (size_t)k_dim;
  const int8_t *hp = hi, *lp = lo, *q0 = w, *q1, *q2, *q3, *q4, *q5, *q6, *q7;
  int64_t iters = k_dim >> 6;
  int32_t *op = out;
  __asm__ volatile(
      "movi v0.4s, #0\n\t" "movi v1.4s, #0\n\t" "movi v2.4s, #0\n\t" "movi v3.4s, #0\n\t"
      "movi v4.4s, #0\n\t" "movi v5.4s, #0\n\t" "movi v6.4s, #0\n\t" "movi v7.4s, #0\n\t"
      "movi v8.4s, #0\n\t" "movi v9.4s, #0\n\t" "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t"
      "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t" "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t"
      "add %[q1], %[q0], %[kd]\n\t" "add %[q2], %[q1], %[kd]\n\t" "add %[q3], %[q2], %[kd]\n\t"
      "add %[q4], %[q3], %[kd]\n\t" "add %[q5], %[q4], %[kd]\n\t" "add %[q6], %[q5], %[kd]\n\t"
      "add %[q7], %[q6], %[kd]\n\t"
      "1:\n\t"
      "ld1 {v24.16b - v27.16b}, [%[hp]], #64\n\t"
      "ld1 {v20.16b - v23.16b}, [%[lp]], #64\n\t"
      IG_S16_LD("q0") IG_S16_ROW("0", "8") IG_S16_LD("q1") IG_S16_ROW("1", "9")
      IG_S16_LD("q2") IG_S16_ROW("2", "10") IG_S16_LD("q3") IG_S16_ROW("3", "11")
      IG_S16_LD("q4") IG_S16_ROW("4", "12") IG_S16_LD("q5") IG_S16_ROW("5", "13")
      IG_S16_LD("q6") IG_S16_ROW("6", "14") IG_S16_LD("q7")
      "subs %[n], %[n], #1\n\t"
      IG_S16_ROW("7", "15")
      "b.ne 1b\n\t"
      /* [row 0..3], [row 4..7] of the hi and of the lo sums, then 256 hi + lo */
      "addp v0.4s, v0.4s, v1.4s\n\t" "addp v2.4s, v2.4s, v3.4s\n\t" "addp v0.4s, v0.4s, v2.4s\n\t"
      "addp v4.4s, v4.4s, v5.4s\n\t" "addp v6.4s, v6.4s, v7.4s\n\t" "addp v4.4s, v4.4s, v6.4s\n\t"
      "addp v8.4s, v8.4s, v9.4s\n\t" "addp v10.4s, v10.4s, v11.4s\n\t" "addp v8.4s, v8.4s, v10.4s\n\t"
      "addp v12.4s, v12.4s, v13.4s\n\t" "addp v14.4s, v14.4s, v15.4s\n\t" "addp v12.4s, v12.4s, v14.4s\n\t"
      "shl v0.4s, v0.4s, #8\n\t" "shl v4.4s, v4.4s, #8\n\t"
      "add v8.4s, v8.4s, v0.4s\n\t" "add v12.4s, v12.4s, v4.4s\n\t"
      "st1 {v8.4s}, [%[op]], #16\n\t" "st1 {v12.4s}, [%[op]]\n\t"
      : [hp] "+r"(hp), [lp] "+r"(lp), [q0] "+r"(q0), [q1] "=&r"(q1), [q2] "=&r"(q2), [q3] "=&r"(q3),
        [q4] "=&r"(q4), [q5] "=&r"(q5), [q6] "=&r"(q6), [q7] "=&r"(q7), [n] "+r"(iters), [op] "+r"(op)
      : [kd] "r"(kd)
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
        "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc",
        "memory");
  int32_t k = k_dim & ~63;
  if (k < k_dim) {
    int32x4_t a = ig_dot4rows_s16(hi, lo, w, w + kd, w + 2 * kd, w + 3 * kd, k, k_dim);
    int32x4_t b = ig_dot4rows_s16(hi, lo, w + 4 * kd, w + 5 * kd, w + 6 * kd, w + 7 * kd, k, k_dim);
    vst1q_s32(out, vaddq_s32(vld1q_s32(out), a));
    vst1q_s32(out + 4, vaddq_s32(vld1q_s32(out + 4), b));
  }
}
#undef IG_S16_ROW
#undef IG_S16_LD

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  int8_t hi[k_dim + 1] __attribute__((aligned(16))), lo[k_dim + 1] __attribute__((aligned(16)));
  ig_split_hi_lo(x, k_dim, k_dim, hi, lo);
  int32_t n = 0;
  if (k_dim >= 64)
    for (; n + 8 <= n_dim; n += 8) {
      int32_t s[8] __attribute__((aligned(16)));
      ig_dot8rows_s16(hi, lo, w + (size_t)n * (size_t)k_dim, k_dim, s);
      ig_output8(vaddq_s32(vld1q_s32(s), vld1q_s32(bias + n)), vaddq_s32(vld1q_s32(s + 4), vld1q_s32(bias + n + 4)),
                 mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), out_bytes);
    }
  for (; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    /* fewer than 4 rows left: repeat the last row (its extra lanes are not stored) */
    const int8_t *w1 = count > 1 ? w0 + k_dim : w0, *w2 = count > 2 ? w1 + k_dim : w1, *w3 = count > 3 ? w2 + k_dim : w2;
    int32x4_t acc = vaddq_s32(ig_dot4rows_s16(hi, lo, w0, w1, w2, w3, 0, k_dim), ig_load4_s32(bias + n, count));
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}
#endif

void ig_fc_s16_s8(IG_FC_S16_ARGS, int8_t *y) { fc_s16(IG_FC_S16_PASS, y, 1); }
void ig_fc_s16_s16(IG_FC_S16_ARGS, int16_t *y) { fc_s16(IG_FC_S16_PASS, y, 2); }
void ig_fc_s16_s32(IG_FC_S16_ARGS, int32_t *y) { fc_s16(IG_FC_S16_PASS, y, 4); }
