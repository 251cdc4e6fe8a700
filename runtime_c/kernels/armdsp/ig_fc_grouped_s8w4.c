/* Fully connected with group-wise integer scale factors, int4 weights: Cortex-M4/M7 DSP, row pairs in this
 * family's 2-pair interleaved layout (ig_armdsp_common.h).
 * One body for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8w4 ig_fc_grouped_s8w4_to_s16 ig_fc_grouped_s8w4_to_s32 */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

IG_INLINE void fc_grouped_s8w4(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
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
    const int8_t *row = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    int32_t last = n + 1 < n_dim ? n + 1 : n;
    int32_t a0 = bias[n], a1 = bias[last];
    for (int32_t g = 0; g < groups; g++) {
      int32_t p0 = 0, p1 = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) {
        int32_t b = row[k];
        p0 += (int32_t)x[k] * (b >> 4);
        p1 += (int32_t)x[k] * ((b & 15) - 8);
      }
      a0 = ig_wadd(a0, ig_wmul(p0, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
      a1 = ig_wadd(a1, ig_wmul(p1, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)last]));
    }
    ig_store(y, n, ig_dsp_output(a0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim)
      ig_store(y, n + 1, ig_dsp_output(a1, mult[n + 1], shift[n + 1], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
