/* The row copy of the Helium embedding kernels (ig_embedding.c, ig_embedding_f32.c): each row copied 16 bytes per
 * VLDRB / VSTRB pair (no alignment needed), the last row_bytes % 16 bytes in one step under a VCTP predicate. An id
 * outside the table returns 1 (the portable kernel's report). */
#ifndef IG_MVE_EMBEDDING_H
#define IG_MVE_EMBEDDING_H
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

static int32_t emb_rows(const int32_t *ids, int32_t rows, const int8_t *table, int32_t vocab, int32_t row_bytes,
                        int8_t *y) {
  for (int32_t r = 0; r < rows; r++) {
    if (ids[r] < 0 || ids[r] >= vocab) return 1;
    const int8_t *src = table + (size_t)ids[r] * (size_t)row_bytes;
    int8_t *dst = y + (size_t)r * (size_t)row_bytes;
    int32_t i = 0;
    for (; i + 16 <= row_bytes; i += 16) vst1q_s8(dst + i, vld1q_s8(src + i)); /* no predicate to set up */
    if (i < row_bytes) {
      mve_pred16_t p = vctp8q((uint32_t)(row_bytes - i));
      vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, p), p);
    }
  }
  return 0;
}
#endif
