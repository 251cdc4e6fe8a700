/* add, FP32: AArch64 NEON (ig_neon_binary_f32, ig_neon_f32.h). */
#include "ig_neon_f32.h"
#include "ig_ops_f32.h"

void ig_add_f32(const float *a, const float *b, int32_t len, float *y) { ig_neon_binary_f32(a, b, len, y, 0); }
