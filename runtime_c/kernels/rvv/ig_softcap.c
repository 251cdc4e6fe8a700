/* softcap for RVV 1.0 (quant/ops/softcap.py), vector-length agnostic: z = mul_rshr(x - x_zp, in_mult, in_shift)
 * saturated to int32 (VWMUL + VNCLIP), the sigmoid in lanes (ig_rvv_sigmoid_q15, ig_rvv_ops.h), t = 2 s - 2^15,
 * the output rescale plus y_zp in int64 lanes, the clamp. int32 inputs are the portable kernel's. */
#include "ig_ops.h"
#include "ig_rvv_ops.h"

IG_RI void softcap_rvv(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                       int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                       int32_t yb) {
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint32m2_t z = ig_rvv_mul_rshr_sat(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, i, xb, vl), x_zp, vl), in_mult, in_shift,
                                       vl);
    vint32m2_t t = __riscv_vsub_vx_i32m2(__riscv_vsll_vx_i32m2(ig_rvv_sigmoid_q15(z, vl), 1, vl), 1 << 15, vl);
    vint32m2_t v = ig_rvv_mul_rshr_zp_sat(t, out_mult, out_shift, y_zp, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}

#define IG_SOFTCAP_BODY softcap_rvv
#define IG_ENTRIES_SOFTCAP
#include "ig_entry_points.h"
