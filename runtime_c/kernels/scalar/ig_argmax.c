/* argmax over a row (greedy decoding): ties go to the lowest index, as numpy's argmax. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_ARGMAX_DEF(D_, X, XT)                                                                                  \
  IG_WEAK int32_t ig_argmax_##X(const XT *x, int32_t len) {                                                     \
    int32_t best = 0;                                                                                           \
    for (int32_t i = 1; i < len; i++)                                                                           \
      if (x[i] > x[best]) best = i;                                                                             \
    return best;                                                                                                \
  }
IG_FOR_A(IG_ARGMAX_DEF, _)
