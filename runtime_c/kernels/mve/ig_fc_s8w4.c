/* Fully connected, int8 activations, int4 weights in row pairs (ig_kernels.h, as the scalar kernel): Helium, one
 * packed byte vector feeds two rows (VSHR for the signed high nibble, VAND/VSUB for the biased low one), 16
 * columns per VMLADAVA, tail-predicated (ig_mve_common.h). One body for the int8 / int16 / int32 outputs.
 * intgap-provides: ig_fc_s8w4 ig_fc_s8w4_to_s16 ig_fc_s8w4_to_s32 */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  for (int32_t n = 0; n < n_dim; n += 2) {
    int32_t hi = bias[n], lo = 0;
    ig_mve_dot_pair_w4(x, w + (size_t)(n >> 1) * (size_t)k_dim, k_dim, &hi, &lo);
    ig_store(y, n, ig_output_i32(hi, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim)
      ig_store(y, n + 1, ig_output_i32(ig_wadd(lo, bias[n + 1]), mult[n + 1], shift[n + 1], y_zp, act_min, act_max),
               out_bytes);
  }
}

void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
