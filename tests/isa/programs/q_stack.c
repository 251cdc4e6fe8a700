/* Stack and global data in the same cache sets: a 16 KiB stack array and a 16 KiB global array read in turns, so
 * which sets the stack's lines fall in (its address) decides the misses. Prints the address of the stack array:
 * the memory-aware reproducibility test checks it (and the statistics) across runs. */
#include <stdint.h>
#include "ig_platform.h"

#define WORDS 2048 /* 16 KiB of uint64_t */
static uint64_t global_words[WORDS];

__attribute__((noinline)) static uint64_t walk(volatile uint64_t *local, int passes) {
  uint64_t s = 0;
  for (int p = 0; p < passes; p++)
    for (int i = 0; i < WORDS; i += 8) {
      local[i] += (uint64_t)i;
      s += local[i] ^ global_words[(i * 5) % WORDS];
      global_words[(i * 3) % WORDS] += s;
    }
  return s;
}

int main(void) {
  volatile uint64_t local[WORDS];
  for (int i = 0; i < WORDS; i++) local[i] = (uint64_t)i;
  uint64_t s = walk(local, 16);
  uintptr_t where = (uintptr_t)&local[0];
  ig_write_hex(&where, sizeof where);
  ig_write_str("\n");
  ig_write_hex(&s, sizeof s);
  ig_write_str("\n");
  return 0;
}
