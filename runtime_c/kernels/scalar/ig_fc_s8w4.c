/* Fully connected, int8 activations, int4 weights packed in row pairs (ig_kernels.h): portable C.
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

static inline __attribute__((always_inline)) void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  for (int32_t n = 0; n < n_dim; n += 2) {
    const int8_t *row = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    int32_t acc0 = bias[n], acc1 = 0;
    for (int32_t k = 0; k < k_dim; k++) {
      int32_t b = row[k];
      acc0 += (int32_t)x[k] * (b >> 4);         /* high nibble, signed (arithmetic shift) */
      acc1 += (int32_t)x[k] * ((b & 15) - 8);   /* low nibble, biased by 8 */
    }
    ig_store(y, n, ig_output_i32(acc0, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim)
      ig_store(y, n + 1, ig_output_i32(ig_wadd(acc1, bias[n + 1]), mult[n + 1], shift[n + 1], y_zp, act_min, act_max),
               out_bytes);
  }
}

IG_WEAK void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
IG_WEAK void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
IG_WEAK void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
