/* Fully connected, int8 activations and weights (row-major, as the scalar kernel): Helium, four output rows at a
 * time sharing each activation load, 16 columns per VMLADAVA, tail-predicated, the four rows requantized together
 * (ig_mve_common.h).
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    ig_mve_dot4_s8(x, w + (size_t)n * (size_t)k_dim, k_dim, k_dim, acc);
    ig_mve_output4(vld1q_s32(acc), mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
  }
  for (; n < n_dim; n++) {
    int32_t acc = ig_mve_dot1_s8(x, w + (size_t)n * (size_t)k_dim, k_dim, bias[n]);
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }
