/* layernorm for RVV 1.0, vector-length agnostic.
 * The row sum (VREDSUM), d = C c - sum (VMUL + VSUB), the sum of squares by VWMUL + VREDSUM into int64, n =
 * round_div(d 2^20, r) by ig_rvv_rdiv20 (exact for |d| <= r < 2^30: checked once per call that the sum of squares
 * cannot wrap, else the portable loop), y = rshr(n gamma + beta, shift) + y_zp by VWMUL + VWADD + VSSRA + VADD +
 * VNCLIP, clamp, narrowing store. Rows with r >= 2^30 are per element. */
#include "ig_rvv_ops.h"
#include "ig_norm64.h"
#include "ig_ops.h"

IG_RI void layernorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                          const int32_t *beta, int32_t x_zp, int64_t eps, int32_t shift, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  uint64_t cmax = (1ull << (8 * xb)) - 1, dmax = 2ull * (uint64_t)channels * cmax;
  int32_t ok = !(dmax >= (1ull << 31) || (uint64_t)eps >= (1ull << 62) ||
                 dmax * dmax >= ((1ull << 62) - (uint64_t)eps) / (uint64_t)(channels > 0 ? channels : 1));
  ig_rvv_set_vxrm_rnu();
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    if (!ok) { /* the definition as written */
      int64_t sum = 0;
      for (int32_t i = 0; i < channels; i++) sum += (int64_t)ig_load(x, base + i, xb) - x_zp;
      uint64_t ss = (uint64_t)eps;
      for (int32_t i = 0; i < channels; i++) {
        int64_t d = (int64_t)channels * ((int64_t)ig_load(x, base + i, xb) - x_zp) - sum;
        ss += (uint64_t)(d * d);
      }
      ig_ln_y64(x, xb, base, channels, gamma, beta, x_zp, sum, ig_isqrt64((int64_t)ss), 0, shift, y_zp, act_min,
                act_max, y, yb);
      continue;
    }
    vint32m1_t sv = __riscv_vmv_s_x_i32m1(0, 1);
    for (size_t i = 0, vl; i < (size_t)channels; i += vl) {
      vl = __riscv_vsetvl_e32m2((size_t)channels - i);
      sv = __riscv_vredsum_vs_i32m2_i32m1(__riscv_vsub_vx_i32m2(ig_rvv_ld(x, (size_t)base + i, xb, vl), x_zp, vl), sv, vl);
    }
    int32_t sum = __riscv_vmv_x_s_i32m1_i32(sv);
    vint64m1_t acc = __riscv_vmv_s_x_i64m1(0, 1);
    for (size_t i = 0, vl; i < (size_t)channels; i += vl) {
      vl = __riscv_vsetvl_e32m2((size_t)channels - i);
      vint32m2_t c = __riscv_vsub_vx_i32m2(ig_rvv_ld(x, (size_t)base + i, xb, vl), x_zp, vl);
      vint32m2_t d = __riscv_vsub_vx_i32m2(__riscv_vmul_vx_i32m2(c, channels, vl), sum, vl);
      acc = __riscv_vredsum_vs_i64m4_i64m1(__riscv_vwmul_vv_i64m4(d, d, vl), acc, vl);
    }
    uint64_t ss = (uint64_t)eps + (uint64_t)__riscv_vmv_x_s_i64m1_i64(acc);
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    if (root >= (1 << 30)) {
      ig_ln_y64(x, xb, base, channels, gamma, beta, x_zp, sum, root, 0, shift, y_zp, act_min, act_max, y, yb);
      continue;
    }
    ig_rdiv20_t dv = ig_rdiv20_prepare((uint32_t)root);
    for (size_t i = 0, vl; i < (size_t)channels; i += vl) {
      vl = __riscv_vsetvl_e32m2((size_t)channels - i);
      vint32m2_t c = __riscv_vsub_vx_i32m2(ig_rvv_ld(x, (size_t)base + i, xb, vl), x_zp, vl);
      vint32m2_t n = ig_rvv_rdiv20(__riscv_vsub_vx_i32m2(__riscv_vmul_vx_i32m2(c, channels, vl), sum, vl), dv, vl);
      vint64m4_t w = __riscv_vwmul_vv_i64m4(n, __riscv_vle32_v_i32m2(gamma + i, vl), vl);
      w = __riscv_vadd_vv_i64m4(w, __riscv_vsext_vf2_i64m4(__riscv_vle32_v_i32m2(beta + i, vl), vl), vl);
      w = __riscv_vadd_vx_i64m4(__riscv_vssra_vx_i64m4(w, (size_t)shift, IG_RNU, vl), y_zp, vl);
      ig_rvv_st(y, (size_t)base + i, ig_rvv_clamp(__riscv_vnclip_wx_i32m2(w, 0, IG_RNU, vl), act_min, act_max, vl), yb, vl);
    }
  }
}

#define IG_ENTRIES_LAYERNORM
#include "ig_entry_points.h"
