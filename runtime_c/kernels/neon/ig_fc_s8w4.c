/* Fully connected, int8 activations, int4 weights in row pairs (ig_kernels.h): AArch64 NEON. Each packed byte
 * is multiplied as it is and masked to its high nibble; no unpacking to one weight per byte. */
#include "ig_kernels.h"
#include "ig_neon_common.h"

void ig_fc_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *mult,
                const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
                int32_t act_max, int8_t *y) {
  int32_t sx = ig_sum_s8(x, 0, k_dim & ~15);
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    const int8_t *p1 = count > 2 ? p0 + k_dim : p0;
    int32x4_t acc = vaddq_s32(ig_dot2pairs_s8w4(x, p0, p1, 0, k_dim, sx), ig_load4_s32(bias + n, count));
    ig_output4_s8(acc, mult + n, shift + n, y_zp, act_min, act_max, y + n, count);
  }
}
