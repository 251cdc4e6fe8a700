/* mul, FP32 (quant/ops/float_ops.py mul_f32): y = a * b, one rounding per element (the same bits on every
 * family). Portable C; on FPU-less targets each multiply is a soft-float helper call. */
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_mul_f32(const float *a, const float *b, int32_t len, float *y) {
  for (int32_t i = 0; i < len; i++) y[i] = a[i] * b[i];
}
