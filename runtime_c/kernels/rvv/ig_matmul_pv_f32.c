/* matmul_pv, FP32: RVV 1.0, vector-length agnostic. For each query row a strip of output channels (LMUL 4)
 * accumulates over the keys: per key one unit-stride load of that key's value channels and one VFMACC.VF by its
 * probability. No reduction; one store per strip. */
#include <riscv_vector.h>

#include "ig_attention_f32.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void pv_row(const float *pr, const float *vh, int32_t vw, int32_t s,
                                                         int32_t head_dim, float *yr) {
  for (size_t c = 0, vl; c < (size_t)head_dim; c += vl) {
    vl = __riscv_vsetvl_e32m4((size_t)head_dim - c);
    vfloat32m4_t acc = __riscv_vfmv_v_f_f32m4(0.0f, vl);
    const float *vc = vh + c;
    for (int32_t j = 0; j < s; j++, vc += vw)
      acc = __riscv_vfmacc_vf_f32m4(acc, pr[j], __riscv_vle32_v_f32m4(vc, vl), vl);
    __riscv_vse32_v_f32m4(yr + c, acc, vl);
  }
}

void ig_matmul_pv_f32(const float *p, const float *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float *y) {
  ig_pv_rows_f32(p, v, t, s, heads, kv_heads, head_dim, y, pv_row);
}
