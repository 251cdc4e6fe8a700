/* Fully connected with group-wise integer scale factors, int4 weights in row pairs: AArch64 NEON. One body for
 * the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8w4 ig_fc_grouped_s8w4_to_s16 ig_fc_grouped_s8w4_to_s32 */
#include "ig_kernels.h"
#include "ig_neon_common.h"

IG_INLINE void fc_grouped_s8w4(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    const int8_t *p1 = count > 2 ? p0 + k_dim : p0;
    int32x4_t acc = ig_load4_s32(bias + n, count);
    for (int32_t g = 0; g < groups; g++) {
      int32_t k0 = g * group_size;
      int32x4_t s = ig_dot2pairs_s8w4(x, p0, p1, k0, k0 + group_size, ig_sum_s8(x, k0, k0 + (group_size & ~15)));
      acc = vmlaq_s32(acc, s, ig_load4_s32(group_scale_t + (size_t)g * (size_t)n_dim + n, count));
    }
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
