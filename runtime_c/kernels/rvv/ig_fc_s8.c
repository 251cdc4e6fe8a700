/* Fully connected, int8 activations and weights: RVV 1.0, vector-length agnostic. */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y) {
  int32_t acc[IG_RVV_BLOCK];
  ig_rvv_set_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
      const int8_t *w1 = rows > 1 ? w0 + k_dim : w0, *w2 = rows > 2 ? w1 + k_dim : w1, *w3 = rows > 3 ? w2 + k_dim : w2;
      ig_dot4rows_s8(x, w0, w1, w2, w3, 0, k_dim, s);
      for (int32_t r = 0; r < rows; r++) acc[i + r] = ig_wadd(s[r], bias[n + r]);
    }
    ig_output_block_s8(acc, mult + n0, shift + n0, y_zp, act_min, act_max, y + n0, count);
  }
}
