/* Fully connected with group-wise integer scale factors, int8 weights: Cortex-M4/M7 DSP, this family's 4-row
 * interleaved layout (ig_armdsp_common.h). One body for the int8 / int16 / int32 outputs.
 * Groups of a multiple of 4: four rows at a time, the words of a group by SMLAD into the four rows' cumulative sums
 * (never reset), then four MLA by the scale differences that follow the group's words; one piece of assembly
 * per block. Other group sizes: the scalar column loops at
 * the group boundaries (ig_blk_dot_s8), the scales transposed to [G, N]. */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

/* One 4-row block over all groups (the blocked layout: per group its words, then the 4 scale differences): the
 * cumulative sums in registers, the accumulators in st[0..4) (which start as the biases), st[4] = the words per
 * group (halved for the two-word loop), the group loop ending when x reaches x_end. Per group: 20 instructions
 * per word (+1 per two words for the loop), 13 for the group (scale loads, 4 MLA, accumulators' loads / stores). */
#define IG_GDSP_GROUP_S8                                                                                            \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "ldrd %[xe], %[xo], [%[st]]\n\t"                                                                                 \
  "mla %[xe], %[v0], %[a0], %[xe]\n\t"                                                                             \
  "mla %[xo], %[v1], %[a1], %[xo]\n\t"                                                                             \
  "strd %[xe], %[xo], [%[st]]\n\t"                                                                                 \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t"                                                                             \
  "ldrd %[xe], %[xo], [%[st], #8]\n\t"                                                                             \
  "mla %[xe], %[v0], %[a2], %[xe]\n\t"                                                                             \
  "mla %[xo], %[v1], %[a3], %[xo]\n\t"                                                                             \
  "strd %[xe], %[xo], [%[st], #8]\n\t"
#define IG_GDSP_BLOCK(words_loop)                                                                                   \
  __asm__ volatile("movs %[a0], #0\n\t" "movs %[a1], #0\n\t" "movs %[a2], #0\n\t" "movs %[a3], #0\n\t"             \
                   "1:\n\t" "ldr %[n], [%[st], #16]\n\t" "2:\n\t" words_loop "subs %[n], %[n], #1\n\t" "bne 2b\n\t" \
                   IG_GDSP_GROUP_S8 "cmp %[xp], %[xend]\n\t" "bne 1b\n\t"                                           \
                   : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xp] "+r"(xp), [wp] "+r"(wp),  \
                     [xe] "=&r"(xe), [xo] "=&r"(xo), [v0] "=&r"(v0), [v1] "=&r"(v1), [t] "=&r"(t), [n] "=&r"(n)    \
                   : [st] "r"(st), [xend] "r"(xend)                                                                \
                   : "memory", "cc")

IG_INLINE void ig_grouped_block_s8(const int8_t *x, const int8_t *w, int32_t k_dim, int32_t words, int32_t st[5]) {
  const int8_t *xp = x, *wp = w, *xend = x + k_dim;
  int32_t a0, a1, a2, a3, n;
  uint32_t xe, xo, v0, v1, t;
  if (words & 1) {
    st[4] = words;
    IG_GDSP_BLOCK(IG_DSP_STEP_S8);
  } else {
    st[4] = words >> 1;
    IG_GDSP_BLOCK(IG_DSP_STEP_S8 IG_DSP_STEP_S8);
  }
}
#undef IG_GDSP_GROUP_S8
#undef IG_GDSP_BLOCK

/* Groups of a multiple of 4 columns (the blocked layout of ig_armdsp_common.h). */
IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int32_t groups = k_dim / group_size, words = group_size / 4;
  const size_t block = (size_t)groups * (size_t)(4 * group_size + 16);
  const int8_t *wb = w;
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4, wb += block) {
    int32_t st[5] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3], 0};
    ig_grouped_block_s8(x, wb, k_dim, words, st);
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(st[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  const int32_t tail = n_dim - n; /* the last N % 4 rows, row-major; their differences [G][tail] */
  const int32_t *d = group_scale_t;
  for (int32_t r = 0; r < tail; r++) {
    const int8_t *row = wb + (size_t)r * (size_t)k_dim;
    int32_t c = 0, acc = bias[n + r];
    for (int32_t g = 0; g < groups; g++) {
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k += 4) {
        uint32_t xv = ig_ld32(x + k), v = ig_ld32(row + k);
        c = __smlad(__sxtb16(v), __sxtb16(xv), c);
        c = __smlad(ig_sxtb16_ror8(v), ig_sxtb16_ror8(xv), c);
      }
      acc = ig_wadd(acc, ig_wmul(d[g * tail + r], c));
    }
    ig_store(y, n + r, ig_dsp_output(acc, mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
}

/* Any group size: the scales transposed to [G, N]. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const int8_t *blk = w + (size_t)n * (size_t)k_dim;
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    for (int32_t g = 0; g < groups; g++) {
      int32_t s[4] = {0, 0, 0, 0};
      ig_blk_dot_s8(x, blk, k_dim, g * group_size, (g + 1) * group_size, s);
      const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
      for (int32_t r = 0; r < 4; r++) acc[r] = ig_wadd(acc[r], ig_wmul(s[r], gs[r]));
    }
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  for (; n < n_dim; n++) { /* the last N % 4 rows, row-major */
    int32_t acc = ig_grouped_row_s8(x, w, bias, group_scale_t, k_dim, n_dim, group_size, groups, n);
    ig_store(y, n, ig_dsp_output(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

#define IG_FC_GROUPED_W4 0
#include "ig_fc_grouped_entries.h"
