/* gelu, FP32: Armv8.1-M Helium float, four lanes per step through ig_mve_mathf.h (the erf form from the normal
 * tail erfc with an exact -x^2 / 2; the tanh form as x / (1 + exp(-2u))); the last len % 4 elements
 * tail-predicated. */
#include "ig_mve_f32.h"
#include "ig_mve_mathf.h"
#include "ig_ops_f32.h"

void ig_gelu_f32(const float *x, int32_t len, float *y) { IG_MVE_MAP_F32(ig_mve_gelu_erfq, x, len, y); }

void ig_gelu_tanh_f32(const float *x, int32_t len, float *y) { IG_MVE_MAP_F32(ig_mve_gelu_tanhq, x, len, y); }
