/* softmax, FP32: AArch64 NEON. Per row the max of the valid keys (FMAX.4S, FMAXV), exp(x - max) four at a time
 * through ig_mathf.h's vector exp with the sum in a vector accumulator (a short tail padded with -inf, whose exp
 * is 0), one division, a multiply per element; masked keys get 0. */
#include <arm_neon.h>

#include "ig_attention_f32.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void softmax_row(const float *xr, float *yr, int32_t valid, int32_t s) {
  if (valid > 0) {
    int32_t j = 0;
    float mx = xr[0];
    if (valid >= 4) {
      float32x4_t m = vld1q_f32(xr);
      for (j = 4; j + 4 <= valid; j += 4) m = vmaxq_f32(m, vld1q_f32(xr + j));
      mx = vmaxvq_f32(m);
    }
    for (; j < valid; j++) mx = xr[j] > mx ? xr[j] : mx;
    const float32x4_t vm = vdupq_n_f32(mx);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (j = 0; j + 4 <= valid; j += 4) {
      float32x4_t e = ig_expq(vsubq_f32(vld1q_f32(xr + j), vm));
      vst1q_f32(yr + j, e);
      acc = vaddq_f32(acc, e);
    }
    if (j < valid) {
      float tb[4] = {-__builtin_inff(), -__builtin_inff(), -__builtin_inff(), -__builtin_inff()};
      for (int32_t k = 0; k < valid - j; k++) tb[k] = xr[j + k];
      float32x4_t e = ig_expq(vsubq_f32(vld1q_f32(tb), vm));
      acc = vaddq_f32(acc, e);
      vst1q_f32(tb, e);
      for (int32_t k = 0; k < valid - j; k++) yr[j + k] = tb[k];
    }
    const float rs = 1.0f / vaddvq_f32(acc); /* >= 1: the max's own term is exp(0) */
    for (j = 0; j + 4 <= valid; j += 4) vst1q_f32(yr + j, vmulq_n_f32(vld1q_f32(yr + j), rs));
    for (; j < valid; j++) yr[j] *= rs;
  }
  for (int32_t j = valid; j < s; j++) yr[j] = 0.0f;
}

void ig_softmax_f32(const float *x, int32_t groups, int32_t t, int32_t s, int32_t causal, float *y) {
  ig_softmax_rows_f32(x, groups, t, s, causal, y, softmax_row);
}
