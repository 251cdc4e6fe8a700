/* Fully connected with group-wise integer scale factors, int4 weights: Cortex-M4/M7 DSP, row pairs in this
 * family's 2-pair interleaved layout (ig_armdsp_common.h). One body for the int8 / int16 / int32 outputs.
 * Groups of a multiple of 4: two pairs (four rows) at a time, the raw bytes and their high nibbles (SXTB16, BIC) by
 * SMLAD into cumulative sums (never reset), decoded and multiplied by the scale differences that follow the group's
 * words once per group, one piece of assembly per block; the sums of x once per call. Other group sizes: the scalar column loops at the group boundaries (ig_blk_dot_w4). */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"
#include "ig_ops_quant.h"

/* One word of 4 columns x 2 pairs (16 MACs) in 20 instructions: LDR x, LDRD w, 2 SXTB16 x, per pair 2 SXTB16, 2 BIC
 * (the high nibble of each int16 lane: 16 w[2p]), 4 SMLAD (raw sums r, high-nibble sums h). */
#define IG_GDSP_PAIR(v, r, h)                                                                                       \
  "sxtb16 %[t], %[" v "]\n\t"                                                                                       \
  "smlad %[" r "], %[t], %[xe], %[" r "]\n\t"                                                                      \
  "bic %[t], %[t], #0x000F000F\n\t"                                                                                 \
  "smlad %[" h "], %[t], %[xe], %[" h "]\n\t"                                                                      \
  "sxtb16 %[t], %[" v "], ror #8\n\t"                                                                               \
  "smlad %[" r "], %[t], %[xo], %[" r "]\n\t"                                                                      \
  "bic %[t], %[t], #0x000F000F\n\t"                                                                                 \
  "smlad %[" h "], %[t], %[xo], %[" h "]\n\t"
#define IG_GDSP_STEP_W4                                                                                             \
  "ldr %[xe], [%[xp]], #4\n\t"                                                                                     \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "sxtb16 %[xo], %[xe], ror #8\n\t"                                                                                \
  "sxtb16 %[xe], %[xe]\n\t"                                                                                        \
  IG_GDSP_PAIR("v0", "r0", "h0") IG_GDSP_PAIR("v1", "r1", "h1")

/* The end of a group: with the cumulative sums r (raw bytes), h (16 x the even rows) and csx = 8 x the cumulative
 * sum of x, the even rows' sums h >> 4 and the odd rows' r - h - csx (ig_kernels.h) times the 4 scale differences
 * that follow the group's words, added to the accumulators st[0..4). st[4] = the words per group (halved for the
 * two-word loop), st[5] = the next csx (a pointer: there are no registers left). */
#define IG_GDSP_GROUP_W4                                                                                            \
  "ldr %[t], [%[st], #20]\n\t"                                                                                     \
  "ldr %[n], [%[t]], #4\n\t"                                                                                       \
  "str %[t], [%[st], #20]\n\t"                                                                                     \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "ldrd %[xe], %[xo], [%[st]]\n\t"                                                                                 \
  "asr %[t], %[h0], #4\n\t"                                                                                        \
  "mla %[xe], %[v0], %[t], %[xe]\n\t"                                                                              \
  "sub %[t], %[r0], %[h0]\n\t"                                                                                     \
  "sub %[t], %[t], %[n]\n\t"                                                                                       \
  "mla %[xo], %[v1], %[t], %[xo]\n\t"                                                                              \
  "strd %[xe], %[xo], [%[st]]\n\t"                                                                                 \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "ldrd %[xe], %[xo], [%[st], #8]\n\t"                                                                             \
  "asr %[t], %[h1], #4\n\t"                                                                                        \
  "mla %[xe], %[v0], %[t], %[xe]\n\t"                                                                              \
  "sub %[t], %[r1], %[h1]\n\t"                                                                                     \
  "sub %[t], %[t], %[n]\n\t"                                                                                       \
  "mla %[xo], %[v1], %[t], %[xo]\n\t"                                                                              \
  "strd %[xe], %[xo], [%[st], #8]\n\t"
/* The same for asymmetric groups (ig_fc_grouped_asym_s8w4): st[5] walks the cumulative sums of x C (not 8 C), and
 * each pair's two scale differences are followed by two more, dOA (the offsets' differences of the even row) and
 * dOB - 8 dB (the odd row's), multiplied by C: the group offsets' term sum_g o_g sx_g = sum_g (o_g - o_g+1) C_g
 * with the odd rows' -8 C dB folded in. Two LDRD and two MLA more per group than the symmetric end, one SUB less
 * per pair. */
