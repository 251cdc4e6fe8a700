#include "ig_fixedpoint.h"
#include "ig_kernels.h"

IG_WEAK void ig_relu_s8(const int8_t *x, int32_t len, int8_t zero_point, int8_t *y) {
  for (int32_t i = 0; i < len; i++) y[i] = x[i] < zero_point ? zero_point : x[i];
}
