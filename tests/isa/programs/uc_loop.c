/* Unicorn backend test: a loop whose trip count comes from the .ig_input section, so that two runs of the
 * same code differ by (trip difference) x (instructions per iteration). Also the ~20 M instruction speed
 * program. The loop carries a serial dependency (an LCG) so the compiler neither vectorizes nor unrolls it. */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t uc_trips[4] = {1, 0, 0, 0};

__attribute__((noinline)) uint32_t uc_lcg_loop(uint32_t n, uint32_t x) {
  uint32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    acc ^= x >> 7;
  }
  return acc + x;
}

int main(void) {
  uint32_t r = uc_lcg_loop(uc_trips[0], 42u);
  ig_write_hex(&r, sizeof r);
  return 0;
}
