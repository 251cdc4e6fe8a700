/* A fixed integer workload for the counting-speed benchmark: int8 dot products, a requantization and a
 * data-dependent branch per row, the shape of what intgap's kernels execute. IG_ROUNDS sets its length. */
#include <stdint.h>
#include "ig_fixedpoint.h"
#include "ig_platform.h"

#ifndef IG_ROUNDS
#define IG_ROUNDS 1000
#endif

static int8_t x[64], w[64 * 32];

int main(void) {
  uint32_t seed = 12345u, checksum = 0;
  for (int i = 0; i < 64; i++) { seed = seed * 1103515245u + 12345u; x[i] = (int8_t)(seed >> 24); }
  for (int i = 0; i < 64 * 32; i++) { seed = seed * 1103515245u + 12345u; w[i] = (int8_t)(seed >> 24); }
  for (int r = 0; r < IG_ROUNDS; r++) {
    for (int n = 0; n < 32; n++) {
      int32_t acc = r;
      for (int k = 0; k < 64; k++) acc += x[k] * w[n * 64 + k];
      int32_t y = ig_requantize(acc, 1518500250, -7);
      checksum = checksum * 31u + (uint32_t)(y > 0 ? y : -y);
    }
    x[r & 63] ^= (int8_t)checksum;
  }
  ig_write_hex(&checksum, sizeof checksum);
  return 0;
}
