/* Fully connected with group-wise integer scale factors, int8 activations and weights: portable C. */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

void ig_fc_grouped_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t,
                      const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size,
                      int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) s += (int32_t)x[k] * (int32_t)row[k];
      acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    y[n] = ig_output_s8(acc, mult[n], shift[n], y_zp, act_min, act_max);
  }
}
