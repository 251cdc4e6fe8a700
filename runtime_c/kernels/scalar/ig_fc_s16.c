/* Fully connected, int16 activations, int8 per-channel weights (the a16down step's down projections: per-channel
 * fully_connected_wide), one pass over the weights: portable C, row-major weights, the zero-point folded bias.
 * The SIMD families read each weight once too (kernels/<family>/ig_fc_s16.c; the layouts: codegen/packing.py
 * pack_fc_s16). Exact in int32: the lowering admits only rows with |bias| + 32768 sum |w| < 2^31
 * (quant/ops/checks.py), so the wrapping sum is the true one. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t k = 0; k < k_dim; k++) acc = ig_wadd(acc, (int32_t)x[k] * (int32_t)row[k]);
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

#define IG_FC_S16_ENTRY(D_, Y, YT) \
  IG_WEAK void ig_fc_s16_##Y(IG_FC_S16_ARGS, YT *y) { fc_s16(IG_FC_S16_PASS, y, sizeof(YT)); }
IG_FOR_A(IG_FC_S16_ENTRY, _)
