/* Fully connected, int8 activations, int4 weights packed in row pairs (ig_kernels.h): portable C. */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

void ig_fc_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *mult,
                const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
                int32_t act_max, int8_t *y) {
  for (int32_t n = 0; n < n_dim; n += 2) {
    const int8_t *row = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    int32_t acc0 = bias[n], acc1 = 0;
    for (int32_t k = 0; k < k_dim; k++) {
      int32_t b = row[k];
      acc0 += (int32_t)x[k] * (b >> 4);         /* high nibble, signed (arithmetic shift) */
      acc1 += (int32_t)x[k] * ((b & 15) - 8);   /* low nibble, biased by 8 */
    }
    y[n] = ig_output_s8(acc0, mult[n], shift[n], y_zp, act_min, act_max);
    if (n + 1 < n_dim) y[n + 1] = ig_output_s8(ig_wadd(acc1, bias[n + 1]), mult[n + 1], shift[n + 1], y_zp, act_min, act_max);
  }
}