#define IG_GDSP_GROUP_ASYM_HALF(off, r, h)                                                                          \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "ldrd %[xe], %[xo], [%[st], #" off "]\n\t"                                                                       \
  "asr %[t], %[" h "], #4\n\t"                                                                                     \
  "mla %[xe], %[v0], %[t], %[xe]\n\t"                                                                              \
  "sub %[t], %[" r "], %[" h "]\n\t"                                                                               \
  "mla %[xo], %[v1], %[t], %[xo]\n\t"                                                                              \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "mla %[xe], %[v0], %[n], %[xe]\n\t"                                                                              \
  "mla %[xo], %[v1], %[n], %[xo]\n\t"                                                                              \
  "strd %[xe], %[xo], [%[st], #" off "]\n\t"
#define IG_GDSP_GROUP_ASYM_W4                                                                                       \
  "ldr %[t], [%[st], #20]\n\t"                                                                                     \
  "ldr %[n], [%[t]], #4\n\t"                                                                                       \
  "str %[t], [%[st], #20]\n\t"                                                                                     \
  IG_GDSP_GROUP_ASYM_HALF("0", "r0", "h0") IG_GDSP_GROUP_ASYM_HALF("8", "r1", "h1")
/* One 2-pair block over all groups (the blocked layout), the group loop ending when x reaches x_end. Per group: 20
 * instructions per word (+1 per two words for the loop), 22 for the group. */
#define IG_GDSP_BLOCK_W4(words_loop) IG_GDSP_BLOCK_W4_END(words_loop, IG_GDSP_GROUP_W4)
#define IG_GDSP_BLOCK_W4_END(words_loop, group_end)                                                                 \
  __asm__ volatile("movs %[r0], #0\n\t" "movs %[h0], #0\n\t" "movs %[r1], #0\n\t" "movs %[h1], #0\n\t"             \
                   "1:\n\t" "ldr %[n], [%[st], #16]\n\t" "2:\n\t" words_loop "subs %[n], %[n], #1\n\t" "bne 2b\n\t" \
                   group_end "cmp %[xp], %[xend]\n\t" "bne 1b\n\t"                                                  \
                   : [r0] "=&r"(r0), [h0] "=&r"(h0), [r1] "=&r"(r1), [h1] "=&r"(h1), [xp] "+r"(xp), [wp] "+r"(wp),  \
                     [xe] "=&r"(xe), [xo] "=&r"(xo), [v0] "=&r"(v0), [v1] "=&r"(v1), [t] "=&r"(t), [n] "=&r"(n)    \
                   : [st] "r"(st), [xend] "r"(xend)                                                                \
                   : "memory", "cc")

/* asym: the group ends of asymmetric groups (csx: C, the weights' group records 16 bytes longer) */
IG_INLINE void ig_grouped_block_w4(const int8_t *x, const int8_t *w, int32_t k_dim, int32_t words,
                                   const int32_t *csx, int32_t st[6], int asym) {
  const int8_t *xp = x, *wp = w, *xend = x + k_dim;
  int32_t r0, h0, r1, h1, n;
  uint32_t xe, xo, v0, v1, t;
  st[5] = (int32_t)(uintptr_t)csx;
  if (words & 1) {
    st[4] = words;
    if (asym) IG_GDSP_BLOCK_W4_END(IG_GDSP_STEP_W4, IG_GDSP_GROUP_ASYM_W4);
    else IG_GDSP_BLOCK_W4(IG_GDSP_STEP_W4);
  } else {
    st[4] = words >> 1;
    if (asym) IG_GDSP_BLOCK_W4_END(IG_GDSP_STEP_W4 IG_GDSP_STEP_W4, IG_GDSP_GROUP_ASYM_W4);
    else IG_GDSP_BLOCK_W4(IG_GDSP_STEP_W4 IG_GDSP_STEP_W4);
  }
}
#undef IG_GDSP_PAIR
#undef IG_GDSP_STEP_W4
#undef IG_GDSP_GROUP_W4
#undef IG_GDSP_BLOCK_W4
#undef IG_GDSP_BLOCK_W4_END
#undef IG_GDSP_GROUP_ASYM_HALF
#undef IG_GDSP_GROUP_ASYM_W4

