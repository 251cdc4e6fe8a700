#include "ig_fixedpoint.h"
#include "ig_kernels.h"

IG_WEAK void ig_relu_f32(const float *x, int32_t len, float *y) {
  for (int32_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}
