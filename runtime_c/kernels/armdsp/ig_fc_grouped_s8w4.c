/* Fully connected with group-wise integer scale factors, int4 weights: Cortex-M4/M7 DSP, row pairs in this
 * family's 2-pair interleaved layout (ig_armdsp_common.h). */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

void ig_fc_grouped_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *group_scale_t,
                        const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim,
                        int32_t group_size, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
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
    for (int32_t r = 0; r < 4; r++) y[n + r] = ig_output_s8(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max);
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
    y[n] = ig_output_s8(a0, mult[n], shift[n], y_zp, act_min, act_max);
    if (n + 1 < n_dim) y[n + 1] = ig_output_s8(a1, mult[n + 1], shift[n + 1], y_zp, act_min, act_max);
  }
}
