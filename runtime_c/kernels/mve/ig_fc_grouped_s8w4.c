/* Fully connected with group-wise integer scale factors, int8 activations, int4 weights in row pairs
 * (ig_kernels.h, the layout codegen/packing.py gives families without a blocked one): Helium, two pairs (four
 * rows) per activation load, each group's dot products in scalar registers and its scale step one vector multiply
 * and add over the four rows (ig_mve_group32n_pairs_w4, ig_mve_common.h), wrapping int32 as the reference.
 * The last N % 4 rows take the portable pair (ig_fc_rows.h). One body for the int8 / int16 / int32 outputs; the
 * asymmetric groups' entry points (ig_fc_grouped_asym_s8w4*) below. */
#include "ig_fc_rows.h"
#include "ig_kernels.h"
#include "ig_mve_common.h"
#include "ig_mve_dyn_requant.h"
#include "ig_ops_quant.h"

/* the four rows' accumulators after all groups: groups of a multiple of 32 columns in the assembly chunks (bias8:
 * each group's -8 sum x), other sizes with tail-predicated steps */
IG_INLINE int32x4_t w4_rows(const int8_t *x, const int8_t *p0, const int8_t *p1, const int32_t *scale,
                            int32_t n_dim, int32_t groups, int32_t gs, const int32_t *bias8, int32x4_t acc) {
  if (gs == 32) {
    for (int32_t g = 0; g < groups; g++)
      acc = ig_mve_group32_pairs_w4(&x, &p0, &p1, &bias8, &scale, n_dim * (int32_t)sizeof(int32_t), acc);
    return acc;
  }
  for (int32_t g = 0; g < groups; g++, scale += n_dim) {
    if (gs % 32 == 0) acc = ig_mve_group32n_pairs_w4(&x, &p0, &p1, gs, bias8[g], scale, acc);
    else acc = ig_mve_group_pairs_w4(&x, &p0, &p1, gs, scale, acc);
  }
  return acc;
}

