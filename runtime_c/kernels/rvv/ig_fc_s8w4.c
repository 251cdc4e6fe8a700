/* Fully connected, int8 activations, int4 weights in row pairs (ig_kernels.h): RVV 1.0, vector-length agnostic.
 * Each packed byte is multiplied as it is and masked to its high nibble; no unpacking to one weight per byte.
 * Eight rows (four pairs) at a time (ig_dot4pairs_s8w4), the last N % 8 four at a time. One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

IG_INLINE void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t acc[IG_RVV_BLOCK];
  const size_t lanes = ig_rvv_lanes32();
  ig_rvv_set_vxrm_rnu();
  int32_t sx = ig_sum_s8(x, 0, k_dim);
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) { /* IG_RVV_BLOCK is a multiple of 8: pairs stay whole */
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK, i = 0;
    for (; i + 8 <= count; i += 8)
      ig_dot4pairs_s8w4(x, w_pairs + (size_t)((n0 + i) >> 1) * (size_t)k_dim, k_dim, sx, lanes, acc + i);
    for (; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      const int8_t *p1 = rows > 2 ? p0 + k_dim : p0;
      ig_dot2pairs_s8w4(x, p0, p1, 0, k_dim, sx, s);
      for (int32_t r = 0; r < rows; r++) acc[i + r] = s[r];
    }
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  }
}

void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
