/* Fully connected with group-wise integer scale factors, int8 activations and weights (row-major, the layout
 * codegen/packing.py gives families without a blocked one): Helium, four rows at a time, each group's dot products
 * tail-predicated (ig_mve_common.h) and scaled with wrapping int32 arithmetic as the reference.
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_grouped_s8(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size, n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    for (int32_t g = 0; g < groups; g++) {
      int32_t s[4] = {0, 0, 0, 0};
      const int32_t *scale = group_scale_t + (size_t)g * (size_t)n_dim + (size_t)n;
      ig_mve_dot4_s8(x + g * group_size, w + (size_t)n * (size_t)k_dim + g * group_size, k_dim, group_size, s);
      for (int32_t r = 0; r < 4; r++) acc[r] = ig_wadd(acc[r], ig_wmul(s[r], scale[r]));
    }
    ig_mve_output4(vld1q_s32(acc), mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
  }
  for (; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = ig_mve_dot1_s8(x + g * group_size, row + g * group_size, group_size, 0);
      acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 4); }
