/* Fully connected, int8 activations and weights: AArch64 NEON (SDOT with dotprod, SMLAL otherwise), eight
 * output rows at a time, then four. */
#include "ig_kernels.h"
#include "ig_neon_common.h"

void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y) {
  int32_t n = 0;
  for (; n + 8 <= n_dim; n += 8) {
    int32x4_t lo, hi;
    ig_dot8rows_s8(x, w + (size_t)n * (size_t)k_dim, k_dim, &lo, &hi);
    ig_output4_s8(vaddq_s32(lo, vld1q_s32(bias + n)), mult + n, shift + n, y_zp, act_min, act_max, y + n, 4);
    ig_output4_s8(vaddq_s32(hi, vld1q_s32(bias + n + 4)), mult + n + 4, shift + n + 4, y_zp, act_min, act_max,
                  y + n + 4, 4);
  }
  for (; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    /* fewer than 4 rows left: repeat the last row (its extra lanes are not stored) */
    const int8_t *w1 = count > 1 ? w0 + k_dim : w0, *w2 = count > 2 ? w1 + k_dim : w1, *w3 = count > 3 ? w2 + k_dim : w2;
    int32x4_t acc = vaddq_s32(ig_dot4rows_s8(x, w0, w1, w2, w3, 0, k_dim), ig_load4_s32(bias + n, count));
    ig_output4_s8(acc, mult + n, shift + n, y_zp, act_min, act_max, y + n, count);
  }
}
