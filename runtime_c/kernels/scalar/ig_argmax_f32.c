/* argmax over float logits (greedy decoding): the first largest, ties to the lowest index as numpy's argmax. */
#include "ig_fixedpoint.h"
#include "ig_ops_f32.h"

IG_WEAK int32_t ig_argmax_f32(const float *x, int32_t len) {
  int32_t best = 0;
  float bv = len > 0 ? x[0] : 0.0f;
  for (int32_t i = 1; i < len; i++)
    if (x[i] > bv) {
      bv = x[i];
      best = i;
    }
  return best;
}
