/* matmul_qk, FP32: RVV 1.0, vector-length agnostic. For each query row the scores of a strip of keys (LMUL 4: 16
 * keys at VLEN 128) accumulate over the head's channels: per channel one strided load of that channel across the
 * keys (VLSE32, stride kv_heads * head_dim) and one VFMACC.VF by the query's element. No reduction; one
 * unit-stride store of the scaled strip. */
#include <riscv_vector.h>

#include "ig_attention_f32.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void qk_row(const float *qi, const float *kh, int32_t kw, int32_t s,
                                                         int32_t head_dim, float scale, float *yr) {
  const ptrdiff_t stride = (ptrdiff_t)kw * (ptrdiff_t)sizeof(float);
  for (size_t j = 0, vl; j < (size_t)s; j += vl) {
    vl = __riscv_vsetvl_e32m4((size_t)s - j);
    const float *kp = kh + j * (size_t)kw;
    vfloat32m4_t acc = __riscv_vfmv_v_f_f32m4(0.0f, vl);
    for (int32_t c = 0; c < head_dim; c++)
      acc = __riscv_vfmacc_vf_f32m4(acc, qi[c], __riscv_vlse32_v_f32m4(kp + c, stride, vl), vl);
    __riscv_vse32_v_f32m4(yr + j, __riscv_vfmul_vf_f32m4(acc, scale, vl), vl);
  }
}

void ig_matmul_qk_f32(const float *q, const float *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float scale, float *y) {
  ig_qk_rows_f32(q, k, t, s, heads, kv_heads, head_dim, scale, y, qk_row);
}
