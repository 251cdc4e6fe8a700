/* Fully connected with group-wise integer scale factors, int8 weights: Cortex-M4/M7 DSP, this family's 4-row
 * interleaved layout (ig_armdsp_common.h); word-aligned parts of each group use SMLAD. */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

void ig_fc_grouped_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t,
                      const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size,
                      int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
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
    for (int32_t r = 0; r < 4; r++) y[n + r] = ig_output_s8(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max);
  }
  for (; n < n_dim; n++) { /* the last N % 4 rows, row-major */
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) s += (int32_t)x[k] * (int32_t)row[k];
      acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    y[n] = ig_output_s8(acc, mult[n], shift[n], y_zp, act_min, act_max);
  }
}
