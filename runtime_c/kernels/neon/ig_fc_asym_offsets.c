/* The run-time offset term of fully_connected_asym (kernels/scalar/ig_fc_asym_offsets.c) for AArch64 NEON.
 * ig_group_sums_s8: groups of a multiple of 16 bytes (at most 1,024) as SADALP into int16 lanes (each lane at most
 * 128 * 2 * 64 in magnitude) and one SADDLV per group. ig_offset_bias: 16 rows at a time in four vectors, four
 * groups per step: their group sums t[g..g+4) in one vector, each group's 16 offsets one LD1 of four vectors, MLA
 * by lane (modulo 2^32, as the portable code). Other group sizes, rows and groups: the portable loops. */
#include <arm_neon.h>

#include "ig_ops_quant.h"

void ig_group_sums_s8(const int8_t *x, int32_t k_dim, int32_t group_size, int32_t *t) {
  int32_t g = 0, k = 0;
  if (group_size % 16 == 0 && group_size <= 1024) {
    for (; k < k_dim; g++) {
      int16x8_t s = vdupq_n_s16(0);
      for (int32_t end = k + group_size; k < end; k += 16) s = vpadalq_s8(s, vld1q_s8(x + k));
      t[g] = vaddlvq_s16(s);
    }
    return;
  }
  for (; k < k_dim; g++) {
    int32_t s = 0;
    for (int32_t end = k + group_size; k < end; k++) s += x[k];
    t[g] = s;
  }
}

/* a0..a3 += the 16 offsets at o times lane j of tv */
#define IG_OB_MLA(o, tv, j)                                                                                      \
  {                                                                                                              \
    int32x4x4_t v_ = vld1q_s32_x4(o);                                                                            \
    a0 = vmlaq_laneq_s32(a0, v_.val[0], tv, j);                                                                  \
    a1 = vmlaq_laneq_s32(a1, v_.val[1], tv, j);                                                                  \
    a2 = vmlaq_laneq_s32(a2, v_.val[2], tv, j);                                                                  \
    a3 = vmlaq_laneq_s32(a3, v_.val[3], tv, j);                                                                  \
  }

void ig_offset_bias(const int32_t *t, int32_t groups, const int32_t *offset, const int32_t *bias, int32_t rows,
                    int32_t *out) {
  int32_t i = 0;
  for (; i + 16 <= rows; i += 16) {
    int32x4_t a0 = vld1q_s32(bias + i), a1 = vld1q_s32(bias + i + 4), a2 = vld1q_s32(bias + i + 8),
              a3 = vld1q_s32(bias + i + 12);
    const int32_t *o = offset + i;
    int32_t g = 0;
    for (; g + 4 <= groups; g += 4, o += 4 * (size_t)rows) {
      int32x4_t tv = vld1q_s32(t + g);
      IG_OB_MLA(o, tv, 0)
      IG_OB_MLA(o + rows, tv, 1)
      IG_OB_MLA(o + 2 * (size_t)rows, tv, 2)
      IG_OB_MLA(o + 3 * (size_t)rows, tv, 3)
    }
    for (; g < groups; g++, o += rows) {
      int32x4_t tv = vld1q_dup_s32(t + g);
      IG_OB_MLA(o, tv, 0)
    }
    vst1q_s32(out + i, a0);
    vst1q_s32(out + i + 4, a1);
    vst1q_s32(out + i + 8, a2);
    vst1q_s32(out + i + 12, a3);
  }
  for (; i < rows; i++) {
    uint32_t acc = (uint32_t)bias[i];
    for (int32_t g = 0; g < groups; g++) acc += (uint32_t)offset[(size_t)g * (size_t)rows + (size_t)i] * (uint32_t)t[g];
    out[i] = (int32_t)acc;
  }
}
