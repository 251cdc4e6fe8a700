/* embedding (quant/ops/embedding.py): row lookup. Portable C. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_EMBEDDING_DEF(D_, T, TT)                                                                             \
  IG_WEAK int32_t ig_embedding_##T(const int32_t *ids, int32_t rows, const TT *table, int32_t vocab, int32_t channels, \
                           TT *y) {                                                                             \
    for (int32_t r = 0; r < rows; r++) {                                                                        \
      int32_t id = ids[r];                                                                                      \
      if (id < 0 || id >= vocab) return 1;                                                                      \
      const TT *src = table + (size_t)id * (size_t)channels;                                                    \
      TT *dst = y + (size_t)r * (size_t)channels;                                                               \
      for (int32_t c = 0; c < channels; c++) dst[c] = src[c];                                                   \
    }                                                                                                           \
    return 0;                                                                                                   \
  }
IG_FOR_1(IG_EMBEDDING_DEF)