IG_INLINE void fc_grouped_s8w4(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t groups = k_dim / group_size, n = 0;
  int32_t bias8[group_size % 32 == 0 ? groups : 1]; /* K / 8 bytes of stack */
  if (group_size % 32 == 0) ig_mve_group_bias8(x, groups, group_size, bias8);
  for (; n + 4 <= n_dim; n += 4) {
    const int8_t *p0 = w + (size_t)(n >> 1) * (size_t)k_dim, *p1 = p0 + k_dim;
    const int32_t *scale = group_scale_t + n;
    int32x4_t acc = vld1q_s32(bias + n);
    /* the usual group sizes as constants: their 32-column chunks unrolled, no loop inside a group */
    if (group_size == 32) acc = w4_rows(x, p0, p1, scale, n_dim, groups, 32, bias8, acc);
    else if (group_size == 64) acc = w4_rows(x, p0, p1, scale, n_dim, groups, 64, bias8, acc);
    else if (group_size == 128) acc = w4_rows(x, p0, p1, scale, n_dim, groups, 128, bias8, acc);
    else acc = w4_rows(x, p0, p1, scale, n_dim, groups, group_size, bias8, acc);
    ig_mve_output4(acc, mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
  }
  for (; n < n_dim; n += 2) { /* an odd N's padding row (weights 0) is the pair's second, not stored */
    int32_t acc[2];
    ig_grouped_pair_s8w4(x, w, bias, group_scale_t, k_dim, n_dim, group_size, groups, n, acc);
    ig_store(y, n, ig_output_i32(acc[0], mult[n], shift[n], y_zp, act_min, act_max), out_bytes);
    if (n + 1 < n_dim) ig_store(y, n + 1, ig_output_i32(acc[1], mult[n + 1], shift[n + 1], y_zp, act_min, act_max), out_bytes);
  }
}

/* Asymmetric groups (fully_connected_asym's group offsets, codegen/op_calls_quant.py): the scale stream holds per
 * group and four rows their scales then their four offsets ([G][N / 4][8], N a multiple of 4), and each group adds
 * its offsets times the group's sum of x (one VMLA per four rows), so the offset term needs no pass of its own. */
IG_INLINE int32x4_t w4_rows_asym(const int8_t *x, const int8_t *p0, const int8_t *p1, const int32_t *scale,
                                 int32_t n_dim, int32_t groups, int32_t gs, const int32_t *sums, int32x4_t acc) {
  if (gs == 32) {
    for (int32_t g = 0; g < groups; g++)
      acc = ig_mve_group32_pairs_w4_asym(&x, &p0, &p1, &sums, &scale, 2 * n_dim * (int32_t)sizeof(int32_t), acc);
    return acc;
  }
  for (int32_t g = 0; g < groups; g++, scale += 2 * n_dim) {
    if (gs % 32 == 0) acc = ig_mve_group32n_pairs_w4(&x, &p0, &p1, gs, sums[2 * g], scale, acc);
    else acc = ig_mve_group_pairs_w4(&x, &p0, &p1, gs, scale, acc);
    acc = vmlaq_n_s32(acc, vld1q_s32(scale + 4), sums[2 * g + 1]);
  }
  return acc;
}

/* asym: the offsets in the scale stream (above); dyn: fully_connected_dynamic's per-token requantization in the
 * registers (ig_mve_dyn_requant.h: the accumulators start at 0, bias / mult / shift the layer's own, bias 0 for
 * none), in place of the static requantization. N a multiple of 4. */
IG_INLINE void fc_grouped_m4(IG_FC_GROUPED_ARGS, const ig_mve_dynrq_t *dq, void *y, int32_t out_bytes, int asym,
                             int dyn) {
  int32_t groups = k_dim / group_size;
  int32_t sums[2 * groups]; /* per group -8 sum x and sum x: K / 4 bytes of stack */
  for (int32_t g = 0; g < groups; g++) {
    sums[2 * g + 1] = ig_mve_sum_s8(x + g * group_size, group_size);
    sums[2 * g] = -ig_wmul(sums[2 * g + 1], 8);
  }
  int32_t bias8[groups];
  if (!asym)
    for (int32_t g = 0; g < groups; g++) bias8[g] = sums[2 * g];
  for (int32_t n = 0; n < n_dim; n += 4) {
    const int8_t *p0 = w + (size_t)(n >> 1) * (size_t)k_dim, *p1 = p0 + k_dim;
    int32x4_t acc = dyn ? vdupq_n_s32(0) : vld1q_s32(bias + n);
    if (asym) {
      const int32_t *scale = group_scale_t + 2 * n;
      if (group_size == 32) acc = w4_rows_asym(x, p0, p1, scale, n_dim, groups, 32, sums, acc);
      else if (group_size == 64) acc = w4_rows_asym(x, p0, p1, scale, n_dim, groups, 64, sums, acc);
      else acc = w4_rows_asym(x, p0, p1, scale, n_dim, groups, group_size, sums, acc);
    } else {
      const int32_t *scale = group_scale_t + n;
      if (group_size == 32) acc = w4_rows(x, p0, p1, scale, n_dim, groups, 32, bias8, acc);
      else if (group_size == 64) acc = w4_rows(x, p0, p1, scale, n_dim, groups, 64, bias8, acc);
      else acc = w4_rows(x, p0, p1, scale, n_dim, groups, group_size, bias8, acc);
    }
    if (dyn) ig_mve_dynrq4(acc, dq, mult, shift, bias, n, n_dim, y, out_bytes, 0xFFFF, 0);
    else ig_mve_output4(acc, mult, shift, y_zp, act_min, act_max, y, n, out_bytes);
  }
}

#define IG_MVE_ASYM(SUF, YT, B)                                                                                  \
  void ig_fc_grouped_asym_s8w4##SUF(IG_FC_GROUPED_ARGS, YT *y) { fc_grouped_m4(IG_FC_GROUPED_PASS, 0, y, B, 1, 0); }
IG_MVE_ASYM(, int8_t, 1)
IG_MVE_ASYM(_to_s16, int16_t, 2)
IG_MVE_ASYM(_to_s32, int32_t, 4)
#undef IG_MVE_ASYM

IG_INLINE void fc_dynamic(IG_FC_GROUPED_ARGS, int32_t mr, int32_t e, void *y, int32_t out_bytes, int asym) {
  const ig_mve_dynrq_t q = ig_mve_dynrq(mr, e, y_zp, act_min, act_max);
  fc_grouped_m4(IG_FC_GROUPED_PASS, &q, y, out_bytes, asym, 1);
}
#include "ig_fc_dynamic_entries.h"

void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_s8w4(IG_FC_GROUPED_PASS, y, 4); }
