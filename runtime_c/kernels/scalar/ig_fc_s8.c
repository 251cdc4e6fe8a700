#include "ig_fixedpoint.h"
#include "ig_kernels.h"

void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y) {
  for (int32_t n = 0; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t k = 0; k < k_dim; k++) acc += (int32_t)x[k] * (int32_t)row[k];
    acc = ig_requantize(acc, mult[n], shift[n]) + y_zp;
    y[n] = (int8_t)ig_clamp(acc, act_min, act_max);
  }
}
