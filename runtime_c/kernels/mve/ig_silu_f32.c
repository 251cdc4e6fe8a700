/* silu, FP32: Armv8.1-M Helium float, four lanes per step through ig_mve_mathf.h (x / (1 + exp(-x)) from
 * exp(-|x|), the division by a Newton reciprocal on [1, 2] and a remainder step); the last len % 4 elements
 * tail-predicated. */
#include "ig_mve_f32.h"
#include "ig_mve_mathf.h"
#include "ig_ops_f32.h"

void ig_silu_f32(const float *x, int32_t len, float *y) { IG_MVE_MAP_F32(ig_mve_siluq, x, len, y); }
