/* Fully connected with group-wise integer scale factors, int8 weights: AArch64 NEON. Four output channels at a
 * time: per group, four dot products (SDOT / SMLAL), then one vector multiply-accumulate by the group's scales.
 * One body for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8 ig_fc_grouped_s8_to_s16 ig_fc_grouped_s8_to_s32 */
#include "ig_kernels.h"
#include "ig_neon_common.h"

IG_INLINE void fc_grouped_s8(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    const int8_t *w1 = count > 1 ? w0 + k_dim : w0, *w2 = count > 2 ? w1 + k_dim : w1, *w3 = count > 3 ? w2 + k_dim : w2;
    int32x4_t acc = ig_load4_s32(bias + n, count);
    for (int32_t g = 0; g < groups; g++) {
      int32x4_t s = ig_dot4rows_s8(x, w0, w1, w2, w3, g * group_size, (g + 1) * group_size);
      acc = vmlaq_s32(acc, s, ig_load4_s32(group_scale_t + (size_t)g * (size_t)n_dim + n, count));
    }
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 4); }
