/* Fully connected, int8 activations, int4 weights in row pairs (ig_kernels.h, as the scalar kernel): Helium, two
 * pairs (four rows) per activation load, the bytes and their VSHR #4 (the signed high nibbles) into VMLADAVA, the
 * low nibbles' bias taken out once per call: K % 32 == 0 as the grouped kernel's one group of K
 * (ig_mve_group32n_pairs_w4), else 16 columns per step, tail-predicated (ig_mve_dot_pairs_w4); four rows
 * requantized together. One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  int32_t bias_lo = -ig_wmul(8, ig_mve_sum_s8(x, k_dim)); /* sum x (l - 8) = sum x l - 8 sum x */
  static const int32_t ones[4] = {1, 1, 1, 1};
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t rows = n_dim - n < 4 ? n_dim - n : 4;
    if (rows == 4 && k_dim % 32 == 0) { /* one group of K with unit scales: the grouped kernel's assembly chunks */
      const int8_t *xp = x, *p0 = w + (size_t)(n >> 1) * (size_t)k_dim, *p1 = p0 + k_dim;
      int32x4_t acc = ig_mve_group32n_pairs_w4(&xp, &p0, &p1, k_dim, bias_lo, ones, vld1q_s32(bias + n));
      ig_mve_output4(acc, mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
      continue;
    }
    int32_t acc[4] = {bias[n], bias_lo, 0, bias_lo}; /* a pair's second row starts at its bias + bias_lo */
    if (rows > 1) acc[1] = ig_wadd(bias_lo, bias[n + 1]);
    if (rows > 2) acc[2] = bias[n + 2];
    if (rows > 3) acc[3] = ig_wadd(bias_lo, bias[n + 3]);
    const int8_t *p = w + (size_t)(n >> 1) * (size_t)k_dim;
    if (rows > 2) ig_mve_dot_pairs_w4(x, p, k_dim, k_dim, 2, acc); /* a constant pair count: one loop each */
    else ig_mve_dot_pairs_w4(x, p, k_dim, k_dim, 1, acc);
    if (rows == 4) {
      ig_mve_output4(vld1q_s32(acc), mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
      continue;
    }
    for (int32_t r = 0; r < rows; r++)
      ig_store(y, n + r, ig_output_i32(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
