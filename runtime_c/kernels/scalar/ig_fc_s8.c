/* Fully connected, int8 activations and weights, per-channel requantization: portable C.
 * One body for the int8 / int16 / int32 outputs (out_bytes is a constant in each entry point). */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

static inline __attribute__((always_inline)) void fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias,
                                                         const int32_t *mult, const int32_t *shift, int32_t k_dim,
                                                         int32_t n_dim, int32_t y_zp, int32_t act_min,
                                                         int32_t act_max, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t k = 0; k < k_dim; k++) acc += (int32_t)x[k] * (int32_t)row[k];
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

IG_WEAK void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y) {
  fc_s8(x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max, y, 1);
}

IG_WEAK void ig_fc_s8_to_s16(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
                     const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
                     int32_t act_max, int16_t *y) {
  fc_s8(x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max, y, 2);
}

IG_WEAK void ig_fc_s8_to_s32(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
                     const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
                     int32_t act_max, int32_t *y) {
  fc_s8(x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max, y, 4);
}
