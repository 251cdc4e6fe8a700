/* embedding, FP32 (quant/ops/float_ops.py embedding_f32): row lookup, a copy. Portable C. */
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

IG_WEAK int32_t ig_embedding_f32(const int32_t *ids, int32_t rows, const float *table, int32_t vocab,
                                 int32_t channels, float *y) {
  for (int32_t r = 0; r < rows; r++) {
    int32_t id = ids[r];
    if (id < 0 || id >= vocab) return 1;
    const float *src = table + (size_t)id * (size_t)channels;
    float *dst = y + (size_t)r * (size_t)channels;
    for (int32_t c = 0; c < channels; c++) dst[c] = src[c];
  }
  return 0;
}
