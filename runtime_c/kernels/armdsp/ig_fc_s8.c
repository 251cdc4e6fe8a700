/* Fully connected, int8 activations and weights: Cortex-M4/M7 DSP (SXTB16 + SMLAD), four output channels at a
 * time sharing the split activations; weights in this family's 4-row interleaved layout (ig_armdsp_common.h).
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

IG_INLINE void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    ig_blk_dot_s8(x, w + (size_t)n * (size_t)k_dim, k_dim, 0, k_dim, acc);
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  for (; n < n_dim; n++) { /* the last N % 4 rows, row-major */
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim, *xp = x;
    int32_t a0 = bias[n], k = 0;
    for (; k + 4 <= k_dim; k += 4, xp += 4, w0 += 4) {
      uint32_t xv = ig_ld32(xp), v = ig_ld32(w0);
      a0 = __smlad(__sxtb16(v), __sxtb16(xv), a0);
      a0 = __smlad(ig_sxtb16_ror8(v), ig_sxtb16_ror8(xv), a0);
    }
    for (; k < k_dim; k++) a0 += (int32_t)x[k] * *w0++;
    ig_store(y, n, ig_dsp_output(a0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }
