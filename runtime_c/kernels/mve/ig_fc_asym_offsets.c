/* The run-time half of fully_connected_asym on the grouped kernels (kernels/scalar/ig_fc_asym_offsets.c) for
 * Helium (MVE): each group's sum of x by VADDVA (16 columns per instruction), and the rows' offset term in four
 * int32 lanes, one VMLA (vector by scalar t[g]) per four rows and group, 16 rows per pass over the groups; the
 * last rows % 16 four at a time, tail-predicated. Wrapping int32 like the reference's accumulator. */
#include "ig_mve_common.h"
#include "ig_q128.h"
#include "ig_ops_quant.h"

void ig_group_sums_s8(const int8_t *x, int32_t k_dim, int32_t group_size, int32_t *t) {
  for (int32_t k = 0; k < k_dim; k += group_size) *t++ = ig_mve_sum_s8(x + k, group_size);
}

void ig_offset_bias(const int32_t *t, int32_t groups, const int32_t *offset, const int32_t *bias, int32_t rows,
                    int32_t *out) {
  int32_t i = 0;
  for (; i + 16 <= rows; i += 16) {
    int32x4x4_t a = ig_q128_load16_s32(bias + i);
    const int32_t *o = offset + i;
    for (int32_t g = 0; g < groups; g++, o += rows) {
      int32_t tg = t[g];
      a.val[0] = vmlaq_n_s32(a.val[0], vld1q_s32(o), tg);
      a.val[1] = vmlaq_n_s32(a.val[1], vld1q_s32(o + 4), tg);
      a.val[2] = vmlaq_n_s32(a.val[2], vld1q_s32(o + 8), tg);
      a.val[3] = vmlaq_n_s32(a.val[3], vld1q_s32(o + 12), tg);
    }
    ig_q128_store16_s32(out + i, a);
  }
  for (; i < rows; i += 4) {
    mve_pred16_t p = vctp32q((uint32_t)(rows - i));
    int32x4_t a = vldrwq_z_s32(bias + i, p);
    const int32_t *o = offset + i;
    for (int32_t g = 0; g < groups; g++, o += rows) a = vmlaq_n_s32(a, vldrwq_z_s32(o, p), t[g]);
    vstrwq_p_s32(out + i, a, p);
  }
}
