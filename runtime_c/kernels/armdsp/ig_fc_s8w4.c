/* Fully connected, int8 activations, int4 weights: Cortex-M4/M7 DSP. Row pairs (ig_kernels.h) in this family's
 * 2-pair interleaved layout; each packed byte is multiplied as it is and masked to its high nibble after SXTB16
 * (one BIC per two bytes), so unpacking costs less than int8's second weight load.
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

IG_INLINE void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t sx = ig_sum_s8(x, 0, k_dim & ~3);
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    ig_blk_dot_w4(x, w_pairs + (size_t)(n >> 1) * (size_t)k_dim, k_dim, 0, k_dim, sx, acc);
    for (int32_t r = 0; r < 4; r++)
      ig_store(y, n + r, ig_dsp_output(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
  if (n < n_dim) { /* one or two rows or three: a full pair block (2 pairs) cannot exist here, read pair-major */
    for (; n < n_dim; n += 2) {
      const int8_t *row = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      int32_t a0 = bias[n], a1 = 0;
      for (int32_t k = 0; k < k_dim; k++) {
        int32_t b = row[k];
        a0 += (int32_t)x[k] * (b >> 4);
        a1 += (int32_t)x[k] * ((b & 15) - 8);
      }
      ig_store(y, n, ig_dsp_output(a0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
      if (n + 1 < n_dim)
        ig_store(y, n + 1, ig_dsp_output(a1 + bias[n + 1], mult[n + 1], shift[n + 1], y_zp, act_min, act_max),
                 out_bytes);
    }
  }
}

void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
