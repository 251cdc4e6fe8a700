/* matmul_qk for RVV 1.0, vector-length agnostic.
 * Zero points folded: sum (q - zq)(k - zk) = sum q k - zq sum k - zk sum q + d zq zk (int32, wrapping). Blocks of
 * up to four query vectors (the query heads of one KV head times t rows: decode, t = 1, runs the group's heads
 * together) against each key row: one key load per head_dim chunk feeds every vector's VWMUL (int8 x int8 ->
 * int16, exact) and VWREDSUM (into int32); sum k by VWREDSUM of the sign-extended row (only when zq != 0). The
 * scores of a chunk of key rows are then requantized in lanes (ig_rvv_rq_apply) and stored together. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

#define IG_QK_JCHUNK 64

IG_RI int32_t qk_sum(const int8_t *a, int32_t n) {
  vint32m1_t acc = __riscv_vmv_s_x_i32m1(0, 1);
  for (size_t left = (size_t)n, vl; left > 0; left -= vl, a += vl) {
    vl = __riscv_vsetvl_e8m2(left);
    acc = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vsext_vf2_i16m4(__riscv_vle8_v_i8m2(a, vl), vl), acc, vl);
  }
  return __riscv_vmv_x_s_i32m1_i32(acc);
}

IG_RI void qk_vectors(const int8_t *q, const int8_t *kg, int32_t s, int32_t qw, int32_t kw, int32_t hd,
                      int32_t q_zp, int32_t k_zp, int32_t g, int32_t group, int32_t t, int32_t v0, int32_t nv,
                      const ig_rvv_rq_t *rq, void *y, int32_t yb) {
  const int8_t *qv[4];
  int32_t corr[4], orow[4];
  int32_t buf[4][IG_QK_JCHUNK];
  int32_t c0 = ig_wmul(ig_wmul(hd, q_zp), k_zp);
  for (int32_t k = 0; k < nv; k++) {
    int32_t v = v0 + k, h = g * group + v / t, i = v % t;
    qv[k] = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)hd;
    corr[k] = ig_wadd(c0, -ig_wmul(qk_sum(qv[k], hd), k_zp));
    orow[k] = (g * group * t + v) * s;
  }
  for (int32_t j0 = 0; j0 < s; j0 += IG_QK_JCHUNK) {
    int32_t nj = s - j0 < IG_QK_JCHUNK ? s - j0 : IG_QK_JCHUNK;
    for (int32_t jj = 0; jj < nj; jj++) {
      const int8_t *kr = kg + (size_t)(j0 + jj) * (size_t)kw;
      vint32m1_t z = __riscv_vmv_s_x_i32m1(0, 1);
      vint32m1_t a0 = z, a1 = z, a2 = z, a3 = z, sk = z;
      size_t c = 0;
      for (size_t left = (size_t)hd, vl; left > 0; left -= vl, c += vl) {
        vl = __riscv_vsetvl_e8m2(left);
        vint8m2_t kv = __riscv_vle8_v_i8m2(kr + c, vl);
        if (q_zp) sk = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vsext_vf2_i16m4(kv, vl), sk, vl);
        a0 = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(qv[0] + c, vl), kv, vl), a0, vl);
        if (nv > 1)
          a1 = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(qv[1] + c, vl), kv, vl), a1, vl);
        if (nv > 2)
          a2 = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(qv[2] + c, vl), kv, vl), a2, vl);
        if (nv > 3)
          a3 = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(qv[3] + c, vl), kv, vl), a3, vl);
      }
      int32_t zsk = ig_wmul(__riscv_vmv_x_s_i32m1_i32(sk), q_zp);
      buf[0][jj] = ig_wadd(ig_wadd(__riscv_vmv_x_s_i32m1_i32(a0), corr[0]), -zsk);
      if (nv > 1) buf[1][jj] = ig_wadd(ig_wadd(__riscv_vmv_x_s_i32m1_i32(a1), corr[1]), -zsk);
      if (nv > 2) buf[2][jj] = ig_wadd(ig_wadd(__riscv_vmv_x_s_i32m1_i32(a2), corr[2]), -zsk);
      if (nv > 3) buf[3][jj] = ig_wadd(ig_wadd(__riscv_vmv_x_s_i32m1_i32(a3), corr[3]), -zsk);
    }
    for (int32_t k = 0; k < nv; k++)
      for (size_t jj = 0, vl; jj < (size_t)nj; jj += vl) {
        vl = __riscv_vsetvl_e32m2((size_t)nj - jj);
        ig_rvv_st(y, (size_t)(orow[k] + j0) + jj, ig_rvv_rq_apply(__riscv_vle32_v_i32m2(buf[k] + jj, vl), rq, vl), yb,
                  vl);
      }
  }
}

IG_RI void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                   int32_t hd, int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift, int32_t y_zp,
                   int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * hd, kw = kv_heads * hd, nvt = group * t;
  ig_rvv_rq_t rq = ig_rvv_rq(mult, shift, y_zp, act_min, act_max);
  ig_rvv_set_vxrm_rnu();
  for (int32_t g = 0; g < kv_heads; g++) {
    const int8_t *kg = k + (size_t)g * (size_t)hd;
    for (int32_t v0 = 0; v0 < nvt; v0 += 4) {
      int32_t nv = nvt - v0 < 4 ? nvt - v0 : 4;
      if (nv == 4) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 4, &rq, y, yb);
      else if (nv == 3) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 3, &rq, y, yb);
      else if (nv == 2) qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 2, &rq, y, yb);
      else qk_vectors(q, kg, s, qw, kw, hd, q_zp, k_zp, g, group, t, v0, 1, &rq, y, yb);
    }
  }
}

#define IG_ENTRIES_MATMUL_QK
#include "ig_entry_points.h"
