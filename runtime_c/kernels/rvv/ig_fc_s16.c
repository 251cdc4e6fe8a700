/* Fully connected, int16 activations, int8 per-channel weights, each weight loaded once: RVV 1.0, vector-length
 * agnostic. x = 256 hi + lo + 128 with hi = x >> 8 and lo = (x & 255) - 128, both int8 for every int16 (VNSRA /
 * VNCVT and VXOR, once per call), so x . w = 256 (hi . w) + (lo . w) + 128 sum_k w: the lowering adds
 * 128 sum_k w[n, k] to the bias (codegen/packing.py pack_fc_s16). Row-major weights; four rows at a time in
 * assembly, each weight register multiplied by hi and by lo (VWMUL, exact int16 products) and reduced into the two
 * sums (VWREDSUM); requantized in blocks of IG_RVV_BLOCK channels (ig_output_block). One body for the int8 / int16 /
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

/* One row's step: its weights (at q) into v28-v31 (e8m4) times hi (v8-v11) into v16-v23 and times lo (v12-v15)
 * into v24-v31 (VWMUL, e16m8; the weights are the lo product's source, in the top half of its destination group,
 * as RVV allows), both reduced (e16m8) into element 0 of the row's hi / lo sums. */
#define IG_RVV_S16_ROW(q, h, l)                                                                                     \
  "vle8.v v28, (%[" q "])\n\t" "vwmul.vv v16, v28, v8\n\t" "vwmul.vv v24, v28, v12\n\t"                          \
  "vsetvli zero, zero, e16, m8, ta, ma\n\t"                                                                        \
  "vwredsum.vs v" h ", v16, v" h "\n\t" "vwredsum.vs v" l ", v24, v" l "\n\t"                                      \
  "vsetvli zero, zero, e8, m4, ta, ma\n\t"

/* out[r] = 256 (hi . w_r) + (lo . w_r) (modulo 2^32) of four rows. Per step of vl bytes (VLEN / 2 at LMUL 4):
 * 6 loads, 8 VWMUL, 8 VWREDSUM, 9 VSETVLI, 8 scalar instructions; lanes = ig_rvv_lanes32(). */
IG_INLINE void ig_dot4rows_s16(const int8_t *hi, const int8_t *lo, const int8_t *w0, const int8_t *w1,
                               const int8_t *w2, const int8_t *w3, int32_t k_dim, size_t lanes, int32_t out[4]) {
  const int8_t *hp = hi, *lp = lo, *q0 = w0, *q1 = w1, *q2 = w2, *q3 = w3;
  size_t left = (size_t)k_dim, vl;
  int32_t s[8];
  __asm__ volatile(
      "vsetvli %[vl], zero, e32, m8, ta, ma\n\t"
      "vmv.v.i v0, 0\n\t" /* the hi sums of rows 0-3 in v0-v3, the lo sums in v4-v7 */
      "1:\n\t"
      "vsetvli %[vl], %[left], e8, m4, ta, ma\n\t"
      "vle8.v v8, (%[hp])\n\t" "vle8.v v12, (%[lp])\n\t"
      IG_RVV_S16_ROW("q0", "0", "4") IG_RVV_S16_ROW("q1", "1", "5")
      IG_RVV_S16_ROW("q2", "2", "6") IG_RVV_S16_ROW("q3", "3", "7")
      "add %[hp], %[hp], %[vl]\n\t" "add %[lp], %[lp], %[vl]\n\t" "add %[q0], %[q0], %[vl]\n\t"
      "add %[q1], %[q1], %[vl]\n\t" "add %[q2], %[q2], %[vl]\n\t" "add %[q3], %[q3], %[vl]\n\t"
      "sub %[left], %[left], %[vl]\n\t"
      "bnez %[left], 1b\n\t"
      IG_RVV_GATHER8
      "vse32.v v16, (%[s])\n\t"
      : [hp] "+r"(hp), [lp] "+r"(lp), [q0] "+r"(q0), [q1] "+r"(q1), [q2] "+r"(q2), [q3] "+r"(q3),
        [left] "+r"(left), [vl] "=&r"(vl)
      : [lanes] "r"(lanes), [s] "r"(s)
      : IG_RVV_CLOBBERS_V);
  for (int32_t r = 0; r < 4; r++) out[r] = ig_wadd(ig_wmul(s[r], 256), s[r + 4]);
}
#undef IG_RVV_S16_ROW

IG_INLINE void fc_s16(IG_FC_S16_ARGS, void *y, int32_t out_bytes) {
  int8_t hi[k_dim], lo[k_dim];
  int32_t acc[IG_RVV_BLOCK];
  const size_t lanes = ig_rvv_lanes32();
  ig_rvv_set_vxrm_rnu();
  ig_split_hi_lo(x, k_dim, hi, lo);
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *w0 = w + (size_t)(n0 + i) * (size_t)k_dim;
      /* fewer than 4 rows left: repeat the last row (its sums are not used) */
      const int8_t *w1 = rows > 1 ? w0 + k_dim : w0, *w2 = rows > 2 ? w1 + k_dim : w1, *w3 = rows > 3 ? w2 + k_dim : w2;
      ig_dot4rows_s16(hi, lo, w0, w1, w2, w3, k_dim, lanes, s);
      for (int32_t r = 0; r < rows; r++) acc[i + r] = s[r];
    }
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  }
}

void ig_fc_s16_s8(IG_FC_S16_ARGS, int8_t *y) { fc_s16(IG_FC_S16_PASS, y, 1); }
void ig_fc_s16_s16(IG_FC_S16_ARGS, int16_t *y) { fc_s16(IG_FC_S16_PASS, y, 2); }
void ig_fc_s16_s32(IG_FC_S16_ARGS, int32_t *y) { fc_s16(IG_FC_S16_PASS, y, 4); }
