/* Fully connected with group-wise integer scale factors, int8 weights: Cortex-M4/M7 DSP, this family's 4-row
 * interleaved layout (ig_armdsp_common.h); word-aligned parts of each group use SMLAD.
 * One body for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8 ig_fc_grouped_s8_to_s16 ig_fc_grouped_s8_to_s32 */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

IG_INLINE void fc_grouped_s8(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
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
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) s += (int32_t)x[k] * (int32_t)row[k];
      acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    ig_store(y, n, ig_dsp_output(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 4); }
