/* Fully connected with group-wise integer scale factors, int4 weights in row pairs: RVV 1.0, vector-length
 * agnostic. */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

void ig_fc_grouped_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *group_scale_t,
                        const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim,
                        int32_t group_size, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  int32_t acc[IG_RVV_BLOCK];
  int32_t groups = k_dim / group_size;
  ig_rvv_set_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      const int8_t *p1 = rows > 2 ? p0 + k_dim : p0;
      int32_t a[4] = {0, 0, 0, 0};
      for (int32_t g = 0; g < groups; g++) {
        int32_t k0 = g * group_size, k1 = k0 + group_size;
        ig_dot2pairs_s8w4(x, p0, p1, k0, k1, ig_sum_s8(x, k0, k1), s);
        const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
        for (int32_t r = 0; r < rows; r++) a[r] = ig_wadd(a[r], ig_wmul(s[r], gs[r]));
      }
      for (int32_t r = 0; r < rows; r++) acc[i + r] = ig_wadd(a[r], bias[n + r]);
    }
    ig_output_block_s8(acc, mult + n0, shift + n0, y_zp, act_min, act_max, y + n0, count);
  }
}
