/* embedding, FP32: Armv8.1-M Helium, each float row copied as bytes by emb_rows (ig_mve_embedding.h: 16 bytes per
 * VLDRB / VSTRB pair, the last bytes tail-predicated); an id outside the table returns 1. */
#include "ig_mve_embedding.h"
#include "ig_ops_f32.h"

int32_t ig_embedding_f32(const int32_t *ids, int32_t rows, const float *table, int32_t vocab, int32_t channels,
                         float *y) {
  return emb_rows(ids, rows, (const int8_t *)table, vocab, channels * 4, (int8_t *)y);
}
