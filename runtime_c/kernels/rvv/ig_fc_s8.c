/* Fully connected, int8 activations and weights: RVV 1.0, vector-length agnostic. Eight rows at a time
 * (ig_dot8rows_s8, or ig_dot8rows_wide_s8 where a vector holds a chunk), the last N % 8 four at a time
 * (ig_dot4rows_blk); the weights are those row blocks one after another, each interleaved per IG_RVV_ROW_CHUNK
 * columns (codegen/packing.py pack_fc_weights: one stream).
 * Requantized in blocks of IG_RVV_BLOCK channels. One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

IG_INLINE void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t acc[IG_RVV_BLOCK];
  const size_t lanes = ig_rvv_lanes32(), pair = ig_rvv_pair_bytes();
  const int fit = ig_rows_fit_vector(k_dim, pair);
  ig_rvv_set_vxrm_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK, i = 0;
    for (; i + 8 <= count; i += 8, w += (size_t)8 * (size_t)k_dim) {
      if (fit) ig_dot8rows_wide_s8(x, w, k_dim, lanes, acc + i);
      else ig_dot8rows_s8(x, w, k_dim, lanes, pair, acc + i);
    }
    for (; i < count; i += 4) {
      int32_t rows = count - i < 4 ? count - i : 4, s[4];
      ig_dot4rows_blk(x, w, k_dim, rows, s);
      w += (size_t)rows * (size_t)k_dim;
      for (int32_t r = 0; r < rows; r++) acc[i + r] = s[r];
    }
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  }
}

void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }
