/* softmax for RVV 1.0: the portable algorithm of kernels/scalar/ig_softmax.c in vector lanes (int32, LMUL 2),
 * vector-length agnostic.
 *  - the row maximum by VREDMAX;
 *  - y = mul_rshr(x - mx, in_mult, in_shift) by VWMUL + VNCLIP (exact for any multiplier, saturated), then
 *    t = -max(y, -IG_EXP2_T_MAX) (where e is 0 anyway);
 *  - exp2: three VSMUL + VADD Horner steps and one VSSRL by 10 + z per lane (ig_rvv_exp2_t);
 *  - e kept in a stack buffer for the first IG_SOFTMAX_EBUF elements of a row (recomputed beyond), the row sum by
 *    VWREDSUMU into 64 bits;
 *  - p: VMULHU by r (r = 2^32 taken as 2^32 - 1: sum = 2^20, every e is 0 or 2^20, same p), VSSRL by 5 (12) with
 *    rounding, VMINU, narrowing stores. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

#ifndef IG_SOFTMAX_EBUF
#define IG_SOFTMAX_EBUF 256
#endif

IG_RI int32_t sm_row_max(const void *x, int32_t xb, int32_t n) {
  if (xb == 2) {
    vint16m1_t m = __riscv_vmv_s_x_i16m1(INT16_MIN, 1);
    const int16_t *p = (const int16_t *)x;
    for (size_t left = (size_t)n, vl; left > 0; left -= vl, p += vl) {
      vl = __riscv_vsetvl_e16m4(left);
      m = __riscv_vredmax_vs_i16m4_i16m1(__riscv_vle16_v_i16m4(p, vl), m, vl);
    }
    return __riscv_vmv_x_s_i16m1_i16(m);
  }
  vint8m1_t m = __riscv_vmv_s_x_i8m1(INT8_MIN, 1);
  const int8_t *p = (const int8_t *)x;
  for (size_t left = (size_t)n, vl; left > 0; left -= vl, p += vl) {
    vl = __riscv_vsetvl_e8m4(left);
    m = __riscv_vredmax_vs_i8m4_i8m1(__riscv_vle8_v_i8m4(p, vl), m, vl);
  }
  return __riscv_vmv_x_s_i8m1_i8(m);
}

IG_RI vuint32m2_t sm_e(const void *xr, int32_t xb, size_t j, int32_t mx, int32_t m, int32_t s, size_t vl) {
  vint32m2_t d = __riscv_vsub_vx_i32m2(ig_rvv_ld(xr, j, xb, vl), mx, vl);
  vint32m2_t y = __riscv_vmax_vx_i32m2(ig_rvv_mul_rshr_sat(d, m, s, vl), -IG_EXP2_T_MAX, vl);
  return ig_rvv_exp2_t(__riscv_vneg_v_i32m2(y, vl), vl);
}

IG_RI void sm_body(const void *x, int32_t xb, int32_t groups, int32_t t, int32_t s, int32_t causal, int32_t in_mult,
                   int32_t in_shift, void *y, int32_t yb) {
  uint32_t ebuf[IG_SOFTMAX_EBUF];
  ig_rvv_set_vxrm_rnu();
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      int32_t base = (g * t + i) * s;
      int32_t valid = causal ? s - t + i + 1 : s; /* ig_valid_keys written out: clang 16 schedules the call form
                                                       less well here (+0.3% instructions, 9x64x64 causal) */
      if (valid > s) valid = s;
      if (valid < 0) valid = 0;
      const void *xr = (const char *)x + (size_t)base * (size_t)xb;
      int32_t mx = valid ? sm_row_max(xr, xb, valid) : 0;
      int32_t nbuf = valid < IG_SOFTMAX_EBUF ? valid : IG_SOFTMAX_EBUF;
      vuint64m1_t acc = __riscv_vmv_s_x_u64m1(0, 1);
      size_t j = 0, vl;
      for (; j < (size_t)valid; j += vl) {
        vl = __riscv_vsetvl_e32m2((size_t)valid - j);
        vuint32m2_t e = sm_e(xr, xb, j, mx, in_mult, in_shift, vl);
        if (j + vl <= (size_t)nbuf) __riscv_vse32_v_u32m2(ebuf + j, e, vl);
        else if (j < (size_t)nbuf) __riscv_vse32_v_u32m2(ebuf + j, e, (size_t)nbuf - j);
        acc = __riscv_vwredsumu_vs_u32m2_u64m1(e, acc, vl);
      }
      uint64_t sum = __riscv_vmv_x_s_u64m1_u64(acc);
      uint64_t r = sum ? (1ull << 52) / sum : 0;
      uint32_t r32 = r >> 32 ? 0xffffffffu : (uint32_t)r;
      for (j = 0; j < (size_t)valid; j += vl) {
        vl = __riscv_vsetvl_e32m2((size_t)valid - j);
        vuint32m2_t e = j + vl <= (size_t)nbuf ? __riscv_vle32_v_u32m2(ebuf + j, vl)
                                               : sm_e(xr, xb, j, mx, in_mult, in_shift, vl);
        vuint32m2_t h = __riscv_vmulhu_vx_u32m2(e, r32, vl);
        if (yb == 2) {
          vuint32m2_t p = __riscv_vminu_vx_u32m2(__riscv_vssrl_vx_u32m2(h, 5, IG_RNU, vl), 32767, vl);
          __riscv_vse16_v_u16m1((uint16_t *)y + base + j, __riscv_vncvt_x_x_w_u16m1(p, vl), vl);
        } else {
          vuint32m2_t p = __riscv_vminu_vx_u32m2(__riscv_vssrl_vx_u32m2(h, 12, IG_RNU, vl), 255, vl);
          vuint8mf2_t b = __riscv_vncvt_x_x_w_u8mf2(__riscv_vncvt_x_x_w_u16m1(p, vl), vl);
          __riscv_vse8_v_u8mf2((uint8_t *)y + base + j, __riscv_vxor_vx_u8mf2(b, 0x80, vl), vl); /* - 128 */
        }
      }
      for (int32_t k = valid; k < s; k++) ig_store(y, base + k, yb == 2 ? 0 : -128, yb);
    }
  }
}

#define IG_ENTRIES_SOFTMAX
#include "ig_entry_points.h"
