/* matmul_qk, FP32: Armv8.1-M Helium float. For each query row four keys at a time (ig_mve_dot4_f32: each load of
 * q feeds a VFMA.F32 of each key, the head_dim % 4 tail predicated), their four scores scaled and stored as one
 * vector; the last s % 4 keys the same way with the missing keys' lanes not stored. */
#include "ig_attention_f32.h"
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void qk_row(const float *qi, const float *kh, int32_t kw, int32_t s,
                                                         int32_t head_dim, float scale, float *yr) {
  int32_t j = 0;
  for (; j + 4 <= s; j += 4)
    vst1q_f32(yr + j, vmulq_n_f32(ig_mve_dot4_f32(qi, kh + (size_t)j * (size_t)kw, kw, head_dim, 4), scale));
  if (j < s)
    vstrwq_p_f32(yr + j, vmulq_n_f32(ig_mve_dot4_f32(qi, kh + (size_t)j * (size_t)kw, kw, head_dim, s - j), scale),
                 vctp32q((uint32_t)(s - j)));
}

void ig_matmul_qk_f32(const float *q, const float *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float scale, float *y) {
  ig_qk_rows_f32(q, k, t, s, heads, kv_heads, head_dim, scale, y, qk_row);
}
