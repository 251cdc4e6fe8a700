/* Fully connected with group-wise integer scale factors, int4 weights in row pairs (ig_kernels.h): portable C.
 * One body for the int8 / int16 / int32 outputs. */
#include "ig_fc_rows.h"
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

static inline __attribute__((always_inline)) void fc_grouped_s8w4(
    const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *group_scale_t, const int32_t *mult,
    const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,
    int32_t act_max, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 2) {
    int32_t acc[2];
    ig_grouped_pair_s8w4(x, w_pairs, bias, group_scale_t, k_dim, n_dim, group_size, groups, n, acc);
    ig_store(y, n, ig_output_i32(acc[0], mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim) ig_store(y, n + 1, ig_output_i32(acc[1], mult[n + 1], shift[n + 1], y_zp, act_min, act_max), out_bytes);
  }
}

IG_WEAK void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
IG_WEAK void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
IG_WEAK void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
