/* softmax, FP32: Armv8.1-M Helium float. Per row the max of the valid keys (VMAXNM.F32, VMAXNMV.F32), exp(x - max)
 * four lanes at a time through ig_mve_mathf.h's exp with the sum in a vector accumulator (the tail step's add
 * predicated), one division, a multiply per element; masked keys get 0. */
#include "ig_attention_f32.h"
#include "ig_mve_f32.h"
#include "ig_mve_mathf.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void softmax_row(const float *xr, float *yr, int32_t valid, int32_t s) {
  if (valid > 0) {
    const int32_t whole = valid & ~3;
    const mve_pred16_t p = vctp32q((uint32_t)(valid - whole));
    float32x4_t m = vdupq_n_f32(xr[0]);
    int32_t j = 0;
    for (; j < whole; j += 4) m = vmaxnmq_f32(m, vld1q_f32(xr + j));
    if (j < valid) m = vmaxnmq_m_f32(m, m, vldrwq_z_f32(xr + j, p), p);
    const float mx = vmaxnmvq_f32(xr[0], m);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (j = 0; j < whole; j += 4) {
      float32x4_t e = ig_mve_expq(vsubq_n_f32(vld1q_f32(xr + j), mx));
      vst1q_f32(yr + j, e);
      acc = vaddq_f32(acc, e);
    }
    if (j < valid) {
      float32x4_t e = ig_mve_expq(vsubq_n_f32(vldrwq_z_f32(xr + j, p), mx));
      vstrwq_p_f32(yr + j, e, p);
      acc = vaddq_m_f32(acc, acc, e, p);
    }
    const float rs = 1.0f / ig_mve_hsum_f32(acc); /* >= 1: the max's own term is exp(0) */
    for (j = 0; j < whole; j += 4) vst1q_f32(yr + j, vmulq_n_f32(vld1q_f32(yr + j), rs));
    if (j < valid) vstrwq_p_f32(yr + j, vmulq_n_f32(vldrwq_z_f32(yr + j, p), rs), p);
  }
  const float32x4_t zero = vdupq_n_f32(0.0f);
  for (int32_t j = valid; j < s; j += 4) vstrwq_p_f32(yr + j, zero, vctp32q((uint32_t)(s - j)));
}

void ig_softmax_f32(const float *x, int32_t groups, int32_t t, int32_t s, int32_t causal, float *y) {
  ig_softmax_rows_f32(x, groups, t, s, causal, y, softmax_row);
}
