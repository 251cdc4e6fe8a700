/* Fully connected, int16 activations, int8 per-channel weights, each weight loaded once: Cortex-M4/M7 DSP. SMLAD
 * multiplies int16 pairs, so x needs no split: SXTB16 turns a weight word into the pairs (w0, w2) and (w1, w3), and
 * x is regrouped once per call into the matching pairs (x0, x2), (x1, x3) (PKHBT / PKHTB). Weights in this
 * family's 4-row interleaved int8 layout (ig_armdsp_common.h), the zero-point folded bias. Per 4 columns x 4 rows:
 * 19 instructions (LDRD x, 2 LDRD w, 8 SXTB16, 8 SMLAD), one fewer than the int8 kernel. One body for the int8 /
 * int16 / int32 outputs. Exact: the lowering admits only rows with |bias| + 32768 sum |w| < 2^31. */
#include "ig_armdsp_common.h"
#include "ig_ops.h"

/* 4 columns x 4 rows: x's pairs already regrouped (LDRD), no SXTB16 of x */
#define IG_DSP_STEP_S16 "ldrd %[xe], %[xo], [%[xp]], #8\n\t" "ldrd %[v0], %[v1], [%[wp]], #8\n\t" IG_DSP_MACS4

/* Dot products of the regrouped x (pairs[2q] = (x[4q], x[4q+2]), pairs[2q+1] = (x[4q+1], x[4q+3]), q < words)
 * with the four rows of an int8 block, added to acc. */
IG_INLINE void ig_blk_dot_s16(const uint32_t *pairs, const int8_t *blk, int32_t words, int32_t acc[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const uint32_t *xp = pairs;
  const int8_t *wp = blk;
  uint32_t xe, xo, v0, v1, t;
  if (words & 1) __asm__(IG_DSP_STEP_S16 : IG_DSP_OPERANDS : : "memory");
  words >>= 1;
  if (words > 0)
    __asm__("1:\n\t" IG_DSP_STEP_S16 IG_DSP_STEP_S16 "subs %[n], %[n], #1\n\t" "bne 1b\n\t"
            : IG_DSP_OPERANDS, [n] "+r"(words) : : "memory", "cc");
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}
#undef IG_DSP_STEP_S16

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  const int32_t words = k_dim >> 2, kmain = words << 2;
  uint32_t pairs[2 * words + 1] __attribute__((aligned(8)));
  for (int32_t q = 0; q < words; q++) {
    uint32_t a, b; /* (x0, x1), (x2, x3) */
    __builtin_memcpy(&a, x + 4 * q, 4);
    __builtin_memcpy(&b, x + 4 * q + 2, 4);
    pairs[2 * q] = (a & 0xFFFFu) | (b << 16);
    pairs[2 * q + 1] = (b & 0xFFFF0000u) | (a >> 16);
  }
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const int8_t *blk = w + (size_t)n * (size_t)k_dim;
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    ig_blk_dot_s16(pairs, blk, words, acc);
    for (int32_t k = kmain; k < k_dim; k++)
      for (int32_t r = 0; r < 4; r++) acc[r] = ig_wadd(acc[r], (int32_t)x[k] * ig_blk_s8(blk, k_dim, r, k));
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  for (; n < n_dim; n++) { /* the last N % 4 rows, row-major */
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    int32_t a0 = bias[n];
    for (int32_t q = 0; q < words; q++) {
      uint32_t v = ig_ld32(w0 + 4 * q);
      a0 = __smlad(__sxtb16(v), pairs[2 * q], a0);
      a0 = __smlad(ig_sxtb16_ror8(v), pairs[2 * q + 1], a0);
    }
    for (int32_t k = kmain; k < k_dim; k++) a0 = ig_wadd(a0, (int32_t)x[k] * w0[k]);
    ig_store(y, n, ig_dsp_output(a0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_s16_s8(IG_FC_S16_ARGS, int8_t *y) { fc_s16(IG_FC_S16_PASS, y, 1); }
void ig_fc_s16_s16(IG_FC_S16_ARGS, int16_t *y) { fc_s16(IG_FC_S16_PASS, y, 2); }
void ig_fc_s16_s32(IG_FC_S16_ARGS, int32_t *y) { fc_s16(IG_FC_S16_PASS, y, 4); }
