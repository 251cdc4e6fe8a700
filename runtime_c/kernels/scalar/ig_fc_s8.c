/* Fully connected, int8 activations and weights, per-channel requantization: portable C.
 * One body for the int8 / int16 / int32 outputs (out_bytes is a constant in each entry point). */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

static inline __attribute__((always_inline)) void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t k = 0; k < k_dim; k++) acc += (int32_t)x[k] * (int32_t)row[k];
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

IG_WEAK void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
IG_WEAK void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
IG_WEAK void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }
