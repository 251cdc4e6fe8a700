/* Fully connected with group-wise integer scale factors, int8 activations, int4 weights in row pairs
 * (ig_kernels.h, the layout codegen/packing.py gives families without a blocked one): Helium, one packed byte
 * vector feeding two rows per group (ig_mve_dot_pair_w4), scaled with wrapping int32 arithmetic as the reference.
 * One body for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8w4 ig_fc_grouped_s8w4_to_s16 ig_fc_grouped_s8w4_to_s32 */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_grouped_s8w4(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 2) {
    const int8_t *row = w + (size_t)(n >> 1) * (size_t)k_dim;
    int32_t last = n + 1 < n_dim ? n + 1 : n; /* odd N: the padding row (weights 0) borrows row n's scale */
    int32_t acc0 = bias[n], acc1 = bias[last];
    for (int32_t g = 0; g < groups; g++) {
      int32_t p0 = 0, p1 = 0;
      ig_mve_dot_pair_w4(x + g * group_size, row + g * group_size, group_size, &p0, &p1);
      const int32_t *scale = group_scale_t + (size_t)g * (size_t)n_dim;
      acc0 = ig_wadd(acc0, ig_wmul(p0, scale[n]));
      acc1 = ig_wadd(acc1, ig_wmul(p1, scale[last]));
    }
    ig_store(y, n, ig_output_i32(acc0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim) ig_store(y, n + 1, ig_output_i32(acc1, mult[n + 1], shift[n + 1], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
