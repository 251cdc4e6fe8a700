/* The run-time steps of fully_connected_dynamic around the grouped kernels (kernels/scalar/ig_fc_dynamic_parts.c)
 * for RVV 1.0, vector-length agnostic, exact (int32 data at LMUL 2, int64 at LMUL 4, ig_rvv_ops.h):
 *   quantize (int16 x): the row's largest and smallest x by VREDMAX / VREDMIN (int16, LMUL 8), so
 *   max |x - x_zp| = max(max x - x_zp, x_zp - min x); (x - x_zp) inv as VWMUL.VX minus x_zp inv in int64 lanes,
 *   rshr by 24 + e and the saturation to int32 in one VNCLIP (round to nearest up: rshr's ties), clamp to +-127;
 *   requantize: m = rshr(mult mr, 15) as VWMUL.VX + VNCLIP #15 (m < 2^31), rshr(acc m, shift - e) as VWMUL.VV +
 *   VSSRA.VV by shift - e (VWSUB.VX widens it), + bias (VWADD.WV) + y_zp in int64, VNCLIP #0 saturating to int32
 *   (the clamp bounds lie inside), clamp, narrowing store. int32 x: the portable loop. */
#include "ig_ops_quant.h"
#include "ig_rvv_ops.h"

int32_t ig_dyn_quantize_s16(const int16_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr) {
  vint16m1_t mx = __riscv_vmv_v_x_i16m1(INT16_MIN, 1), mn = __riscv_vmv_v_x_i16m1(INT16_MAX, 1);
  for (size_t k = 0, vl; k < (size_t)k_dim; k += vl) {
    vl = __riscv_vsetvl_e16m8((size_t)k_dim - k);
    vint16m8_t v = __riscv_vle16_v_i16m8(x + k, vl);
    mx = __riscv_vredmax_vs_i16m8_i16m1(v, mx, vl);
    mn = __riscv_vredmin_vs_i16m8_i16m1(v, mn, vl);
  }
  int64_t r = 1, hi = (int64_t)__riscv_vmv_x_s_i16m1_i16(mx) - x_zp, lo = (int64_t)x_zp - __riscv_vmv_x_s_i16m1_i16(mn);
  r = hi > r ? hi : r;
  r = lo > r ? lo : r;
  int32_t e = 64 - __builtin_clzll((uint64_t)r) - 15;
  *mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  int32_t inv = (int32_t)((127u << 24) / (uint32_t)*mr);
  int64_t zinv = (int64_t)x_zp * inv;
  ig_rvv_set_vxrm_rnu();
  for (size_t k = 0, vl; k < (size_t)k_dim; k += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)k_dim - k);
    vint64m4_t p = __riscv_vsub_vx_i64m4(__riscv_vwmul_vx_i64m4(ig_rvv_ld(x, k, 2, vl), inv, vl), zinv, vl);
    vint32m2_t v = ig_rvv_clamp(__riscv_vnclip_wx_i32m2(p, (size_t)(24 + e), IG_RNU, vl), -127, 127, vl);
    ig_rvv_st(q, k, v, 1, vl);
  }
  return e;
}

IG_RI void requant_body(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,
                        const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)rows; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)rows - i);
    vint32m2_t m = __riscv_vnclip_wx_i32m2(__riscv_vwmul_vx_i64m4(__riscv_vle32_v_i32m2(mult + i, vl), mr, vl), 15,
                                           IG_RNU, vl);
    vint64m4_t s = __riscv_vwsub_vx_i64m4(__riscv_vle32_v_i32m2(shift + i, vl), e, vl); /* in [0, 62] */
    vint64m4_t p = __riscv_vwmul_vv_i64m4(__riscv_vle32_v_i32m2(acc + i, vl), m, vl);
    p = __riscv_vssra_vv_i64m4(p, __riscv_vreinterpret_v_i64m4_u64m4(s), IG_RNU, vl);
    p = __riscv_vadd_vx_i64m4(__riscv_vwadd_wv_i64m4(p, __riscv_vle32_v_i32m2(bias + i, vl), vl), y_zp, vl);
    vint32m2_t v = __riscv_vnclip_wx_i32m2(p, 0, IG_RNU, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}

IG_DYN_REQUANT_ENTRIES(requant_body)
