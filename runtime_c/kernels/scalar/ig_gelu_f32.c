/* gelu, FP32 (quant/ops/float_ops.py gelu_f32): the erf form (approximate "none") and the tanh form, one element
 * at a time through ig_mathf.h (erfc of the normal tail with an exact -x^2/2; x / (1 + exp(-2u))). Portable C. */
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_gelu_f32(const float *x, int32_t len, float *y) {
  for (int32_t i = 0; i < len; i++) y[i] = ig_gelu_erf1(x[i]);
}

IG_WEAK void ig_gelu_tanh_f32(const float *x, int32_t len, float *y) {
  for (int32_t i = 0; i < len; i++) y[i] = ig_gelu_tanh1(x[i]);
}
