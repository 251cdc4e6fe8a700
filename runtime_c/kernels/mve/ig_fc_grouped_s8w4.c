/* Fully connected with group-wise integer scale factors, int8 activations, int4 weights in row pairs
 * (ig_kernels.h, the layout codegen/packing.py gives families without a blocked one): Helium, two pairs (four
 * rows) per activation load and group (ig_mve_dot_pairs_w4: the low nibbles' bias taken out with the group's
 * sum x), scaled with wrapping int32 arithmetic as the reference. One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_grouped_s8w4(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t rows = n_dim - n < 4 ? n_dim - n : 4;
    int32_t pairs = rows > 2 ? 2 : 1;
    /* an odd N's padding row (weights 0) borrows the scale of the row before it, as the portable kernel */
    int32_t col[4] = {n, n + 1 < n_dim ? n + 1 : n, n + 2 < n_dim ? n + 2 : n, n + 3 < n_dim ? n + 3 : n + 2};
    int32_t acc[4] = {bias[col[0]], bias[col[1]], bias[col[2]], bias[col[3]]};
    for (int32_t g = 0; g < groups; g++) {
      const int8_t *xg = x + g * group_size;
      int32_t lo = -ig_wmul(8, ig_mve_sum_s8(xg, group_size));
      int32_t p[4] = {0, lo, 0, lo};
      const int8_t *wp = w + (size_t)(n >> 1) * (size_t)k_dim + g * group_size;
      if (pairs == 2) ig_mve_dot_pairs_w4(xg, wp, k_dim, group_size, 2, p); /* a constant pair count: one loop each */
      else ig_mve_dot_pairs_w4(xg, wp, k_dim, group_size, 1, p);
      const int32_t *scale = group_scale_t + (size_t)g * (size_t)n_dim;
      for (int32_t r = 0; r < 2 * pairs; r++) acc[r] = ig_wadd(acc[r], ig_wmul(p[r], scale[col[r]]));
    }
    for (int32_t r = 0; r < rows; r++)
      ig_store(y, n + r, ig_output_i32(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
