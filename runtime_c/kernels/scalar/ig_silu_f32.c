/* silu, FP32 (quant/ops/float_ops.py silu_f32): x / (1 + exp(-x)) through ig_mathf.h (exp of -|x|, no
 * overflow). Portable C. */
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_silu_f32(const float *x, int32_t len, float *y) {
  for (int32_t i = 0; i < len; i++) y[i] = ig_silu1(x[i]);
}
