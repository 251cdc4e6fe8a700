/* embedding (quant/ops/embedding.py) for Armv8.1-M Helium: the rows copied by emb_rows (ig_mve_embedding.h). */
#include "ig_mve_embedding.h"
#include "ig_ops.h"

int32_t ig_embedding_s8(const int32_t *ids, int32_t rows, const int8_t *table, int32_t vocab, int32_t channels,
                        int8_t *y) {
  return emb_rows(ids, rows, table, vocab, channels, y);
}
int32_t ig_embedding_s16(const int32_t *ids, int32_t rows, const int16_t *table, int32_t vocab, int32_t channels,
                         int16_t *y) {
  return emb_rows(ids, rows, (const int8_t *)table, vocab, channels * 2, (int8_t *)y);
}
int32_t ig_embedding_s32(const int32_t *ids, int32_t rows, const int32_t *table, int32_t vocab, int32_t channels,
                         int32_t *y) {
  return emb_rows(ids, rows, (const int8_t *)table, vocab, channels * 4, (int8_t *)y);
}
