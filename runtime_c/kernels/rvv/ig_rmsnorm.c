/* rmsnorm for RVV 1.0, vector-length agnostic.
 * c = clamp(rshr(x - zp, pre_shift), +-(2^24 - 1)) in lanes (int32 inputs through int64 lanes: VWSUB + VNCLIP),
 * the sum of squares by VWMACC into int64 lanes and one VREDSUM per row; n = round_div(c 2^20, r) is ig_rvv_rdiv20
 * (the per-row reciprocal of ig_rdiv20: VMULHU and two masked steps, exact for |c| <= r < 2^30, the sum cannot
 * wrap), y = rshr(n gamma, shift) + y_zp by VWMUL + VSSRA + VADD + VNCLIP, clamp, narrowing store. Rows with
 * r >= 2^30 are per element (the portable int64 form). */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

#define IG_RMS_C_MAX ((1 << 24) - 1)

IG_RI vint32m2_t rms_c(const void *x, size_t i, int32_t xb, int32_t zp, int32_t pre, size_t vl) {
  vint32m2_t c;
  if (xb < 4) {
    c = __riscv_vssra_vx_i32m2(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, i, xb, vl), zp, vl), (size_t)pre, IG_RNU, vl);
  } else {
    vint64m4_t w = __riscv_vwsub_vx_i64m4(__riscv_vle32_v_i32m2((const int32_t *)x + i, vl), zp, vl);
    c = __riscv_vnclip_wx_i32m2(w, (size_t)pre, IG_RNU, vl);
  }
  return __riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(c, -IG_RMS_C_MAX, vl), IG_RMS_C_MAX, vl);
}

IG_RI void rmsnorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                        int32_t x_zp, int32_t pre_shift, int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                        int32_t act_max, void *y, int32_t yb) {
  ig_rvv_set_vxrm_rnu();
  for (int32_t r = 0; r < rows; r++) {
    size_t base = (size_t)r * (size_t)channels;
    vint64m1_t acc = __riscv_vmv_s_x_i64m1(0, 1);
    for (size_t i = 0, vl; i < (size_t)channels; i += vl) {
      vl = __riscv_vsetvl_e32m2((size_t)channels - i);
      vint32m2_t c = rms_c(x, base + i, xb, x_zp, pre_shift, vl);
      acc = __riscv_vredsum_vs_i64m4_i64m1(__riscv_vwmul_vv_i64m4(c, c, vl), acc, vl);
    }
    uint64_t ss = (uint64_t)eps + (uint64_t)__riscv_vmv_x_s_i64m1_i64(acc);
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    if (root < (1 << 30)) {
      ig_rdiv20_t d = ig_rdiv20_prepare((uint32_t)root);
      for (size_t i = 0, vl; i < (size_t)channels; i += vl) {
        vl = __riscv_vsetvl_e32m2((size_t)channels - i);
        vint32m2_t n = ig_rvv_rdiv20(rms_c(x, base + i, xb, x_zp, pre_shift, vl), d, vl);
        vint64m4_t w = __riscv_vwmul_vv_i64m4(n, __riscv_vle32_v_i32m2(gamma + i, vl), vl);
        w = __riscv_vadd_vx_i64m4(__riscv_vssra_vx_i64m4(w, (size_t)shift, IG_RNU, vl), y_zp, vl);
        ig_rvv_st(y, base + i, ig_rvv_clamp(__riscv_vnclip_wx_i32m2(w, 0, IG_RNU, vl), act_min, act_max, vl), yb, vl);
      }
    } else {
      ig_divisor_t div = ig_divisor((uint64_t)root);
      for (int32_t i = 0; i < channels; i++) {
        int64_t c = ig_clamp64(ig_rshr64((int64_t)ig_load(x, (int32_t)base + i, xb) - x_zp, pre_shift), -IG_RMS_C_MAX,
                               IG_RMS_C_MAX);
        int64_t n = ig_round_div_by(c * (1ll << 20), div);
        ig_store(y, (int32_t)base + i, (int32_t)ig_clamp64(ig_rshr64(n * gamma[i], shift) + y_zp, act_min, act_max),
                 yb);
      }
    }
  }
}

#define IG_ENTRIES_RMSNORM
#include "ig_entry_points.h"
