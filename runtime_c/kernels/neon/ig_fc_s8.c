/* Fully connected, int8 activations and weights: AArch64 NEON (SDOT with dotprod, SMLAL otherwise), sixteen
 * output rows at a time (ig_dot16rows_s8), then eight, then four, then the last N mod 4. The weights are those row
 * blocks one after another, each interleaved per 64 columns (codegen/packing.py pack_fc_weights: one stream). One
 * body for the int8 / int16 / int32 outputs. With SDOT the lowering calls the grouped kernel with one group of K
 * instead wherever its blocked layout takes the shape (codegen/packing.py per_channel_as_grouped: it needs no
 * horizontal reduction per row); this kernel serves the other shapes and ARMv8.0. */
#include "ig_kernels.h"
#include "ig_neon_rows_s8.h"

IG_INLINE void fc_s8(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t n = 0;
  for (; n + 16 <= n_dim; n += 16, w += (size_t)16 * (size_t)k_dim) {
    int32x4_t s0, s1, s2, s3;
    ig_dot16rows_s8(x, w, k_dim, bias + n, &s0, &s1, &s2, &s3);
    ig_output8(s0, s1, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), out_bytes);
    ig_output8(s2, s3, mult + n + 8, shift + n + 8, y_zp, act_min, act_max, ig_out_at(y, n + 8, out_bytes),
               out_bytes);
  }
  for (; n + 8 <= n_dim; n += 8, w += (size_t)8 * (size_t)k_dim) {
    int32x4_t lo, hi;
    ig_dot8rows_s8(x, w, k_dim, bias + n, &lo, &hi);
    ig_output8(lo, hi, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), out_bytes);
  }
  for (; n < n_dim; n += 4, w += (size_t)4 * (size_t)k_dim) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4; /* the last block: count rows, the rest of its lanes not stored */
    int32x4_t acc = vaddq_s32(ig_dot4rows_blk(x, w, k_dim, count), ig_load4_s32(bias + n, count));
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

void ig_fc_s8(IG_FC_ARGS, int8_t *y) { fc_s8(IG_FC_PASS, y, 1); }
void ig_fc_s8_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8(IG_FC_PASS, y, 2); }
void ig_fc_s8_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8(IG_FC_PASS, y, 4); }
