/* Fully connected, int16 activations, int8 per-channel weights, each weight loaded once: RVV 1.0, vector-length
 * agnostic. x = 256 hi + lo + 128 with hi = x >> 8 and lo = (x & 255) - 128, both int8 for every int16 (VNSRA /
 * VNCVT and VXOR, once per call), so x . w = 256 (hi . w) + (lo . w) + 128 sum_k w: the lowering adds
 * 128 sum_k w[n, k] to the bias (codegen/packing.py pack_fc_s16). Row-major weights; four rows at a time, each
 * weight register multiplied by hi and by lo (VWMUL, exact int16 products) and reduced into the two sums
 * (VWREDSUM); requantized in blocks of IG_RVV_BLOCK channels (ig_output_block). One body for the int8 / int16 /
 * int32 outputs. Exact: the lowering admits only rows with |bias| + 32768 sum |w| < 2^31. */
#include "ig_ops.h"
#include "ig_rvv_common.h"

/* hi[k], lo[k] of x[0..k_dim) */
IG_INLINE void ig_split_hi_lo(const int16_t *x, int32_t k_dim, int8_t *hi, int8_t *lo) {
  for (size_t left = (size_t)k_dim, vl; left > 0; left -= vl, x += vl, hi += vl, lo += vl) {
    vl = __riscv_vsetvl_e16m8(left);
    vint16m8_t v = __riscv_vle16_v_i16m8(x, vl);
    __riscv_vse8_v_i8m4(hi, __riscv_vnsra_wx_i8m4(v, 8, vl), vl);
    __riscv_vse8_v_i8m4(lo, __riscv_vxor_vx_i8m4(__riscv_vncvt_x_x_w_i8m4(v, vl), (int8_t)-128, vl), vl);
  }
}

/* 256 (hi . w_r) + (lo . w_r) of four rows (modulo 2^32) */
IG_INLINE void ig_dot4rows_s16(const int8_t *hi, const int8_t *lo, const int8_t *w0, const int8_t *w1,
                               const int8_t *w2, const int8_t *w3, int32_t k_dim, int32_t out[4]) {
  vint32m1_t z = __riscv_vmv_v_x_i32m1(0, 1), h0 = z, h1 = z, h2 = z, h3 = z, l0 = z, l1 = z, l2 = z, l3 = z;
  for (size_t left = (size_t)k_dim, vl; left > 0; left -= vl) {
    vl = __riscv_vsetvl_e8m4(left);
    vint8m4_t xh = __riscv_vle8_v_i8m4(hi, vl), xl = __riscv_vle8_v_i8m4(lo, vl);
    vint8m4_t v = __riscv_vle8_v_i8m4(w0, vl);
    h0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xh, vl), h0, vl);
    l0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xl, vl), l0, vl);
    v = __riscv_vle8_v_i8m4(w1, vl);
    h1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xh, vl), h1, vl);
    l1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xl, vl), l1, vl);
    v = __riscv_vle8_v_i8m4(w2, vl);
    h2 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xh, vl), h2, vl);
    l2 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xl, vl), l2, vl);
    v = __riscv_vle8_v_i8m4(w3, vl);
    h3 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xh, vl), h3, vl);
    l3 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(v, xl, vl), l3, vl);
    hi += vl; lo += vl; w0 += vl; w1 += vl; w2 += vl; w3 += vl;
  }
  out[0] = ig_wadd(ig_wmul(__riscv_vmv_x_s_i32m1_i32(h0), 256), __riscv_vmv_x_s_i32m1_i32(l0));
  out[1] = ig_wadd(ig_wmul(__riscv_vmv_x_s_i32m1_i32(h1), 256), __riscv_vmv_x_s_i32m1_i32(l1));
  out[2] = ig_wadd(ig_wmul(__riscv_vmv_x_s_i32m1_i32(h2), 256), __riscv_vmv_x_s_i32m1_i32(l2));
  out[3] = ig_wadd(ig_wmul(__riscv_vmv_x_s_i32m1_i32(h3), 256), __riscv_vmv_x_s_i32m1_i32(l3));
}

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  int8_t hi[k_dim], lo[k_dim];
  int32_t acc[IG_RVV_BLOCK];
  ig_rvv_set_vxrm_rnu();
  ig_split_hi_lo(x, k_dim, hi, lo);
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *w0 = w + (size_t)(n0 + i) * (size_t)k_dim;
      /* fewer than 4 rows left: repeat the last row (its sums are not used) */
      const int8_t *w1 = rows > 1 ? w0 + k_dim : w0, *w2 = rows > 2 ? w1 + k_dim : w1, *w3 = rows > 3 ? w2 + k_dim : w2;
      ig_dot4rows_s16(hi, lo, w0, w1, w2, w3, k_dim, s);
      for (int32_t r = 0; r < rows; r++) acc[i + r] = s[r];
    }
    ig_output_block(acc, bias + n0, mult + n0, shift + n0, y_zp, act_min, act_max,
                    (char *)y + (size_t)n0 * (size_t)out_bytes, count, out_bytes);
  }
}

void ig_fc_s16_s8(IG_FC_S16_ARGS, int8_t *y) { fc_s16(IG_FC_S16_PASS, y, 1); }
void ig_fc_s16_s16(IG_FC_S16_ARGS, int16_t *y) { fc_s16(IG_FC_S16_PASS, y, 2); }
void ig_fc_s16_s32(IG_FC_S16_ARGS, int32_t *y) { fc_s16(IG_FC_S16_PASS, y, 4); }
