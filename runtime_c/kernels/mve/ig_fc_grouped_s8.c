/* Fully connected with group-wise integer scale factors, int8 activations and weights (row-major, the layout
 * codegen/packing.py gives families without a blocked one): Helium, four rows at a time. Groups of a multiple of 16
 * columns: each group's four dot products in scalar registers (ig_mve_group16n_s8, 16 columns per assembly chunk)
 * and its scale step one vector multiply and add over the four rows; other sizes: tail-predicated dot products
 * (ig_mve_common.h) scaled one row at a time. Wrapping int32 arithmetic as the reference, the four rows
 * requantized together. One body for the int8 / int16 / int32 outputs. */
#include "ig_kernels.h"
#include "ig_mve_common.h"

IG_INLINE int32x4_t s8_rows(const int8_t *x, const int8_t *w0, int32_t k_dim, const int32_t *scale, int32_t n_dim,
                            int32_t groups, int32_t gs, int32x4_t acc) {
  const int8_t *w[4] = {w0, w0 + k_dim, w0 + 2 * k_dim, w0 + 3 * k_dim};
  for (int32_t g = 0; g < groups; g++, scale += n_dim) {
    if (gs % 16 == 0) {
      acc = ig_mve_group16n_s8(&x, w, gs, scale, acc);
      continue;
    }
    int32_t s[4] = {0, 0, 0, 0};
    ig_mve_dot4_s8(x, w[0], k_dim, gs, s);
    for (int32_t r = 0; r < 4; r++) acc[r] = ig_wadd(acc[r], ig_wmul(s[r], scale[r]));
    x += gs;
    w[0] += gs;
  }
  return acc;
}

IG_INLINE void fc_grouped_s8(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size, n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
    const int32_t *scale = group_scale_t + n;
    int32x4_t acc = vld1q_s32(bias + n);
    /* the usual group sizes as constants: their 16-column chunks unrolled, no loop inside a group */
    if (group_size == 32) acc = s8_rows(x, w0, k_dim, scale, n_dim, groups, 32, acc);
    else if (group_size == 64) acc = s8_rows(x, w0, k_dim, scale, n_dim, groups, 64, acc);
    else if (group_size == 128) acc = s8_rows(x, w0, k_dim, scale, n_dim, groups, 128, acc);
    else acc = s8_rows(x, w0, k_dim, scale, n_dim, groups, group_size, acc);
    ig_mve_output4(acc, mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
  }
  for (; n < n_dim; n++) {
    const int8_t *row = w + (size_t)n * (size_t)k_dim;
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = ig_mve_dot1_s8(x + g * group_size, row + g * group_size, group_size, 0);
      acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
  }
}

void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8(IG_FC_GROUPED_PASS, y, 4); }
