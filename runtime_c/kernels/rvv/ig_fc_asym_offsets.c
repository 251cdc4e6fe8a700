/* The run-time half of fully_connected_asym on the grouped kernels (kernels/scalar/ig_fc_asym_offsets.c) for RVV
 * 1.0, vector-length agnostic: each group's sum of x by VWREDSUM (ig_sum_s8), and the rows' offset term as one
 * VMACC.VX (the group's rows times t[g]) per group and vl rows at LMUL 8 (32 rows at VLEN 128). Wrapping int32
 * like the reference's accumulator. */
#include "ig_ops_quant.h"
#include "ig_rvv_common.h"

void ig_group_sums_s8(const int8_t *x, int32_t k_dim, int32_t group_size, int32_t *t) {
  for (int32_t k = 0; k < k_dim; k += group_size) *t++ = ig_sum_s8(x, k, k + group_size);
}

void ig_offset_bias(const int32_t *t, int32_t groups, const int32_t *offset, const int32_t *bias, int32_t rows,
                    int32_t *out) {
  for (size_t i = 0, vl; i < (size_t)rows; i += vl) {
    vl = __riscv_vsetvl_e32m8((size_t)rows - i);
    vint32m8_t a = __riscv_vle32_v_i32m8(bias + i, vl);
    const int32_t *o = offset + i;
    for (int32_t g = 0; g < groups; g++, o += rows) a = __riscv_vmacc_vx_i32m8(a, t[g], __riscv_vle32_v_i32m8(o, vl), vl);
    __riscv_vse32_v_i32m8(out + i, a, vl);
  }
}
