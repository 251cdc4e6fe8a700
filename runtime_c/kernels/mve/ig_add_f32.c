/* add, FP32: Armv8.1-M Helium float (ig_mve_binary_f32, ig_mve_f32.h): VADD.F32 four lanes at a time, the last
 * len % 4 tail-predicated; one rounding per element, the portable kernel's bits. */
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"

void ig_add_f32(const float *a, const float *b, int32_t len, float *y) { ig_mve_binary_f32(a, b, len, y, 0); }
