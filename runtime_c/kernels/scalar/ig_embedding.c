/* embedding (quant/ops/embedding.py): row lookup. Portable C: rows whose source, destination and length are
 * word-aligned are copied a machine word at a time (four words per step), others element by element. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#if defined(__GNUC__) && !defined(__clang__)
#define IG_EMB_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns"))) /* not back into memcpy */
#else
#define IG_EMB_NO_LIBCALL
#endif

typedef uintptr_t __attribute__((may_alias)) ig_word_t;

static IG_EMB_NO_LIBCALL void emb_copy(void *dst, const void *src, size_t nbytes, size_t elem) {
  if ((((uintptr_t)dst | (uintptr_t)src | nbytes) & (sizeof(ig_word_t) - 1)) == 0) {
    ig_word_t *d = (ig_word_t *)dst;
    const ig_word_t *s = (const ig_word_t *)src;
    size_t n = nbytes / sizeof(ig_word_t), i = 0;
    for (; i + 4 <= n; i += 4) {
      ig_word_t a = s[i], b = s[i + 1], c = s[i + 2], e = s[i + 3];
      d[i] = a;
      d[i + 1] = b;
      d[i + 2] = c;
      d[i + 3] = e;
    }
    for (; i < n; i++) d[i] = s[i];
    return;
  }
  if (elem == 2) {
    int16_t *d = (int16_t *)dst;
    const int16_t *s = (const int16_t *)src;
    for (size_t i = 0; i < nbytes / 2; i++) d[i] = s[i];
  } else if (elem == 4) {
    int32_t *d = (int32_t *)dst;
    const int32_t *s = (const int32_t *)src;
    for (size_t i = 0; i < nbytes / 4; i++) d[i] = s[i];
  } else {
    int8_t *d = (int8_t *)dst;
    const int8_t *s = (const int8_t *)src;
    for (size_t i = 0; i < nbytes; i++) d[i] = s[i];
  }
}

#define IG_EMBEDDING_DEF(D_, T, TT)                                                                             \
  IG_WEAK int32_t ig_embedding_##T(const int32_t *ids, int32_t rows, const TT *table, int32_t vocab, int32_t channels, \
                           TT *y) {                                                                             \
    for (int32_t r = 0; r < rows; r++) {                                                                        \
      int32_t id = ids[r];                                                                                      \
      if (id < 0 || id >= vocab) return 1;                                                                      \
      emb_copy(y + (size_t)r * (size_t)channels, table + (size_t)id * (size_t)channels,                         \
               (size_t)channels * sizeof(TT), sizeof(TT));                                                      \
    }                                                                                                           \
    return 0;                                                                                                   \
  }
IG_FOR_1(IG_EMBEDDING_DEF)