/* csx[g] = the sum of x over groups 0..g, shifted left by `left` (wrapping int32); two SMLAD per word */
IG_INLINE void cumulative_sums(const int8_t *x, int32_t groups, int32_t group_size, int32_t left, int32_t *csx) {
  for (int32_t g = 0, s = 0; g < groups; g++) {
    for (int32_t k = g * group_size; k < (g + 1) * group_size; k += 4) {
      uint32_t xv = ig_ld32(x + k);
      s = __smlad(__sxtb16(xv), 0x00010001u, s);
      s = __smlad(ig_sxtb16_ror8(xv), 0x00010001u, s);
    }
    csx[g] = (int32_t)((uint32_t)s << left);
  }
}

/* Groups of a multiple of 4 columns (the blocked layout of ig_armdsp_common.h). */
IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  const int32_t groups = k_dim / group_size, words = group_size / 4;
  const size_t block = (size_t)groups * (size_t)(2 * group_size + 16);
  int32_t csx[IG_GROUPED_MAX_GROUPS];
  cumulative_sums(x, groups, group_size, 3, csx);
  const int8_t *wb = w_pairs;
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4, wb += block) {
    int32_t st[6] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3], 0, 0};
    ig_grouped_block_w4(x, wb, k_dim, words, csx, st, 0);
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(st[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  const int32_t tail = n_dim - n; /* the last one or two pairs, pair-major; their differences [G][tail] */
  const int32_t *d = group_scale_t;
  for (int32_t r = 0; r < tail; r += 2) {
    const int8_t *row = wb + (size_t)(r >> 1) * (size_t)k_dim;
    int32_t c0 = 0, c1 = 0, a0 = bias[n + r], a1 = r + 1 < tail ? bias[n + r + 1] : 0;
    for (int32_t g = 0; g < groups; g++) {
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) {
        int32_t b = row[k];
        c0 += (int32_t)x[k] * (b >> 4);
        c1 += (int32_t)x[k] * ((b & 15) - 8);
      }
      a0 = ig_wadd(a0, ig_wmul(d[g * tail + r], c0));
      if (r + 1 < tail) a1 = ig_wadd(a1, ig_wmul(d[g * tail + r + 1], c1));
    }
    ig_store(y, n + r, ig_dsp_output(a0, mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
    if (r + 1 < tail)
      ig_store(y, n + r + 1, ig_dsp_output(a1, mult[n + r + 1], shift[n + r + 1], y_zp, act_min, act_max), out_bytes);
  }
}

/* Asymmetric groups (fully_connected_asym's group offsets, codegen/op_calls_quant.py), N a multiple of 4 and groups
 * of a multiple of 4: each group record of a block holds per pair dA, dB, then dOA, dOB - 8 dB (IG_GDSP_GROUP_ASYM_W4),
 * so the offset term needs no pass of its own. */
IG_INLINE void fc_blocked_asym(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  (void)group_scale_t;
  const int32_t groups = k_dim / group_size, words = group_size / 4;
  const size_t block = (size_t)groups * (size_t)(2 * group_size + 32);
  int32_t csx[IG_GROUPED_MAX_GROUPS];
  cumulative_sums(x, groups, group_size, 0, csx);
  const int8_t *wb = w;
  for (int32_t n = 0; n < n_dim; n += 4, wb += block) {
    int32_t st[6] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3], 0, 0};
    ig_grouped_block_w4(x, wb, k_dim, words, csx, st, 1);
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(st[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_asym_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_blocked_asym(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_asym_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_blocked_asym(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_asym_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_blocked_asym(IG_FC_GROUPED_PASS, y, 4); }

/* Any group size: the scales transposed to [G, N]. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t groups = k_dim / group_size;
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const int8_t *blk = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    for (int32_t g = 0; g < groups; g++) {
      int32_t s[4] = {0, 0, 0, 0};
      ig_blk_dot_w4(x, blk, k_dim, g * group_size, (g + 1) * group_size, IG_SX_IN_LOOP, s);
      const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
      for (int32_t r = 0; r < 4; r++) acc[r] = ig_wadd(acc[r], ig_wmul(s[r], gs[r]));
    }
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  for (; n < n_dim; n += 2) { /* a last pair (one or two rows), pair-major */
    int32_t a[2];
    ig_grouped_pair_s8w4(x, w_pairs, bias, group_scale_t, k_dim, n_dim, group_size, groups, n, a);
    ig_store(y, n, ig_dsp_output(a[0], mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim)
      ig_store(y, n + 1, ig_dsp_output(a[1], mult[n + 1], shift[n + 1], y_zp, act_min, act_max), out_bytes);
  }
}

#define IG_FC_GROUPED_W4 1
#include "ig_fc_grouped_entries.h"
