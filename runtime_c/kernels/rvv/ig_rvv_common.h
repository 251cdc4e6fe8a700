/* Shared inline helpers of the RVV 1.0 kernels (clang-16 `__riscv_` intrinsics). Vector-length agnostic: every
 * loop takes vl from vsetvl, so the same code is exact for VLEN 128, 256 and 512.
 * Dot products: int8 x int8 -> int16 products (VWMUL, exact: |product| <= 2^14), summed into an int32 element
 * by a widening reduction (VWREDSUM) that carries the running sum; at LMUL 4, one reduction per 64 MACs at
 * VLEN 128. Requantization is vectorized over a block of output channels: VSMUL with round-to-nearest-up is
 * exactly TFLite's saturating rounding doubling high multiply, VSSRA with a sign fix-up the rounding divide. */
#ifndef IG_RVV_COMMON_H
#define IG_RVV_COMMON_H
#include <riscv_vector.h>
#include <stdint.h>

#include "ig_fixedpoint.h"

/* Output channels accumulated before one vectorized requantization pass. */
#define IG_RVV_BLOCK 64

/* Fixed-point rounding mode: round to nearest, ties up (rnu = 0), for VSMUL and VSSRA. */
static inline void ig_rvv_set_rnu(void) { __asm__ volatile("csrwi vxrm, 0"); }

/* Dot products of x[k0..k1) with four int8 rows. */
static inline void ig_dot4rows_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                  const int8_t *w3, int32_t k0, int32_t k1, int32_t out[4]) {
  vint32m1_t a0 = __riscv_vmv_v_x_i32m1(0, 1), a1 = a0, a2 = a0, a3 = a0;
  const int8_t *xp = x + k0, *q0 = w0 + k0, *q1 = w1 + k0, *q2 = w2 + k0, *q3 = w3 + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl) {
    vl = __riscv_vsetvl_e8m4(left);
    vint8m4_t xv = __riscv_vle8_v_i8m4(xp, vl);
    a0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q0, vl), xv, vl), a0, vl);
    a1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q1, vl), xv, vl), a1, vl);
    a2 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q2, vl), xv, vl), a2, vl);
    a3 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q3, vl), xv, vl), a3, vl);
    xp += vl; q0 += vl; q1 += vl; q2 += vl; q3 += vl;
  }
  out[0] = __riscv_vmv_x_s_i32m1_i32(a0);
  out[1] = __riscv_vmv_x_s_i32m1_i32(a1);
  out[2] = __riscv_vmv_x_s_i32m1_i32(a2);
  out[3] = __riscv_vmv_x_s_i32m1_i32(a3);
}

/* sum of x[k0..k1) */
static inline int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  vint32m1_t a = __riscv_vmv_v_x_i32m1(0, 1);
  const int8_t *xp = x + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl, xp += vl) {
    vl = __riscv_vsetvl_e8m4(left);
    a = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vsext_vf2_i16m8(__riscv_vle8_v_i8m4(xp, vl), vl), a, vl);
  }
  return __riscv_vmv_x_s_i32m1_i32(a);
}

/* Two int4 row pairs p0, p1 (ig_kernels.h layout) against x[k0..k1): the four rows' dot products, decoded from
 * the sums of x times the raw bytes and times the bytes masked to their high nibble. `sx` = sum of x[k0..k1). */
static inline void ig_dot2pairs_s8w4(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k0, int32_t k1,
                                     int32_t sx, int32_t out[4]) {
  vint32m1_t h0 = __riscv_vmv_v_x_i32m1(0, 1), r0 = h0, h1 = h0, r1 = h0;
  const int8_t *xp = x + k0, *q0 = p0 + k0, *q1 = p1 + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl) {
    vl = __riscv_vsetvl_e8m4(left);
    vint8m4_t xv = __riscv_vle8_v_i8m4(xp, vl);
    vint8m4_t b0 = __riscv_vle8_v_i8m4(q0, vl), b1 = __riscv_vle8_v_i8m4(q1, vl);
    r0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(b0, xv, vl), r0, vl);
    h0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vand_vx_i8m4(b0, (int8_t)0xF0, vl), xv, vl), h0, vl);
    r1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(b1, xv, vl), r1, vl);
    h1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vand_vx_i8m4(b1, (int8_t)0xF0, vl), xv, vl), h1, vl);
    xp += vl; q0 += vl; q1 += vl;
  }
  int32_t hs0 = __riscv_vmv_x_s_i32m1_i32(h0), hs1 = __riscv_vmv_x_s_i32m1_i32(h1);
  out[0] = hs0 >> 4;
  out[1] = __riscv_vmv_x_s_i32m1_i32(r0) - hs0 - 8 * sx;
  out[2] = hs1 >> 4;
  out[3] = __riscv_vmv_x_s_i32m1_i32(r1) - hs1 - 8 * sx;
}

/* y[i] = clamp(requant(acc[i], mult[i], shift[i]) + y_zp, act_min, act_max) for i < count (acc holds the bias). */
static inline void ig_output_block_s8(const int32_t *acc, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                                      int32_t act_min, int32_t act_max, int8_t *y, int32_t count) {
  for (size_t left = (size_t)count, vl; left > 0; left -= vl, acc += vl, mult += vl, shift += vl, y += vl) {
    vl = __riscv_vsetvl_e32m4(left);
    vint32m4_t a = __riscv_vle32_v_i32m4(acc, vl);
    vint32m4_t sh = __riscv_vle32_v_i32m4(shift, vl);
    vint32m4_t left_sh = __riscv_vmax_vx_i32m4(sh, 0, vl);
    vint32m4_t neg_right = __riscv_vmin_vx_i32m4(sh, 0, vl); /* -(right shift) */
    a = __riscv_vsll_vv_i32m4(a, __riscv_vreinterpret_v_i32m4_u32m4(left_sh), vl); /* wraps, as the reference */
    a = __riscv_vsmul_vv_i32m4(a, __riscv_vle32_v_i32m4(mult, vl), vl);
    /* -1 for negative values that are shifted right: round-half-up becomes round-half-away-from-zero */
    a = __riscv_vsadd_vv_i32m4(a, __riscv_vsra_vx_i32m4(__riscv_vand_vv_i32m4(a, neg_right, vl), 31, vl), vl);
    a = __riscv_vssra_vv_i32m4(a, __riscv_vreinterpret_v_i32m4_u32m4(__riscv_vneg_v_i32m4(neg_right, vl)), vl);
    a = __riscv_vadd_vx_i32m4(a, y_zp, vl);
    a = __riscv_vmin_vx_i32m4(__riscv_vmax_vx_i32m4(a, act_min, vl), act_max, vl);
    vint16m2_t h = __riscv_vncvt_x_x_w_i16m2(a, vl);
    __riscv_vse8_v_i8m1(y, __riscv_vncvt_x_x_w_i8m1(h, vl), vl);
  }
}
#endif
