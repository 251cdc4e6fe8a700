/* Fully connected, FP32: RVV 1.0 baseline, vector-length agnostic. Each row accumulates element-wise in an LMUL-8
 * vector (VFMACC: 32 MACs per instruction at VLEN 128) over full strips of VLMAX elements and is reduced once at
 * the end (VFREDUSUM), the short last strip (K mod VLMAX) reduced into that sum. One row at a time: a second row
 * sharing the load of x needs more than the 32 vector registers at LMUL 8 (clang spills), and at LMUL 4 it costs
 * more instructions per MAC (two pointer bumps and a loop branch per 16 instead of per 32 MACs at VLEN 128).
 * The sum order differs from a k-ordered loop by a few ulps, and depends on VLEN. */
#include <riscv_vector.h>

#include "ig_kernels.h"

/* bias + sum(acc[0..vlmax)) + sum(xt[0..tail) * wt[0..tail)), then the optional ReLU. */
static inline float ig_finish_f32(vfloat32m8_t acc, size_t vlmax, const float *xt, const float *wt, size_t tail,
                                  float bias, int relu) {
  vfloat32m1_t s = __riscv_vfredusum_vs_f32m8_f32m1(acc, __riscv_vfmv_v_f_f32m1(bias, 1), vlmax);
  if (tail) {
    vfloat32m8_t p = __riscv_vfmul_vv_f32m8(__riscv_vle32_v_f32m8(xt, tail), __riscv_vle32_v_f32m8(wt, tail), tail);
    s = __riscv_vfredusum_vs_f32m8_f32m1(p, s, tail);
  }
  float v = __riscv_vfmv_f_s_f32m1_f32(s);
  return (relu && v < 0.0f) ? 0.0f : v;
}

void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  const size_t vlmax = __riscv_vsetvlmax_e32m8();
  const size_t strips = (size_t)k_dim / vlmax, tail = (size_t)k_dim - strips * vlmax;
  for (int32_t n = 0; n < n_dim; n++) {
    const float *q = w + (size_t)n * (size_t)k_dim, *xp = x;
    vfloat32m8_t a = __riscv_vfmv_v_f_f32m8(0.0f, vlmax);
    for (size_t s = 0; s < strips; s++, xp += vlmax, q += vlmax)
      a = __riscv_vfmacc_vv_f32m8(a, __riscv_vle32_v_f32m8(xp, vlmax), __riscv_vle32_v_f32m8(q, vlmax), vlmax);
    y[n] = ig_finish_f32(a, vlmax, xp, q, tail, b[n], relu);
  }
}
