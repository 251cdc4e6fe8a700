/* Fully connected with group-wise integer scale factors, int8 weights: RVV 1.0, vector-length agnostic. One body
 * for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_grouped_s8 ig_fc_grouped_s8_to_s16 ig_fc_grouped_s8_to_s32 */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

IG_INLINE void fc_grouped_s8(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t acc[IG_RVV_BLOCK];
  int32_t groups = k_dim / group_size;
  ig_rvv_set_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
      const int8_t *w1 = rows > 1 ? w0 + k_dim : w0, *w2 = rows > 2 ? w1 + k_dim : w1, *w3 = rows > 3 ? w2 + k_dim : w2;
      int32_t a[4] = {0, 0, 0, 0};
      for (int32_t g = 0; g < groups; g++) {
        ig_dot4rows_s8(x, w0, w1, w2, w3, g * group_size, (g + 1) * group_size, s);
        const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
        for (int32_t r = 0; r < rows; r++) a[r] = ig_wadd(a[r], ig_wmul(s[r], gs[r]));
      }
      for (int32_t r = 0; r < rows; r++) acc[i + r] = a[r];
    }
    ig_output_block(acc, bias + n0, mult + n0, shift + n0, y_zp, act_min, act_max,
                    (char *)y + (size_t)n0 * (size_t)out_bytes, count, out_bytes);
  }
}

void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 4); }
