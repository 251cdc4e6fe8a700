/* softmax, FP32 (quant/ops/float_ops.py softmax_f32) over the last dimension of x [groups, t, s]: per row the max
 * of the valid keys (causal: j <= s - t + i), exp(x - max) (ig_mathf.h) summed, one division, then a multiply per
 * element; masked keys get 0. Portable C. */
#include "ig_attention_f32.h"
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

static inline __attribute__((always_inline)) void softmax_row(const float *xr, float *yr, int32_t valid, int32_t s) {
  if (valid > 0) {
    float mx = xr[0];
    for (int32_t j = 1; j < valid; j++)
      if (xr[j] > mx) mx = xr[j];
    float sum = 0.0f;
    for (int32_t j = 0; j < valid; j++) {
      float e = ig_expf(xr[j] - mx);
      yr[j] = e;
      sum += e;
    }
    const float rs = 1.0f / sum; /* sum >= 1: the max's own term is exp(0) */
    for (int32_t j = 0; j < valid; j++) yr[j] *= rs;
  }
  for (int32_t j = valid; j < s; j++) yr[j] = 0.0f;
}

IG_WEAK void ig_softmax_f32(const float *x, int32_t groups, int32_t t, int32_t s, int32_t causal, float *y) {
  ig_softmax_rows_f32(x, groups, t, s, causal, y, softmax_row);
}
