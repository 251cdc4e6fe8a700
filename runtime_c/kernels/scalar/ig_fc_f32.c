#include "ig_kernels.h"

void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  for (int32_t n = 0; n < n_dim; n++) {
    const float *row = w + (size_t)n * (size_t)k_dim;
    float acc = b[n];
    for (int32_t k = 0; k < k_dim; k++) acc += x[k] * row[k];
    y[n] = (relu && acc < 0.0f) ? 0.0f : acc;
  }
}
